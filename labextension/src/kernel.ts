/**
 * Keeps one notebook's `CarbonModel` connected to its kernel over the `jupyter_carbon`
 * comm, across kernel changes, restarts and page reloads. A kernel that is not Python
 * cannot open that comm: its figures come from the server, which meters it from outside,
 * over the server extension's channel (`channel.ts`), in the same protocol.
 *
 * The frontend always opens the comm (protocol: "Opening"), so attaching again is the
 * same code path whether the page was reloaded, the kernel restarted or the user ran
 * `%load_ext jupyter_carbon` after the notebook opened.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';

import { ServerChannel } from './channel';
import { IUnits } from './format';
import { CarbonModel } from './model';
import { COMM_TARGET, KernelMessage as CarbonMessage, PROTOCOL_VERSION, settingsMessage } from './protocol';

export const LOAD_CODE = '%load_ext jupyter_carbon';

export interface IKernelLinkOptions {
  sessionContext: ISessionContext;
  model: CarbonModel;
  /** Read when a kernel starts: run `%load_ext jupyter_carbon` silently first? */
  autoLoad: () => boolean;
  /** The user's units, told to the kernel on connect and by `sendSettings`. */
  units?: () => IUnits;
}

export class KernelLink implements IDisposable {
  private _context: ISessionContext;
  private _model: CarbonModel;
  private _autoLoad: () => boolean;
  private _units: (() => IUnits) | null;
  private _comm: Kernel.IComm | null = null;
  private _channel: ServerChannel | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  /** Bumped on every (re)connection: callbacks of older comms see it and stand down. */
  private _generation = 0;
  /** The epoch a connection is under way in, or null: at most one per epoch. */
  private _connectingIn: number | null = null;
  /** A user cell ran while unmetered: it may have loaded the extension; try at idle. */
  private _retryAtIdle = false;
  private _needsLoad = true;
  private _disposed = false;
  /** Bumped on restarts and kernel changes: a connection begun before one starts over. */
  private _epoch = 0;

  constructor(options: IKernelLinkOptions) {
    this._context = options.sessionContext;
    this._model = options.model;
    this._autoLoad = options.autoLoad;
    this._units = options.units ?? null;
    this._context.kernelChanged.connect(this._onKernelChanged, this);
    this._context.statusChanged.connect(this._onStatus, this);
    void this._context.ready.then(() => this._onKernelChanged());
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    // An attempt under way stands down at its next step, as after a restart.
    this._epoch++;
    this._context.kernelChanged.disconnect(this._onKernelChanged, this);
    this._context.statusChanged.disconnect(this._onStatus, this);
    this._watch(null);
    this._closeComm();
  }

  /** Open a fresh comm now (e.g. after loading the extension by hand). */
  async reconnect(): Promise<void> {
    const kernel = this._context.session?.kernel ?? null;
    const epoch = this._epoch;
    if (!kernel || this._disposed || this._connectingIn === epoch) {
      return;
    }
    this._connectingIn = epoch;
    try {
      const python = await isPython(kernel);
      if (epoch === this._epoch && !python) {
        this._openChannel(kernel);
        return;
      }
      if (epoch === this._epoch && this._needsLoad && this._autoLoad()) {
        this._needsLoad = false;
        await loadExtension(kernel);
      }
      if (epoch === this._epoch && !this._disposed) {
        this._openComm(kernel);
      }
    } catch (err) {
      console.warn('jupyter-carbon: cannot reach the kernel', err);
    } finally {
      if (this._connectingIn === epoch) {
        this._connectingIn = null;
      }
    }
    if (epoch !== this._epoch && !this._disposed && !this._comm && !this._channel && this._model.status === 'connecting') {
      // The kernel restarted or changed meanwhile, and no attempt since has connected:
      // start over. Not when one has (a second comm would replace the first for
      // nothing) nor when the kernel died (its status says so).
      void this.reconnect();
    }
  }

  /**
   * The settings changed: with autoLoad newly on, load the extension in a kernel that
   * is not metered yet (the settings may also simply arrive after the kernel did).
   */
  autoLoadChanged(): void {
    if (this._autoLoad() && this._model.status === 'unmetered') {
      this._needsLoad = true;
      void this.reconnect();
    }
  }

  /** Tell the kernel the user's units (the settings changed), if it is connected. */
  sendSettings(): void {
    if (this._comm && !this._comm.isDisposed && this._units) {
      this._comm.send(settingsMessage(this._units()) as any);
    }
  }

