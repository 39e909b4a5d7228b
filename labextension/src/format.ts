/**
 * Figures for people: the same rules as the kernel's `jupyter_carbon.report`
 * (`format_energy`, `format_mass`, `format_duration`), so the status bar, the
 * footer and `%carbon` print the same numbers for the same record.
 *
 * Units inside are joules, grams, watts and seconds; Wh, kWh and kg are for display.
 */

export type EnergyUnit = 'auto' | 'Wh' | 'kWh';
export type MassUnit = 'auto' | 'g' | 'kg';

export interface IUnits {
  energy: EnergyUnit;
  mass: MassUnit;
}

export const AUTO_UNITS: IUnits = { energy: 'auto', mass: 'auto' };

type Scale = ReadonlyArray<readonly [number, string]>;

const ENERGY: Scale = [
  [3.6, 'mWh'],
  [3600, 'Wh'],
  [3.6e6, 'kWh']
];
const MASS: Scale = [
  [1e-3, 'mg'],
  [1, 'g'],
  [1e3, 'kg'],
  [1e6, 't']
];

/** Two significant figures below 10, whole numbers above: what the meters can back. */
export function num(x: number): string {
  if (x > 0 && x < 1) {
    let decimals = 1 - Math.floor(Math.log10(x));
    // 0.09999 rounds up to 0.1, a place to the left of where it started: one decimal fewer.
    if (roundTo(x, decimals) >= 10 ** (2 - decimals)) {
      decimals -= 1;
    }
    if (roundTo(x, decimals) < 1) {
      return x.toFixed(decimals);
    }
  }
  if (x >= 9.95) {
    return x.toFixed(0);
  }
  if (x >= 1 || x > 0.95) {
    return x.toFixed(1);
  }
  return '0';
}

function roundTo(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/** `value` in the largest unit it reaches (units ascending); the smallest below that. */
function scaled(value: number | null | undefined, units: Scale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'n/a';
  }
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  let chosen = 0;
  units.forEach(([factor], i) => {
    if (v >= factor) {
      chosen = i;
    }
  });
  let text = num(v / units[chosen][0]);
  // 999.7 Wh rounds to "1000 Wh": say "1.0 kWh" instead.
  if (chosen + 1 < units.length && Number(text) >= units[chosen + 1][0] / units[chosen][0]) {
    chosen += 1;
    text = num(v / units[chosen][0]);
  }
  return `${sign}${text} ${units[chosen][1]}`;
}

/**
 * A fixed unit, by the rule of `num`. A figure below a thousandth of it would need more
 * zeros than digits ("0.00000376 kWh"): that one is said in the unit of `scale` that reads
 * best ("0.28 mWh"), never in scientific notation.
 */
function fixed(value: number | null | undefined, factor: number, unit: string, scale: Scale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'n/a';
  }
  const v = value / factor;
  if (v === 0) {
    return `0 ${unit}`;
  }
  if (Math.abs(v) < FIXED_FLOOR) {
    return scaled(value, scale);
  }
  return `${v < 0 ? '-' : ''}${num(Math.abs(v))} ${unit}`;
}

/** Below this many of a fixed unit, a figure goes to a unit that reads (see `fixed`). */
const FIXED_FLOOR = 0.001;

/** Joules as mWh, Wh or kWh (`auto`), or always in the unit the user chose. */
export function formatEnergy(joules: number | null | undefined, unit: EnergyUnit = 'auto'): string {
  if (unit === 'Wh') {
    return fixed(joules, 3600, 'Wh', ENERGY);
  }
  if (unit === 'kWh') {
    return fixed(joules, 3.6e6, 'kWh', ENERGY);
  }
  return scaled(joules, ENERGY);
}

/** Grams of CO2e as mg, g, kg or t (`auto`), or in the chosen unit; null (not priced) as n/a. */
export function formatMass(grams: number | null | undefined, unit: MassUnit = 'auto'): string {
  if (unit === 'g') {
    return fixed(grams, 1, 'g', MASS);
  }
  if (unit === 'kg') {
    return fixed(grams, 1e3, 'kg', MASS);
  }
  return scaled(grams, MASS);
}

/** Whether a figure is (partly) an estimate: any component a model estimated (`bounds.estimated`). */
export function isEstimate(method: Record<string, string> | null | undefined): boolean {
  return Object.values(method ?? {}).some(m => m === 'estimated');
}

/** Marks a figure that a model estimated rather than a counter measured. */
export const ESTIMATE_MARK = '\u2248';

const FIXED_FACTORS: Record<string, number> = { Wh: 3600, kWh: 3.6e6, g: 1, kg: 1e3 };

/**
 * A figure with its bounds in the figure's own unit, as `units.format_range`:
 * `≈1.2 Wh (0.80–1.9 Wh)`. Null bounds or equal ends: the figure alone.
 */
