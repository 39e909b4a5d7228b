/**
 * One notebook's meter: its model, its kernel link, its footers, and the writing of
 * each cell's figures into that cell's metadata.
 */
import { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { NotebookFooters } from './footer';
import { KernelLink } from './kernel';
import { CarbonModel } from './model';
import { IRecordWithFootprint, ISummary, writeFootprint } from './protocol';
import { CarbonSettings } from './settings';

export class NotebookCarbon implements IDisposable {
  readonly model = new CarbonModel();
  readonly panel: NotebookPanel;
  private _footers: NotebookFooters;
  private _link: KernelLink;
  private _settings: CarbonSettings;
  private _disposed = false;

  constructor(panel: NotebookPanel, settings: CarbonSettings) {
    this.panel = panel;
    this._settings = settings;
    this._footers = new NotebookFooters(panel.content, settings);
    this._link = new KernelLink({
      sessionContext: panel.sessionContext,
      model: this.model,
      autoLoad: () => settings.values.autoLoad,
      units: () => settings.units
    });
    this.model.notebookPath = panel.context.path;
    panel.context.pathChanged.connect(this._onPath, this);
    this.model.cellEnded.connect(this._onCellEnded, this);
    this.model.greeted.connect(this._backfill, this);
    settings.changed.connect(this._onSettings, this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.panel.context.pathChanged.disconnect(this._onPath, this);
    this.model.cellEnded.disconnect(this._onCellEnded, this);
    this.model.greeted.disconnect(this._backfill, this);
    this._settings.changed.disconnect(this._onSettings, this);
    this._link.dispose();
    this._footers.dispose();
  }

  /** Scroll to the cell with this id and make it active; false if there is none. */
  goToCell(cellId: string): boolean {
    const notebook = this.panel.content;
    const index = notebook.widgets.findIndex(c => c.model.id === cellId);
    if (index < 0) {
      return false;
    }
    notebook.activeCellIndex = index;
    void notebook.scrollToCell(notebook.widgets[index], 'center');
    return true;
  }

  private _onPath(_: unknown, path: string): void {
    this.model.notebookPath = path;
  }

  private _onSettings(): void {
    this._link.sendSettings();
    this._link.autoLoadChanged();
  }

  /** Save the kernel's footprint in the cell that ran, so the saved notebook carries it. */
  private _onCellEnded(_: CarbonModel, record: IRecordWithFootprint): void {
    const cell = this._cell(record.cell_id);
    if (cell) {
      writeFootprint(cell, record.footprint);
    }
  }

  /**
   * Cells that ended while no comm was open (run all after `%load_ext`: the comm opens
   * only when the kernel is idle again) get their figures from the kernel's summary,
   * but only where the cell's execution count says the record is its latest run.
   */
  private async _backfill(): Promise<void> {
    let summary: ISummary;
    try {
      summary = await this.model.request<ISummary>('summary', { top: BACKFILL_TOP });
    } catch {
      return; // the comm closed again: nothing to fill
    }
    for (const record of summary.costliest ?? []) {
      const cell = this._cell(record.cell_id);
      if (cell && record.execution_count != null && cell.type === 'code' && (cell as ICodeCellModel).executionCount === record.execution_count) {
        writeFootprint(cell, record.footprint);
      }
    }
  }

  private _cell(cellId: string | null): ICellModel | null {
    const cells = this.panel.content.model?.cells;
    if (!cellId || !cells) {
      return null;
    }
    for (const cell of cells) {
      if (cell.id === cellId) {
        return cell;
      }
    }
    return null;
  }
}

/** How many of the kernel's costliest records to match against the notebook's cells. */
const BACKFILL_TOP = 100;
