/**
 * The popup behind the status-bar item: totals, region, the costliest cells (click one
 * to go to it) and export buttons that ask the kernel for a report and download it.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { drawChart, forecastChart, projectionChart, readForecast } from './charts';
import { downloadReport, errorText } from './exporting';
import { formatIntensity } from './format';
import { COSTLIEST, CarbonModel } from './model';
import { COSTLIEST_COLUMNS, EXPORT_BUTTONS, clusterLine, componentsLine, forecastSource, panelRow, runningLine, splitParts, totalsLine } from './paneltext';
import { readProjection } from './projection';
import { ExportFormat, ICellRecord, IForecastReply } from './protocol';
import { CarbonSettings } from './settings';
import { meteredByLine, statusTooltip } from './text';

export const PANEL_CLASS = 'jp-carbon-Panel';

export interface ICarbonPanelOptions {
  model: CarbonModel;
  settings: CarbonSettings;
  /** Scroll the notebook to this cell; false if it is not in the notebook any more. */
  goToCell: (cellId: string) => boolean;
}

export class CarbonPanel extends Widget {
  private _model: CarbonModel;
  private _settings: CarbonSettings;
  private _goToCell: (cellId: string) => boolean;
  private _cellShown = new Signal<this, string>(this);
  // Rebuilt on every change; the export buttons stay: a click must land on a node
  // still in the popup, or the popup takes it for a click outside and closes.
  private _body: HTMLElement;
  private _exports: HTMLElement;
  private _message: HTMLElement;
  // The forecast asked for from this panel: kept across renders, redrawn only when it comes.
  private _ahead: HTMLElement;
  private _aheadResult: HTMLElement;

  constructor(options: ICarbonPanelOptions) {
    super();
    this.addClass(PANEL_CLASS);
    // A dialog the keyboard can reach: opening focuses it, Tab goes through rows and buttons.
    this.node.setAttribute('role', 'dialog');
    this.node.setAttribute('aria-label', 'Energy and carbon of this kernel session');
    this.node.tabIndex = -1;
    this._model = options.model;
    this._settings = options.settings;
    this._goToCell = options.goToCell;
    el(this.node, 'h3', 'Energy and carbon of this kernel session');
    this._body = el(this.node, 'div', '');
    this._ahead = el(this.node, 'div', '');
    this._ahead.className = 'jp-carbon-ahead';
    const ask = el(this._ahead, 'button', 'Forecast the cleaner hours') as HTMLButtonElement;
    ask.className = 'jp-mod-styled jp-carbon-forecast';
    ask.title = "The grid's intensity for the next 12 hours and the cleanest hour, from the forecast provider this kernel is set to use";
    ask.onclick = () => void this.forecast();
    this._aheadResult = el(this._ahead, 'div', '');
    this._aheadResult.setAttribute('aria-live', 'polite');
    this._exports = el(this.node, 'div', '');
    this._exports.className = 'jp-carbon-exports';
    el(this._exports, 'span', 'Export the session:').className = 'jp-carbon-muted';
    const buttons = el(this._exports, 'div', '');
    buttons.className = 'jp-carbon-exportButtons';
    for (const [format, { label, title }] of Object.entries(EXPORT_BUTTONS)) {
      const button = el(buttons, 'button', label) as HTMLButtonElement;
      button.className = 'jp-mod-styled jp-carbon-export';
      button.title = title;
      button.dataset.format = format;
      button.onclick = () => void this.export(format as ExportFormat);
    }
    this._message = el(this.node, 'p', '');
    this._message.className = 'jp-carbon-muted jp-carbon-message';
    this._model.changed.connect(this.render, this);
    this._settings.changed.connect(this.render, this);
    this.render();
    // The kernel may know more than this page saw (cells from before a reload).
    void this._model.request('summary', { top: COSTLIEST }).then(
      () => this.render(),
      () => undefined
    );
  }

  /**
   * A row took the user to its cell (the id). Whoever shows the panel over the notebook
   * closes it here, so that it does not cover the cell the user asked to see.
   */
  get cellShown(): ISignal<this, string> {
    return this._cellShown;
  }

  /** Give the keyboard to the panel (its first row or button is one Tab away). */
  focus(): void {
    this.node.focus();
  }

  dispose(): void {
    this._model.changed.disconnect(this.render, this);
    this._settings.changed.disconnect(this.render, this);
    super.dispose();
  }

  /** The footprint's split as one stacked bar and its legend; nothing with fewer than two parts. */
  private _split(node: HTMLElement, parts: ReturnType<typeof splitParts>): void {
    if (!parts.length) {
      return;
    }
    const bar = el(node, 'div', '');
    bar.className = 'jp-carbon-split';
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', `Footprint by part: ${parts.map(p => p.text).join(', ')}`);
    const legend = el(node, 'ul', '');
    legend.className = 'jp-carbon-splitLegend';
    for (const p of parts) {
      const segment = el(bar, 'span', '');
      segment.className = `jp-carbon-split-${p.key}`;
      segment.style.width = `${(p.share * 100).toFixed(2)}%`;
      segment.title = p.text;
      el(legend, 'li', p.text).className = `jp-carbon-split-${p.key}`;
    }
  }

