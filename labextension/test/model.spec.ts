import { CarbonModel, COSTLIEST, insertCostliest } from '../src/model';
import { ICellFootprint, ICellRecord, IRecordWithFootprint, METADATA_KEY, isCellLineOutput, writeFootprint } from '../src/protocol';
import { readCellMetadata, readFootprint } from '../src/footprint';
import { footerText, footerTooltip, statusText, statusTooltip, UNMETERED_TEXT } from '../src/text';
import { AUTO_UNITS } from '../src/format';

const intensity = { g_per_kwh: 56, zone: 'FR', source: 'Electricity Maps', year: 2025, chosen_by: 'config' };

function record(index: number, energy_j: number, extra: Partial<ICellRecord> = {}): ICellRecord {
  return {
    session_id: 's1',
    index,
    execution_count: index,
    cell_id: `cell-${index}`,
    source: `x = ${index}`,
    duration_s: 1.5,
    status: 'ok',
    energy_j,
    by_component: { cpu: energy_j * 0.9, memory: energy_j * 0.1 },
    method: { cpu: 'estimated', memory: 'estimated' },
    emissions_g: (energy_j / 3.6e6) * 56,
    intensity,
    ...extra
  };
}

/** The footprint the kernel sends with `record(index, energy_j)`: its keys, its rounding. */
function kernelFootprint(index: number, energy_j: number, extra: Partial<ICellFootprint> = {}): ICellFootprint {
  return {
    energy_j,
    by_component: { cpu: Number((energy_j * 0.9).toPrecision(6)), memory: Number((energy_j * 0.1).toPrecision(6)) },
    method: { cpu: 'estimated', memory: 'estimated' },
    duration_s: 1.5,
    emissions_g: Number(((energy_j / 3.6e6) * 56).toPrecision(6)),
    zone: 'FR',
    g_per_kwh: 56,
    pue: 1,
    status: 'ok',
    session_id: 's1',
    index,
    ...extra
  };
}

function hello(extra: Record<string, unknown> = {}) {
  return {
    type: 'hello',
    protocol: 1,
    version: '0.1.0',
    session_id: 's1',
    enabled: true,
    intensity,
    devices: [{ domain: 'cpu:model', component: 'cpu', name: 'EPYC', method: 'estimated' }],
    totals: {
      cells: 1,
      errors: 0,
      duration_s: 1.5,
      energy_j: 360,
      emissions_g: 0.0056,
      by_component: { cpu: 324, memory: 36 },
      method: { cpu: 'estimated', memory: 'estimated' }
    },
    costliest: [record(1, 360)],
    running: null,
    ...extra
  };
}

function connected(): { model: CarbonModel; sent: Record<string, unknown>[] } {
  const model = new CarbonModel();
  const sent: Record<string, unknown>[] = [];
  model.attach(d => sent.push(d));
  model.handle(hello());
  return { model, sent };
}

