/**
 * What the carbon panel says, built from the model without a DOM so the tests can
 * check it: the totals, the components, one row per costly cell, the export buttons.
 */
import { IUnits, componentName, formatCell, formatDuration, formatEnergy, plural } from './format';
import { formatRange, isEstimate } from './format';
import { ExportFormat, ICellRecord, ITotals, readClusterTotals } from './protocol';
import { clusterTotalsText } from './text';

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

/** "3 cells over 12 s: 1.2 Wh, 0.07 g CO2e". */
export function totalsLine(t: ITotals, units: IUnits): string {
  const estimate = isEstimate(t.method);
  const energy = formatRange(t.energy_j, t.energy_bounds_j, 'energy', units.energy, estimate);
  return `${plural(t.cells, 'cell')} over ${formatDuration(t.duration_s)}: ${energy}, ${formatRange(t.emissions_g, t.emissions_bounds_g, 'mass', units.mass, estimate)} CO2e`;
}

/** "CPU 1.1 Wh (estimated), memory 0.1 Wh (estimated)"; empty before any cell. */
export function componentsLine(t: ITotals, units: IUnits): string {
  return Object.entries(t.by_component)
    .map(([c, j]) => `${componentName(c)} ${formatEnergy(j, units.energy)} (${t.method[c] ?? '?'})`)
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
    energy: formatRange(r.energy_j, r.bounds?.energy_j, 'energy', units.energy, isEstimate(r.method)),
    emissions: formatRange(r.emissions_g, r.bounds?.emissions_g, 'mass', units.mass, isEstimate(r.method)),
    time: formatDuration(r.duration_s),
    cellId: r.cell_id || null,
    title: r.cell_id ? `Go to this cell:\n${r.source}` : "The kernel did not receive this cell's id"
  };
}