  /**
   * Draw the model's figures. The model changes with every kernel message, most of which
   * change nothing shown: the body is replaced only where its text changed, and a row the
   * keyboard was on gets the focus back (the same cell's row, else the panel), so a
   * keyboard user is never thrown out of the list by a redraw.
   */
  render(): void {
    const m = this._model;
    const metered = m.status !== 'unmetered' && m.status !== 'failed';
    this._exports.hidden = !metered;
    // The forecast is the kernel's to ask its provider for: the server answers no such request.
    this._ahead.hidden = !metered || m.meteredBy === 'server';
    const fresh = document.createElement('div');
    this._draw(fresh, metered);
    if (fresh.innerHTML === this._body.innerHTML) {
      return;
    }
    const active = document.activeElement;
    const focusedRow = active instanceof HTMLElement && this._body.contains(active) ? active.closest('tr.jp-carbon-cellRow') : null;
    this._body.textContent = '';
    this._body.append(...Array.from(fresh.childNodes));
    if (focusedRow instanceof HTMLElement) {
      const cellId = focusedRow.dataset.cellId;
      const again = cellId
        ? Array.from(this._body.querySelectorAll<HTMLElement>('tr.jp-carbon-cellRow')).find(row => row.dataset.cellId === cellId)
        : undefined;
      (again ?? this.node).focus();
    }
  }

  private _draw(node: HTMLElement, metered: boolean): void {
    const m = this._model;
    const units = this._settings.units;
    if (!metered) {
      el(node, 'p', m.status === 'failed' ? statusTooltip(m, units) : 'This kernel is not metered: run %load_ext jupyter_carbon in a cell.');
      return;
    }
    const projection = m.running ? readProjection(m.power) : null;
    if (projection) {
      const running = el(node, 'div', '');
      running.className = 'jp-carbon-running';
      el(running, 'p', runningLine(projection, units));
      running.appendChild(drawChart(projectionChart(projection, units), 'jp-carbon-projectionChart'));
    }
    el(node, 'p', totalsLine(m.totals, units)).className = 'jp-carbon-totals';
    const who = meteredByLine(m);
    if (who) {
      el(node, 'p', who).className = 'jp-carbon-muted jp-carbon-meteredBy';
    }
    const components = componentsLine(m.totals, units);
    if (components) {
      el(node, 'p', components).className = 'jp-carbon-muted';
    }
    const cluster = clusterLine(m.totals, units);
    if (cluster) {
      el(node, 'p', cluster).className = 'jp-carbon-muted jp-carbon-cluster';
    }
    this._split(node, splitParts(m.totals, units));
    el(node, 'p', `Region: ${formatIntensity(m.intensity)}`).className = 'jp-carbon-region';

    if (!m.costliest.length) {
      el(node, 'p', 'No cell metered yet.').className = 'jp-carbon-muted';
      return;
    }
    el(node, 'p', 'Costliest cells (click one to go to it):').className = 'jp-carbon-muted';
    const table = el(node, 'table', '');
    const head = el(table, 'tr', '');
    for (const [i, h] of COSTLIEST_COLUMNS.entries()) {
      el(head, 'th', h).className = `jp-carbon-col${i}`;
    }
    for (const r of m.costliest) {
      this._row(table, r);
    }
  }

  /** Ask the kernel for the report (it writes no file) and hand it to the browser. */
  async export(format: ExportFormat): Promise<void> {
    this._message.textContent = `Exporting ${EXPORT_BUTTONS[format].label}…`;
    try {
      const filename = await downloadReport(this._model, format);
      this._message.textContent = `Downloaded ${filename}.`;
    } catch (err) {
      this._message.textContent = `Export failed: ${errorText(err)}`;
    }
  }

  /** Ask the kernel for the forecast ahead (it asks its provider on a thread of its own) and draw it. */
  async forecast(): Promise<void> {
    const result = this._aheadResult;
    result.textContent = 'Asking for the forecast…';
    try {
      const reply = await this._model.request<IForecastReply>('forecast', { hours: 12, length: '1h' });
      const f = readForecast(reply.forecast);
      result.textContent = '';
      if (!f) {
        el(result, 'p', 'The kernel sent a forecast this panel cannot read.').className = 'jp-carbon-muted';
        return;
      }
      const chart = forecastChart(f, this._settings.units);
      if (!chart) {
        el(result, 'p', f.text).className = 'jp-carbon-muted jp-carbon-forecastText';
        return;
      }
      result.appendChild(drawChart(chart, 'jp-carbon-forecastChart'));
      el(result, 'p', chart.label).className = 'jp-carbon-forecastLabel';
      el(result, 'p', forecastSource(f)).className = 'jp-carbon-muted';
    } catch (err) {
      result.textContent = `No forecast: ${errorText(err)}`;
    }
  }

  private _row(table: HTMLElement, r: ICellRecord): void {
    const shown = panelRow(r, this._settings.units);
    const row = el(table, 'tr', '');
    row.className = 'jp-carbon-cellRow';
    for (const text of [shown.label, shown.source, shown.energy, shown.emissions, shown.time]) {
      el(row, 'td', text);
    }
    row.children[1].className = 'jp-carbon-source';
    row.dataset.cellId = shown.cellId ?? '';
    row.title = shown.title;
    row.tabIndex = 0;
    row.setAttribute('aria-label', `Go to ${shown.label}: ${shown.source}`);
    row.onkeydown = event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        row.click();
      }
    };
    row.onclick = () => {
      if (shown.cellId && this._goToCell(shown.cellId)) {
        this._cellShown.emit(shown.cellId);
      } else {
        this._message.textContent = 'That cell is not in this notebook any more.';
      }
    };
  }
}

function el(parent: HTMLElement, tag: string, text: string): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = text;
  parent.appendChild(node);
  return node;
}
