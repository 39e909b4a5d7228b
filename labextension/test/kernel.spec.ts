import { IUnits } from '../src/format';
import { KernelLink, LOAD_CODE } from '../src/kernel';
import { CarbonModel } from '../src/model';
import { FakeKernel, FakeSessionContext, FakeSocket, HELLO, settle } from './kernel-fakes';

interface ISetup {
  kernel: FakeKernel;
  context: FakeSessionContext;
  model: CarbonModel;
  link: KernelLink;
  settings: { autoLoad: boolean; units: IUnits };
}

/** Every link a test made: disposed after it, so no patience timer outlives the test. */
const links: KernelLink[] = [];
afterEach(() => links.splice(0).forEach(link => link.dispose()));

function setup(options: { kernel?: FakeKernel; autoLoad?: boolean; patienceMs?: number } = {}): ISetup {
  const kernel = options.kernel ?? new FakeKernel();
  const context = new FakeSessionContext(kernel);
  const model = new CarbonModel();
  const settings = { autoLoad: options.autoLoad ?? false, units: { energy: 'auto', mass: 'auto' } as IUnits };
  const link = new KernelLink({
    sessionContext: context.asSessionContext,
    model,
    autoLoad: () => settings.autoLoad,
    units: () => settings.units,
    patienceMs: options.patienceMs ?? 60000
  });
  links.push(link);
  return { kernel, context, model, link, settings };
}

/**
 * The kernel closes the comm (no extension loaded) and the server has no channel for it
 * (a lab without the server extension: the socket's upgrade is refused): not metered.
 */
function refuse(s: ISetup): void {
  s.kernel.lastComm!.closeFromKernel();
  FakeSocket.last.closeFromServer();
}

/** The session is ready and the kernel answers its info request: a comm opens. */
async function connect(s: ISetup): Promise<void> {
  s.context.readiness.resolve();
  await settle();
  s.kernel.answerInfo();
  await settle();
}

describe('KernelLink: connecting', () => {
  it('opens the jupyter_carbon comm once the session is ready and the kernel is Python', async () => {
    const s = setup();
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(0);
    s.context.readiness.resolve();
    await settle();
    expect(s.model.status).toBe('connecting');
    expect(s.kernel.comms).toHaveLength(0);
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
    const comm = s.kernel.comms[0];
    expect(comm.targetName).toBe('jupyter_carbon');
    expect(comm.opened).toEqual([{ protocol: 1 }]);
    expect(s.model.status).toBe('connecting');
    comm.receive(HELLO);
    expect(s.model.status).toBe('metered');
  });

  it('sends the model\'s requests through the open comm', async () => {
    const s = setup();
    await connect(s);
    const comm = s.kernel.comms[0];
    comm.receive(HELLO);
    void s.model.request('summary', { top: 3 }).catch(() => undefined);
    expect(comm.sent).toEqual([
      expect.objectContaining({ type: 'settings' }),
      expect.objectContaining({ type: 'summary', top: 3, protocol: 1 })
    ]);
    s.model.detach('other'); // fail the request rather than leave its timer running
  });

  it('makes one attempt when kernelChanged and ready both announce the first kernel', async () => {
    const s = setup();
    s.context.changeKernel(s.kernel);
    s.context.readiness.resolve();
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1);
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('leaves an open comm alone when the same kernel is announced again', async () => {
    const s = setup();
    await connect(s);
    s.context.changeKernel(s.kernel);
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
    expect(s.kernel.comms[0].closedByFrontend).toBe(false);
  });

  it('shows nothing for a kernel that is not Python when the server has no carbon channel', async () => {
    const s = setup({ kernel: new FakeKernel('R') });
    await connect(s);
    expect(s.kernel.comms).toHaveLength(0);
    expect(s.model.status).toBe('connecting');
    FakeSocket.last.closeFromServer(); // a 404: the server extension is not there
    expect(s.model.status).toBe('other');
  });

  it('shows nothing when the session has no kernel', async () => {
    const s = setup();
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    s.context.changeKernel(null);
    expect(s.model.status).toBe('other');
    expect(s.kernel.comms[0].closedByFrontend).toBe(true);
  });

  it('logs and stays connecting when the kernel cannot be reached', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    s.kernel.infoRequests[0].reject(new Error('no kernel'));
    await settle();
    expect(warn).toHaveBeenCalled();
    expect(s.kernel.comms).toHaveLength(0);
    expect(s.model.status).toBe('connecting');
    warn.mockRestore();
  });
});

