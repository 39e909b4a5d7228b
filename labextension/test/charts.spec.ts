import * as fs from 'fs';
import * as path from 'path';

import { forecastChart, forecastLabel, projectionChart, projectionGeometry, readForecast } from '../src/charts';
import { AUTO_UNITS } from '../src/format';
import { forecastSource, runningLine } from '../src/paneltext';
import { IProjection } from '../src/projection';
import { IForecast } from '../src/protocol';

const units = AUTO_UNITS;

/** The cases pytest checks the kernel's charts (`jupyter_carbon/kernel/charts.py`) against too. */
const cases = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'chart_cases.json'), 'utf-8')) as {
  projection: [IProjection, number, Record<string, number | null>][];
  forecast: [IForecast, number, number, string, [string, Record<string, number>][]][];
};

describe('the shared chart cases (tests/fixtures/chart_cases.json)', () => {
  it.each(cases.projection)('projection %j at %p px', (p, width, geometry) => {
    expect(projectionGeometry(p, width)).toEqual(geometry);
  });

  it.each(cases.forecast)('forecast %#', (raw, width, height, label, shapes) => {
    const f = readForecast(raw);
    expect(f).not.toBeNull();
    expect(forecastLabel(f!, units, 'UTC')).toBe(label);
    const chart = forecastChart(f!, units, width, height, 'UTC');
    expect(chart ? chart.shapes.map(s => [s.part, s.attrs]) : []).toEqual(shapes);
    if (chart) {
      expect(chart.label).toBe(label);
    }
  });
});

const P: IProjection = {
  fraction: 0.38,
  energy_j: 4.32e6,
  low_j: 3.6e6,
  high_j: 5.4e6,
  spent_j: 1.6e6,
  emissions_g: 400,
  low_g: 333,
  high_g: 500,
  budget_g: null,
  over_budget: false
};

describe('projectionChart', () => {
  it('draws spent, bounds and the projected total, named in the live meter’s words', () => {
    const chart = projectionChart(P, units);
    expect(chart.shapes.map(s => s.part)).toEqual(['track', 'band', 'spent', 'projected']);
    expect(chart.label).toBe('Projected for this cell: ≈ 1.2 kWh (1.0 kWh–1.5 kWh), 400 g CO2e at this pace; 38 % done');
  });

  it('draws the budget where one is set, and the panel says it is crossed', () => {
    const over = { ...P, budget_g: 300, over_budget: true };
    const chart = projectionChart(over, units);
    expect(chart.shapes.map(s => s.part)).toContain('budget');
    expect(runningLine(over, units)).toBe('This cell at this pace: ≈ 1.2 kWh, 400 g CO2e (38 %) · over the 300 g budget');
  });

  it('leaves the budget out where the CO2e is not priced', () => {
    expect(projectionChart({ ...P, budget_g: 300, emissions_g: null }, units).shapes.map(s => s.part)).not.toContain('budget');
  });
});

describe('readForecast', () => {
  const good = cases.forecast[0][0];

  it('keeps a well-formed reply', () => {
    expect(readForecast(good)?.points.length).toBe(6);
    expect(readForecast(good)?.cleanest?.g_per_kwh).toBe(55);
  });

  it.each([
    ['not an object', 'forecast'],
    ['no zone', { ...good, zone: 7 }],
    ['a point that is not a number', { ...good, points: [{ ...good.points[0], g_per_kwh: 'lots' }] }],
    ['an infinite point', { ...good, points: [{ ...good.points[0], g_per_kwh: Infinity }] }],
    ['a time that is not one', { ...good, points: [{ ...good.points[0], start: 'soon' }] }],
    ['too many hours', { ...good, points: Array(101).fill(good.points[0]) }]
  ])('refuses %s', (_why, raw) => {
    expect(readForecast(raw)).toBeNull();
  });

  it('drops a malformed window but keeps the hours', () => {
    const f = readForecast({ ...good, cleanest: { start: 'x' } });
    expect(f?.cleanest).toBeNull();
    expect(forecastChart(f!, units)?.shapes.map(s => s.part)).not.toContain('window');
  });
});

describe('forecastSource', () => {
  it('names the provider and the signal, and says it is an estimate', () => {
    expect(forecastSource(cases.forecast[0][0])).toBe("UK National Grid forecast, average signal: the provider's estimate, not a measurement");
    expect(forecastSource({ ...cases.forecast[0][0], source: 'WattTime forecast', signal: 'marginal' })).toContain('(what one more kWh would cause)');
  });
});
