import * as fs from 'fs';
import * as path from 'path';

import { AUTO_UNITS, EnergyUnit, IUnits, MassUnit } from '../src/format';
import { CarbonModel } from '../src/model';
import { clusterLine } from '../src/paneltext';
import { HELLO } from './kernel-fakes';
import { readCellMetadata, readFootprint } from '../src/footprint';
import { IPower, ITotals, readCluster, readClusterPower, readClusterTotals } from '../src/protocol';
import { clusterPowerText, clusterText, footerText, statusText, statusTooltip } from '../src/text';

/**
 * The cases pytest checks against the kernel's `text.cluster_text` too: the footer says
 * what the `%%carbon` line says.
 */
describe('the shared cluster texts (tests/fixtures/cluster_texts.json)', () => {
  type Cases = {
    cell: Array<[Record<string, unknown>, EnergyUnit, MassUnit, string]>;
    power: Array<[Record<string, unknown> | null, string]>;
  };
  const cases: Cases = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'cluster_texts.json'), 'utf-8')
  );

  it('has cases of every kind', () => {
    expect(cases.cell.length).toBeGreaterThan(3);
    expect(cases.power.length).toBeGreaterThan(1);
  });

  it.each(cases.cell)('clusterText(%j, %p, %p) is %p', (part, energy, mass, expected) => {
    expect(clusterText(readCluster(part)!, { energy, mass })).toBe(expected);
  });

  it.each(cases.power)('clusterPowerText(%j) is %p', (cluster, expected) => {
    expect(clusterPowerText(readClusterPower({ cluster } as unknown as IPower))).toBe(expected);
  });
});

const footprint = {
  energy_j: 720,
  by_component: { cpu: 648, memory: 72 },
  method: { cpu: 'estimated', memory: 'estimated' },
  duration_s: 1.5,
  emissions_g: 0.0112,
  zone: 'FR',
  g_per_kwh: 56,
  pue: 1,
  status: 'ok',
  session_id: 's1',
  index: 3
};
const savedCluster = { energy_j: 10800, emissions_g: 0.0037, workers: 2, zones: ['FR', 'PL'], complete: true, note: null, carried: false };

describe('reading the cluster part', () => {
  it("reads a footprint's count of workers and a record's count of nodes alike", () => {
    expect(readCluster(savedCluster)).toEqual({ ...savedCluster, note: null });
    const fromRecord = readCluster({ energy_j: 1, emissions_g: null, nodes: 3, workers: [{ node: 'a' }], zones: 'FR' });
    expect(fromRecord).toEqual({ energy_j: 1, emissions_g: null, workers: 3, zones: [], complete: true, note: null, carried: false });
  });

  it('reads no cluster part as none, and a malformed one as an unreadable footprint', () => {
    const old = readCellMetadata(footprint);
    expect(old).not.toBeNull();
    expect('cluster' in old!).toBe(false);
    expect(readCellMetadata({ ...footprint, cluster: null })).toEqual(old);
    for (const bad of ['lots', [1, 2], { energy_j: 'lots' }, { emissions_g: 1 }]) {
      expect(readFootprint({ ...footprint, cluster: bad }).kind).toBe('unreadable');
    }
    expect(readCellMetadata({ ...footprint, cluster: savedCluster })?.cluster?.workers).toBe(2);
  });

  it('reads the totals of older kernels and of sessions without a cluster as none', () => {
    const totals: ITotals = { cells: 2, errors: 0, duration_s: 3, energy_j: 720, emissions_g: 0.01, by_component: {}, method: {} };
    expect(readClusterTotals(totals)).toBeNull();
    expect(readClusterTotals({ ...totals, cluster_cells: 0, cluster_energy_j: 0 })).toBeNull();
    expect(readClusterTotals({ ...totals, cluster_cells: 1, cluster_energy_j: NaN })).toBeNull();
    const c = readClusterTotals({ ...totals, cluster_cells: 1, cluster_energy_j: 10800, cluster_nodes: ['tcp://a:1', 'tcp://b:1'], cluster_zones: ['FR', 'PL'] });
    expect(c).toEqual({ cells: 1, energy_j: 10800, emissions_g: 0, workers: 2, zones: ['FR', 'PL'] });
  });

  it('reads a power event without a cluster, or with a null one, as none', () => {
    const power: IPower = { type: 'power', time_s: 1, by_component: {}, total_w: 5, cell_id: 'c', cell_energy_j: 1 };
    expect(readClusterPower(power)).toBeNull();
    expect(readClusterPower({ ...power, cluster: null })).toBeNull();
    expect(readClusterPower({ ...power, cluster: { watts: 'hot' } })).toBeNull();
    expect(readClusterPower({ ...power, cluster: { watts: 120 } })).toEqual({ watts: 120, workers: 0 });
  });
});