describe('KernelLink: a kernel without the extension', () => {
  it('is unmetered when the kernel closes the comm, and retries only after a user cell', async () => {
    const s = setup();
    await connect(s);
    refuse(s);
    expect(s.model.status).toBe('unmetered');

    // An idle kernel alone is no reason to try again: the attempt would make it busy and idle.
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1);

    // The user ran a cell: it may have been `%load_ext jupyter_carbon`.
    s.kernel.runUserCell();
    s.context.status('busy');
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(2);
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
    s.kernel.comms[1].receive(HELLO);
    expect(s.model.status).toBe('metered');

    // Once metered, user cells do not cause new attempts.
    s.kernel.runUserCell();
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(2);
  });

  it('reconnect() opens a fresh comm on demand', async () => {
    const s = setup();
    await connect(s);
    s.kernel.comms[0].closeFromKernel();
    void s.link.reconnect();
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
    expect(s.model.status).toBe('connecting');
  });
});

describe('KernelLink: restarts and kernel changes', () => {
  it('closes the comm on a restart, clears the figures and reconnects at idle', async () => {
    const s = setup();
    await connect(s);
    const first = s.kernel.comms[0];
    first.receive(HELLO);
    s.context.status('restarting');
    expect(first.closedByFrontend).toBe(true);
    expect(s.model.status).toBe('connecting');
    expect(s.model.sessionId).toBeNull();

    // Whatever the old comm still delivers belongs to the old kernel.
    first.receive({ ...HELLO, session_id: 'old' });
    expect(s.model.status).toBe('connecting');

    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
    s.kernel.comms[1].receive({ ...HELLO, session_id: 's2' });
    expect(s.model.status).toBe('metered');
    expect(s.model.sessionId).toBe('s2');
  });

  it('a restart during an attempt does not block the next attempt', async () => {
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1); // left unanswered: the kernel restarts
    s.context.status('restarting');
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(2);
    s.kernel.answerInfo(1);
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
    s.kernel.comms[0].receive(HELLO);
    expect(s.model.status).toBe('metered');
  });

  it('a restart during %load_ext starts the attempt over, loading again', async () => {
    const s = setup({ autoLoad: true });
    s.kernel.autoFinishExecutions = false;
    await connect(s);
    expect(s.kernel.executions).toHaveLength(1);
    s.context.status('restarting');
    // The restart cancels the kernel's pending requests.
    s.kernel.autoFinishExecutions = true;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    s.kernel.executions[0].done.reject(new Error('Canceled future for execute_request'));
    await settle();
    warn.mockRestore();
    // Nothing was opened for the old kernel session; a new attempt began at once.
    expect(s.kernel.comms).toHaveLength(0);
    expect(s.kernel.infoRequests).toHaveLength(2);
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(2);
    expect(s.kernel.comms).toHaveLength(1);
    // The kernel comes back idle: the attempt is made already, no second one.
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(2);
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('a kernel change during an attempt connects to the new kernel only', async () => {
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    const second = new FakeKernel();
    s.context.changeKernel(second);
    await settle();
    expect(second.infoRequests).toHaveLength(1);
    s.kernel.answerInfo(); // the old kernel answers late
    await settle();
    second.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(0);
    expect(second.comms).toHaveLength(1);
    expect(second.infoRequests).toHaveLength(1);
  });

  it('a kernel change after connecting closes the old comm and opens one on the new kernel', async () => {
    const s = setup();
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    const second = new FakeKernel();
    s.context.changeKernel(second);
    expect(s.kernel.comms[0].closedByFrontend).toBe(true);
    expect(s.model.status).toBe('connecting');
    expect(s.model.sessionId).toBeNull();
    await settle();
    second.answerInfo();
    await settle();
    expect(second.comms).toHaveLength(1);
    // User cells on the old kernel are none of this link's business any more.
    s.context.status('idle');
    second.comms[0].closeFromKernel();
    s.kernel.runUserCell();
    s.context.status('idle');
    await settle();
    expect(second.infoRequests).toHaveLength(1);
  });

  it('an attempt overtaken by a restart opens no second comm when it finishes late', async () => {
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    s.context.status('restarting');
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo(1);
    await settle();
    s.kernel.comms[0].receive(HELLO);
    s.kernel.answerInfo(0);
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(2);
    expect(s.kernel.comms).toHaveLength(1);
    expect(s.model.status).toBe('metered');
  });

  it('an attempt overtaken by a kernel change makes no second attempt on the new kernel', async () => {
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    const second = new FakeKernel();
    s.context.changeKernel(second);
    await settle();
    second.answerInfo();
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(second.infoRequests).toHaveLength(1);
    expect(second.comms).toHaveLength(1);
  });

  it('a kernel that died during an attempt is not connected to', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const s = setup({ autoLoad: true });
    s.kernel.autoFinishExecutions = false;
    await connect(s);
    s.context.status('dead');
    s.kernel.executions[0].done.reject(new Error('Canceled future for execute_request'));
    await settle();
    // Whatever is asked of the dead kernel now, it answers.
    for (let i = 1; i < s.kernel.infoRequests.length; i++) {
      s.kernel.answerInfo(i);
    }
    await settle();
    s.kernel.executions.slice(1).forEach(e => e.done.resolve({}));
    await settle();
    warn.mockRestore();
    expect(s.kernel.executions).toHaveLength(1);
    expect(s.kernel.comms).toHaveLength(0);
    expect(s.model.status).toBe('failed');
    expect(s.model.stall).toBe('dead');
  });

  it('says the kernel died, without its figures, once it is dead', async () => {
    const s = setup();
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    s.context.status('dead');
    expect(s.kernel.comms[0].closedByFrontend).toBe(true);
    expect(s.model.status).toBe('failed');
    expect(s.model.stall).toBe('dead');
    expect(s.model.totals.cells).toBe(0);
  });
});

