/**
 * A Python kernel that does not meter itself, in a server that meters it from outside:
 * the kernel's comm first, else the server's channel, else "not metered"; and the switch
 * to the comm when the user loads the extension, with no cell lost or counted twice.
 */
import { KernelLink } from '../src/kernel';
import { CarbonModel } from '../src/model';
import { meteredByLine, statusTooltip } from '../src/text';
import { addTotals } from '../src/totals';
import { FakeKernel, FakeSessionContext, FakeSocket, HELLO, settle } from './kernel-fakes';

const UNITS = { energy: 'auto', mass: 'auto' } as const;

const SERVER_HELLO = {
  ...HELLO,
  session_id: 'server-s',
  metered_by: 'server',
  reason: null,
  kernel_id: 'k-1',
  kernel_name: 'python3',
  language: 'python'
};

function totals(cells: number, energy_j: number, extra: Record<string, unknown> = {}) {
  return { ...HELLO.totals, cells, energy_j, emissions_g: energy_j / 100, duration_s: cells, by_component: { cpu: energy_j }, method: { cpu: 'estimated' }, ...extra };
}

function record(session_id: string, index: number, energy_j: number, cell_id: string | null = null) {
  return {
    session_id, index, execution_count: index, cell_id, source: 'x', duration_s: 1, status: 'ok',
    energy_j, by_component: { cpu: energy_j }, method: { cpu: 'estimated' }, emissions_g: energy_j / 100
  };
}

const links: KernelLink[] = [];
afterEach(() => links.splice(0).forEach(link => link.dispose()));

/** A Python notebook whose kernel closed the comm (no extension): the link asks the server. */
async function plainPython(autoLoad: () => boolean = () => false) {
  FakeSocket.opened = [];
  const kernel = new FakeKernel('python');
  const context = new FakeSessionContext(kernel);
  const model = new CarbonModel();
  const link = new KernelLink({ sessionContext: context.asSessionContext, model, autoLoad, patienceMs: 60000 });
  links.push(link);
  context.readiness.resolve();
  await settle();
  kernel.answerInfo();
  await settle();
  kernel.lastComm!.closeFromKernel();
  return { kernel, context, model, link };
}

/** The user runs a cell (e.g. `%load_ext jupyter_carbon`) and the kernel is idle again. */
async function userCell(s: { kernel: FakeKernel; context: FakeSessionContext }, code?: string) {
  s.kernel.runUserCell(code);
  s.context.status('busy');
  s.context.status('idle');
  await settle();
  s.kernel.answerInfo();
  await settle();
}

