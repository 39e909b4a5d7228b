/**
 * The state of one kernel's meter as the frontend knows it, fed by comm messages.
 *
 * It knows nothing of comms or widgets: `KernelLink` (kernel.ts) attaches a send
 * function and hands it every message, views listen to `changed`. That keeps the
 * protocol's state machine testable without a kernel.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  ICellRecord,
  ICellStart,
  IDevice,
  IIntensity,
  IPower,
  IRecordWithFootprint,
  ITotals,
  KernelMessage,
  PROTOCOL_VERSION
} from './protocol';
import { addTotals } from './totals';

/**
 * - `connecting`: a comm was opened (or a kernel is starting) and no answer came yet.
 * - `metered`: the kernel answered `hello`.
 * - `unmetered`: a Python kernel without the extension (it closed the comm).
 * - `failed`: the kernel did not start, died, or its connection was lost: `stall` says which.
 * - `other`: no kernel, or one that neither meters itself nor the server meters: nothing to show.
 */
export type MeterStatus = 'connecting' | 'metered' | 'unmetered' | 'failed' | 'other';

/**
 * Why the meter has no answer, as the kernel's state tells it (the words are `text.ts`'s):
 * while still `connecting` after a few seconds, `starting` (no kernel, or one that has not
 * started), `busy` (a cell still runs: the kernel answers when it is idle) or `silent`
 * (idle, and no answer); once `failed`, `unstarted` (it died before it ever answered),
 * `dead` or `disconnected`.
 */
export type Stall = 'starting' | 'busy' | 'silent' | 'unstarted' | 'dead' | 'disconnected';

/** How many of the costliest cells the panel lists, as the kernel's `hello` does. */
export const COSTLIEST = 10;

export const EMPTY_TOTALS: ITotals = {
  cells: 0,
  errors: 0,
  duration_s: 0,
  energy_j: 0,
  emissions_g: 0,
  by_component: {},
  method: {}
};

type Send = (data: Record<string, unknown>) => void;

