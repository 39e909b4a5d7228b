import * as fs from 'fs';
import * as path from 'path';

import { AUTO_UNITS, EnergyUnit, MassUnit } from '../src/format';
import { CarbonModel } from '../src/model';
import { statusText, statusTooltip } from '../src/text';
import { HELLO } from './kernel-fakes';
import { projectionShort, projectionText, readProjection } from '../src/projection';
import { IPower } from '../src/protocol';

function power(projection: unknown): IPower {
  return { type: 'power', time_s: 1, by_component: {}, total_w: 10, cell_id: 'c', cell_energy_j: 5, projection } as IPower;
}

/** The cases pytest checks the kernel's `text.projection_text` against too. */
describe('the shared projection texts (tests/fixtures/projection_texts.json)', () => {
  type Case = [Record<string, unknown>, EnergyUnit, MassUnit, string];
  const cases: Case[] = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'projection_texts.json'), 'utf-8')
  );

  it.each(cases)('projectionText(%j, %p, %p) is %p', (p, energy, mass, expected) => {
    expect(projectionText(readProjection(power(p)), { energy, mass })).toBe(expected);
  });
});

describe('readProjection', () => {
  it('is null without a projection or with a malformed one', () => {
    expect(readProjection(null)).toBeNull();
    expect(readProjection(power(undefined))).toBeNull();
    expect(readProjection(power({ fraction: 'half', energy_j: 1, low_j: 1, high_j: 1, spent_j: 1 }))).toBeNull();
    expect(projectionText(null, { energy: 'auto', mass: 'auto' })).toBe('');
  });

  it('gives the status bar a short form', () => {
    const p = readProjection(power({ fraction: 0.38, energy_j: 4.32e6, low_j: 3.6e6, high_j: 5.4e6, spent_j: 1e6, emissions_g: 400 }));
    expect(projectionShort(p, { energy: 'auto', mass: 'auto' })).toBe('≈ 1.2 kWh, 400 g CO2e (38 %)');
    const over = readProjection(power({ ...p, budget_g: 300, over_budget: true }));
    expect(projectionShort(over, { energy: 'auto', mass: 'auto' })).toBe('≈ 1.2 kWh, 400 g CO2e (38 %) · over the 300 g budget');
  });
});

describe('the status bar and its tooltip while a cell runs', () => {
  it('show the projection when the kernel sends one, and nothing when it does not', () => {
    const model = new CarbonModel();
    model.handle(HELLO);
    model.handle({ type: 'cell_start', protocol: 1, cell_id: 'c2', execution_count: 2, index: 2, started_at: '' });
    const p = { fraction: 0.38, energy_j: 4.32e6, low_j: 3.6e6, high_j: 5.4e6, spent_j: 1e6, emissions_g: 400 };
    model.handle({ ...power(p), protocol: 1, total_w: 12, cell_energy_j: 1080, cell_id: 'c2' });
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 12 W · cell 300 mWh · ≈ 1.2 kWh, 400 g CO2e (38 %)');
    expect(statusTooltip(model, AUTO_UNITS)).toContain('Projected for this cell: ≈ 1.2 kWh (1.0 kWh–1.5 kWh), 400 g CO2e at this pace; 38 % done');
    model.handle({ ...power(null), protocol: 1, total_w: 12, cell_energy_j: 1080, cell_id: 'c2' });
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 12 W · cell 300 mWh');
  });
});
