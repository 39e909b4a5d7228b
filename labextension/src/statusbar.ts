/**
 * The status-bar item: it shows the model of whichever notebook is active, and
 * asks the plugin to open the panel when clicked.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CarbonModel } from './model';
import { CarbonSettings } from './settings';
import { statusText, statusTooltip } from './text';

export const STATUS_CLASS = 'jp-carbon-StatusItem';

export class CarbonStatus extends Widget {
  private _model: CarbonModel | null = null;
  private _settings: CarbonSettings;
  private _activeChanged = new Signal<this, void>(this);
  private _clicked = new Signal<this, void>(this);

  constructor(settings: CarbonSettings) {
    super();
    this.addClass(STATUS_CLASS);
    this._settings = settings;
    settings.changed.connect(this.render, this);
    this.node.addEventListener('click', () => this._clicked.emit());
    this.render();
  }

  /** The status bar hides the item when this turns false (not Python, no kernel). */
  get isActive(): boolean {
    return this._model !== null && this._model.status !== 'other';
  }

  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  get clicked(): ISignal<this, void> {
    return this._clicked;
  }

  get model(): CarbonModel | null {
    return this._model;
  }

  set model(model: CarbonModel | null) {
    if (model === this._model) {
      return;
    }
    this._model?.changed.disconnect(this.render, this);
    this._model = model;
    model?.changed.connect(this.render, this);
    this.render();
  }

  dispose(): void {
    this._settings.changed.disconnect(this.render, this);
    this.model = null;
    super.dispose();
  }

  render(): void {
    const model = this._model;
    const wasActive = this.node.dataset.active === 'true';
    const active = this.isActive;
    this.node.dataset.active = String(active);
    if (model && active) {
      const units = this._settings.units;
      this.node.textContent = statusText(model, units);
      this.node.title = statusTooltip(model, units);
      // Raw figures for scripts and tests: no parsing of rounded text.
      this.node.dataset.status = model.status;
      this.node.dataset.energyJ = String(model.totals.energy_j);
      this.node.dataset.cells = String(model.totals.cells);
      this.node.classList.toggle('jp-carbon-mod-running', model.isRunning);
      this.node.classList.toggle('jp-carbon-mod-unmetered', model.status === 'unmetered');
    } else {
      this.node.textContent = '';
      this.node.title = '';
      this.node.dataset.status = model?.status ?? 'none';
    }
    if (wasActive !== active) {
      this._activeChanged.emit();
    }
  }
}