export function formatRange(
  value: number | null | undefined,
  bounds: ReadonlyArray<number> | null | undefined,
  kind: 'energy' | 'mass' = 'energy',
  unit: EnergyUnit | MassUnit = 'auto',
  estimate = false
): string {
  const text = kind === 'energy' ? formatEnergy(value, unit as EnergyUnit) : formatMass(value, unit as MassUnit);
  const mark = estimate && text !== 'n/a' ? ESTIMATE_MARK : '';
  if (
    text === 'n/a' ||
    !bounds ||
    bounds.length !== 2 ||
    !bounds.every(b => b !== null && Number.isFinite(b)) ||
    bounds[0] === bounds[1]
  ) {
    return mark + text;
  }
  const shown = text.slice(text.lastIndexOf(' ') + 1);
  const scale = kind === 'energy' ? ENERGY : MASS;
  const factor = scale.find(([, name]) => name === shown)?.[0] ?? FIXED_FACTORS[shown];
  // The ends by the figure's own rule (num), in any unit: never in e-notation.
  return `${mark}${text} (${num(bounds[0] / factor)}\u2013${num(bounds[1] / factor)} ${shown})`;
}

export function formatPower(watts: number | null | undefined): string {
  if (watts === null || watts === undefined || !Number.isFinite(watts)) {
    return 'n/a';
  }
  return watts >= 1000 ? `${num(watts / 1000)} kW` : `${num(watts)} W`;
}

/**
 * The one name every view gives a cell (as `units.format_cell`): `[3] cell 6`, the execution
 * count beside the cell and, where known, its place in the notebook; `#2`, its order in the
 * session, when it has neither.
 */
export function formatCell(
  executionCount: number | null | undefined,
  position?: number | null,
  index?: number | null
): string {
  const parts: string[] = [];
  if (executionCount !== null && executionCount !== undefined) {
    parts.push(`[${executionCount}]`);
  }
  if (position !== null && position !== undefined) {
    parts.push(`cell ${position}`);
  }
  if (parts.length === 0 && index !== null && index !== undefined) {
    parts.push(`#${index}`);
  }
  return parts.join(' ') || '–';
}

/** "12 ms", "2.5 s", "2 min 05 s", "3 h 07 min": as `units.format_duration`. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 1 && num(seconds) !== '1.0') {
    return `${num(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${num(seconds)} s`;
  }
  const total = Math.round(seconds);
  const minutes = Math.floor(total / 60);
  const s = total % 60;
  if (minutes < 60) {
    return `${minutes} min ${String(s).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "1 cell", "2 cells": as `units.plural`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "CPU 1.2 Wh estimated, memory 40 mWh estimated" */
export function formatComponents(
  byComponent: Record<string, number>,
  method: Record<string, string>,
  unit: EnergyUnit = 'auto'
): string {
  return Object.entries(byComponent)
    .map(([c, j]) => `${componentName(c)} ${formatEnergy(j, unit)} ${methodOf(method, c) ?? ''}`.trimEnd())
    .join(', ');
}

/**
 * How a component was metered, from a record's `method`: only the record's own keys, so a
 * component named `constructor` finds no function on Object's prototype.
 */
export function methodOf(method: Record<string, string>, component: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(method, component) ? method[component] : undefined;
}

const COMPONENT_NAMES = new Map([
  ['gpu', 'GPU'],
  ['cpu', 'CPU'],
  ['memory', 'memory']
]);

/** "CPU" for `cpu`; any other name as it is (a Map: `constructor` is not looked up on a prototype). */
export function componentName(component: string): string {
  return COMPONENT_NAMES.get(component) ?? component;
}

/** "zone FR 56 g/kWh (Electricity Maps 2025; config)", with live or guess noted. */
export function formatIntensity(intensity: IIntensityLike | null | undefined): string {
  if (!intensity) {
    return 'no carbon intensity';
  }
  let how = intensity.chosen_by ?? '';
  if (intensity.guess) {
    how = how && how !== 'default' ? `guessed from ${how}` : 'world average, no zone set';
  }
  let source = intensity.source ?? '';
  if (intensity.year && !source.includes(String(intensity.year))) {
    source = `${source} ${intensity.year}`.trim();
  }
  const signal = intensity.signal === 'marginal' ? ' marginal' : '';
  const live = intensity.live ? ' live' : '';
  const details = [source, how].filter(Boolean).join('; ');
  const g = intensity.g_per_kwh ?? 0;
  return `zone ${intensity.zone ?? '?'} ${Number(g.toPrecision(4))} g/kWh${signal}${live} (${details})`;
}

/** The fields of an intensity this module reads; see `IIntensity` in protocol.ts. */
export interface IIntensityLike {
  g_per_kwh?: number | null;
  zone?: string | null;
  source?: string | null;
  year?: number | null;
  signal?: string | null;
  chosen_by?: string | null;
  guess?: boolean | null;
  live?: boolean | null;
}
