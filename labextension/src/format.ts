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
    const decimals = 1 - Math.floor(Math.log10(x));
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

/** A fixed unit: three significant figures, so a small cell still shows as non-zero. */
function fixed(value: number | null | undefined, factor: number, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'n/a';
  }
  const v = value / factor;
  if (v === 0) {
    return `0 ${unit}`;
  }
  const text = Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
  return `${text} ${unit}`;
}

/** Joules as mWh, Wh or kWh (`auto`), or always in the unit the user chose. */
export function formatEnergy(joules: number | null | undefined, unit: EnergyUnit = 'auto'): string {
  if (unit === 'Wh') {
    return fixed(joules, 3600, 'Wh');
  }
  if (unit === 'kWh') {
    return fixed(joules, 3.6e6, 'kWh');
  }
  return scaled(joules, ENERGY);
}

/** Grams of CO2e as mg, g, kg or t (`auto`), or in the chosen unit; null (not priced) as n/a. */
export function formatMass(grams: number | null | undefined, unit: MassUnit = 'auto'): string {
  if (unit === 'g') {
    return fixed(grams, 1, 'g');
  }
  if (unit === 'kg') {
    return fixed(grams, 1e3, 'kg');
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

function three(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

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
  const each = unit === 'auto' ? num : three;
  return `${mark}${text} (${each(bounds[0] / factor)}\u2013${each(bounds[1] / factor)} ${shown})`;
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

export function formatDuration(seconds: number): string {
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
    .map(([c, j]) => `${componentName(c)} ${formatEnergy(j, unit)} ${method[c] ?? ''}`.trimEnd())
    .join(', ');
}

const COMPONENT_NAMES: Record<string, string> = { gpu: 'GPU', cpu: 'CPU', memory: 'memory' };

export function componentName(component: string): string {
  return COMPONENT_NAMES[component] ?? component;
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