describe('a Python kernel the server meters', () => {
  it('opens the server\'s channel once the comm is refused, and shows the server\'s figures', async () => {
    const s = await plainPython();
    expect(FakeSocket.opened).toHaveLength(1);
    expect(s.model.status).toBe('connecting');
    FakeSocket.last.receive({ ...SERVER_HELLO, totals: totals(2, 30) });
    expect(s.model.status).toBe('metered');
    expect(s.model.meteredBy).toBe('server');
    expect(s.model.totals.cells).toBe(2);
    expect(meteredByLine(s.model)).toContain('%load_ext jupyter_carbon adds');
    expect(statusTooltip(s.model, UNITS)).toContain('Metered by the Jupyter server from outside the kernel');
  });

  it('is not metered where the server has no channel, and does not ask the server again', async () => {
    const s = await plainPython();
    FakeSocket.last.closeFromServer();
    expect(s.model.status).toBe('unmetered');
    await userCell(s);
    s.kernel.lastComm!.closeFromKernel();
    expect(FakeSocket.opened).toHaveLength(1);
    expect(s.model.status).toBe('unmetered');
  });

  it('is not metered (never zero) where the server cannot see into the kernel', async () => {
    const s = await plainPython();
    FakeSocket.last.receive({ ...SERVER_HELLO, metered_by: null, reason: 'a remote kernel', enabled: false });
    expect(s.model.status).toBe('unmetered');
    expect(FakeSocket.last.closedByFrontend).toBe(true);
  });

  it('asks the kernel again after a user cell, and stays on the channel while it has not loaded the extension', async () => {
    const s = await plainPython();
    const socket = FakeSocket.last;
    socket.receive({ ...SERVER_HELLO, totals: totals(1, 10) });
    s.context.status('idle'); // an idle alone is no reason to ask
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
    await userCell(s, 'x = 1'); // nor a cell that does not name the package
    expect(s.kernel.comms).toHaveLength(1);
    await userCell(s);
    expect(s.kernel.comms).toHaveLength(2);
    expect(socket.closedByFrontend).toBe(false);
    expect(s.model.status).toBe('metered');
    s.kernel.lastComm!.closeFromKernel(); // not loaded yet
    expect(s.model.status).toBe('metered');
    expect(s.model.meteredBy).toBe('server');
    socket.receive({ type: 'totals', protocol: 1, session_id: 'server-s', totals: totals(2, 25), intensity: null });
    expect(s.model.totals.cells).toBe(2);
  });

  it('switches to the comm when it answers, keeping the server\'s cells in the totals, each once', async () => {
    const s = await plainPython();
    const socket = FakeSocket.last;
    socket.receive({ ...SERVER_HELLO, totals: totals(1, 10), costliest: [record('server-s', 1, 10, 'c1')] });
    // The user runs `%load_ext jupyter_carbon` in cell c2; the server records that cell.
    s.kernel.sendExecute('m-2', 'c2');
    await userCell(s);
    const comm = s.kernel.lastComm!;
    comm.receive({ ...HELLO, session_id: 'kernel-s' });
    expect(s.model.meteredBy).toBe('kernel');
    expect(s.model.totals.cells).toBe(1);
    expect(socket.closedByFrontend).toBe(false); // the server's word on c2 is still to come

    // The server's figures of the load cell arrive after the comm took over: they count once.
    const ended: { cell_id: string | null }[] = [];
    s.model.cellEnded.connect((_, r) => ended.push(r));
    socket.receive({ type: 'cell_start', protocol: 1, cell_id: null, index: 2, msg_id: 'm-2' });
    expect(s.model.running).toBeNull();
    socket.receive({ type: 'cell_end', protocol: 1, record: record('server-s', 2, 5), footprint: { energy_j: 5, cell_id: null }, msg_id: 'm-2' });
    socket.receive({ type: 'totals', protocol: 1, session_id: 'server-s', totals: totals(2, 15), intensity: null });
    expect(ended.map(r => r.cell_id)).toEqual(['c2']);
    expect(s.model.totals.cells).toBe(2);
    expect(s.model.totals.energy_j).toBe(15);

    // The next cell is the kernel's: its comm says so, and the totals add up.
    comm.receive({ type: 'cell_end', protocol: 1, record: record('kernel-s', 1, 7, 'c3') });
    comm.receive({ type: 'totals', protocol: 1, session_id: 'kernel-s', totals: totals(1, 7), intensity: null });
    expect(s.model.totals.cells).toBe(3);
    expect(s.model.totals.energy_j).toBe(22);
    expect(s.model.costliest.map(r => r.cell_id)).toEqual(['c1', 'c3', 'c2']);
    expect(meteredByLine(s.model)).toBe('Includes 2 cells the Jupyter server metered before %load_ext jupyter_carbon.');

    // The server then says the kernel meters itself: it records nothing more, the channel ends.
    socket.receive({ ...SERVER_HELLO, metered_by: 'kernel', totals: totals(2, 15) });
    expect(socket.closedByFrontend).toBe(true);
    expect(s.model.totals.cells).toBe(3);
  });

  it('requests go to the comm once it took over', async () => {
    const s = await plainPython();
    FakeSocket.last.receive(SERVER_HELLO);
    await userCell(s);
    const comm = s.kernel.lastComm!;
    comm.receive({ ...HELLO, session_id: 'kernel-s' });
    void s.model.request('summary').catch(() => undefined);
    expect(comm.sent).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'summary' })]));
    expect(FakeSocket.last.sent).toEqual([]);
    s.model.detach('other');
  });

  it('forgets the server\'s cells on %carbon reset (a new ledger of the kernel)', async () => {
    const s = await plainPython();
    FakeSocket.last.receive({ ...SERVER_HELLO, totals: totals(3, 30) });
    await userCell(s);
    const comm = s.kernel.lastComm!;
    comm.receive({ ...HELLO, session_id: 'kernel-s', totals: totals(1, 1) });
    expect(s.model.totals.cells).toBe(4);
    comm.receive({ type: 'totals', protocol: 1, session_id: 'kernel-s2', totals: totals(0, 0), intensity: null });
    expect(s.model.totals.cells).toBe(0);
    expect(s.model.carried).toBeNull();
  });

  it('switches when the server says the kernel meters itself, closing the channel once the comm answers', async () => {
    const s = await plainPython();
    const socket = FakeSocket.last;
    socket.receive({ ...SERVER_HELLO, totals: totals(2, 20) });
    socket.receive({ ...SERVER_HELLO, metered_by: 'kernel', totals: totals(2, 20) });
    expect(s.kernel.comms).toHaveLength(2);
    expect(socket.closedByFrontend).toBe(false);
    s.kernel.lastComm!.receive({ ...HELLO, session_id: 'kernel-s', totals: totals(1, 5) });
    expect(socket.closedByFrontend).toBe(true);
    expect(s.model.totals.cells).toBe(3);
  });

  it('asks the kernel when the server greets after a cell naming the package ran unseen by it', async () => {
    // The user loads the extension before the server's channel said a word: the server
    // records that cell, and learns that the kernel meters itself only at the next one.
    const s = await plainPython();
    await userCell(s);
    expect(s.kernel.comms).toHaveLength(1);
    FakeSocket.last.receive({ ...SERVER_HELLO, totals: totals(1, 4) });
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
    s.kernel.lastComm!.receive({ ...HELLO, session_id: 'kernel-s' });
    expect(s.model.meteredBy).toBe('kernel');
    expect(s.model.totals.cells).toBe(1);
  });

  it('waits for the kernel to be idle before asking, when the server greets during that cell', async () => {
    const s = await plainPython();
    s.kernel.runUserCell();
    s.context.status('busy');
    FakeSocket.last.receive({ ...SERVER_HELLO, totals: totals(0, 0) });
    await settle();
    expect(s.kernel.comms).toHaveLength(1);
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(s.kernel.comms).toHaveLength(2);
  });

  it('with autoload turned on, loads the extension and lets the comm take over', async () => {
    let autoLoad = false;
    const { kernel, model, link } = await plainPython(() => autoLoad);
    FakeSocket.last.receive({ ...SERVER_HELLO, totals: totals(1, 3) });
    autoLoad = true;
    link.autoLoadChanged();
    await settle();
    kernel.answerInfo();
    await settle();
    expect(kernel.executions.map(e => e.content.code)).toEqual(['%load_ext jupyter_carbon']);
    kernel.lastComm!.receive({ ...HELLO, session_id: 'kernel-s' });
    expect(model.meteredBy).toBe('kernel');
    expect(model.totals.cells).toBe(1);
  });

  it('says nothing of %load_ext for a kernel that is not Python', () => {
    const model = new CarbonModel();
    model.handle({ ...SERVER_HELLO, language: 'r' } as any);
    expect(meteredByLine(model)).toBe('Metered by the Jupyter server from outside the kernel (its processes, per execution).');
  });
});