interface IPending {
  resolve: (reply: KernelMessage) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class CarbonModel {
  private _status: MeterStatus = 'connecting';
  private _send: Send | null = null;
  private _pending = new Map<string, IPending>();
  private _nextRequest = 1;
  private _changed = new Signal<this, void>(this);
  private _cellStarted = new Signal<this, ICellStart>(this);
  private _cellEnded = new Signal<this, IRecordWithFootprint>(this);
  private _greeted = new Signal<this, void>(this);
  private _carriedCostliest: ICellRecord[] = [];

  version: string | null = null;
  sessionId: string | null = null;
  /** The notebook's path, as its document context says: exports are named after it. */
  notebookPath: string | null = null;
  enabled = true;
  intensity: IIntensity | null = null;
  devices: IDevice[] = [];
  totals: ITotals = EMPTY_TOTALS;
  costliest: ICellRecord[] = [];
  /** The cell running now, or null. */
  running: ICellStart | null = null;
  /** The latest power reading while a cell runs; null at rest. */
  power: IPower | null = null;
  /** The kernel's last complaint (an `error` message with no request to answer). */
  lastError: string | null = null;
  /** Why no answer came (see `Stall`); null while none is due yet or one came. */
  stall: Stall | null = null;
  /**
   * Who meters the kernel: `kernel` (its own extension, over the comm) or `server` (the
   * server extension, from outside, over its channel); null before a `hello`.
   */
  meteredBy: 'kernel' | 'server' | null = null;
  /** The kernel's language as the server names it (`python`, `r`); null when the kernel speaks. */
  language: string | null = null;
  /**
   * The server's figures of the cells it metered before the kernel metered itself (see
   * `carryOver`), added to the kernel's in `totals`; null when there are none.
   */
  carried: ITotals | null = null;
  /** The totals of the session that feeds this model now, without `carried`. */
  private _own: ITotals = EMPTY_TOTALS;

  get status(): MeterStatus {
    return this._status;
  }

  /** Emitted after any change a view would show. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get cellStarted(): ISignal<this, ICellStart> {
    return this._cellStarted;
  }

  /**
   * Emitted once per `cell_end`, before `changed`: the record, with the footprint the
   * kernel sent beside it (if any) to write into the cell.
   */
  get cellEnded(): ISignal<this, IRecordWithFootprint> {
    return this._cellEnded;
  }

  /** Emitted after each `hello`: a comm (re)opened, and cells may have ended unseen. */
  get greeted(): ISignal<this, void> {
    return this._greeted;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  setStatus(status: MeterStatus): void {
    if (status === this._status) {
      return;
    }
    this._status = status;
    if (status !== 'metered') {
      this.running = null;
      this.power = null;
    }
    if (status !== 'failed') {
      this.stall = null; // connecting again (a restart) is given time afresh
    }
    this._changed.emit();
  }

  /** Say why no answer came: only while connecting or failed (an answer clears it). */
  setStall(stall: Stall | null): void {
    if (stall === this.stall || (this._status !== 'connecting' && this._status !== 'failed')) {
      return;
    }
    this.stall = stall;
    this._changed.emit();
  }

  /** A comm is open: requests go through `send` until `detach`. */
  attach(send: Send): void {
    this._send = send;
  }

  /**
   * The comm is gone (closed, kernel restarted or changed). Pending requests fail;
   * figures stay on screen until the next `hello` replaces them, unless `status`
   * says there is nothing metered any more.
   */
  detach(status: MeterStatus): void {
    this._send = null;
    for (const [id, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('the kernel connection closed'));
      this._pending.delete(id);
    }
    if (status !== 'metered' && status !== 'connecting') {
      this.clear();
    }
    this.setStatus(status);
  }

  /** Forget the session's figures (a new kernel, or one that is not metered). */
  clear(): void {
    this.version = null;
    this.sessionId = null;
    this.intensity = null;
    this.devices = [];
    this.totals = EMPTY_TOTALS;
    this._own = EMPTY_TOTALS;
    this.carried = null;
    this._carriedCostliest = [];
    this.meteredBy = null;
    this.language = null;
    this.costliest = [];
    this.running = null;
    this.power = null;
    this._changed.emit();
  }

  /**
   * The server metered this kernel until now and the kernel's own comm takes over (the
   * user ran `%load_ext jupyter_carbon`): keep the server's figures, added to the kernel's
   * from its `hello` on. Each cell is in one ledger only, so the sum counts it once.
   */
  carryOver(): void {
    if (this.meteredBy !== 'server') {
      return;
    }
    this.carried = this.carried ? addTotals(this.carried, this._own) : this._own;
    this._carriedCostliest = this.costliest.slice();
    this._own = EMPTY_TOTALS;
  }

  /**
   * A message of the server's channel after the comm took over (`carryOver`): the server
   * may still send the figures of the cell that loaded the extension. Its `cell_end` is
   * that cell's footer; its `totals` replace the carried figures. Nothing else applies.
   */
  handleCarried(msg: KernelMessage | Record<string, unknown>): void {
    const m = msg as KernelMessage;
    if (this.carried === null) {
      return;
    }
    if (m.type === 'totals' && m.totals) {
      this.carried = m.totals;
    } else if (m.type === 'cell_end' && m.record) {
      const record: IRecordWithFootprint = m.footprint ? { ...m.record, footprint: m.footprint } : m.record;
      this._carriedCostliest = insertCostliest(this._carriedCostliest, record);
      this.costliest = insertCostliest(this.costliest, record);
      this._cellEnded.emit(record);
    } else {
      return;
    }
    this._setOwn(this._own);
    this._changed.emit();
  }

  private _setOwn(totals: ITotals): void {
    this._own = totals;
    this.totals = this.carried ? addTotals(this.carried, totals) : totals;
  }

  /** The kernel's costliest cells with the server's carried ones among them. */
  private _withCarried(costliest: ICellRecord[]): ICellRecord[] {
    let merged = costliest.slice(0, COSTLIEST);
    for (const record of this._carriedCostliest) {
      merged = insertCostliest(merged, record);
    }
    return merged;
  }

  /** Apply one message from the kernel; unknown types and fields are ignored. */
  handle(msg: KernelMessage | Record<string, unknown>): void {
    const m = msg as KernelMessage;
    switch (m.type) {
      case 'hello':
        this.version = m.version ?? null;
        this.sessionId = m.session_id ?? null;
        this.enabled = m.enabled !== false;
        this.intensity = m.intensity ?? null;
        this.devices = m.devices ?? [];
        this.meteredBy = m.metered_by === 'server' ? 'server' : 'kernel';
        this.language = m.language ?? null;
        this._setOwn(m.totals ?? EMPTY_TOTALS);
        this.costliest = this._withCarried(m.costliest ?? []);
        this.running = m.running ?? null;
        this.power = null;
        this._status = 'metered';
        this.stall = null;
        this._changed.emit();
        this._greeted.emit();
        return;
      case 'cell_start':
        this.running = m;
        this.power = null;
        this._cellStarted.emit(m);
        break;
      case 'power':
        // Between cells a reading only says the machine idles: nothing to show.
        this.power = m.cell_id !== null || this.running ? m : null;
        break;
      case 'cell_end': {
        // Shaped like a `costliest` entry of `hello` and `summary`.
        const record: IRecordWithFootprint = m.footprint ? { ...m.record, footprint: m.footprint } : m.record;
        this.running = null;
        this.power = null;
        this.costliest = insertCostliest(this.costliest, record);
        this._cellEnded.emit(record);
        break;
      }
      case 'totals':
        if (m.session_id && this.sessionId && m.session_id !== this.sessionId) {
          // `%carbon reset`: a new ledger, so the old costliest cells no longer count,
          // nor the server's cells from before the kernel metered itself.
          this.costliest = [];
          this.carried = null;
          this._carriedCostliest = [];
        }
        this.sessionId = m.session_id ?? this.sessionId;
        this._setOwn(m.totals ?? this._own);
        this.intensity = m.intensity ?? this.intensity;
        break;
      case 'summary':
        // The kernel's word is fresher than what this page pieced together.
        this._setOwn(m.totals ?? this._own);
        this.costliest = m.costliest ? this._withCarried(m.costliest) : this.costliest;
        this._answer(m.request_id, m, null);
        break;
      case 'export':
      case 'forecast':
        this._answer(m.request_id, m, null);
        return;
      case 'error':
        if (m.request_id && this._pending.has(m.request_id)) {
          this._answer(m.request_id, null, new Error(m.message));
          return;
        }
        this.lastError = m.message;
        break;
      default:
        return;
    }
    this._changed.emit();
  }

  /**
   * Send a request and wait for the reply that echoes its `request_id`. Rejects when
   * the kernel answers `error` or `ok: false`, when the comm closes, or after `timeoutMs`.
   */
  request<T extends KernelMessage>(
    type: 'hello' | 'summary' | 'export' | 'forecast',
    fields: Record<string, unknown> = {},
    timeoutMs = 60000
  ): Promise<T> {
    const send = this._send;
    if (!send) {
      return Promise.reject(new Error('this kernel is not metered'));
    }
    const id = `${Date.now().toString(36)}-${this._nextRequest++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new Error(`no answer from the kernel to ${type} in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this._pending.set(id, { resolve: resolve as (r: KernelMessage) => void, reject, timer });
      try {
        send({ ...fields, type, protocol: PROTOCOL_VERSION, request_id: id });
      } catch (err) {
        clearTimeout(timer);
        this._pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private _answer(id: string | undefined, reply: KernelMessage | null, error: Error | null): void {
    const pending = id === undefined ? undefined : this._pending.get(id);
    if (!pending || id === undefined) {
      return;
    }
    this._pending.delete(id);
    clearTimeout(pending.timer);
    if (error) {
      pending.reject(error);
    } else if (reply && reply.type === 'export' && !reply.ok) {
      pending.reject(new Error(reply.error ?? 'the export failed'));
    } else if (reply) {
      pending.resolve(reply);
    }
  }
}

/** `costliest` with `record` in its place (costliest first), at most COSTLIEST long. */
export function insertCostliest(costliest: ICellRecord[], record: ICellRecord): ICellRecord[] {
  const others = costliest.filter(
    r => !(r.index === record.index && r.session_id === record.session_id)
  );
  others.push(record);
  others.sort((a, b) => b.energy_j - a.energy_j || a.index - b.index);
  return others.slice(0, COSTLIEST);
}
