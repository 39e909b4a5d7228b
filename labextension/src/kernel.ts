/**
 * Keeps one notebook's `CarbonModel` connected to its kernel over the `jupyter_carbon`
 * comm, across kernel changes, restarts and page reloads. A kernel that cannot open that
 * comm (not Python, or Python without `%load_ext jupyter_carbon`) gets its figures from
 * the server, which meters it from outside, over the server extension's channel
 * (`channel.ts`), in the same protocol. The comm is preferred: the order is the kernel's
 * comm, else the server's channel, else "not metered" (a Python kernel) or nothing.
 *
 * A Python kernel the server meters is asked again after each cell the user runs (it
 * may have loaded the extension): when its comm answers, it replaces the channel, and
 * the server's figures so far are carried over (`CarbonModel.carryOver`), so the totals
 * go on from where they were and no cell is counted twice (each is in one ledger).
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
import { CarbonModel, Stall } from './model';
import { COMM_TARGET, KernelMessage as CarbonMessage, PROTOCOL_VERSION, settingsMessage } from './protocol';

export const LOAD_CODE = '%load_ext jupyter_carbon';

/**
 * How long the item may say "connecting…" before it says why no answer came (the kernel
 * has not started, is busy, or is silent): a healthy kernel answers well within it.
 */
export const PATIENCE_MS = 4000;

export interface IKernelLinkOptions {
  sessionContext: ISessionContext;
  model: CarbonModel;
  /** Read when a kernel starts: run `%load_ext jupyter_carbon` silently first? */
  autoLoad: () => boolean;
  /** The user's units, told to the kernel on connect and by `sendSettings`. */
  units?: () => IUnits;
  /** How long to wait for an answer before saying why none came (`PATIENCE_MS`). */
  patienceMs?: number;
}

export class KernelLink implements IDisposable {
  private _context: ISessionContext;
  private _model: CarbonModel;
  private _autoLoad: () => boolean;
  private _units: (() => IUnits) | null;
  private _comm: Kernel.IComm | null = null;
  private _channel: ServerChannel | null = null;
  /** The server's channel after the comm took over, until the server's last figures came. */
  private _tail: ServerChannel | null = null;
  /** The open comm has not answered while the server's channel meters the kernel. */
  private _probing = false;
  /** The kernel closed the comm in this attempt: a server deferring to it is wrong for now. */
  private _refused = false;
  /** This kernel's server has no channel for it, or meters nothing of it: do not ask again. */
  private _noServer = false;
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
  private _patienceMs: number;
  private _patience: ReturnType<typeof setTimeout> | null = null;
  /** Whether this kernel process answered (its info): a death before that is a failed start. */
  private _answered = false;
  /** The kernel's language as it said (null: not yet): a kernel not Python shows nothing. */
  private _python: boolean | null = null;