describe('CarbonModel', () => {
  it('becomes metered on hello and shows the totals', () => {
    const model = new CarbonModel();
    let greeted = 0;
    model.greeted.connect(() => greeted++);
    model.handle(hello());
    expect(greeted).toBe(1);
    expect(model.status).toBe('metered');
    expect(model.totals.energy_j).toBe(360);
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 100 mWh · 5.6 mg CO2e');
    const tip = statusTooltip(model, AUTO_UNITS);
    expect(tip).toContain('CPU: 90 mWh (estimated)');
    expect(tip).toContain('zone FR 56 g/kWh');
    expect(tip).toContain('EPYC (estimated)');
    expect(tip).not.toContain('Between cells');
    model.handle({
      type: 'totals',
      protocol: 1,
      session_id: 's1',
      intensity: hello().intensity,
      totals: { ...hello().totals, idle_spans: 2, idle_energy_j: 7200, idle_duration_s: 90, idle_emissions_g: 0.1 }
    });
    expect(statusTooltip(model, AUTO_UNITS)).toContain('Between cells: 2.0 Wh over 1 min 30 s, 100 mg CO2e');
  });

  it('shows live power while a cell runs, and totals again after', () => {
    const { model } = connected();
    let changes = 0;
    model.changed.connect(() => changes++);
    model.handle({ type: 'cell_start', protocol: 1, cell_id: 'cell-2', execution_count: 2, index: 2, started_at: '' });
    model.handle({
      type: 'power',
      protocol: 1,
      time_s: 1,
      by_component: { cpu: 11.8, memory: 0.4 },
      total_w: 12.2,
      cell_id: 'cell-2',
      cell_energy_j: 36
    });
    expect(model.isRunning).toBe(true);
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 12 W · cell 10 mWh');
    const ended: ICellRecord[] = [];
    model.cellEnded.connect((_, r) => ended.push(r));
    model.handle({ type: 'cell_end', protocol: 1, record: record(2, 7200) });
    model.handle({ type: 'totals', protocol: 1, session_id: 's1', intensity, totals: { ...hello().totals, cells: 2, energy_j: 7560 } });
    expect(ended.map(r => r.index)).toEqual([2]);
    expect(model.isRunning).toBe(false);
    expect(model.costliest.map(r => r.index)).toEqual([2, 1]);
    expect(statusText(model, AUTO_UNITS)).toMatch(/^Carbon: 2\.1 Wh · /);
    expect(changes).toBe(4);
  });

  it('ignores power readings between cells and unknown messages', () => {
    const { model } = connected();
    model.handle({ type: 'power', protocol: 1, time_s: 1, by_component: {}, total_w: 5, cell_id: null, cell_energy_j: null });
    model.handle({ type: 'something_new', protocol: 1 });
    expect(model.power).toBeNull();
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 100 mWh · 5.6 mg CO2e');
  });

  it('forgets the costliest cells of a reset session', () => {
    const { model } = connected();
    model.handle({ type: 'totals', protocol: 1, session_id: 's2', intensity, totals: { ...hello().totals, cells: 0, energy_j: 0 } });
    expect(model.costliest).toEqual([]);
    expect(model.sessionId).toBe('s2');
  });

  it('answers requests by request_id and fails them on error or close', async () => {
    const { model, sent } = connected();
    const exported = model.request('export', { format: 'csv', path: null });
    const failed = model.request('export', { format: 'pdf', path: null });
    const lost = model.request('summary', { top: 3 });
    expect(sent.map(m => m.type)).toEqual(['export', 'export', 'summary']);
    expect(sent[0]).toMatchObject({ protocol: 1, format: 'csv', path: null });
    const [a, b] = sent.map(m => m.request_id as string);
    expect(a).not.toEqual(b);
    model.handle({ type: 'error', protocol: 1, request_id: b, message: 'bad format pdf' });
    model.handle({ type: 'export', protocol: 1, request_id: a, ok: true, format: 'csv', filename: 'c.csv', content: 'index\n' });
    await expect(exported).resolves.toMatchObject({ filename: 'c.csv', content: 'index\n' });
    await expect(failed).rejects.toThrow('bad format pdf');
    model.detach('connecting');
    await expect(lost).rejects.toThrow('closed');
    await expect(model.request('hello')).rejects.toThrow('not metered');
  });

  it('rejects a failed export with the kernel\'s reason', async () => {
    const { model, sent } = connected();
    const p = model.request('export', { format: 'json' });
    model.handle({ type: 'export', protocol: 1, request_id: sent[0].request_id, ok: false, error: 'cannot write /x' });
    await expect(p).rejects.toThrow('cannot write /x');
  });

  it('answers a forecast request with the kernel\'s reply, leaving the figures alone', async () => {
    const { model, sent } = connected();
    const before = model.totals;
    const p = model.request('forecast', { hours: 12, length: '1h' });
    expect(sent[0]).toMatchObject({ type: 'forecast', hours: 12, length: '1h' });
    const forecast = { zone: 'GB', points: [], text: 'No forecast provider is turned on' };
    model.handle({ type: 'forecast', protocol: 1, request_id: sent[0].request_id, forecast } as never);
    await expect(p).resolves.toMatchObject({ type: 'forecast', forecast });
    expect(model.totals).toBe(before);
  });

  it('keeps figures while reconnecting and drops them when unmetered', () => {
    const { model } = connected();
    model.detach('connecting');
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 100 mWh · 5.6 mg CO2e');
    model.detach('unmetered');
    expect(model.totals.energy_j).toBe(0);
    expect(statusText(model, AUTO_UNITS)).toBe(UNMETERED_TEXT);
    model.detach('other');
    expect(statusText(model, AUTO_UNITS)).toBe('');
  });

  it('applies a summary reply to totals and costliest', async () => {
    const { model, sent } = connected();
    const p = model.request('summary', { top: 10 });
    model.handle({ type: 'summary', protocol: 1, request_id: sent[0].request_id, totals: { ...hello().totals, cells: 5 }, costliest: [record(4, 9000), record(1, 360)] });
    await p;
    expect(model.totals.cells).toBe(5);
    expect(model.costliest.map(r => r.index)).toEqual([4, 1]);
  });
});

