/**
 * The words the views show, built from the model: kept apart from the widgets so the
 * tests can check them without a DOM.
 */
import { projectionShort, projectionText, readProjection } from './projection';
import {
  IUnits,
  componentName,
  formatComponents,
  formatDuration,
  formatEnergy,
  formatIntensity,
  formatMass,
  formatPower,
  methodOf,
  plural
} from './format';
import { ESTIMATE_MARK, formatRange, isEstimate } from './format';
import { CarbonModel, Stall } from './model';
import {
  IClusterPart,
  IClusterPower,
  IClusterTotals,
  ICellFootprint,
  ITotals,
  readClusterPower,
  readClusterTotals
} from './protocol';

/** Short, so the status bar keeps its other items: how to load it is in the tooltip. */
export const UNMETERED_TEXT = 'Carbon: not metered';

/**
 * Why no figures came, in the item's long and narrow forms and its tooltip: what is wrong
 * and what would put it right.
 */
export const STALL_WORDS: Record<Stall, { text: string; short: string; tooltip: string }> = {
  starting: {
    text: 'Carbon: kernel not started yet',
    short: 'Carbon: …',
    tooltip:
      'The notebook\'s kernel has not started yet, so nothing is metered. Metering begins when it answers. If it never does, see the kernel\'s status and the server\'s log, or pick another kernel (Kernel › Change Kernel…).'
  },
  busy: {
    text: 'Carbon: kernel busy',
    short: 'Carbon: busy',
    tooltip: 'The kernel is busy (a cell is running): jupyter-carbon gets its answer when the kernel is idle.'
  },
  silent: {
    text: 'Carbon: no answer from the kernel',
    short: 'Carbon: no answer',
    tooltip:
      'The kernel is idle but has not answered jupyter-carbon. Run %load_ext jupyter_carbon in a cell, or restart the kernel (Kernel › Restart Kernel…).'
  },
  unstarted: {
    text: 'Carbon: kernel did not start',
    short: 'Carbon: no kernel',
    tooltip:
      'The notebook\'s kernel died before it started, so nothing is metered. Its kernel or environment may be broken: see the server\'s log, then restart the kernel (Kernel › Restart Kernel…) or pick another (Kernel › Change Kernel…).'
  },
  dead: {
    text: 'Carbon: kernel died',
    short: 'Carbon: dead',
    tooltip: 'The kernel died, and its metering with it. Restart the kernel (Kernel › Restart Kernel…) to meter again.'
  },
  disconnected: {
    text: 'Carbon: kernel connection lost',
    short: 'Carbon: offline',
    tooltip:
      'This page lost its connection to the kernel (the server stopped, or the network is down): no figures reach it. Reload the page once the server is back.'
  }
};

/** The words for a meter with no answer (failed, or connecting past its patience); null otherwise. */
function stallWords(model: CarbonModel): (typeof STALL_WORDS)[Stall] | null {
  if (model.status === 'failed') {
    return STALL_WORDS[model.stall ?? 'dead'];
  }
  return model.status === 'connecting' && !model.sessionId && model.stall ? STALL_WORDS[model.stall] : null;
}

/** The status bar's text: live power while a cell runs, session totals at rest. */
export function statusText(model: CarbonModel, units: IUnits): string {
  const stalled = stallWords(model);
  if (stalled) {
    return stalled.text;
  }
  switch (model.status) {
    case 'unmetered':
      return UNMETERED_TEXT;
    case 'other':
      return '';
    case 'connecting':
      if (!model.sessionId) {
        return 'Carbon: connecting…';
      }
  }
  if (model.running) {
    const power = model.power;
    const watts = power ? formatPower(power.total_w) : '… W';
    const clusterPower = readClusterPower(power);
    const cluster = clusterPower ? ` · cluster ${formatPower(clusterPower.watts)}` : '';
    const sofar = power?.cell_energy_j != null ? ` · cell ${formatEnergy(power.cell_energy_j, units.energy)}` : '';
    const ahead = projectionShort(readProjection(power), units);
    return `Carbon: ${watts}${cluster}${sofar}${ahead ? ` · ${ahead}` : ''}`;
  }
  const t = model.totals;
  const off = model.enabled ? '' : ' (off)';
  const clusterTotals = readClusterTotals(t);
  const cluster = clusterTotals ? ` (kernel ${formatEnergy(t.energy_j, units.energy)} + cluster ${formatEnergy(clusterTotals.energy_j, units.energy)})` : '';
  const total = sessionTotal(t);
  return `Carbon: ${formatEnergy(total.energy_j, units.energy)} · ${formatMass(total.emissions_g, units.mass)} CO2e${cluster}${off}`;
}

