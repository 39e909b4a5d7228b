/**
 * The session panel as a popup on the meter's item. It follows the notebook the tracker
 * names current, opens from a click on the item or the "show session" command, and closes
 * on a second click, Escape, a click outside, a change of notebook, or when a row of its
 * table takes the user to a cell.
 *
 * JupyterLab keeps the item in its status bar, at the foot of the page: the popup opens
 * above it, as status-bar popups do. Notebook 7 keeps it in the top bar: it opens below.
 */
import type { INotebookTracker } from '@jupyterlab/notebook';
import { Popup, showPopup } from '@jupyterlab/statusbar';
import { HoverBox } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';

import type { NotebookCarbon } from './notebook';
import { CarbonPanel } from './panel';
import type { NotebookCarbonRegistry } from './registry';
import type { CarbonSettings } from './settings';
import type { CarbonStatus } from './statusbar';

/** Where the panel opens: above an item at the foot of the page, below one at the top. */
export type PanelPlacement = 'above' | 'below';

export interface ISessionViewOptions {
  item: CarbonStatus;
  tracker: INotebookTracker;
  meters: NotebookCarbonRegistry;
  settings: CarbonSettings;
  placement: PanelPlacement;
  /** The element that spans the window (the shell's): the popup stays inside it. */
  page: HTMLElement;
}

export class SessionView {
  private _options: ISessionViewOptions;
  private _popup: Popup | null = null;

  constructor(options: ISessionViewOptions) {
    this._options = options;
    options.tracker.currentChanged.connect(this._follow, this);
    options.item.clicked.connect(this.toggle, this);
    this._follow();
  }

  get isOpen(): boolean {
    return this._popup !== null && !this._popup.isDisposed;
  }

  toggle(): void {
    if (this.isOpen) {
      this.close();
    } else {
      this.open();
    }
  }

  /** Open the panel for the current notebook; false if there is none. */
  open(): boolean {
    if (this.isOpen) {
      return true;
    }
    const meter = this._meter();
    if (!meter) {
      return false;
    }
    const { item, settings, placement, page } = this._options;
    const body = new CarbonPanel({
      model: meter.model,
      settings,
      goToCell: id => meter.goToCell(id)
    });
    // Out of the way of the cell a row just went to.
    body.cellShown.connect(() => this.close());
    const options: Popup.IOptions = {
      body,
      anchor: item,
      align: 'left',
      hasDynamicSize: true
    };
    if (placement === 'above') {
      this._popup = showPopup(options);
    } else {
      this._popup = new PopupBelow(options, page);
      this._popup.launch();
    }
    return true;
  }

  close(): void {
    this._popup?.dispose();
    this._popup = null;
  }

  private _meter(): NotebookCarbon | undefined {
    const panel = this._options.tracker.currentWidget;
    return panel ? this._options.meters.ensure(panel) : undefined;
  }

  private _follow(): void {
    this.close();
    this._options.item.model = this._meter()?.model ?? null;
  }
}

/**
 * The status bar's popup (closing on Escape and outside clicks, marking its anchor) placed
 * below its anchor: the status bar's own always opens above, off the page for an item in
 * the top bar, and measures the room it has by `document.body`, which has no height in
 * Notebook 7.
 */
class PopupBelow extends Popup {
  private _belowAnchor: Widget;
  private _belowBody: Widget;
  private _page: HTMLElement;

  constructor(options: Popup.IOptions, page: HTMLElement) {
    super(options);
    this._belowAnchor = options.anchor;
    this._belowBody = options.body;
    this._page = page;
  }

  launch(): void {
    super.launch();
    this._place();
  }

  protected onUpdateRequest(): void {
    this._place();
  }

  private _place(): void {
    const body = this._belowBody.node;
    const anchor = this._belowAnchor.node.getBoundingClientRect();
    HoverBox.setGeometry({
      anchor,
      host: this._page,
      maxHeight: window.innerHeight - anchor.bottom - POPUP_MARGIN,
      minHeight: 20,
      node: body,
      offset: { horizontal: anchor.width - body.getBoundingClientRect().width },
      privilege: 'forceBelow',
      style: window.getComputedStyle(body)
    });
  }
}

/** Pixels kept free between the popup and the foot of the window. */
const POPUP_MARGIN = 8;
