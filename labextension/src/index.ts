/**
 * jupyter-carbon for JupyterLab: a status-bar meter for the active notebook's kernel,
 * a line of energy and CO2e under each metered cell, and settings for both.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar, Popup, showPopup } from '@jupyterlab/statusbar';

import { NotebookCarbon } from './notebook';
import { CarbonPanel } from './panel';
import { NotebookCarbonExtension, NotebookCarbonRegistry } from './registry';
import { CarbonSettings } from './settings';
import { CarbonStatus } from './statusbar';

const PLUGIN_ID = 'jupyter-carbon:plugin';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Energy and carbon of notebook cells: status-bar meter and per-cell footer.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null,
    registry: ISettingRegistry | null
  ) => {
    const settings = new CarbonSettings();
    if (registry) {
      registry
        .load(PLUGIN_ID)
        .then(s => {
          const apply = () => settings.update(s.composite as any);
          s.changed.connect(apply);
          apply();
        })
        .catch(err => console.warn('jupyter-carbon: settings not loaded', err));
    }

    const meters = new NotebookCarbonRegistry(panel => new NotebookCarbon(panel, settings));
    app.docRegistry.addWidgetExtension('Notebook', new NotebookCarbonExtension(meters));

    if (!statusBar) {
      return;
    }
    const item = new CarbonStatus(settings);
    let popup: Popup | null = null;
    const follow = () => {
      popup?.dispose();
      popup = null;
      const panel = tracker.currentWidget;
      item.model = panel ? meters.ensure(panel).model : null;
    };
    tracker.currentChanged.connect(follow);
    follow();

    item.clicked.connect(() => {
      const panel = tracker.currentWidget;
      const meter = panel ? meters.ensure(panel) : undefined;
      if (popup && !popup.isDisposed) {
        popup.dispose();
        popup = null;
        return;
      }
      if (!meter) {
        return;
      }
      const body = new CarbonPanel({
        model: meter.model,
        settings,
        goToCell: id => meter.goToCell(id)
      });
      popup = showPopup({ body, anchor: item, align: 'left', hasDynamicSize: true });
      // Out of the way of the cell a row just scrolled to.
      body.cellShown.connect(() => {
        popup?.dispose();
        popup = null;
      });
    });

    statusBar.registerStatusItem(PLUGIN_ID, {
      item,
      align: 'left',
      rank: 4,
      isActive: () => item.isActive,
      activeStateChanged: item.activeChanged
    });
  }
};

export default plugin;