/** The cells' total, kernel and cluster, as the kernel summed it (older kernels: the kernel's part). */
export function sessionTotal(t: ITotals): { energy_j: number; emissions_g: number } {
  return {
    energy_j: t.total_energy_j ?? t.energy_j + (t.cluster_energy_j ?? 0),
    emissions_g: t.total_emissions_g ?? t.emissions_g + (t.cluster_emissions_g ?? 0)
  };
}

/**
 * The status text for a narrow window: the session's total CO2e ("0.5 g CO2e"), "35 W"
 * while a cell runs; the long text stays in the item's label and tooltip.
 */
export function statusShortText(model: CarbonModel, units: IUnits): string {
  const stalled = stallWords(model);
  if (stalled) {
    return stalled.short;
  }
  switch (model.status) {
    case 'unmetered':
      return 'Carbon: off';
    case 'other':
      return '';
    case 'connecting':
      if (!model.sessionId) {
        return 'Carbon: …';
      }
  }
  if (model.running) {
    return model.power ? formatPower(model.power.total_w) : '… W';
  }
  // The session's total CO2e alone: beside Lab's own items and resource-usage's, a
  // 1024 px bar has no room for the energy too (it stays in the label and tooltip).
  return `${formatMass(sessionTotal(model.totals).emissions_g, units.mass)} CO2e${model.enabled ? '' : ' (off)'}`;
}

/** The tooltip: breakdown by component and method, zone, intensity, and where it came from. */
export function statusTooltip(model: CarbonModel, units: IUnits): string {
  if (model.status === 'unmetered') {
    return 'This Python kernel is not metered. Run %load_ext jupyter_carbon in a cell, or turn on "Load the kernel extension automatically" in the settings.';
  }
  const stalled = stallWords(model);
  if (stalled) {
    return stalled.tooltip;
  }
  if (model.status !== 'metered' && !model.sessionId) {
    return 'jupyter-carbon: waiting for the kernel';
  }
  const t = model.totals;
  const lines = [
    `jupyter-carbon ${model.version ?? ''}: ${plural(t.cells, 'cell')} metered over ${formatDuration(t.duration_s)}${model.enabled ? '' : ' (metering off)'}`,
    readClusterTotals(t)
      ? `Energy: ${formatEnergy(sessionTotal(t).energy_j, units.energy)} (kernel ${formatRange(t.energy_j, t.energy_bounds_j, 'energy', units.energy, isEstimate(t.method))} + cluster)`
      : `Energy: ${formatRange(t.energy_j, t.energy_bounds_j, 'energy', units.energy, isEstimate(t.method))}`
  ];
  const who = meteredByLine(model);
  if (who) {
    lines.splice(1, 0, who);
  }
  for (const [c, j] of Object.entries(t.by_component)) {
    lines.push(`  ${componentName(c)}: ${formatEnergy(j, units.energy)} (${methodOf(t.method, c) ?? 'unknown'})`);
  }
  lines.push(
    readClusterTotals(t)
      ? `Emissions: ${formatMass(sessionTotal(t).emissions_g, units.mass)} CO2e`
      : `Emissions: ${formatRange(t.emissions_g, t.emissions_bounds_g, 'mass', units.mass, isEstimate(t.method))} CO2e`
  );
  if (t.idle_energy_j) {
    const idleMass = t.idle_emissions_g ? `, ${formatMass(t.idle_emissions_g, units.mass)} CO2e` : '';
    lines.push(
      `Between cells: ${formatEnergy(t.idle_energy_j, units.energy)} over ${formatDuration(t.idle_duration_s ?? 0)}${idleMass} (${idleWhat(model)}; not in the cells' figures)`
    );
  }
  const cluster = readClusterTotals(t);
  if (cluster) {
    lines.push(`Cluster: ${clusterTotalsText(cluster, units)} (in the total above)`);
  }
  if (t.embodied_g) {
    lines.push(`Embodied: ${formatMass(t.embodied_g, units.mass)} CO2e (hardware manufacturing; not in the total above)`);
  }
  if (t.footprint_g && t.footprint_g !== sessionTotal(t).emissions_g) {
    lines.push(`Footprint: ${formatMass(t.footprint_g, units.mass)} CO2e (cells, between cells, embodied)`);
  }
  if (t.sci_g != null && t.unit) {
    lines.push(`SCI: ${formatMass(t.sci_g, units.mass)} CO2e per unit (R = ${t.unit_quantity} ${t.unit})`);
  }
  lines.push(`Grid: ${formatIntensity(model.intensity)}`);
  const pue = model.intensity?.pue;
  if (pue && pue !== 1) {
    lines.push(`PUE: ${pue}`);
  }
  if (model.devices.length) {
    lines.push(`Devices: ${model.devices.map(d => `${d.name} (${d.method})`).join(', ')}`);
  }
  if (model.running && model.power) {
    lines.push(`Now: ${formatPower(model.power.total_w)} (${formatComponentsPower(model.power.by_component)})`);
    const clusterNow = clusterPowerText(readClusterPower(model.power));
    if (clusterNow) {
      lines.push(`Now on the cluster: ${clusterNow}`);
    }
    const ahead = projectionText(readProjection(model.power), units);
    if (ahead) {
      lines.push(`Projected for this cell: ${ahead} (an estimate from the progress it reports)`);
    }
  }
  lines.push('Click for the costliest cells and exports.');
  return lines.join('\n');
}

