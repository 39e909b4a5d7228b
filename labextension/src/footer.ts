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

import { FootprintAge, ICellNow, footprintAge, readFootprint, sha256Hex } from './footprint';
import { METADATA_KEY, isCellLineOutput } from './protocol';
import { CarbonSettings } from './settings';
import { UNREADABLE_FOOTPRINT, footerAgeLabel, footerAgeTooltip, footerText, footerTooltip, unreadableTooltip } from './text';

export const FOOTER_CLASS = 'jp-carbon-CellFooter';

/**
 * One line under one code cell; empty and hidden while the cell has no figures, or no run
 * to describe (outputs cleared, running now). Figures that no longer describe what the cell
 * says (a copy, an edit, an unmetered run since) are marked as earlier ones; metadata that
 * fails the footprint schema is said to be unreadable, never shown as figures.
 */
export class CellFooter extends Widget {
  private _model: ICellModel;
  private _settings: CarbonSettings;
  private _age: HTMLElement;
  private _text: HTMLElement;
  /** The footprint last seen, as JSON: a new one is a new run. */
  private _footprintJson: string | undefined;
  /** The source when a new footprint arrived in this page; null if it came with the file. */
  private _sourceAtFootprint: string | null = null;
  private _sourceSha256: string | null = null;
  private _hashing = 0;

  constructor(model: ICellModel, settings: CarbonSettings) {
    super();
    this.addClass(FOOTER_CLASS);
    this._age = document.createElement('span');
    this._age.className = 'jp-carbon-CellFooter-age';
    this._text = document.createElement('span');
    this.node.append(this._age, this._text);
    this._model = model;
    this._settings = settings;
    this._footprintJson = JSON.stringify(model.getMetadata(METADATA_KEY));
    model.metadataChanged.connect(this._onMetadata, this);
    model.contentChanged.connect(this._onSource, this);
    model.stateChanged.connect(this.render, this);
    this._outputs()?.changed.connect(this.render, this);
    settings.changed.connect(this.render, this);
    this._onSource();
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
    this._model.metadataChanged.disconnect(this._onMetadata, this);
    this._model.contentChanged.disconnect(this._onSource, this);
    this._model.stateChanged.disconnect(this.render, this);
    this._outputs()?.changed.disconnect(this.render, this);
    this._settings.changed.disconnect(this.render, this);
    super.dispose();
  }

  /** A new footprint describes the source the cell has now (the run that just ended). */
  private _onMetadata(): void {
    const json = JSON.stringify(this._model.getMetadata(METADATA_KEY));
    if (json !== this._footprintJson) {
      this._footprintJson = json;
      this._sourceAtFootprint = this._model.sharedModel.getSource();
    }
    this.render();
  }

  /** Hash the source (as the kernel hashed what ran), then redraw; the latest edit wins. */
  private _onSource(): void {
    const ticket = ++this._hashing;
    void sha256Hex(this._model.sharedModel.getSource()).then(
      digest => {
        if (ticket === this._hashing && !this.isDisposed) {
          this._sourceSha256 = digest;
          this.render();
        }
      },
      () => undefined
    );
    this.render();
  }

  render(): void {
    const reading = readFootprint(this._model.getMetadata(METADATA_KEY));
    const units = this._settings.units;
    let state: FootprintAge | 'unreadable' | 'none' = 'none';
    let text = '';
    let title = '';
    if (reading.kind === 'unreadable') {
      state = this._executionCount() === null ? 'hidden' : 'unreadable';
      text = UNREADABLE_FOOTPRINT;
      title = unreadableTooltip(reading.reason);
    } else if (reading.kind === 'ok') {
      const meta = reading.footprint;
      state = footprintAge(meta, this._now());
      text = footerText(meta, units);
      title = [footerAgeTooltip(state), footerTooltip(meta, units)].filter(Boolean).join('\n');
      this.node.classList.toggle('jp-carbon-mod-error', meta.status !== 'ok');
    }
    const shown = state !== 'none' && state !== 'hidden';
    this._age.textContent = shown ? footerAgeLabel(state) : '';
    this._text.textContent = shown ? text : '';
    this.node.title = shown ? title : '';
    this.node.dataset.state = state;
    this.node.classList.toggle('jp-carbon-mod-stale', state === 'copied' || state === 'rerun' || state === 'edited');
    this.node.classList.toggle('jp-carbon-mod-unreadable', state === 'unreadable');
    this.setHidden(!shown || !this._settings.values.showFooter || this._hasCellLine());
  }

  private _executionCount(): number | null {
    return this._model.type === 'code' ? (this._model as ICodeCellModel).executionCount : null;
  }

  private _now(): ICellNow {
    return {
      id: this._model.id,
      executionCount: this._executionCount(),
      sourceSha256: this._sourceSha256,
      editedHere: this._sourceAtFootprint !== null && this._sourceAtFootprint !== this._model.sharedModel.getSource()
    };
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
