import { AUTO_UNITS } from '../src/format';
import { COSTLIEST_COLUMNS, EXPORT_BUTTONS, componentsLine, panelRow, totalsLine } from '../src/paneltext';
import { ICellRecord, ITotals } from '../src/protocol';

const units = AUTO_UNITS;

function record(extra: Partial<ICellRecord> = {}): ICellRecord {
  return {
    session_id: 's1',
    index: 4,
    execution_count: 7,
    cell_id: 'cell-7',
    source: 'total = sum(range(10))\ntotal',
    duration_s: 2.5,
    status: 'ok',
    energy_j: 3600,
    by_component: { cpu: 3600 },
    method: { cpu: 'estimated' },
    emissions_g: 0.056,
    intensity: null,
    ...extra
  };
}

const totals: ITotals = {
  cells: 1,
  errors: 0,
  duration_s: 2.5,
  energy_j: 3600,
  emissions_g: 0.056,
  by_component: { cpu: 3240, memory: 360 },
  method: { cpu: 'estimated', memory: 'measured' }
};

describe('the panel texts', () => {
  it('offers one button per format the kernel exports, labels short enough for a grid', () => {
    expect(Object.keys(EXPORT_BUTTONS)).toEqual(['json', 'csv', 'md', 'html', 'latex', 'codecarbon', 'model-card']);
    for (const { label, title } of Object.values(EXPORT_BUTTONS)) {
      expect(label.length).toBeLessThanOrEqual(10);
      expect(title.length).toBeGreaterThan(label.length);
    }
  });

  it('says the totals in one line, with the plural right', () => {
    // An estimated component: marked so; bounds where the kernel sent them (older kernels: none).
    expect(totalsLine(totals, units)).toBe('1 cell over 2.5 s: ≈1.0 Wh, ≈56 mg CO2e');
    const bounded = { ...totals, energy_bounds_j: [1800, 7200], emissions_bounds_g: [0.028, 0.112] };
    expect(totalsLine(bounded, units)).toBe('1 cell over 2.5 s: ≈1.0 Wh (0.50–2.0 Wh), ≈56 mg (28–112 mg) CO2e');
    expect(totalsLine({ ...bounded, method: { cpu: 'measured' } }, units)).toMatch(/^1 cell over 2.5 s: 1.0 Wh \(/);
    expect(totalsLine({ ...totals, cells: 3 }, units)).toMatch(/^3 cells over /);
  });

  it('names each component with its method, and says nothing before any cell', () => {
    expect(componentsLine(totals, units)).toBe('CPU 900 mWh (estimated), memory 100 mWh (measured)');
    expect(componentsLine({ ...totals, by_component: {} }, units)).toBe('');
  });

  it('shows a row per cell: execution count, first line of source, figures, the cell to go to', () => {
    const row = panelRow(record(), units);
    expect([row.label, row.source, row.energy, row.emissions, row.time]).toEqual(['[7]', 'total = sum(range(10))', '≈1.0 Wh', '≈56 mg', '2.5 s']);
    const bounded = panelRow(record({ bounds: { energy_j: [1800, 7200], emissions_g: null } }), units);
    expect([bounded.energy, bounded.emissions]).toEqual(['≈1.0 Wh (0.50–2.0 Wh)', '≈56 mg']);
    expect(row.cellId).toBe('cell-7');
    expect(row.title).toContain('total = sum(range(10))\ntotal');
    expect(COSTLIEST_COLUMNS).toHaveLength(5);
  });

  it('falls back to the record index, "(empty)", and no cell to go to', () => {
    const row = panelRow(record({ execution_count: null, cell_id: null, source: '  \n' }), units);
    expect(row.label).toBe('#4');
    expect(row.source).toBe('(empty)');
    expect(row.cellId).toBeNull();
    expect(row.title).toMatch(/did not receive/);
  });
});
