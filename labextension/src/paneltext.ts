/**
 * What the carbon panel says, built from the model without a DOM so the tests can
 * check it: the totals, the components, one row per costly cell, the export buttons.
 */
import { IUnits, componentName, methodOf, formatCell, formatDuration, formatEnergy, formatMass, formatRange, isEstimate, plural } from './format';
import { IProjection, projectionShort } from './projection';
import { ExportFormat, ICellRecord, IForecast, IRecordWithFootprint, ITotals, readClusterTotals } from './protocol';
import { cellTotal, clusterTotalsText, sessionTotal } from './text';

/**
 * The panel's export buttons, in order, one per format the kernel writes. A `Record`
 * over `ExportFormat`, so a format added to the protocol fails to compile until it has
 * a button. The tooltip says what the file is.
 */
export const EXPORT_BUTTONS: Record<ExportFormat, { label: string; title: string }> = {
  json: { label: 'JSON', title: 'Every record and the totals, as JSON' },
  csv: { label: 'CSV', title: 'One row per cell, as CSV' },
  md: { label: 'Markdown', title: 'The report as Markdown' },
  html: { label: 'HTML', title: 'The report as a standalone HTML page' },
  latex: { label: 'LaTeX', title: 'The report as a LaTeX fragment' },
  codecarbon: { label: 'CodeCarbon', title: "CodeCarbon's emissions.csv columns" },
  'model-card': { label: 'Model card', title: 'An environmental-impact section for a model card' }
};

/** "3 cells over 12 s: 1.2 Wh, 0.07 g CO2e": the cells' total, kernel and cluster. */
export function totalsLine(t: ITotals, units: IUnits): string {
  const total = sessionTotal(t);
  if (readClusterTotals(t)) {
    return `${plural(t.cells, 'cell')} over ${formatDuration(t.duration_s)}: ${formatEnergy(total.energy_j, units.energy)}, ${formatMass(total.emissions_g, units.mass)} CO2e`;
  }
  const estimate = isEstimate(t.method);
  const energy = formatRange(t.energy_j, t.energy_bounds_j, 'energy', units.energy, estimate);
  return `${plural(t.cells, 'cell')} over ${formatDuration(t.duration_s)}: ${energy}, ${formatRange(t.emissions_g, t.emissions_bounds_g, 'mass', units.mass, estimate)} CO2e`;
}

/** One part of the session's footprint, as the panel's bar draws it. */
export interface ISplitPart {
  key: 'kernel' | 'cluster' | 'idle' | 'embodied';
  label: string;
  grams: number;
  /** Of the whole footprint, 0 to 1. */
  share: number;
  text: string;
}

/**
 * The footprint's parts that hold anything, in the order of the kernel's reports
 * (`prose.FOOTPRINT_PARTS`): the kernel's and the cluster's operational emissions, between
 * cells, embodied. Empty with fewer than two parts: there is nothing to split.
 */
export function splitParts(t: ITotals, units: IUnits): ISplitPart[] {
  const grams: [ISplitPart['key'], string, number][] = [
    ['kernel', 'kernel', t.emissions_g],
    ['cluster', 'cluster', t.cluster_emissions_g ?? 0],
    ['idle', 'between cells', t.idle_emissions_g ?? 0],
    ['embodied', 'embodied', t.embodied_g ?? 0]
  ];
  const held = grams.filter(([, , g]) => g > 0);
  const whole = held.reduce((sum, [, , g]) => sum + g, 0);
  if (held.length < 2 || whole <= 0) {
    return [];
  }
  return held.map(([key, label, g]) => ({
    key,
    label,
    grams: g,
    share: g / whole,
    text: `${label} ${formatMass(g, units.mass)} CO2e (${Math.round((g / whole) * 100)}%)`
  }));
}

/** "CPU 1.1 Wh (estimated), memory 0.1 Wh (estimated)"; empty before any cell. */
export function componentsLine(t: ITotals, units: IUnits): string {
  return Object.entries(t.by_component)
    .map(([c, j]) => `${componentName(c)} ${formatEnergy(j, units.energy)} (${methodOf(t.method, c) ?? '?'})`)
    .join(', ');
}

/** "Cluster: 3.0 Wh on 2 workers in 2 zones (FR, PL) over 1 cell, 3.7 mg CO2e"; empty without cluster work. */
export function clusterLine(t: ITotals, units: IUnits): string {
  const cluster = readClusterTotals(t);
  return cluster ? `Cluster: ${clusterTotalsText(cluster, units)}` : '';
}

/** One row of the costliest-cells table, as the panel shows it. */
export interface IPanelRow {
  /** `[3]` for a cell that ran as execution 3, else the record's index in the session. */
  label: string;
  source: string;
  energy: string;
  emissions: string;
  time: string;
  /** The cell to go to on click; null when the kernel was not told the cell's id. */
  cellId: string | null;
  title: string;
}

export const COSTLIEST_COLUMNS = ['#', 'cell', 'energy', 'CO2e', 'time'];

export function panelRow(r: ICellRecord, units: IUnits): IPanelRow {
  return {
    label: formatCell(r.execution_count, r.cell_position, r.index),
    // The first line says which cell it is; the rest would only be cut off.
    source: r.source.trim().split('\n')[0] || '(empty)',
    ...rowFigures(r, units),
    time: formatDuration(r.duration_s),
    cellId: r.cell_id || null,
    title: r.cell_id ? `Go to this cell:\n${r.source}` : "The kernel did not receive this cell's id"
  };
}

/** A listed cell's total, kernel and cluster: its footprint's, else (older kernels) its own figures. */
function recordTotal(r: ICellRecord): { energy_j: number; emissions_g: number | null } {
  const footprint = (r as IRecordWithFootprint).footprint;
  return footprint ? cellTotal(footprint) : { energy_j: r.energy_j, emissions_g: r.emissions_g };
}

/**
 * A row's energy and CO2e: the cell's total where a cluster adds to the kernel's part, else
 * the kernel's figures with their bounds (`≈` where estimated).
 */
function rowFigures(r: ICellRecord, units: IUnits): { energy: string; emissions: string } {
  const total = recordTotal(r);
  if (total.energy_j !== r.energy_j) {
    return { energy: formatEnergy(total.energy_j, units.energy), emissions: formatMass(total.emissions_g, units.mass) };
  }
  const estimate = isEstimate(r.method);
  return {
    energy: formatRange(r.energy_j, r.bounds?.energy_j, 'energy', units.energy, estimate),
    emissions: formatRange(r.emissions_g, r.bounds?.emissions_g, 'mass', units.mass, estimate)
  };
}

/** "This cell at this pace: ≈ 1.2 kWh, 400 g CO2e (38 %)": the status bar's words. */
export function runningLine(p: IProjection, units: IUnits): string {
  return `This cell at this pace: ${projectionShort(p, units)}`;
}

/** "UK National Grid forecast, average signal: the provider's estimate". */
export function forecastSource(f: IForecast): string {
  const marginal = f.signal === 'marginal' ? ' (what one more kWh would cause)' : '';
  return `${f.source ?? 'The provider'}, ${f.signal ?? 'unknown'} signal${marginal}: the provider's estimate, not a measurement`;
}
