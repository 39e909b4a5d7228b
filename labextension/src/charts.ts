/**
 * The panel's small charts: the running cell's projection and the forecast ahead. They draw
 * what the kernel computed (the `power` event's `projection`, the `forecast` reply) and
 * project nothing themselves. Each chart is first a list of shapes (testable without a DOM),
 * then SVG elements coloured by CSS classes on JupyterLab's variables (`style/index.css`),
 * with an accessible name that says in words what it shows. The kernel's live meter draws
 * the same two charts (`jupyter_carbon/kernel/charts.py`) with the same geometry.
 */
import { formatMass, IUnits } from './format';
import { IProjection, projectionText } from './projection';
import { IForecast, IForecastPoint } from './protocol';

export const CHART_WIDTH = 240;
export const BAR_HEIGHT = 14;
export const FORECAST_HEIGHT = 48;
/** The projection's scale ends this far past its highest figure, so the high bound shows. */
const HEADROOM = 1.05;

export interface IShape {
  tag: 'rect' | 'line';
  /** `jp-carbon-chart-<part>`: the colour comes from the stylesheet. */
  part: string;
  attrs: Record<string, number | string>;
}

export interface IChart {
  width: number;
  height: number;
  label: string;
  shapes: IShape[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Where the projection's marks go, in pixels from the left (`budget` null without one, or unpriced). */
export function projectionGeometry(
  p: IProjection,
  width = CHART_WIDTH
): { spent: number; low: number; high: number; projected: number; budget: number | null } {
  const budgetJ =
    p.budget_g !== null && p.budget_g > 0 && p.emissions_g && p.energy_j > 0 ? (p.budget_g * p.energy_j) / p.emissions_g : null;
  const scale = Math.max(p.high_j, p.energy_j, budgetJ ?? 0) * HEADROOM || 1;
  const x = (j: number) => round1(Math.max(0, Math.min(1, j / scale)) * width);
  return { spent: x(p.spent_j), low: x(p.low_j), high: x(p.high_j), projected: x(p.energy_j), budget: budgetJ === null ? null : x(budgetJ) };
}

/** Spent so far (solid), the bounds (band), the projected total (tick), the budget (dashed). */
export function projectionChart(p: IProjection, units: IUnits, width = CHART_WIDTH): IChart {
  const g = projectionGeometry(p, width);
  const h = BAR_HEIGHT;
  const shapes: IShape[] = [
    { tag: 'rect', part: 'track', attrs: { x: 0, y: 3, width, height: h - 6 } },
    { tag: 'rect', part: 'band', attrs: { x: g.low, y: 2, width: Math.max(1, round1(g.high - g.low)), height: h - 4 } },
    { tag: 'rect', part: 'spent', attrs: { x: 0, y: 4, width: g.spent, height: h - 8 } },
    { tag: 'line', part: 'projected', attrs: { x1: g.projected, x2: g.projected, y1: 0, y2: h } }
  ];
  if (g.budget !== null) {
    shapes.push({ tag: 'line', part: 'budget', attrs: { x1: g.budget, x2: g.budget, y1: 0, y2: h } });
  }
  return { width, height: h, label: `Projected for this cell: ${projectionText(p, units)}`, shapes };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const instant = (v: unknown): v is string => typeof v === 'string' && v.length <= 40 && Number.isFinite(Date.parse(v));
const hour = (v: unknown): v is IForecastPoint =>
  typeof v === 'object' && v !== null && instant((v as IForecastPoint).start) && instant((v as IForecastPoint).end) && finite((v as IForecastPoint).g_per_kwh);
/** More hours than the longest forecast offered (72) means the reply is not one. */
const MAX_POINTS = 100;

/**
 * The reply's forecast, or null where it is not one: a chart is drawn only from finite
 * numbers, real instants and at most 100 hours, whatever a kernel sends.
 */
export function readForecast(raw: unknown): IForecast | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const f = raw as Record<string, unknown>;
  const points = f.points;
  if (typeof f.zone !== 'string' || typeof f.text !== 'string' || !finite(f.hours) || !Array.isArray(points) || points.length > MAX_POINTS || !points.every(hour)) {
    return null;
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const number = (v: unknown) => (finite(v) ? v : null);
  return {
    zone: f.zone.slice(0, 64),
    source: text(f.source),
    signal: text(f.signal),
    hours: f.hours,
    length_s: number(f.length_s) ?? 0,
    power_w: number(f.power_w),
    points,
    cleanest: hour(f.cleanest) ? f.cleanest : null,
    now_g_per_kwh: number(f.now_g_per_kwh),
    saving_g: number(f.saving_g),
    text: f.text.slice(0, 4000)
  };
}

/** '14:00' in the browser's time zone (or `timeZone`). */
export function clock(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone });
}

/** The forecast chart's name in words, as the kernel's live meter words it. */
export function forecastLabel(f: IForecast, units: IUnits, timeZone?: string): string {
  if (!f.points.length) {
    return `No forecast for ${f.zone}`;
  }
  const values = f.points.map(p => p.g_per_kwh);
  let text = `Forecast for ${f.zone} (${f.signal} signal): ${Math.min(...values).toFixed(0)} to ${Math.max(...values).toFixed(0)} g/kWh over the next ${f.hours} h`;
  const w = f.cleanest;
  if (w) {
    text += `; cleanest window ${clock(w.start, timeZone)} to ${clock(w.end, timeZone)}, ${w.g_per_kwh.toFixed(0)} g/kWh`;
    if (f.saving_g !== null) {
      text += `, saving ${formatMass(f.saving_g, units.mass)} CO2e`;
    }
  }
  return text;
}

/** One bar per hour, as high as its intensity; the cleanest window's hours green and underlined. */
export function forecastChart(f: IForecast, units: IUnits, width = CHART_WIDTH, height = FORECAST_HEIGHT, timeZone?: string): IChart | null {
  if (!f.points.length) {
    return null;
  }
  const top = Math.max(...f.points.map(p => p.g_per_kwh)) || 1;
  const step = width / f.points.length;
  const w = f.cleanest;
  const inWindow = (p: IForecastPoint) => w !== null && Date.parse(p.start) < Date.parse(w.end) && Date.parse(p.end) > Date.parse(w.start);
  const shapes: IShape[] = f.points.map((p, i) => {
    const bar = ((height - 4) * p.g_per_kwh) / top;
    return {
      tag: 'rect',
      part: inWindow(p) ? 'clean' : 'hour',
      attrs: { x: round1(i * step + 0.5), y: round1(height - 4 - bar), width: round1(Math.max(1, step - 1)), height: round1(bar) }
    };
  });
  const held = f.points.map((p, i) => (inWindow(p) ? i : -1)).filter(i => i >= 0);
  if (held.length) {
    const first = held[0];
    const last = held[held.length - 1];
    shapes.push({ tag: 'rect', part: 'window', attrs: { x: round1(first * step), y: height - 3, width: round1((last - first + 1) * step), height: 3 } });
  }
  return { width, height, label: forecastLabel(f, units, timeZone), shapes };
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The chart as an `<svg role="img">` whose name (and tooltip) is its label. */
export function drawChart(chart: IChart, className: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', `jp-carbon-chart ${className}`);
  svg.setAttribute('width', String(chart.width));
  svg.setAttribute('height', String(chart.height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', chart.label);
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = chart.label;
  svg.appendChild(title);
  for (const shape of chart.shapes) {
    const node = document.createElementNS(SVG_NS, shape.tag);
    node.setAttribute('class', `jp-carbon-chart-${shape.part}`);
    for (const [key, value] of Object.entries(shape.attrs)) {
      node.setAttribute(key, String(value));
    }
    svg.appendChild(node);
  }
  return svg;
}
