/**
 * The second way to a kernel's figures: the server extension's websocket
 * (`api/carbon/kernels/<id>/channel`, docs/server.md) for a kernel that cannot open the
 * `jupyter_carbon` comm (an R, Julia or bash kernel). The server meters that kernel from
 * outside and speaks the comm's protocol on this channel, so the model, the footers, the
 * status bar and the panel read it as they read a kernel's comm.
 *
 * IOPub carries no cell ids, so the server tags each cell's messages with the `msg_id` of
 * its `execute_request`; this page sent that request and knows its cell (JupyterLab puts
 * `cellId` in the request's metadata), and fills in the cell id before the model sees it.
 */
import type { Kernel, KernelMessage, ServerConnection } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';

import type { CarbonModel } from './model';
import type { KernelMessage as CarbonMessage } from './protocol';

/** Where the channel of `kernelId` is, with the token when the settings append it. */
export function channelUrl(settings: ServerConnection.ISettings, kernelId: string): string {
  const base = settings.wsUrl.endsWith('/') ? settings.wsUrl : `${settings.wsUrl}/`;
  let url = `${base}api/carbon/kernels/${encodeURIComponent(kernelId)}/channel`;
  if (settings.appendToken && settings.token) {
    url += `?token=${encodeURIComponent(settings.token)}`;
  }
  return url;
}

/** How many requests' cells are remembered while their figures are on the way. */
const REMEMBERED = 200;

export interface IServerChannelOptions {
  kernel: Kernel.IKernelConnection;
  model: CarbonModel;
  /** The server says the kernel meters itself: use its comm instead. */
  onDeferred: () => void;
  /** The server's first word that it meters this kernel has been shown. */
  onGreeted?: () => void;
  /** The server cannot see into this kernel (a remote kernel): it meters nothing here. */
  onUnmetered: () => void;
  /** The channel closed or could not open; `greeted`: after a hello. */
  onClosed: (greeted: boolean) => void;
}

export class ServerChannel implements IDisposable {
  private _kernel: Kernel.IKernelConnection;
  private _model: CarbonModel;
  private _options: IServerChannelOptions;
  private _socket: WebSocket;
  /** The cell of each `execute_request` this page sent, by its `msg_id`. */
  private _cells = new Map<string, string>();
  private _greeted = false;
  private _disposed = false;
  /** The kernel's comm took over (`retire`): only the server's last figures still count. */
  private _retired = false;
  private _deferred = false;

  constructor(options: IServerChannelOptions) {
    this._options = options;
    this._kernel = options.kernel;
    this._model = options.model;
    this._kernel.anyMessage.connect(this._onAnyMessage, this);
    const settings = this._kernel.serverSettings;
    this._socket = new settings.WebSocket(channelUrl(settings, this._kernel.id));
    this._socket.onmessage = (event: MessageEvent) => this._onMessage(event.data);
    this._socket.onclose = () => this._onClose();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Whether the server said the kernel meters itself: it records nothing more here. */
  get isDeferred(): boolean {
    return this._deferred;
  }

  /** Whether the server said it meters this kernel: its figures are on screen. */
  get isGreeted(): boolean {
    return this._greeted;
  }

  /**
   * The kernel's comm took over. The server may still be recording the cell that loaded
   * the extension: its `cell_end` and `totals` go to the model's carried figures
   * (`CarbonModel.handleCarried`) until the server says the kernel meters itself, which
   * ends the channel (the server records nothing more of this kernel).
   */
  retire(): void {
    this._retired = true;
    if (this._deferred) {
      this.dispose();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._kernel.anyMessage.disconnect(this._onAnyMessage, this);
    this._socket.onmessage = null;
    this._socket.onclose = null;
    try {
      this._socket.close();
    } catch {
      // Closed already.
    }
  }

  private _onAnyMessage(_: Kernel.IKernelConnection, args: Kernel.IAnyMessageArgs): void {
    const msg = args.msg as KernelMessage.IMessage;
    if (args.direction !== 'send' || msg.header.msg_type !== 'execute_request') {
      return;
    }
    const cellId = (msg.metadata as { cellId?: unknown } | undefined)?.cellId;
    if (typeof cellId === 'string') {
      this._cells.set(msg.header.msg_id, cellId);
      if (this._cells.size > REMEMBERED) {
        this._cells.delete(this._cells.keys().next().value as string);
      }
    }
  }

  private _onMessage(text: unknown): void {
    if (this._disposed || typeof text !== 'string') {
      return;
    }
    let msg: Record<string, any>;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') {
      return;
    }
    if (this._retired) {
      if (msg.type === 'hello' && msg.metered_by !== 'server') {
        this.dispose();
      } else {
        this._model.handleCarried(withCellIds(msg, this._cells) as CarbonMessage);
      }
      return;
    }
    if (msg.type === 'hello') {
      if (msg.metered_by === 'kernel') {
        this._deferred = true;
        this._options.onDeferred();
        return;
      }
      if (msg.metered_by !== 'server') {
        // A kernel the server cannot see into: named unmetered, never shown as zero.
        this._options.onUnmetered();
        return;
      }
      if (!this._greeted) {
        this._greeted = true;
        this._model.attach(data => this._socket.send(JSON.stringify(data)));
        this._model.handle(msg as CarbonMessage);
        this._options.onGreeted?.();
        return;
      }
    }
    this._model.handle(withCellIds(msg, this._cells) as CarbonMessage);
  }

  private _onClose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._kernel.anyMessage.disconnect(this._onAnyMessage, this);
      this._options.onClosed(this._greeted);
    }
  }
}

/**
 * The message with the cell id of its request where the server could not know it
 * (`cell_start`, `cell_end` with its record and footprint, `power`).
 */
export function withCellIds(msg: Record<string, any>, cells: Map<string, string>): Record<string, any> {
  const cellId = typeof msg.msg_id === 'string' ? cells.get(msg.msg_id) : undefined;
  if (cellId === undefined) {
    return msg;
  }
  switch (msg.type) {
    case 'cell_start':
    case 'power':
      return { ...msg, cell_id: msg.cell_id ?? cellId };
    case 'cell_end':
      cells.delete(msg.msg_id);
      return {
        ...msg,
        record: msg.record ? { ...msg.record, cell_id: msg.record.cell_id ?? cellId } : msg.record,
        footprint: msg.footprint ? { ...msg.footprint, cell_id: msg.footprint.cell_id ?? cellId } : msg.footprint
      };
    default:
      return msg;
  }
}
