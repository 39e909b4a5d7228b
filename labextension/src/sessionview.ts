/**
 * The session panel as a popup on the meter's item. It follows the notebook that is the
 * shell's current widget (none on a Launcher or Settings tab: the item hides, as Lab's
 * kernel item does), opens from a click on the item, Enter or Space on it, or the "show
 * session" command, and closes on a second click, Escape (wherever the focus is), a click
 * outside, a change of tab, or when a row of its table takes the user to a cell. Opening
 * moves the focus into the panel; closing gives it back to the item if it was inside.
 *
 * JupyterLab keeps the item in its status bar, at the foot of the page: the popup opens
 * above it, as status-bar popups do. Notebook 7 keeps it in the top bar: it opens below.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ISignal } from '@lumino/signaling';
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
  /** The shell's current widget, and its signal: the item speaks only for a notebook there. */
  currentWidget?: () => Widget | null;
  currentChanged?: SessionView.CurrentChanged;
}

export class SessionView {
  private _options: ISessionViewOptions;
  private _popup: Popup | null = null;

  constructor(options: ISessionViewOptions) {
    this._options = options;
    options.tracker.currentChanged.connect(this._follow, this);
    options.currentChanged?.connect(this._follow, this);
    options.item.clicked.connect(this.toggle, this);
    this._follow();
  }

  /** The notebook the item speaks for: the tracker's, while it is the shell's current widget. */
  current(): NotebookPanel | null {
    const { tracker, currentWidget } = this._options;
    const panel = tracker.currentWidget;
    if (!panel || (currentWidget && currentWidget() !== panel)) {
      return null;
    }
    return panel;
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
    item.expanded = true;
    document.addEventListener('keydown', this._onKey, true);
    body.focus();
    return true;
  }

  close(): void {
    if (!this._popup) {
      return;
    }
    const hadFocus = this._popup.node.contains(document.activeElement);
    document.removeEventListener('keydown', this._onKey, true);
    this._popup.dispose();
    this._popup = null;
    this._options.item.expanded = false;
    if (hadFocus && this._options.item.isVisible) {
      this._options.item.node.focus();
    }
  }

  /** Escape closes the panel wherever the focus is, as Lab's own popups and dialogs do. */
  private _onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape' && this.isOpen) {
      event.preventDefault();
      event.stopPropagation();
      const inside = this._popup!.node.contains(document.activeElement);
      this.close();
      if (inside || document.activeElement === document.body) {
        this._options.item.node.focus();
      }
    }
  };

  private _meter(): NotebookCarbon | undefined {
    const panel = this.current();
    return panel ? this._options.meters.ensure(panel) : undefined;
  }

  private _follow(): void {
    this.close();
    this._options.item.model = this._meter()?.model ?? null;
  }
}

export namespace SessionView {
  /** The shell's signal that its current widget changed (any shell, any arguments). */
  export type CurrentChanged = ISignal<any, any>;
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