describe('the views of the cluster part', () => {
  const wh: IUnits = { energy: 'Wh', mass: 'g' };

  it("leads the footer with the cell's total, then the kernel's part and the cluster part, in the user's units", () => {
    const meta = readCellMetadata({ ...footprint, cluster: savedCluster })!;
    expect(footerText(meta, AUTO_UNITS)).toBe(
      'carbon: total 3.2 Wh · 15 mg CO2e · 1.5 s · FR 56 g/kWh = kernel ≈200 mWh + cluster 3.0 Wh on 2 workers in 2 zones → 3.7 mg CO2e'
    );
    expect(footerText(meta, wh)).toBe('carbon: total 3.2 Wh · 0.015 g CO2e · 1.5 s · FR 56 g/kWh = kernel ≈0.20 Wh + cluster 3.0 Wh on 2 workers in 2 zones → 0.0037 g CO2e');
    const partial = readCellMetadata({ ...footprint, cluster: { ...savedCluster, complete: false, note: 'tcp://c:1: timed out' } })!;
    expect(footerText(partial, AUTO_UNITS)).toMatch(/ \+ cluster 3\.0 Wh on 2 workers in 2 zones → 3\.7 mg CO2e \(incomplete: tcp:\/\/c:1: timed out\)$/);
  });

  function metered(totals: Partial<ITotals>): CarbonModel {
    const model = new CarbonModel();
    model.handle({ ...HELLO, totals: { ...HELLO.totals, cells: 2, duration_s: 3, energy_j: 360, emissions_g: 0.0056, ...totals } });
    return model;
  }
  const clusterTotals = { cluster_cells: 1, cluster_energy_j: 10800, cluster_emissions_g: 0.0037, cluster_nodes: ['tcp://a:1', 'tcp://b:1'], cluster_zones: ['FR', 'PL'] };

  it("leads the status text with the session's total, kernel and cluster, and says more in the tooltip", () => {
    const model = metered(clusterTotals);
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 3.1 Wh · 9.3 mg CO2e (kernel 100 mWh + cluster 3.0 Wh)');
    expect(statusTooltip(model, AUTO_UNITS)).toContain(
      "Cluster: 3.0 Wh on 2 workers in 2 zones (FR, PL) over 1 cell, 3.7 mg CO2e (in the total above)"
    );
    const without = metered({});
    expect(statusText(without, AUTO_UNITS)).toBe('Carbon: 100 mWh · 5.6 mg CO2e');
    expect(statusTooltip(without, AUTO_UNITS)).not.toContain('Cluster');
  });

  it('shows the cluster power while a cell runs, when the power event has it', () => {
    const model = metered(clusterTotals);
    model.handle({ type: 'cell_start', protocol: 1, cell_id: 'c2', execution_count: 2, index: 2, started_at: '' });
    const power = { type: 'power', protocol: 1, time_s: 1, by_component: { cpu: 12 }, total_w: 12.2, cell_id: 'c2', cell_energy_j: 1080 };
    model.handle({ ...power, cluster: { watts: 120, workers: 2 } });
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 12 W · cluster 120 W · cell 300 mWh');
    expect(statusTooltip(model, AUTO_UNITS)).toContain('Now on the cluster: cluster 120 W on 2 workers');
    model.handle({ ...power, cluster: null });
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 12 W · cell 300 mWh');
    expect(statusTooltip(model, AUTO_UNITS)).not.toContain('Now on the cluster');
  });

  it('gives the panel a cluster line only when the totals have cluster work', () => {
    expect(clusterLine(metered(clusterTotals).totals, wh)).toBe('Cluster: 3.0 Wh on 2 workers in 2 zones (FR, PL) over 1 cell, 0.0037 g CO2e');
    expect(clusterLine(metered({ ...clusterTotals, cluster_zones: ['FR'], cluster_nodes: ['a'] }).totals, AUTO_UNITS)).toBe(
      'Cluster: 3.0 Wh on 1 worker in FR over 1 cell, 3.7 mg CO2e'
    );
    expect(clusterLine(metered({}).totals, AUTO_UNITS)).toBe('');
  });
});
