/**
 * The popup behind the status-bar item: totals, region, the costliest cells (click one
 * to go to it) and export buttons that ask the kernel for a report and download it.
 */
import { Widget } from '@lumino/widgets';

import { downloadText } from './download';
import {
  componentName,
  formatCell,
  formatDuration,
  formatEnergy,
  formatIntensity,
  formatMass
} from './format';
import { CarbonModel } from './model';
import { ExportFormat, ICellRecord, IExportReply } from './protocol';
import { CarbonSettings } from './settings';

export const PANEL_CLASS = 'jp-carbon-Panel';

export const EXPORT_FORMATS: ReadonlyArray<[ExportFormat, string]> = [
  ['json', 'JSON'],
  ['csv', 'CSV'],
  ['html', 'HTML'],
  ['codecarbon', 'CodeCarbon CSV'],
  ['model-card', 'Model card']
];

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
  // Rebuilt on every change; the export buttons stay: a click must land on a node
  // still in the popup, or the popup takes it for a click outside and closes.
  private _body: HTMLElement;
  private _exports: HTMLElement;
  private _message: HTMLElement;

  constructor(options: ICarbonPanelOptions) {
    super();
    this.addClass(PANEL_CLASS);
    this._model = options.model;
    this._settings = options.settings;
    this._goToCell = options.goToCell;
    el(this.node, 'h3', 'Energy and carbon of this kernel session');
    this._body = el(this.node, 'div', '');
    this._exports = el(this.node, 'div', 'Export: ');
    this._exports.className = 'jp-carbon-exports';
    for (const [format, label] of EXPORT_FORMATS) {
      const button = el(this._exports, 'button', label) as HTMLButtonElement;
      button.className = 'jp-mod-styled jp-carbon-export';
      button.dataset.format = format;
      button.onclick = () => void this.export(format);
    }
    this._message = el(this.node, 'p', '');
    this._message.className = 'jp-carbon-muted jp-carbon-message';
    this._model.changed.connect(this.render, this);
    this._settings.changed.connect(this.render, this);
    this.render();
    // The kernel may know more than this page saw (cells from before a reload).
    void this._model.request('summary', { top: 10 }).then(
      () => this.render(),
      () => undefined
    );
  }

  dispose(): void {
    this._model.changed.disconnect(this.render, this);
    this._settings.changed.disconnect(this.render, this);
    super.dispose();
  }

  render(): void {
    const m = this._model;
    const units = this._settings.units;
    const t = m.totals;
    const node = this._body;
    node.textContent = '';
    const metered = m.status !== 'unmetered';
    this._exports.hidden = !metered;
    if (!metered) {
      el(node, 'p', 'This kernel is not metered: run %load_ext jupyter_carbon in a cell.');
      return;
    }
    const totals = el(node, 'p', '');
    totals.className = 'jp-carbon-totals';
    totals.textContent =
      `${t.cells} cell${t.cells === 1 ? '' : 's'} over ${formatDuration(t.duration_s)}: ` +
      `${formatEnergy(t.energy_j, units.energy)}, ${formatMass(t.emissions_g, units.mass)} CO2e`;
    const parts = Object.entries(t.by_component).map(
      ([c, j]) => `${componentName(c)} ${formatEnergy(j, units.energy)} (${t.method[c] ?? '?'})`
    );
    if (parts.length) {
      el(node, 'p', parts.join(', ')).className = 'jp-carbon-muted';
    }
    const region = el(node, 'p', `Region: ${formatIntensity(m.intensity)}`);
    region.className = 'jp-carbon-region';

    if (m.costliest.length) {
      el(node, 'p', 'Costliest cells (click to go to one):').className = 'jp-carbon-muted';
      const table = el(node, 'table', '');
      const head = el(table, 'tr', '');
      for (const h of ['#', 'cell', 'energy', 'CO2e', 'time']) {
        el(head, 'th', h);
      }
      for (const r of m.costliest) {
        this._row(table, r);
      }
    } else {
      el(node, 'p', 'No cell metered yet.').className = 'jp-carbon-muted';
    }
  }

  /** Ask the kernel for the report (it writes no file) and hand it to the browser. */
  async export(format: ExportFormat): Promise<void> {
    this._message.textContent = `Exporting ${format}…`;
    try {
      const reply = await this._model.request<IExportReply>('export', { format, path: null });
      if (reply.content === undefined) {
        this._message.textContent = `Export failed: ${reply.error ?? 'the kernel sent no content'}`;
      } else {
        downloadText(reply.filename ?? `carbon.${format}`, reply.mimetype ?? 'text/plain', reply.content);
        this._message.textContent = `Downloaded ${reply.filename}.`;
      }
    } catch (err) {
      this._message.textContent = `Export failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private _row(table: HTMLElement, r: ICellRecord): void {
    const units = this._settings.units;
    const row = el(table, 'tr', '');
    row.className = 'jp-carbon-cellRow';
    el(row, 'td', formatCell(r.execution_count, r.cell_position, r.index));
    el(row, 'td', r.source || '(empty)').className = 'jp-carbon-source';
    el(row, 'td', formatEnergy(r.energy_j, units.energy));
    el(row, 'td', formatMass(r.emissions_g, units.mass));
    el(row, 'td', formatDuration(r.duration_s));
    row.dataset.cellId = r.cell_id ?? '';
    row.title = r.cell_id ? 'Go to this cell' : "The kernel did not receive this cell's id";
    row.onclick = () => {
      if (!r.cell_id || !this._goToCell(r.cell_id)) {
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
