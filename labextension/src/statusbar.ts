/**
 * The status-bar item: it shows the model of the notebook that is the current widget (none
 * on a Launcher or Settings tab, as Lab's kernel item), and asks the plugin to open the
 * panel when clicked or, as a `role=button` reached with Tab, on Enter or Space. At a
 * narrow window it shows its short form; the long one stays in its label and tooltip.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CarbonModel } from './model';
import { CarbonSettings } from './settings';
import { statusShortText, statusText, statusTooltip } from './text';

/** Below this window width the item shows its short form (the status bar holds less). */
export const NARROW_QUERY = '(max-width: 1100px)';

export const STATUS_CLASS = 'jp-carbon-StatusItem';

export class CarbonStatus extends Widget {
  private _model: CarbonModel | null = null;
  private _settings: CarbonSettings;
  private _activeChanged = new Signal<this, void>(this);
  private _clicked = new Signal<this, void>(this);
  private _narrow: MediaQueryList | null;

  constructor(settings: CarbonSettings) {
    super();
    this.addClass(STATUS_CLASS);
    this._settings = settings;
    const node = this.node;
    node.setAttribute('role', 'button');
    node.tabIndex = 0;
    node.setAttribute('aria-haspopup', 'dialog');
    node.setAttribute('aria-expanded', 'false');
    settings.changed.connect(this.render, this);
    node.addEventListener('click', () => this._clicked.emit());
    node.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this._clicked.emit();
      }
    });
    this._narrow = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(NARROW_QUERY) : null;
    this._narrow?.addEventListener('change', this._onWidth);
    this.render();
  }

  private _onWidth = (): void => this.render();

  /** Said to assistive technology: whether the panel this item opens is open. */
  set expanded(open: boolean) {
    this.node.setAttribute('aria-expanded', String(open));
  }

  /** The status bar hides the item when this turns false (no kernel, or one nothing meters). */
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
    this._narrow?.removeEventListener('change', this._onWidth);
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
      const long = statusText(model, units);
      this.node.textContent = this._narrow?.matches ? statusShortText(model, units) : long;
      this.node.title = statusTooltip(model, units);
      this.node.setAttribute('aria-label', `${long}. Opens the energy and carbon panel.`);
      // Raw figures for scripts and tests: no parsing of rounded text.
      this.node.dataset.status = model.status;
      this.node.dataset.energyJ = String(model.totals.energy_j);
      this.node.dataset.cells = String(model.totals.cells);
      this.node.dataset.meteredBy = model.meteredBy ?? '';
      this.node.classList.toggle('jp-carbon-mod-running', model.isRunning);
      this.node.classList.toggle('jp-carbon-mod-unmetered', model.status === 'unmetered');
      this.node.classList.toggle('jp-carbon-mod-failed', model.status === 'failed');
      this.node.dataset.stall = model.stall ?? '';
    } else {
      this.node.textContent = '';
      this.node.title = '';
      this.node.removeAttribute('aria-label');
      this.node.dataset.status = model?.status ?? 'none';
      this.node.dataset.stall = '';
    }
    if (wasActive !== active) {
      this._activeChanged.emit();
    }
  }
}
