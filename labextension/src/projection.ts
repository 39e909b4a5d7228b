/**
 * A running cell's projected total, as the kernel sends it in `power` events (see
 * docs/protocol.md): the energy and CO2e at 100 % of the progress its bars report, with
 * bounds. Worded as the kernel's live meter words it (`text.projection_text`).
 */
import { formatEnergy, formatMass, IUnits } from './format';
import { IPower } from './protocol';

export interface IProjection {
  fraction: number;
  energy_j: number;
  low_j: number;
  high_j: number;
  spent_j: number;
  emissions_g: number | null;
  low_g: number | null;
  high_g: number | null;
  /** `%carbon budget` in grams, and whether the projection crossed it in this cell. */
  budget_g: number | null;
  over_budget: boolean;
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The power event's projection, or null where there is none or it is malformed. */
export function readProjection(power: IPower | null | undefined): IProjection | null {
  const p = (power as { projection?: unknown } | null | undefined)?.projection;
  if (typeof p !== 'object' || p === null) {
    return null;
  }
  const r = p as Record<string, unknown>;
  for (const key of ['fraction', 'energy_j', 'low_j', 'high_j', 'spent_j']) {
    if (!isNumber(r[key])) {
      return null;
    }
  }
  const grams = (key: string): number | null => (isNumber(r[key]) ? (r[key] as number) : null);
  return {
    fraction: r.fraction as number,
    energy_j: r.energy_j as number,
    low_j: r.low_j as number,
    high_j: r.high_j as number,
    spent_j: r.spent_j as number,
    emissions_g: grams('emissions_g'),
    low_g: grams('low_g'),
    high_g: grams('high_g'),
    budget_g: grams('budget_g'),
    over_budget: r.over_budget === true
  };
}

/** "≈ 1.2 kWh (1.0 kWh–1.5 kWh), 400 g CO2e at this pace; 38 % done"; "" without one. */
export function projectionText(p: IProjection | null, units: IUnits): string {
  if (!p) {
    return '';
  }
  const energy = (j: number) => formatEnergy(j, units.energy);
  const co2 = p.emissions_g !== null ? `, ${formatMass(p.emissions_g, units.mass)} CO2e` : '';
  return `≈ ${energy(p.energy_j)} (${energy(p.low_j)}–${energy(p.high_j)})${co2} at this pace; ${Math.round(100 * p.fraction)} % done`;
}

/** The status bar's short form: "≈ 1.2 kWh, 400 g CO2e (38 %)"; "" without one. */
export function projectionShort(p: IProjection | null, units: IUnits): string {
  if (!p) {
    return '';
  }
  const co2 = p.emissions_g !== null ? `, ${formatMass(p.emissions_g, units.mass)} CO2e` : '';
  const over = p.over_budget && p.budget_g !== null ? ` · over the ${formatMass(p.budget_g, units.mass)} budget` : '';
  return `≈ ${formatEnergy(p.energy_j, units.energy)}${co2} (${Math.round(100 * p.fraction)} %)${over}`;
}
