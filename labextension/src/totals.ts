/**
 * Two sessions' totals as one: a Python kernel the server metered until the user ran
 * `%load_ext jupyter_carbon` has two ledgers, the server's (the cells before) and the
 * kernel's (every cell after). Each cell is in exactly one of them, so the notebook's
 * figures are their sum: what the status bar and the panel keep showing across the switch.
 *
 * Sums and bounds add (the low of a sum is the sum of the lows); a component's method is
 * the less sure of the two; figures per unit (SCI) cannot be added without the units' own
 * sum, so they are left out of a combined total rather than shown wrong.
 */
import { ITotals } from './protocol';

/** Fields that are plain sums over cells and idle spans. */
const ADDED = [
  'cells',
  'errors',
  'duration_s',
  'energy_j',
  'device_energy_j',
  'facility_energy_j',
  'emissions_g',
  'idle_spans',
  'idle_duration_s',
  'idle_energy_j',
  'idle_emissions_g',
  'cluster_cells',
  'cluster_energy_j',
  'cluster_facility_energy_j',
  'cluster_emissions_g',
  'total_energy_j',
  'total_emissions_g',
  'footprint_g',
  'embodied_g',
  'embodied_low_g',
  'embodied_high_g'
] as const;

/** From the least sure to the surest (docs/methodology.md). */
const SURENESS = ['estimated', 'integrated', 'measured'];

export function addTotals(a: ITotals, b: ITotals): ITotals {
  const sum: Record<string, unknown> = { ...b };
  for (const key of ADDED) {
    const x = a[key];
    const y = b[key];
    if (x !== undefined || y !== undefined) {
      sum[key] = (x ?? 0) + (y ?? 0);
    }
  }
  sum.by_component = addMaps(a.by_component, b.by_component);
  if (a.idle_by_component || b.idle_by_component) {
    sum.idle_by_component = addMaps(a.idle_by_component ?? {}, b.idle_by_component ?? {});
  }
  sum.method = lessSure(a.method, b.method);
  sum.energy_bounds_j = addBounds(a.energy_bounds_j, b.energy_bounds_j, a.energy_j, b.energy_j);
  sum.emissions_bounds_g = addBounds(a.emissions_bounds_g, b.emissions_bounds_g, a.emissions_g, b.emissions_g);
  if (a.cluster_nodes || b.cluster_nodes) {
    sum.cluster_nodes = [...new Set([...(a.cluster_nodes ?? []), ...(b.cluster_nodes ?? [])])];
  }
  if (a.cluster_zones || b.cluster_zones) {
    sum.cluster_zones = [...new Set([...(a.cluster_zones ?? []), ...(b.cluster_zones ?? [])])];
  }
  if (a.cells > 0) {
    sum.sci_g = null;
  }
  return sum as unknown as ITotals;
}

function addMaps(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}

function lessSure(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const method: Record<string, string> = { ...a };
  for (const [component, m] of Object.entries(b)) {
    const other = method[component];
    method[component] = other === undefined || SURENESS.indexOf(m) < SURENESS.indexOf(other) ? m : other;
  }
  return method;
}

/** Low and high of a sum; a side without bounds counts as exact (its figure both ways). */
function addBounds(a: number[] | undefined, b: number[] | undefined, x: number, y: number): number[] | undefined {
  if (!a && !b) {
    return undefined;
  }
  const [aLow, aHigh] = a ?? [x, x];
  const [bLow, bHigh] = b ?? [y, y];
  return [aLow + bLow, aHigh + bHigh];
}
