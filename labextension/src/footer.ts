/**
 * The line under each metered code cell, drawn from the cell's `jupyter_carbon`
 * metadata: the same path whether the figures just arrived from the kernel or the
 * notebook was saved elsewhere (the headless runner writes the same shape). Left out
 * under a `%%carbon` cell whose outputs already hold the kernel's line.
 */
import { Cell, CodeCell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { INotebookModel, Notebook } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { PanelLayout, Widget } from '@lumino/widgets';

import { METADATA_KEY, isCellLineOutput, readCellMetadata } from './protocol';
import { CarbonSettings } from './settings';
import { footerText, footerTooltip } from './text';

export const FOOTER_CLASS = 'jp-carbon-CellFooter';

/** One line under one code cell; empty and hidden while the cell has no figures. */
export class CellFooter extends Widget {
  private _model: ICellModel;
  private _settings: CarbonSettings;

  constructor(model: ICellModel, settings: CarbonSettings) {
    super();
    this.addClass(FOOTER_CLASS);
    this._model = model;
    this._settings = settings;
    model.metadataChanged.connect(this.render, this);
    this._outputs()?.changed.connect(this.render, this);
    settings.changed.connect(this.render, this);
    this.render();
  }

  private _outputs(): ICodeCellModel['outputs'] | null {
    return this._model.type === 'code' ? (this._model as ICodeCellModel).outputs : null;
  }

  /** The kernel printed this cell's `%%carbon` line among its outputs: say it once. */
  private _hasCellLine(): boolean {
    const outputs = this._outputs();
    for (let i = 0; outputs && i < outputs.length; i++) {
      if (isCellLineOutput(outputs.get(i).metadata)) {
        return true;
      }
    }
    return false;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.metadataChanged.disconnect(this.render, this);
    this._outputs()?.changed.disconnect(this.render, this);
    this._settings.changed.disconnect(this.render, this);
    super.dispose();
  }

  render(): void {
    const meta = readCellMetadata(this._model.getMetadata(METADATA_KEY));
    const show = meta !== null && this._settings.values.showFooter && !this._hasCellLine();
    this.node.textContent = meta ? footerText(meta, this._settings.units) : '';
    this.node.title = meta ? footerTooltip(meta, this._settings.units) : '';
    this.node.classList.toggle('jp-carbon-mod-error', !!meta && meta.status !== 'ok');
    this.setHidden(!show);
  }
}

/**
 * Gives every code cell of one notebook a footer, including cells added later.
 *
 * Disposable so that a notebook's meter can take its footers with it: the footers listen
 * to the settings, which outlive every notebook.
 */
export class NotebookFooters implements IDisposable {
  private _notebook: Notebook;
  private _settings: CarbonSettings;
  /** The cell list listened to: the current model's, disconnected when the model changes. */
  private _cells: INotebookModel['cells'] | null = null;
  private _footers = new Map<Cell, CellFooter>();
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;

  constructor(notebook: Notebook, settings: CarbonSettings) {
    this._notebook = notebook;
    this._settings = settings;
    notebook.modelChanged.connect(this._onModel, this);
    this._onModel();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Stop following the notebook and remove the footers this created. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._notebook.modelChanged.disconnect(this._onModel, this);
    this._cells?.changed.disconnect(this._schedule, this);
    this._cells = null;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    for (const [cell, footer] of this._footers) {
      cell.disposed.disconnect(this._onCellDisposed, this);
      footer.dispose();
    }
    this._footers.clear();
  }

  private _onModel(): void {
    // A replaced model's cells must stop scheduling work for this notebook.
    this._cells?.changed.disconnect(this._schedule, this);
    this._cells = this._notebook.model?.cells ?? null;
    this._cells?.changed.connect(this._schedule, this);
    // The notebook creates its cell widgets on the same signal; look once it has.
    this._schedule();
  }

  private _schedule(): void {
    if (this._timer !== null) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      this._sync();
    }, 0);
  }

  private _sync(): void {
    if (this._notebook.isDisposed) {
      return;
    }
    for (const cell of this._notebook.widgets) {
      if (!(cell instanceof CodeCell) || this._footers.has(cell)) {
        continue;
      }
      const footer = new CellFooter(cell.model, this._settings);
      this._footers.set(cell, footer);
      // A cell builds its layout when first shown; append after that, under the output.
      void cell.ready.then(() => {
        if (!cell.isDisposed && !footer.isDisposed) {
          (cell.layout as PanelLayout).addWidget(footer);
        }
      });
      cell.disposed.connect(this._onCellDisposed, this);
    }
  }

  private _onCellDisposed(cell: Cell): void {
    this._footers.get(cell)?.dispose();
    this._footers.delete(cell);
  }
}
