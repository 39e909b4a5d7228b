/**
 * One notebook's meter: its model, its kernel link, its footers, and the writing of
 * each cell's figures into that cell's metadata.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { NotebookFooters } from './footer';
import { KernelLink } from './kernel';
import { CarbonModel } from './model';
import { ICellRecord, METADATA_KEY, cellMetadata } from './protocol';
import { CarbonSettings } from './settings';

export class NotebookCarbon implements IDisposable {
  readonly model = new CarbonModel();
  readonly panel: NotebookPanel;
  private _link: KernelLink;
  private _settings: CarbonSettings;
  private _disposed = false;

  constructor(panel: NotebookPanel, settings: CarbonSettings) {
    this.panel = panel;
    this._settings = settings;
    new NotebookFooters(panel.content, settings);
    this._link = new KernelLink({
      sessionContext: panel.sessionContext,
      model: this.model,
      autoLoad: () => settings.values.autoLoad
    });
    this.model.cellEnded.connect(this._onCellEnded, this);
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
    this.model.cellEnded.disconnect(this._onCellEnded, this);
    this._settings.changed.disconnect(this._onSettings, this);
    this._link.dispose();
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

  private _onSettings(): void {
    this._link.autoLoadChanged();
  }

  /** Save the figures in the cell that ran, so the saved notebook carries them. */
  private _onCellEnded(_: CarbonModel, record: ICellRecord): void {
    const cells = this.panel.content.model?.cells;
    if (!record.cell_id || !cells) {
      return;
    }
    for (const cell of cells) {
      if (cell.id === record.cell_id) {
        cell.setMetadata(METADATA_KEY, cellMetadata(record));
        return;
      }
    }
  }
}
