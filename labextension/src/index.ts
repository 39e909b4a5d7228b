/**
 * jupyter-carbon for JupyterLab and Notebook 7: a meter for the current notebook's kernel
 * (in JupyterLab's status bar, in Notebook 7's top bar), its session panel, a line of
 * energy and CO2e under each metered cell, commands in the palette, and settings.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IToolbarWidgetRegistry,
  Notification
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import { addCommands } from './commands';
import { downloadReport, errorText } from './exporting';
import { addToTopBar } from './indicator';
import { CarbonModel } from './model';
import { NotebookCarbon } from './notebook';
import { ExportFormat } from './protocol';
import { NotebookCarbonExtension, NotebookCarbonRegistry } from './registry';
import { SessionView } from './sessionview';
import { CarbonSettings } from './settings';
import { CarbonStatus } from './statusbar';

const PLUGIN_ID = 'jupyter-carbon:plugin';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Energy and carbon of notebook cells: a meter, a session panel, per-cell footers and commands.',
  autoStart: true,
  requires: [INotebookTracker],
  // Each app provides some of these: Notebook 7 has no status bar, for one.
  optional: [IStatusBar, ISettingRegistry, IToolbarWidgetRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null,
    registry: ISettingRegistry | null,
    toolbars: IToolbarWidgetRegistry | null,
    palette: ICommandPalette | null
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

    // One item, hosted by what the app has: the status bar (JupyterLab), else the top bar.
    const item = new CarbonStatus(settings);
    if (statusBar) {
      statusBar.registerStatusItem(PLUGIN_ID, {
        item,
        align: 'left',
        rank: 4,
        isActive: () => item.isActive,
        activeStateChanged: item.activeChanged
      });
    }
    if (toolbars) {
      addToTopBar(toolbars, statusBar ? null : item);
    }
    const view = new SessionView({
      item,
      tracker,
      meters,
      settings,
      placement: statusBar ? 'above' : 'below',
      page: app.shell.node,
      // Lab's convention for the current widget: the item speaks for the tab in front.
      // Notebook 7's notebook page shows one notebook and nothing else: the tracker's.
      currentWidget: statusBar ? () => app.shell.currentWidget : undefined,
      currentChanged: statusBar ? (app.shell as { currentChanged?: SessionView.CurrentChanged }).currentChanged : undefined
    });

    addCommands(
      app.commands,
      {
        currentModel: () => {
          const panel = tracker.currentWidget;
          return panel && panel === app.shell.currentWidget ? meters.ensure(panel).model : null;
        },
        showSession: () => view.open(),
        exportAs: downloadOrNotify
      },
      palette
    );
  }
};

/** A command's export: the download, or a notification saying why there is none. */
function downloadOrNotify(model: CarbonModel, format: ExportFormat): Promise<void> {
  return downloadReport(model, format).then(
    () => undefined,
    err => void Notification.error(`Energy and carbon: export failed: ${errorText(err)}`)
  );
}

export default plugin;