  private _onKernelChanged(): void {
    if (this._disposed) {
      return; // `ready` may resolve after the notebook closed
    }
    const kernel = this._context.session?.kernel ?? null;
    if (kernel && kernel === this._kernel && (this._comm || this._channel || this._connectingIn === this._epoch)) {
      return; // `ready` and `kernelChanged` both announce the first kernel
    }
    this._epoch++;
    this._closeComm();
    this._watch(kernel);
    this._needsLoad = true;
    if (!kernel) {
      this._model.detach('other');
      return;
    }
    this._model.clear();
    this._model.detach('connecting');
    void this.reconnect();
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      // The kernel's comms die with it; a new session starts from zero.
      this._epoch++;
      this._closeComm();
      this._needsLoad = true;
      this._model.clear();
      this._model.detach(status === 'dead' ? 'other' : 'connecting');
      return;
    }
    if (status === 'idle' && !this._comm && !this._channel && (this._model.status === 'connecting' || this._retryAtIdle)) {
      this._retryAtIdle = false;
      void this.reconnect();
    }
  }

  /** Watch iopub for user cells (`execute_input`) while the kernel is not metered. */
  private _watch(kernel: Kernel.IKernelConnection | null): void {
    if (this._kernel) {
      this._kernel.iopubMessage.disconnect(this._onIOPub, this);
    }
    this._kernel = kernel;
    kernel?.iopubMessage.connect(this._onIOPub, this);
  }

  private _onIOPub(_: Kernel.IKernelConnection, msg: KernelMessage.IIOPubMessage): void {
    // Only a cell the user ran can load the extension; opening a comm on every idle
    // would itself make the kernel busy and idle again, forever.
    if (msg.header.msg_type === 'execute_input' && this._model.status === 'unmetered') {
      this._retryAtIdle = true;
    }
  }

  private _openComm(kernel: Kernel.IKernelConnection): void {
    this._closeComm();
    const generation = ++this._generation;
    const comm = kernel.createComm(COMM_TARGET);
    this._comm = comm;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      if (generation === this._generation) {
        this._model.handle(msg.content.data as unknown as CarbonMessage);
      }
    };
    comm.onClose = () => {
      if (generation === this._generation) {
        // Before a hello: the target is not registered. After: the extension unloaded.
        const beforeHello = this._model.status === 'connecting';
        this._comm = null;
        this._model.detach('unmetered');
        if (beforeHello && this._needsLoad && this._autoLoad()) {
          // The settings turned autoload on after this attempt had decided not to load,
          // while `autoLoadChanged` could not tell yet whether the kernel was metered.
          void this.reconnect();
        }
      }
    };
    this._model.detach('connecting');
    this._model.attach(data => comm.send(data as any));
    comm.open({ protocol: PROTOCOL_VERSION });
    this.sendSettings();
  }

  /** Follow the kernel through the server's channel (a kernel that cannot open the comm). */
  private _openChannel(kernel: Kernel.IKernelConnection): void {
    this._closeComm();
    const generation = this._generation;
    this._model.detach('connecting');
    this._channel = new ServerChannel({
      kernel,
      model: this._model,
      onDeferred: () => {
        if (generation === this._generation) {
          this._openComm(kernel); // the kernel meters itself: its comm is the better source
        }
      },
      onClosed: greeted => {
        if (generation === this._generation) {
          this._channel = null;
          // Never greeted: no server extension (or it meters nothing here). Greeted: the
          // server or the kernel went away; the next idle tries again.
          this._model.detach(greeted ? 'connecting' : 'other');
        }
      }
    });
  }

  private _closeComm(): void {
    const channel = this._channel;
    this._channel = null;
    channel?.dispose();
    this._generation++;
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // The kernel is gone already: nothing to tell it.
      }
    }
  }
}

async function isPython(kernel: Kernel.IKernelConnection): Promise<boolean> {
  const info = await kernel.info;
  return (info.language_info?.name ?? '').toLowerCase() === 'python';
}

/**
 * `%load_ext jupyter_carbon`, silently: no execution count, no output in any cell.
 * Silent executions fire no run-cell events, which is fine for loading. A kernel
 * without the package just stays unmetered.
 */
async function loadExtension(kernel: Kernel.IKernelConnection): Promise<void> {
  try {
    await kernel.requestExecute({
      code: LOAD_CODE,
      silent: true,
      store_history: false,
      stop_on_error: false
    }).done;
  } catch (err) {
    console.warn('jupyter-carbon: %load_ext jupyter_carbon failed', err);
  }
}
