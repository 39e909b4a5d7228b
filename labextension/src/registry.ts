/**
 * One `NotebookCarbon` per notebook panel, whoever asks for it first.
 *
 * Two parts of the plugin need a panel's meter: the document registry's widget
 * extension, which runs for every notebook opened, and the status-bar item, which
 * follows the tracker's current notebook. The tracker may name a notebook current
 * before the widget extension has run for it, so either may be first; both go through
 * `ensure`, and the panel keeps a single meter.
 */
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';

import type { NotebookCarbon } from './notebook';

export type NotebookCarbonFactory = (panel: NotebookPanel) => NotebookCarbon;

export class NotebookCarbonRegistry {
  private _create: NotebookCarbonFactory;
  private _meters = new Map<NotebookPanel, NotebookCarbon>();

  constructor(create: NotebookCarbonFactory) {
    this._create = create;
  }

  /** The panel's meter, if one was created and the panel is still open. */
  get(panel: NotebookPanel): NotebookCarbon | undefined {
    return this._meters.get(panel);
  }

  /** The panel's meter, created now if this is the first call for the panel. */
  ensure(panel: NotebookPanel): NotebookCarbon {
    let meter = this._meters.get(panel);
    if (!meter) {
      meter = this._create(panel);
      this._meters.set(panel, meter);
      panel.disposed.connect(this._onPanelDisposed, this);
    }
    return meter;
  }

  private _onPanelDisposed(panel: NotebookPanel): void {
    const meter = this._meters.get(panel);
    this._meters.delete(panel);
    meter?.dispose();
  }
}

/**
 * Gives every notebook the document registry opens its meter, as the registry's
 * widget extensions do; the docregistry disposes what `createNew` returns with the panel.
 */
export class NotebookCarbonExtension
  implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel>
{
  private _registry: NotebookCarbonRegistry;

  constructor(registry: NotebookCarbonRegistry) {
    this._registry = registry;
  }

  createNew(panel: NotebookPanel, _context: DocumentRegistry.IContext<INotebookModel>): IDisposable {
    return this._registry.ensure(panel);
  }
}