/** Wait past a link's patience (set to a few milliseconds). */
function pastPatience(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 30));
}

describe('KernelLink: saying why no answer came', () => {
  it('says nothing new within its patience, then that the kernel has not started', async () => {
    const kernel = new FakeKernel();
    kernel.status = 'starting';
    kernel.connectionStatus = 'connecting';
    const s = setup({ kernel, patienceMs: 10 });
    expect(s.model.stall).toBeNull();
    await pastPatience();
    expect(s.model.status).toBe('connecting');
    expect(s.model.stall).toBe('starting');
    // It starts after all: connected, then the comm's answer clears it.
    s.context.connection('connected');
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    expect(s.model.status).toBe('metered');
    expect(s.model.stall).toBeNull();
  });

  it('follows the kernel: busy while a cell runs, silent when idle without an answer', async () => {
    const s = setup({ patienceMs: 10 });
    s.context.readiness.resolve();
    s.context.status('busy');
    await pastPatience();
    expect(s.model.stall).toBe('busy');
    s.context.status('idle');
    expect(s.model.stall).toBe('silent');
  });

  it('says a kernel that died before it ever answered did not start, and keeps saying so through retries', async () => {
    const s = setup({ patienceMs: 10 });
    s.context.readiness.resolve();
    await settle();
    s.context.status('autorestarting');
    expect(s.model.status).toBe('connecting');
    s.context.status('dead');
    expect(s.model.status).toBe('failed');
    expect(s.model.stall).toBe('unstarted');
    s.context.status('autorestarting');
    expect(s.model.stall).toBe('unstarted');
    // The user restarts it, and this time it starts: connected again.
    s.context.status('restarting');
    expect(s.model.status).toBe('connecting');
    expect(s.model.stall).toBeNull();
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    s.kernel.lastComm!.receive(HELLO);
    expect(s.model.status).toBe('metered');
  });

  it('says a kernel that died unstarted did not start when the server then drops it', async () => {
    const s = setup({ patienceMs: 10 });
    s.context.readiness.resolve();
    await settle();
    s.kernel.connectionStatus = 'disconnected';
    s.context.changeKernel(null);
    expect(s.model.status).toBe('failed');
    expect(s.model.stall).toBe('unstarted');
    // One the user picks afterwards is waited for afresh.
    s.context.changeKernel(new FakeKernel());
    expect(s.model.status).toBe('connecting');
    expect(s.model.stall).toBeNull();
  });

  it('shows nothing when a kernel that is not Python dies, whether it said so or its spec does', async () => {
    const answered = setup({ kernel: new FakeKernel('R') });
    await connect(answered);
    answered.context.status('dead');
    expect(answered.model.status).toBe('other');
    const silent = setup({ kernel: new FakeKernel('echo') });
    silent.context.readiness.resolve();
    await settle();
    silent.context.status('dead');
    await settle();
    expect(silent.model.status).toBe('other');
  });

  it('says the connection was lost, and connects again when it is back', async () => {
    const s = setup();
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    s.context.connection('disconnected');
    expect(s.model.status).toBe('failed');
    expect(s.model.stall).toBe('disconnected');
    s.context.connection('connected');
    expect(s.model.status).toBe('connecting');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
  });

  it('stops waiting when disposed', async () => {
    const s = setup({ patienceMs: 10 });
    s.link.dispose();
    await pastPatience();
    expect(s.model.stall).toBeNull();
  });
});