describe('insertCostliest', () => {
  it('keeps the costliest first, at most COSTLIEST, and replaces a re-sent record', () => {
    let list: ICellRecord[] = [];
    for (let i = 1; i <= COSTLIEST + 3; i++) {
      list = insertCostliest(list, record(i, i * 10));
    }
    expect(list).toHaveLength(COSTLIEST);
    expect(list[0].index).toBe(COSTLIEST + 3);
    expect(list[list.length - 1].index).toBe(4);
    // The same cell again (same session and index) replaces its entry, not a second one.
    list = insertCostliest(list, record(13, 1));
    expect(list.filter(r => r.index === 13).map(r => r.energy_j)).toEqual([1]);
    expect(list[list.length - 1].index).toBe(13);
  });
});

describe('cell metadata', () => {
  it('has the shape the headless runner writes and round-trips', () => {
    const footprint = kernelFootprint(3, 720);
    const meta = readCellMetadata(JSON.parse(JSON.stringify(footprint)));
    expect(Object.keys(meta ?? {}).sort()).toEqual(
      [
        'by_component',
        'cell_id',
        'execution_count',
        'source_sha256',
        'duration_s',
        'emissions_g',
        'energy_j',
        'g_per_kwh',
        'index',
        'method',
        'pue',
        'session_id',
        'status',
        'zone'
      ].sort()
    );
    expect(meta).toMatchObject({ energy_j: 720, zone: 'FR', g_per_kwh: 56, status: 'ok' });
    expect(meta).toEqual({ cell_id: null, execution_count: null, source_sha256: null, ...footprint });
    expect(footerText(meta!, AUTO_UNITS)).toBe('carbon: ≈200 mWh · ≈11 mg CO2e · 1.5 s · FR 56 g/kWh');
  });

  it('reads the bounds a footprint carries, and shows them in the footer tooltip', () => {
    const meta = readCellMetadata({ ...kernelFootprint(3, 720), bounds: { energy_j: [360, 1440], emissions_g: [0.0055, 0.022] } })!;
    expect(meta.bounds).toEqual({ energy_j: [360, 1440], emissions_g: [0.0055, 0.022] });
    expect(footerTooltip(meta, AUTO_UNITS)).toContain('Energy: ≈200 mWh (100–400 mWh); emissions: ≈11 mg (5.5–22 mg) CO2e');
    // A bound that is not a pair of numbers fails the footprint schema: the whole footprint is unreadable.
    expect(readFootprint({ ...kernelFootprint(3, 720), bounds: { energy_j: ['x', 1] } }).kind).toBe('unreadable');
  });

  it('rejects metadata that is not ours', () => {
    expect(readCellMetadata(undefined)).toBeNull();
    expect(readCellMetadata({ energy_j: 'lots' })).toBeNull();
    expect(readCellMetadata({ energy_j: 5, status: 'error' })?.status).toBe('error');
  });

  it('reads a footprint saved before it named its session, index and PUE', () => {
    const { pue, session_id, index, ...older } = kernelFootprint(3, 720);
    const meta = readCellMetadata(older);
    expect(meta).toMatchObject({ energy_j: 720, zone: 'FR', pue: null, session_id: null, index: null });
    expect(footerText(meta!, AUTO_UNITS)).toBe('carbon: ≈200 mWh · ≈11 mg CO2e · 1.5 s · FR 56 g/kWh');
  });

  it('marks cells that did not end well', () => {
    const meta = readCellMetadata(kernelFootprint(3, 720, { status: 'interrupted', emissions_g: null }))!;
    expect(footerText(meta, { energy: 'Wh', mass: 'g' })).toBe('carbon: ≈0.20 Wh · n/a CO2e · 1.5 s · FR 56 g/kWh [interrupted]');
  });
});

