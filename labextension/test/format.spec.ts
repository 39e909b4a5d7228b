import * as fs from 'fs';
import * as path from 'path';

import {
  EnergyUnit,
  IIntensityLike,
  MassUnit,
  formatCell,
  formatDuration,
  formatEnergy,
  formatIntensity,
  formatMass,
  formatPower,
  formatRange,
  num
} from '../src/format';

describe('num', () => {
  it('keeps two significant figures below 10 and whole numbers above', () => {
    expect(num(0.01234)).toBe('0.012');
    expect(num(3.44)).toBe('3.4');
    expect(num(9.96)).toBe('10');
    expect(num(123.4)).toBe('123');
    expect(num(0)).toBe('0');
  });
});

describe('formatEnergy', () => {
  it('scales like the kernel (mWh, Wh, kWh)', () => {
    expect(formatEnergy(36)).toBe('10 mWh');
    expect(formatEnergy(3600)).toBe('1.0 Wh');
    expect(formatEnergy(3.6e6 * 2.5)).toBe('2.5 kWh');
    // 999.7 Wh would print as "1000 Wh": it moves up a unit instead.
    expect(formatEnergy(999.7 * 3600)).toBe('1.0 kWh');
  });

  it('says n/a for what it cannot show', () => {
    expect(formatEnergy(null)).toBe('n/a');
    expect(formatEnergy(NaN)).toBe('n/a');
  });

  it('honours a fixed unit without rounding a small cell to zero', () => {
    expect(formatEnergy(36, 'Wh')).toBe('0.010 Wh');
    expect(formatEnergy(1.8e6, 'kWh')).toBe('0.50 kWh');
    // Unreadable in kWh ("2.78e-7 kWh", "0.000000278 kWh"): said in the unit that reads.
    expect(formatEnergy(1, 'kWh')).toBe('0.28 mWh');
    expect(formatEnergy(0, 'Wh')).toBe('0 Wh');
  });
});

describe('formatMass', () => {
  it('scales grams of CO2e', () => {
    expect(formatMass(0.0075)).toBe('7.5 mg');
    expect(formatMass(7.5)).toBe('7.5 g');
    expect(formatMass(7500)).toBe('7.5 kg');
    expect(formatMass(null)).toBe('n/a');
    expect(formatMass(7.5, 'kg')).toBe('0.0075 kg');
    expect(formatMass(0.0075, 'g')).toBe('0.0075 g');
  });
});

describe('formatPower and formatDuration', () => {
  it('formats watts and time', () => {
    expect(formatPower(12.2)).toBe('12 W');
    expect(formatPower(1500)).toBe('1.5 kW');
    expect(formatDuration(2.5)).toBe('2.5 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3 h 07 min');
  });
});

describe('formatIntensity', () => {
  it('names the zone, intensity, source and how it was chosen', () => {
    expect(
      formatIntensity({
        zone: 'CA-QC',
        g_per_kwh: 32,
        source: 'Electricity Maps',
        year: 2025,
        chosen_by: 'config'
      })
    ).toBe('zone CA-QC 32 g/kWh (Electricity Maps 2025; config)');
    expect(formatIntensity({ zone: 'WORLD', g_per_kwh: 480.123, guess: true, chosen_by: 'default' })).toBe(
      'zone WORLD 480.1 g/kWh (world average, no zone set)'
    );
    expect(formatIntensity(null)).toBe('no carbon intensity');
  });
});

/**
 * The cases pytest checks against the kernel's formatters too: one file, so the status
 * bar, the footer and `%carbon` cannot drift apart on the same number.
 */
describe('the shared formatting cases (tests/fixtures/format_cases.json)', () => {
  type Cases = {
    num: Array<[number, string]>;
    energy: Array<[number | null, EnergyUnit, string]>;
    mass: Array<[number | null, MassUnit, string]>;
    power: Array<[number | null, string]>;
    duration: Array<[number, string]>;
    intensity: Array<[IIntensityLike | null, string]>;
    cell: Array<[number | null, number | null, number | null, string]>;
    range: Array<[number | null, number[] | null, 'energy' | 'mass', EnergyUnit | MassUnit, boolean, string]>;
  };
  const cases: Cases = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'format_cases.json'), 'utf-8')
  );

  it('has cases of every kind', () => {
    for (const kind of ['num', 'energy', 'mass', 'power', 'duration', 'intensity', 'cell', 'range'] as const) {
      expect(cases[kind].length).toBeGreaterThan(0);
    }
  });

  it.each(cases.num)('num(%p) is %p', (x, expected) => {
    expect(num(x)).toBe(expected);
  });

  it.each(cases.energy)('formatEnergy(%p, %p) is %p', (joules, unit, expected) => {
    expect(formatEnergy(joules, unit)).toBe(expected);
  });

  it.each(cases.mass)('formatMass(%p, %p) is %p', (grams, unit, expected) => {
    expect(formatMass(grams, unit)).toBe(expected);
  });

  it.each(cases.power)('formatPower(%p) is %p', (watts, expected) => {
    expect(formatPower(watts)).toBe(expected);
  });

  it.each(cases.duration)('formatDuration(%p) is %p', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });

  it.each(cases.cell)('formatCell(%p, %p, %p) is %p', (executionCount, position, index, expected) => {
    expect(formatCell(executionCount, position, index)).toBe(expected);
  });

  it.each(cases.intensity)('formatIntensity(%j) is %p', (intensity, expected) => {
    expect(formatIntensity(intensity)).toBe(expected);
  });

  it.each(cases.range)('formatRange(%p, %j, %p, %p, %p) is %p', (value, bounds, kind, unit, estimate, expected) => {
    expect(formatRange(value, bounds, kind, unit, estimate)).toBe(expected);
  });
});