/**
 * Who meters this kernel, when it is not the kernel itself, in one line: the server meters
 * a kernel's processes per execution from outside, without the kernel extension's GPU
 * sync at cell edges or its charging of Dask and Ray work; for a Python kernel, the line
 * says what `%load_ext` would add. Once the kernel meters itself, the cells the server
 * metered before are still in the totals, and the line says how many. Null otherwise.
 */
export function meteredByLine(model: CarbonModel): string | null {
  if (model.meteredBy === 'server') {
    return model.language === 'python'
      ? `Metered by the Jupyter server from outside the kernel; ${LOAD_HINT}`
      : 'Metered by the Jupyter server from outside the kernel (its processes, per execution).';
  }
  const carried = model.carried?.cells ?? 0;
  return carried > 0 ? `Includes ${plural(carried, 'cell')} the Jupyter server metered before %load_ext jupyter_carbon.` : null;
}

const LOAD_HINT = '%load_ext jupyter_carbon adds GPU sync at cell edges and Dask/Ray charging.';

/** What the kernel is charged for between cells: a GPU it holds only where it metered one. */
function idleWhat(model: CarbonModel): string {
  const gpu = model.devices.some(d => d.component === 'gpu') || 'gpu' in (model.totals.idle_by_component ?? {});
  return gpu ? 'a held GPU, resident memory' : 'resident memory';
}

function formatComponentsPower(byComponent: Record<string, number>): string {
  return Object.entries(byComponent)
    .map(([c, w]) => `${componentName(c)} ${formatPower(w)}`)
    .join(', ');
}

/**
 * The line under a cell: "carbon: 1.2 Wh · 0.5 g CO2e · 3.1 s · FR 56 g/kWh". With a cluster
 * part it leads with the cell's total: "carbon: total 10 mWh · 2.0 mg CO2e · … = kernel
 * 0.13 mWh + cluster 10 mWh on 2 workers …"; then the named parts (embodied, SCI). The
 * kernel's `%%carbon` line says the same figures (tests/fixtures/cell_totals.json).
 */
export function footerText(meta: ICellFootprint, units: IUnits): string {
  const mark = isEstimate(meta.method) ? ESTIMATE_MARK : '';
  const clusterPart = meta.cluster ? clusterText(meta.cluster, units) : '';
  const parts = clusterPart
    ? [`total ${formatEnergy(cellTotal(meta).energy_j, units.energy)}`, `${formatMass(cellTotal(meta).emissions_g, units.mass)} CO2e`]
    : [`${mark}${formatEnergy(meta.energy_j, units.energy)}`, `${meta.emissions_g === null ? '' : mark}${formatMass(meta.emissions_g, units.mass)} CO2e`];
  parts.push(formatDuration(meta.duration_s));
  if (meta.zone) {
    parts.push(meta.g_per_kwh != null ? `${meta.zone} ${Number(meta.g_per_kwh.toPrecision(3))} g/kWh` : meta.zone);
  }
  const status = meta.status !== 'ok' ? ` [${meta.status}]` : '';
  const split = clusterPart ? ` = kernel ${mark}${formatEnergy(meta.energy_j, units.energy)} + ${clusterPart}` : '';
  return `carbon: ${parts.join(' · ')}${status}${split}${namedPartsText(meta, units)}`;
}

/** The cell's total, kernel and cluster, as the kernel computed it (older metadata: summed here). */
export function cellTotal(meta: ICellFootprint): { energy_j: number; emissions_g: number | null } {
  if (meta.total_energy_j != null) {
    return { energy_j: meta.total_energy_j, emissions_g: meta.total_emissions_g ?? null };
  }
  const c = meta.cluster;
  const grams = meta.emissions_g == null && c?.emissions_g == null ? null : (meta.emissions_g ?? 0) + (c?.emissions_g ?? 0);
  return { energy_j: meta.energy_j + (c?.energy_j ?? 0), emissions_g: grams };
}

