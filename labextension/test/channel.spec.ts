import { channelUrl, withCellIds } from '../src/channel';
import { KernelLink } from '../src/kernel';
import { CarbonModel } from '../src/model';
import { FakeKernel, FakeSessionContext, FakeSocket, HELLO, settle } from './kernel-fakes';

const SERVER_HELLO = { ...HELLO, metered_by: 'server', kernel_id: 'k-1', kernel_name: 'ir', reason: null };

const RECORD = {
  session_id: 's1', index: 1, execution_count: 1, cell_id: null, source: 'x <- 1', duration_s: 1,
  status: 'ok', energy_j: 12, by_component: { cpu: 12 }, method: { cpu: 'estimated' }, emissions_g: 0.1
};

async function rNotebook(): Promise<{ kernel: FakeKernel; model: CarbonModel; link: KernelLink; context: FakeSessionContext; socket: FakeSocket }> {
  const kernel = new FakeKernel('R');
  const context = new FakeSessionContext(kernel);
  const model = new CarbonModel();
  const link = new KernelLink({ sessionContext: context.asSessionContext, model, autoLoad: () => true });
  context.readiness.resolve();
  await settle();
  kernel.answerInfo();
  await settle();
  return { kernel, model, link, context, socket: FakeSocket.last };
}

describe('the server channel for a kernel that cannot open the comm', () => {
  beforeEach(() => {
    FakeSocket.opened = [];
  });

  it('opens the server\'s channel of that kernel, with the token, and never loads the kernel extension', async () => {
    const s = await rNotebook();
    expect(FakeSocket.opened).toHaveLength(1);
    expect(s.socket.url).toBe('ws://127.0.0.1:8888/api/carbon/kernels/k-1/channel?token=t0k');
    expect(s.kernel.executions).toHaveLength(0);
    expect(s.kernel.comms).toHaveLength(0);
    s.socket.receive(SERVER_HELLO);
    expect(s.model.status).toBe('metered');
  });

  it('gives each cell\'s record and footprint the id of the cell whose request this page sent', async () => {
    const s = await rNotebook();
    s.socket.receive(SERVER_HELLO);
    const ended: unknown[] = [];
    s.model.cellEnded.connect((_, record) => ended.push(record));
    s.kernel.sendExecute('m-1', 'cell-a');
    s.socket.receive({ type: 'cell_start', protocol: 1, cell_id: null, execution_count: null, index: 1, started_at: 't', msg_id: 'm-1' });
    expect(s.model.running?.cell_id).toBe('cell-a');
    s.socket.receive({ type: 'cell_end', protocol: 1, record: RECORD, footprint: { energy_j: 12, cell_id: null, execution_count: 1 }, msg_id: 'm-1' });
    expect(ended).toEqual([expect.objectContaining({ cell_id: 'cell-a', footprint: expect.objectContaining({ cell_id: 'cell-a' }) })]);
    expect(s.model.running).toBeNull();
    expect(s.model.costliest[0].cell_id).toBe('cell-a');
  });

  it('sends the panel\'s requests over the channel and resolves them with its answers', async () => {
    const s = await rNotebook();
    s.socket.receive(SERVER_HELLO);
    const answer = s.model.request('summary', { top: 3 });
    expect(s.socket.sent).toEqual([expect.objectContaining({ type: 'summary', top: 3, protocol: 1 })]);
    const id = s.socket.sent[0].request_id;
    s.socket.receive({ type: 'summary', protocol: 1, request_id: id, totals: { ...HELLO.totals, cells: 4 }, costliest: [] });
    await expect(answer).resolves.toEqual(expect.objectContaining({ type: 'summary' }));
    expect(s.model.totals.cells).toBe(4);
  });

  it('names a kernel the server cannot see into as not metered, never as zero', async () => {
    const s = await rNotebook();
    s.socket.receive({ ...SERVER_HELLO, metered_by: null, reason: 'a remote kernel', enabled: false });
    expect(s.model.status).toBe('other');
  });

  it('switches to the kernel\'s comm when the server says the kernel meters itself', async () => {
    const s = await rNotebook();
    s.socket.receive({ ...SERVER_HELLO, metered_by: 'kernel' });
    expect(s.socket.closedByFrontend).toBe(true);
    expect(s.kernel.comms).toHaveLength(1);
    expect(s.kernel.comms[0].targetName).toBe('jupyter_carbon');
  });

  it('after a lost channel keeps the figures, says it is connecting, and opens a new one at the next idle', async () => {
    const s = await rNotebook();
    s.socket.receive({ ...SERVER_HELLO, totals: { ...HELLO.totals, cells: 2 } });
    s.socket.closeFromServer();
    expect(s.model.status).toBe('connecting');
    expect(s.model.totals.cells).toBe(2);
    s.context.status('idle');
    await settle();
    s.kernel.answerInfo();
    await settle();
    expect(FakeSocket.opened).toHaveLength(2);
  });

  it('closes the channel when the notebook closes or the kernel restarts', async () => {
    const s = await rNotebook();
    s.socket.receive(SERVER_HELLO);
    s.context.status('restarting');
    expect(s.socket.closedByFrontend).toBe(true);
    expect(s.model.status).toBe('connecting');
    s.link.dispose();
  });
});

describe('withCellIds', () => {
  it('leaves messages whose request this page did not send as they are', () => {
    const msg = { type: 'cell_end', record: RECORD, msg_id: 'other' };
    expect(withCellIds(msg, new Map([['m', 'c']]))).toBe(msg);
  });

  it('keeps a cell id the server already knew', () => {
    const cells = new Map([['m', 'c']]);
    expect(withCellIds({ type: 'cell_start', cell_id: 'known', msg_id: 'm' }, cells).cell_id).toBe('known');
  });
});

describe('channelUrl', () => {
  it('joins the server\'s websocket URL and leaves the token out when the settings do not append it', () => {
    const settings = { wsUrl: 'wss://hub.example/user/ada', token: 'x', appendToken: false } as any;
    expect(channelUrl(settings, 'a b')).toBe('wss://hub.example/user/ada/api/carbon/kernels/a%20b/channel');
  });
});