describe('the footprint the kernel computes', () => {
  function cellModel(initial?: unknown) {
    const metadata = new Map<string, unknown>(initial === undefined ? [] : [[METADATA_KEY, initial]]);
    const writes: unknown[] = [];
    return {
      metadata,
      writes,
      getMetadata: (key: string) => metadata.get(key),
      setMetadata: (key: string, value: unknown) => {
        writes.push(value);
        metadata.set(key, value);
      }
    };
  }

  it('comes with the record the model hands on for cell_end, and into costliest', () => {
    const { model } = connected();
    const ended: IRecordWithFootprint[] = [];
    model.cellEnded.connect((_, r) => ended.push(r));
    model.handle({ type: 'cell_end', protocol: 1, record: record(2, 7200), footprint: kernelFootprint(2, 7200) });
    expect(ended[0].index).toBe(2);
    expect(ended[0].footprint).toEqual(kernelFootprint(2, 7200));
    expect((model.costliest[0] as IRecordWithFootprint).footprint).toEqual(kernelFootprint(2, 7200));
  });

  it('is absent when an older kernel sends none', () => {
    const { model } = connected();
    const ended: IRecordWithFootprint[] = [];
    model.cellEnded.connect((_, r) => ended.push(r));
    model.handle({ type: 'cell_end', protocol: 1, record: record(2, 7200) });
    expect(ended.map(r => r.index)).toEqual([2]);
    expect(ended[0].footprint).toBeUndefined();
  });

  it('is written into the cell as it came', () => {
    const cell = cellModel();
    const footprint = kernelFootprint(3, 720);
    writeFootprint(cell, footprint);
    expect(cell.writes).toEqual([footprint]);
    expect(cell.metadata.get(METADATA_KEY)).toBe(footprint);
  });

  it('is not written again when the cell has it already, so the notebook stays clean', () => {
    const cell = cellModel(JSON.parse(JSON.stringify(kernelFootprint(3, 720))));
    writeFootprint(cell, kernelFootprint(3, 720));
    expect(cell.writes).toEqual([]);
  });

  it('leaves the cell alone when the kernel sent none', () => {
    const older = { energy_j: 5, status: 'ok' };
    const cell = cellModel(older);
    writeFootprint(cell, undefined);
    expect(cell.writes).toEqual([]);
    expect(cell.metadata.get(METADATA_KEY)).toBe(older);
  });
});

describe('the %%carbon line among the outputs', () => {
  it('is recognised by the mark in the output metadata, not by its text', () => {
    expect(isCellLineOutput({ jupyter_carbon: { cell_line: true } })).toBe(true);
    expect(isCellLineOutput({ jupyter_carbon: { cell_line: true }, isolated: false })).toBe(true);
  });

  it('is not any other output, even one that reads like the line', () => {
    for (const metadata of [{}, null, undefined, 'jupyter_carbon', { jupyter_carbon: true }, { jupyter_carbon: { cell_line: 'yes' } }, { other: { cell_line: true } }]) {
      expect(isCellLineOutput(metadata)).toBe(false);
    }
  });
});