/** " · embodied 0.4 mg CO2e (5-year lifetime) · SCI 2 µg CO2e per unit (R = 1000 samples)", as `text.named_parts`. */
export function namedPartsText(meta: ICellFootprint, units: IUnits): string {
  let out = '';
  if (meta.embodied_g != null) {
    out += ` · embodied ${formatMass(meta.embodied_g, units.mass)} CO2e (${meta.lifetime_years ?? 0}-year lifetime)`;
  }
  if (meta.sci_g != null && meta.functional_unit) {
    const u = meta.functional_unit;
    out += ` · SCI ${formatMass(meta.sci_g, units.mass)} CO2e per unit (R = ${u.quantity} ${u.unit})`;
  }
  return out;
}

/**
 * "cluster 3.0 Wh on 2 workers in 2 zones → 3.7 mg CO2e", saying what is missing if the
 * part is incomplete; "" for a complete part that charged no worker: the words of the kernel's `%%carbon` line (`text.cluster_text`;
 * both are checked against tests/fixtures/cluster_texts.json).
 */
export function clusterText(part: IClusterPart, units: IUnits): string {
  if (part.complete && !part.workers) {
    return ''; // its workers are counted in the kernel's own figures
  }
  const where = zonesText(part.zones, false);
  const priced = part.emissions_g !== null ? ` → ${formatMass(part.emissions_g, units.mass)} CO2e` : '';
  const carried = part.carried ? ' incl. work left running by the previous cell' : '';
  const missing = part.complete ? '' : part.note ? ` (incomplete: ${part.note})` : ' (incomplete)';
  return `cluster ${formatEnergy(part.energy_j, units.energy)} on ${plural(part.workers, 'worker')}${where}${priced}${carried}${missing}`;
}

/** "cluster 120 W on 8 workers": a `power` event's cluster part; "" without one. */
export function clusterPowerText(power: IClusterPower | null): string {
  return power ? `cluster ${formatPower(power.watts)} on ${plural(power.workers, 'worker')}` : '';
}

/** "3.0 Wh on 2 workers in 2 zones (FR, PL) over 1 cell, 3.7 mg CO2e": the session's cluster work. */
export function clusterTotalsText(c: IClusterTotals, units: IUnits): string {
  const where = zonesText(c.zones, true);
  return `${formatEnergy(c.energy_j, units.energy)} on ${plural(c.workers, 'worker')}${where} over ${plural(c.cells, 'cell')}, ${formatMass(c.emissions_g, units.mass)} CO2e`;
}

/** A footer for metadata that fails the footprint schema: no figure from it is shown. */
export const UNREADABLE_FOOTPRINT = 'carbon: unreadable footprint';

export function unreadableTooltip(reason: string): string {
  return `This cell's jupyter_carbon metadata is not a footprint this version can read (${reason}), so no figure from it is shown. Run the cell to measure it.`;
}

/** Words before a footer whose figures describe something other than the cell as it is now. */
const AGE_WORDS: Record<string, [string, string]> = {
  copied: ['copied from another cell, not run here ·', 'These figures came with a copy of another cell: this one has not been metered.'],
  rerun: ['from an earlier run ·', 'These figures are from an earlier run of this cell: it ran again since, unmetered.'],
  edited: ['before the last edit ·', 'These figures are from an earlier version of this cell: run it again to measure what it says now.']
};

/** "before the last edit ·" for an edited cell's footer; "" for figures that are current. */
export function footerAgeLabel(age: string): string {
  return Object.prototype.hasOwnProperty.call(AGE_WORDS, age) ? AGE_WORDS[age][0] : '';
}

export function footerAgeTooltip(age: string): string {
  return Object.prototype.hasOwnProperty.call(AGE_WORDS, age) ? AGE_WORDS[age][1] : '';
}

export function footerTooltip(meta: ICellFootprint, units: IUnits): string {
  const components = formatComponents(meta.by_component, meta.method, units.energy) || 'no components metered';
  const estimate = isEstimate(meta.method);
  const energy = formatRange(meta.energy_j, meta.bounds?.energy_j, 'energy', units.energy, estimate);
  const mass = formatRange(meta.emissions_g, meta.bounds?.emissions_g, 'mass', units.mass, estimate);
  const how = estimate ? ' (≈: estimated by a power model; in brackets, how low and how high it may be)' : '';
  return `${components}\nEnergy: ${energy}; emissions: ${mass} CO2e${how}`;
}

/** " in FR", " in 2 zones" (naming them if `named`), "" without a zone. */
function zonesText(zones: string[], named: boolean): string {
  if (zones.length > 1) {
    return ` in ${plural(zones.length, 'zone')}${named ? ` (${zones.join(', ')})` : ''}`;
  }
  return zones.length ? ` in ${zones[0]}` : '';
}
