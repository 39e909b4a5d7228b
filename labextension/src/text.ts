/**
 * The words the views show, built from the model: kept apart from the widgets so the
 * tests can check them without a DOM.
 */
import {
  IUnits,
  componentName,
  formatComponents,
  formatDuration,
  formatEnergy,
  formatIntensity,
  formatMass,
  formatPower
} from './format';
import { CarbonModel } from './model';
import { ICellFootprint } from './protocol';

export const UNMETERED_TEXT = 'Carbon: not metered - load with %load_ext jupyter_carbon';

/** The status bar's text: live power while a cell runs, session totals at rest. */
export function statusText(model: CarbonModel, units: IUnits): string {
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
    const sofar = power?.cell_energy_j != null ? ` · cell ${formatEnergy(power.cell_energy_j, units.energy)}` : '';
    return `Carbon: ${watts}${sofar}`;
  }
  const t = model.totals;
  const off = model.enabled ? '' : ' (off)';
  return `Carbon: ${formatEnergy(t.energy_j, units.energy)} · ${formatMass(t.emissions_g, units.mass)} CO2e${off}`;
}

/** The tooltip: breakdown by component and method, zone, intensity, and where it came from. */
export function statusTooltip(model: CarbonModel, units: IUnits): string {
  if (model.status === 'unmetered') {
    return 'This Python kernel is not metered. Run %load_ext jupyter_carbon in a cell, or turn on "Load the kernel extension automatically" in the settings.';
  }
  if (model.status !== 'metered' && !model.sessionId) {
    return 'jupyter-carbon: waiting for the kernel';
  }
  const t = model.totals;
  const lines = [
    `jupyter-carbon ${model.version ?? ''}: ${t.cells} cell${t.cells === 1 ? '' : 's'} metered over ${formatDuration(t.duration_s)}${model.enabled ? '' : ' (metering off)'}`,
    `Energy: ${formatEnergy(t.energy_j, units.energy)}`
  ];
  for (const [c, j] of Object.entries(t.by_component)) {
    lines.push(`  ${componentName(c)}: ${formatEnergy(j, units.energy)} (${t.method[c] ?? 'unknown'})`);
  }
  lines.push(`Emissions: ${formatMass(t.emissions_g, units.mass)} CO2e`);
  if (t.idle_energy_j) {
    const idleMass = t.idle_emissions_g ? `, ${formatMass(t.idle_emissions_g, units.mass)} CO2e` : '';
    lines.push(
      `Between cells: ${formatEnergy(t.idle_energy_j, units.energy)} over ${formatDuration(t.idle_duration_s ?? 0)}${idleMass} (a held GPU, resident memory; not in the cells' figures)`
    );
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
  }
  lines.push('Click for the costliest cells and exports.');
  return lines.join('\n');
}

function formatComponentsPower(byComponent: Record<string, number>): string {
  return Object.entries(byComponent)
    .map(([c, w]) => `${componentName(c)} ${formatPower(w)}`)
    .join(', ');
}

/** The line under a cell: "carbon: 1.2 Wh · 0.5 g CO2e · 3.1 s · FR 56 g/kWh". */
export function footerText(meta: ICellFootprint, units: IUnits): string {
  const parts = [
    `${formatEnergy(meta.energy_j, units.energy)}`,
    `${formatMass(meta.emissions_g, units.mass)} CO2e`,
    formatDuration(meta.duration_s)
  ];
  if (meta.zone) {
    parts.push(meta.g_per_kwh != null ? `${meta.zone} ${Number(meta.g_per_kwh.toPrecision(3))} g/kWh` : meta.zone);
  }
  const status = meta.status !== 'ok' ? ` [${meta.status}]` : '';
  return `carbon: ${parts.join(' · ')}${status}`;
}

export function footerTooltip(meta: ICellFootprint, units: IUnits): string {
  return formatComponents(meta.by_component, meta.method, units.energy) || 'no components metered';
}
