/**
 * Notebook 7 has no status bar: there the meter's item goes into the top bar, beside the
 * kernel logo, where other indicators sit. `jupyter.lab.toolbars` in schema/plugin.json
 * names its slot and rank, so users can move or hide it in the settings like any top-bar
 * item. JupyterLab builds its own top bar from the same declaration; there the status bar
 * already holds the item, and the slot gets an empty, hidden widget.
 */
import type { IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { CarbonStatus } from './statusbar';

/** The toolbar that the top area of both apps is built from. */
export const TOP_BAR = 'TopBar';
/** The item's name in that toolbar, as schema/plugin.json declares it. */
export const TOP_BAR_ITEM = 'jupyter-carbon';
export const TOP_BAR_CLASS = 'jp-carbon-TopBarItem';

/**
 * Put `item` in the top bar, shown while it has something to say (a Python notebook is
 * current); with no item, keep the slot empty.
 */
export function addToTopBar(toolbars: IToolbarWidgetRegistry, item: CarbonStatus | null): void {
  let widget: Widget;
  if (item) {
    item.addClass(TOP_BAR_CLASS);
    const show = () => item.setHidden(!item.isActive);
    item.activeChanged.connect(show);
    show();
    widget = item;
  } else {
    widget = new Widget();
    widget.hide();
  }
  toolbars.addFactory(TOP_BAR, TOP_BAR_ITEM, () => widget);
}