  constructor(options: IKernelLinkOptions) {
    this._context = options.sessionContext;
    this._model = options.model;
    this._autoLoad = options.autoLoad;
    this._units = options.units ?? null;
    this._patienceMs = options.patienceMs ?? PATIENCE_MS;
    this._context.kernelChanged.connect(this._onKernelChanged, this);
    this._context.statusChanged.connect(this._onStatus, this);
    this._context.connectionStatusChanged.connect(this._onConnection, this);
    this._wait();
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
    this._context.connectionStatusChanged.disconnect(this._onConnection, this);
    this._stopWaiting();
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
    this._refused = false;
    try {
      const python = await isPython(kernel);
      if (epoch === this._epoch) {
        this._answered = true;
        this._python = python;
      }
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
    if (this._autoLoad() && (this._model.status === 'unmetered' || this._onServer())) {
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
    // A kernel that died before it ever answered: the server drops it, and the session
    // is left with none. That is a failed start to say, not "no kernel" to hide.
    const old = this._kernel;
    const unstarted =
      old !== null &&
      !this._answered &&
      (this._model.status === 'failed' || old.status === 'dead' || old.connectionStatus === 'disconnected');
    this._epoch++;
    this._closeComm();
    this._watch(kernel);
    this._needsLoad = true;
    this._answered = false;
    this._noServer = false;
    if (!kernel && unstarted && this._python !== false) {
      this._fail('unstarted', old);
      return;
    }
    this._python = null;
    if (!kernel) {
      this._stopWaiting();
      this._model.detach('other');
      return;
    }
    this._model.clear();
    this._model.detach('connecting');
    this._wait();
    void this.reconnect();
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      // The kernel's comms die with it; a new session starts from zero.
      this._epoch++;
      this._closeComm();
      this._needsLoad = true;
      this._model.clear();
      if (status === 'dead') {
        this._fail(this._answered ? 'dead' : 'unstarted');
      } else if (status === 'restarting' || this._model.status !== 'failed') {
        // (a kernel that failed keeps saying so while the server retries it by itself)
        this._answered = false;
        this._model.detach('connecting');
        this._wait();
      }
      return;
    }
    if (status === 'idle' && this._model.status === 'failed' && this._model.stall !== 'disconnected') {
      // A kernel that failed is up after all (the server's retry worked): connect afresh.
      this._model.detach('connecting');
      this._wait();
    }
    if (status === 'idle' && !this._comm && !this._channel && (this._model.status === 'connecting' || this._retryAtIdle)) {
      this._retryAtIdle = false;
      void this.reconnect();
    } else if (status === 'idle' && !this._comm && this._retryAtIdle && this._onServer()) {
      // A cell the user ran while the server meters this Python kernel: it may have
      // loaded the extension. Ask the kernel; the channel stays until its comm answers.
      this._retryAtIdle = false;
      void this.reconnect();
    }
    this._judge();
  }

  /** The page's connection to the kernel: lost for good, or back after it was. */
  private _onConnection(_: ISessionContext, status: Kernel.ConnectionStatus): void {
    if (status === 'disconnected' && (this._model.status === 'connecting' || this._model.status === 'metered')) {
      this._epoch++;
      this._closeComm();
      this._fail('disconnected');
    } else if (status === 'connected' && this._model.status === 'failed' && this._model.stall === 'disconnected') {
      this._model.detach('connecting');
      this._wait();
      void this.reconnect();
    } else {
      this._judge();
    }
  }

  /**
   * Give the kernel `patienceMs` to answer, then say why it has not (`_judge`).
   * Started afresh with each kernel and restart.
   */
  private _wait(): void {
    this._stopWaiting();
    this._model.setStall(null);
    this._patience = setTimeout(() => {
      this._patience = null;
      this._judge();
    }, this._patienceMs);
  }

  private _stopWaiting(): void {
    if (this._patience !== null) {
      clearTimeout(this._patience);
      this._patience = null;
    }
  }

  /** Past the patience and still no answer: say why, from the kernel's state now. */
  private _judge(): void {
    if (this._disposed || this._patience !== null || this._model.status !== 'connecting') {
      return;
    }
    this._model.setStall(stallOf(this._context.session?.kernel ?? null));
  }

  /**
   * The kernel died or its connection was lost: say so, unless it is a kernel this
   * extension has nothing to say about (not Python, by its answer or else by its spec).
   */
  private _fail(stall: Stall, kernel = this._context.session?.kernel ?? null): void {
    this._stopWaiting();
    if (this._python === false) {
      this._model.detach('other');
      return;
    }
    this._model.detach('failed');
    this._model.setStall(stall);
    const epoch = this._epoch;
    if (this._python === null && kernel) {
      void kernel.spec.then(
        spec => {
          const other = spec && (spec.language ?? '').toLowerCase() !== 'python';
          if (other && epoch === this._epoch && this._model.status === 'failed') {
            this._model.detach('other');
          }
        },
        () => undefined
      );
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
    // would itself make the kernel busy and idle again, forever. While the server meters
    // the kernel, or its channel is still opening, only a cell naming the package is
    // worth asking after (the kernel logs each comm it has no target for); the server's
    // word that the kernel meters itself (`onDeferred`) covers any other way of loading it.
    if (msg.header.msg_type !== 'execute_input') {
      return;
    }
    const code = String((msg.content as { code?: unknown }).code ?? '');
    const noComm = !this._comm || this._probing;
    if (this._model.status === 'unmetered' || (noComm && this._python !== false && code.includes('jupyter_carbon'))) {
      this._retryAtIdle = true;
    }
  }

  /**
   * The server's channel greeted: a cell naming the package may have run before it did
   * (the server learns that the kernel meters itself only at the cell after). Ask the
   * kernel now if it is idle; else the idle to come does (`_onStatus`).
   */
  private _onGreeted(kernel: Kernel.IKernelConnection): void {
    if (this._retryAtIdle && !this._comm && kernel.status === 'idle' && this._onServer()) {
      this._retryAtIdle = false;
      void this.reconnect();
    }
  }

  /**
   * Open the kernel's comm. While the server's channel meters the kernel the comm is a
   * probe: the channel stays, and goes only when the comm answers (`_takeOver`).
   */
  private _openComm(kernel: Kernel.IKernelConnection): void {
    const probing = this._onServer();
    if (probing) {
      this._closeProbe();
    } else {
      this._closeComm();
    }
    const generation = probing ? this._generation : ++this._generation;
    const comm = kernel.createComm(COMM_TARGET);
    this._comm = comm;
    this._probing = probing;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      if (generation === this._generation && comm === this._comm) {
        if (this._probing) {
          this._takeOver(comm);
        }
        this._model.handle(msg.content.data as unknown as CarbonMessage);
      }
    };
    comm.onClose = () => {
      if (generation === this._generation && comm === this._comm) {
        this._commClosed(kernel);
      }
    };
    if (!probing) {
      this._model.detach('connecting');
      this._model.attach(data => comm.send(data as any));
    }
    comm.open({ protocol: PROTOCOL_VERSION });
    this.sendSettings();
  }

  /** The comm closed: before a hello, its target is not registered; after, the extension unloaded. */
  private _commClosed(kernel: Kernel.IKernelConnection): void {
    this._comm = null;
    if (this._probing) {
      this._probing = false;
      if (this._channel?.isDeferred) {
        // The server defers to a kernel that will not open the comm: nobody meters it now.
        this._closeComm();
        this._model.detach('unmetered');
      }
      return; // not loaded yet: the server's channel goes on
    }
    const beforeHello = this._model.status === 'connecting';
    if (beforeHello && this._needsLoad && this._autoLoad()) {
      // The settings turned autoload on after this attempt had decided not to load,
      // while `autoLoadChanged` could not tell yet whether the kernel was metered.
      this._model.detach('unmetered');
      void this.reconnect();
    } else if (beforeHello && !this._noServer) {
      this._refused = true;
      this._openChannel(kernel); // the server may meter it from outside
    } else {
      this._model.detach('unmetered');
    }
  }

  /** The probing comm answered: it replaces the server's channel, whose figures carry over. */
  private _takeOver(comm: Kernel.IComm): void {
    this._probing = false;
    const channel = this._channel;
    this._channel = null;
    this._model.carryOver();
    if (channel) {
      this._tail?.dispose();
      this._tail = channel;
      channel.retire();
    }
    this._model.attach(data => comm.send(data as any));
  }

  /** Close a probing comm that has not answered (the channel stays). */
  private _closeProbe(): void {
    const comm = this._comm;
    this._comm = null;
    this._probing = false;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // The kernel is gone already.
      }
    }
  }

  /** The server's channel meters this Python kernel now: its comm may still take over. */
  private _onServer(): boolean {
    return this._python === true && this._channel !== null && this._channel.isGreeted;
  }

  /** Follow the kernel through the server's channel (a kernel that cannot open the comm). */
  private _openChannel(kernel: Kernel.IKernelConnection): void {
    this._closeComm();
    const generation = this._generation;
    this._model.detach('connecting');
    const channel: ServerChannel = new ServerChannel({
      kernel,
      model: this._model,
      onDeferred: () => {
        if (generation !== this._generation || channel !== this._channel) {
          return;
        }
        if (this._refused && !channel.isGreeted) {
          this._closeComm();
          if (this._retryAtIdle) {
            // A cell naming the package ran since the kernel closed the comm: it may
            // have loaded the extension since. Ask it once more; if it closes the comm
            // again, this channel's word leads here with nothing left to retry.
            this._retryAtIdle = false;
            this._model.detach('connecting');
            void this.reconnect();
            return;
          }
          // The server's first word is that the kernel meters itself, which just closed the
          // comm (it unloaded the extension; the server learns at the next cell's end):
          // not metered until a cell the user runs changes that.
          this._model.detach('unmetered');
          return;
        }
        if (this._python !== true) {
          this._model.carryOver();
        }
        // The kernel meters itself: its comm is the better source. A Python kernel's
        // comm probes first (`_takeOver` carries the figures over when it answers).
        this._openComm(kernel);
      },
      onGreeted: () => {
        if (generation === this._generation && channel === this._channel) {
          this._onGreeted(kernel);
        }
      },
      onUnmetered: () => {
        if (generation === this._generation && channel === this._channel) {
          this._noServer = true;
          this._closeComm();
          this._model.detach(this._python === false ? 'other' : 'unmetered');
        }
      },
      onClosed: greeted => {
        if (generation === this._generation && channel === this._channel) {
          this._channel = null;
          // Never greeted: no server extension (or it meters nothing here). Greeted: the
          // server or the kernel went away; the next idle tries again.
          this._noServer = !greeted;
          this._model.detach(greeted ? 'connecting' : this._python === false ? 'other' : 'unmetered');
        }
      }
    });
    this._channel = channel;
  }

  private _closeComm(): void {
    const channel = this._channel;
    const tail = this._tail;
    this._channel = null;
    this._tail = null;
    this._probing = false;
    channel?.dispose();
    tail?.dispose();
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

/** Why a kernel has not answered yet, by its state as the page sees it. */
export function stallOf(kernel: Kernel.IKernelConnection | null): Stall {
  if (!kernel || kernel.connectionStatus !== 'connected') {
    return 'starting';
  }
  if (kernel.status === 'busy') {
    return 'busy';
  }
  return kernel.status === 'idle' ? 'silent' : 'starting';
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