it('asks the kernel again when the server\'s first word is that it meters itself after a cell naming the package', async () => {
  const s = await plainPython();
  await userCell(s); // `%load_ext jupyter_carbon`, and a cell after it, before the channel's first word
  FakeSocket.last.receive({ ...SERVER_HELLO, metered_by: 'kernel' });
  await settle();
  s.kernel.answerInfo();
  await settle();
  expect(s.kernel.comms).toHaveLength(2);
  s.kernel.lastComm!.receive({ ...HELLO, session_id: 'kernel-s', totals: totals(2, 6) });
  expect(s.model.status).toBe('metered');
  expect(s.model.meteredBy).toBe('kernel');
});

it('is not metered when the server\'s first word is that a kernel which refused the comm meters itself', async () => {
  const s = await plainPython();
  FakeSocket.last.receive({ ...SERVER_HELLO, metered_by: 'kernel' }); // %unload_ext: the server learns at the next cell
  expect(s.model.status).toBe('unmetered');
  expect(s.kernel.comms).toHaveLength(1);
  expect(FakeSocket.last.closedByFrontend).toBe(true);
});

describe('addTotals', () => {
  it('adds sums and bounds, keeps the less sure method and drops a per-unit figure', () => {
    const a = totals(2, 10, { energy_bounds_j: [8, 12], sci_g: 0.5, idle_energy_j: 1, idle_by_component: { memory: 1 } });
    const b = { ...totals(1, 4, { energy_bounds_j: [4, 4] }), method: { cpu: 'measured', gpu: 'measured' }, by_component: { cpu: 3, gpu: 1 } };
    const sum = addTotals(a as any, b as any);
    expect(sum.cells).toBe(3);
    expect(sum.energy_j).toBe(14);
    expect(sum.energy_bounds_j).toEqual([12, 16]);
    expect(sum.by_component).toEqual({ cpu: 13, gpu: 1 });
    expect(sum.method).toEqual({ cpu: 'estimated', gpu: 'measured' });
    expect(sum.idle_energy_j).toBe(1);
    expect(sum.sci_g).toBeNull();
  });

  it('counts a side without bounds as exact', () => {
    const sum = addTotals(totals(1, 5) as any, totals(1, 5, { emissions_bounds_g: [0.01, 0.1] }) as any);
    expect(sum.emissions_bounds_g![0]).toBeCloseTo(0.06, 12);
    expect(sum.emissions_bounds_g![1]).toBeCloseTo(0.15, 12);
  });
});
