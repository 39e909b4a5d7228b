import * as fs from 'fs';
import * as path from 'path';

import { EnergyUnit, MassUnit } from '../src/format';
import { splitParts, totalsLine } from '../src/paneltext';
import { readCellMetadata } from '../src/footprint';
import { ITotals } from '../src/protocol';
import { footerText, statusText } from '../src/text';
import { CarbonModel } from '../src/model';

/**
 * The cases pytest checks against the kernel's footprint and `%%carbon` line too
 * (tests/test_cell_totals.py): the footer leads with the same total, kernel + cluster.
 */
describe('the shared cell totals (tests/fixtures/cell_totals.json)', () => {
  type Cases = { cells: Array<[Record<string, unknown>, EnergyUnit, MassUnit, string]> };
  const cases: Cases = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'cell_totals.json'), 'utf-8')
  );

  it('has a cell with cluster work and one with named parts', () => {
    expect(cases.cells.some(([fp]) => 'cluster' in fp)).toBe(true);
    expect(cases.cells.some(([fp]) => 'sci_g' in fp && 'embodied_g' in fp)).toBe(true);
  });

  it.each(cases.cells)('footerText(%j, %p, %p) is %p', (fp, energy, mass, expected) => {
    expect(footerText(readCellMetadata(fp)!, { energy, mass })).toBe(expected);
  });

  it('sums an older footprint without a total itself', () => {
    const [fp] = cases.cells[0];
    const older = { ...fp };
    delete older.total_energy_j;
    delete older.total_emissions_g;
    expect(footerText(readCellMetadata(older)!, { energy: 'auto', mass: 'auto' })).toBe(cases.cells[0][3]);
  });
});

const totals: ITotals = {
  cells: 2,
  errors: 0,
  duration_s: 3,
  energy_j: 0.468,
  emissions_g: 0.0001,
  by_component: { cpu: 0.468 },
  method: { cpu: 'estimated' },
  cluster_cells: 1,
  cluster_energy_j: 10800,
  cluster_emissions_g: 0.6,
  cluster_nodes: ['a', 'b'],
  cluster_zones: ['FR'],
  idle_emissions_g: 0.2,
  embodied_g: 0.2,
  total_energy_j: 10800.468,
  total_emissions_g: 0.6001
};

describe('the session total and its split', () => {
  it('leads the panel and the status bar with the total, kernel and cluster', () => {
    expect(totalsLine(totals, { energy: 'auto', mass: 'auto' })).toBe('2 cells over 3.0 s: 3.0 Wh, 600 mg CO2e');
    const model = new CarbonModel();
    model.setStatus('metered');
    model.sessionId = 's';
    model.totals = totals;
    expect(statusText(model, { energy: 'auto', mass: 'auto' })).toMatch(/^Carbon: 3\.0 Wh · 600 mg CO2e \(kernel 0\.13 mWh \+ cluster 3\.0 Wh\)/);
  });

  it('splits the footprint into its parts, each with its share', () => {
    const parts = splitParts(totals, { energy: 'auto', mass: 'auto' });
    expect(parts.map(p => p.key)).toEqual(['kernel', 'cluster', 'idle', 'embodied']);
    expect(parts.reduce((s, p) => s + p.share, 0)).toBeCloseTo(1);
    expect(parts[1].text).toBe('cluster 600 mg CO2e (60%)');
  });

  it('draws nothing with a single part', () => {
    expect(splitParts({ ...totals, cluster_emissions_g: 0, idle_emissions_g: 0, embodied_g: 0 }, { energy: 'auto', mass: 'auto' })).toEqual([]);
  });
});
