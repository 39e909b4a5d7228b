/**
 * Stand-ins for the session context, kernel connection and comm that `KernelLink`
 * talks to: only the members it uses, with every asynchronous step (kernel info,
 * `%load_ext`, readiness) left for the test to settle, so that the order of events
 * (a restart in the middle of a connection attempt, say) is the test's to choose.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

/** A promise with its settling functions, for steps the test completes by hand. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Let every pending promise callback run. */
export function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

export class FakeComm {
  readonly targetName: string;
  onMsg: ((msg: any) => void) | null = null;
  onClose: ((msg: any) => void) | null = null;
  opened: unknown[] = [];
  sent: unknown[] = [];
  closedByFrontend = false;
  isDisposed = false;

  constructor(targetName: string) {
    this.targetName = targetName;
  }

  open(data: unknown): void {
    this.opened.push(data);
  }

  send(data: unknown): void {
    this.sent.push(data);
  }

  /** The frontend closes: like the real comm, its own `onClose` runs too. */
  close(): void {
    this.closedByFrontend = true;
    this.onClose?.({ content: { data: {} } });
    this.isDisposed = true;
  }

  /** A message from the kernel. */
  receive(data: Record<string, unknown>): void {
    this.onMsg?.({ content: { data } });
  }

  /** The kernel closes the comm (its target is not registered, or it unloaded). */
  closeFromKernel(): void {
    this.onClose?.({ content: { data: {} } });
    this.isDisposed = true;
  }
}

export interface IExecution {
  content: { code: string; silent?: boolean; store_history?: boolean; stop_on_error?: boolean };
  done: Deferred<unknown>;
}

/** A browser WebSocket as the server's carbon channel: the test plays the server. */
export class FakeSocket {
  static opened: FakeSocket[] = [];
  readonly url: string;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  sent: Record<string, unknown>[] = [];
  closedByFrontend = false;

  constructor(url: string) {
    this.url = url;
    FakeSocket.opened.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }

  close(): void {
    this.closedByFrontend = true;
  }

  /** A message from the server. */
  receive(data: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(data) });
  }

  /** The server closes the channel (or it never opened: a 404 reads the same in a browser). */
  closeFromServer(): void {
    this.onclose?.({});
  }

  static get last(): FakeSocket {
    return FakeSocket.opened[FakeSocket.opened.length - 1];
  }
}

export class FakeKernel {
  readonly iopubMessage = new Signal<this, any>(this);
  readonly anyMessage = new Signal<this, any>(this);
  readonly id = 'k-1';
  readonly serverSettings = { wsUrl: 'ws://127.0.0.1:8888/', token: 't0k', appendToken: true, WebSocket: FakeSocket };
  readonly comms: FakeComm[] = [];
  readonly executions: IExecution[] = [];
  /** Kernel info requests: the test answers them with `answerInfo`. */
  readonly infoRequests: Deferred<unknown>[] = [];
  /** Settle `%load_ext` at once (true) or leave it to the test (false). */
  autoFinishExecutions = true;
  isDisposed = false;
  /** As the page sees the kernel: its status, and its connection's. */
  status: Kernel.Status = 'idle';
  connectionStatus: Kernel.ConnectionStatus = 'connected';
  private _language: string;

  constructor(language = 'python') {
    this._language = language;
  }

  /** The kernel's spec, as the server lists it: its language is known without the kernel. */
  get spec(): Promise<unknown> {
    return Promise.resolve({ name: this._language, language: this._language });
  }

  get info(): Promise<unknown> {
    const request = new Deferred<unknown>();
    this.infoRequests.push(request);
    return request.promise;
  }

  /** Answer the latest (or the `index`th) kernel info request. */
  answerInfo(index = this.infoRequests.length - 1): void {
    this.infoRequests[index].resolve({ language_info: { name: this._language } });
  }

  createComm(targetName: string): FakeComm {
    const comm = new FakeComm(targetName);
    this.comms.push(comm);
    return comm;
  }

  requestExecute(content: IExecution['content']): { done: Promise<unknown> } {
    const done = new Deferred<unknown>();
    this.executions.push({ content, done });
    if (this.autoFinishExecutions) {
      done.resolve({});
    }
    return { done: done.promise };
  }

  /** A user cell started: iopub carries its `execute_input`. */
  runUserCell(code = '%load_ext jupyter_carbon'): void {
    this.iopubMessage.emit({ header: { msg_type: 'execute_input' }, content: { code } });
  }

  /** This page sends an `execute_request` for the cell `cellId`. */
  sendExecute(msgId: string, cellId: string): void {
    this.anyMessage.emit({ direction: 'send', msg: { header: { msg_id: msgId, msg_type: 'execute_request' }, metadata: { cellId } } });
  }

  /** The comm the link opened last. */
  get lastComm(): FakeComm | undefined {
    return this.comms[this.comms.length - 1];
  }
}

export class FakeSessionContext {
  readonly kernelChanged = new Signal<this, unknown>(this);
  readonly statusChanged = new Signal<this, Kernel.Status>(this);
  readonly connectionStatusChanged = new Signal<this, Kernel.ConnectionStatus>(this);
  readonly readiness = new Deferred<void>();
  session: { kernel: FakeKernel | null } | null;

  constructor(kernel: FakeKernel | null) {
    this.session = { kernel };
  }

  get ready(): Promise<void> {
    return this.readiness.promise;
  }

  /** The session switches to another kernel (or to none). */
  changeKernel(kernel: FakeKernel | null): void {
    const oldValue = this.session?.kernel ?? null;
    this.session = { kernel };
    this.kernelChanged.emit({ name: 'kernel', oldValue, newValue: kernel });
  }

  status(status: Kernel.Status): void {
    if (this.session?.kernel) {
      this.session.kernel.status = status;
    }
    this.statusChanged.emit(status);
  }

  /** The page's connection to the kernel changes (lost for good: `disconnected`). */
  connection(status: Kernel.ConnectionStatus): void {
    if (this.session?.kernel) {
      this.session.kernel.connectionStatus = status;
    }
    this.connectionStatusChanged.emit(status);
  }

  get asSessionContext(): ISessionContext {
    return this as unknown as ISessionContext;
  }
}

/** A kernel's `hello` for a session with nothing metered yet. */
export const HELLO = {
  type: 'hello',
  protocol: 1,
  version: '0.1.0',
  session_id: 's1',
  enabled: true,
  intensity: null,
  devices: [],
  totals: { cells: 0, errors: 0, duration_s: 0, energy_j: 0, emissions_g: 0, by_component: {}, method: {} },
  costliest: [],
  running: null
};