describe('KernelLink: autoload', () => {
  it('does not run %load_ext when autoload is off', async () => {
    const s = setup({ autoLoad: false });
    await connect(s);
    expect(s.kernel.executions).toHaveLength(0);
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('runs %load_ext silently before opening the comm when autoload is on', async () => {
    const s = setup({ autoLoad: true });
    s.kernel.autoFinishExecutions = false;
    await connect(s);
    expect(s.kernel.executions.map(e => e.content)).toEqual([
      { code: LOAD_CODE, silent: true, store_history: false, stop_on_error: false }
    ]);
    expect(s.kernel.comms).toHaveLength(0);
    s.kernel.executions[0].done.resolve({});
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('ignores the idle that its own %load_ext causes', async () => {
    const s = setup({ autoLoad: true });
    s.kernel.autoFinishExecutions = false;
    await connect(s);
    s.context.status('busy');
    s.context.status('idle');
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1);
    s.kernel.executions[0].done.resolve({});
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('opens the comm even when %load_ext fails', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const s = setup({ autoLoad: true });
    s.kernel.autoFinishExecutions = false;
    await connect(s);
    s.kernel.executions[0].done.reject(new Error('ModuleNotFoundError'));
    await settle();
    expect(warn).toHaveBeenCalled();
    expect(s.kernel.comms).toHaveLength(1);
    refuse(s);
    expect(s.model.status).toBe('unmetered');
    warn.mockRestore();
  });

  it('loads once per kernel session, and again after a restart', async () => {
    const s = setup({ autoLoad: true });
    await connect(s);
    expect(s.kernel.executions).toHaveLength(1);
    refuse(s);
    s.kernel.runUserCell();
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
    expect(s.kernel.executions).toHaveLength(1);

    s.context.status('restarting');
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(2);
    expect(s.kernel.comms).toHaveLength(3);
  });

  it('reads the setting when the kernel answers, so settings that load meanwhile count', async () => {
    const s = setup({ autoLoad: false });
    s.context.readiness.resolve();
    await settle();
    s.settings.autoLoad = true;
    s.link.autoLoadChanged(); // still connecting: nothing to do yet
    expect(s.kernel.infoRequests).toHaveLength(1);
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(1);
    expect(s.kernel.comms).toHaveLength(1);
  });

  it('settings that turn autoload on while the comm opens still load the extension', async () => {
    const s = setup({ autoLoad: false });
    await connect(s);
    s.settings.autoLoad = true;
    s.link.autoLoadChanged();
    s.kernel.comms[0].closeFromKernel();
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(1);
    expect(s.kernel.comms).toHaveLength(2);
  });

  it('does not load again when the user unloads the extension from a metered kernel', async () => {
    const s = setup({ autoLoad: false });
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    s.settings.autoLoad = true;
    s.link.autoLoadChanged();
    s.kernel.comms[0].closeFromKernel(); // %unload_ext jupyter_carbon
    await settle();
    expect(s.model.status).toBe('unmetered');
    expect(s.kernel.infoRequests).toHaveLength(1);
    expect(s.kernel.executions).toHaveLength(0);
  });

  it('loads and reconnects when autoload is turned on for an unmetered kernel', async () => {
    const s = setup({ autoLoad: false });
    await connect(s);
    refuse(s);
    s.settings.autoLoad = true;
    s.link.autoLoadChanged();
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(1);
    expect(s.kernel.comms).toHaveLength(2);
  });

  it('tries the load again on a settings change while the kernel stays unmetered', async () => {
    const s = setup({ autoLoad: true });
    await connect(s);
    refuse(s); // the package is not installed in this kernel
    s.link.autoLoadChanged();
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(2);
  });

  it('leaves a metered kernel alone, and does nothing while autoload is off', async () => {
    const s = setup({ autoLoad: false });
    await connect(s);
    s.kernel.comms[0].receive(HELLO);
    s.settings.autoLoad = true;
    s.link.autoLoadChanged();
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1);
    expect(s.kernel.executions).toHaveLength(0);

    const t = setup({ autoLoad: false });
    await connect(t);
    t.kernel.comms[0].closeFromKernel();
    t.link.autoLoadChanged();
    await settle();
    expect(t.kernel.infoRequests).toHaveLength(1);
  });
});

describe('KernelLink: dispose', () => {
  it('closes the comm and ignores the session from then on', async () => {
    const s = setup();
    await connect(s);
    const comm = s.kernel.comms[0];
    comm.receive(HELLO);
    s.link.dispose();
    expect(s.link.isDisposed).toBe(true);
    expect(comm.closedByFrontend).toBe(true);
    s.link.dispose(); // twice is fine

    s.context.status('restarting');
    s.context.status('idle');
    s.context.changeKernel(new FakeKernel());
    s.kernel.runUserCell();
    await s.link.reconnect();
    await settle();
    expect(s.kernel.infoRequests).toHaveLength(1);
    expect(s.kernel.comms).toHaveLength(1);
    // The figures stay as they were: the notebook is closing.
    expect(s.model.status).toBe('metered');
  });

  it('opens nothing when disposed before the kernel answers', async () => {
    const s = setup();
    s.context.readiness.resolve();
    await settle();
    s.link.dispose();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(0);
  });

  it('neither watches the kernel nor touches the model when the session is ready after dispose', async () => {
    const s = setup();
    const watch = jest.spyOn(s.kernel.iopubMessage, 'connect');
    const unwatch = jest.spyOn(s.kernel.iopubMessage, 'disconnect');
    let changes = 0;
    s.model.changed.connect(() => changes++);
    s.link.dispose();
    s.context.readiness.resolve();
    await settle();
    expect(watch.mock.calls.length - unwatch.mock.calls.length).toBe(0);
    expect(changes).toBe(0);
  });

  it('runs no %load_ext when disposed while the kernel is asked for its info', async () => {
    const s = setup({ autoLoad: true });
    s.context.readiness.resolve();
    await settle();
    s.link.dispose();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.executions).toHaveLength(0);
  });
});

describe('KernelLink: the user\'s units', () => {
  it('tells the kernel the units as the comm opens, before any request', async () => {
    const s = setup();
    s.settings.units = { energy: 'Wh', mass: 'g' };
    await connect(s);
    const comm = s.kernel.comms[0];
    expect(comm.sent).toEqual([{ type: 'settings', protocol: 1, energy_unit: 'Wh', mass_unit: 'g' }]);
  });

  it('sends them again when the settings change, on the open comm only', async () => {
    const s = setup();
    s.link.sendSettings(); // no comm yet: nothing to send, nothing thrown
    await connect(s);
    const comm = s.kernel.comms[0];
    comm.receive(HELLO);
    s.settings.units = { energy: 'kWh', mass: 'kg' };
    s.link.sendSettings();
    expect(comm.sent).toEqual([
      { type: 'settings', protocol: 1, energy_unit: 'auto', mass_unit: 'auto' },
      { type: 'settings', protocol: 1, energy_unit: 'kWh', mass_unit: 'kg' }
    ]);
    s.link.dispose();
    s.link.sendSettings();
    expect(comm.sent).toHaveLength(2);
  });
});
