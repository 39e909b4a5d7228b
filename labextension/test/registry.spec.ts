import type { NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import type { NotebookCarbon } from '../src/notebook';
import { NotebookCarbonExtension, NotebookCarbonRegistry } from '../src/registry';

/** Just what the registry touches of a panel: its `disposed` signal. */
class FakePanel {
  readonly disposed = new Signal<this, void>(this);
  isDisposed = false;

  dispose(): void {
    this.isDisposed = true;
    this.disposed.emit();
  }
}

class FakeMeter {
  isDisposed = false;
  constructor(readonly panel: FakePanel) {}
  dispose(): void {
    this.isDisposed = true;
  }
}

function setup() {
  const created: FakeMeter[] = [];
  const registry = new NotebookCarbonRegistry(panel => {
    const meter = new FakeMeter(panel as unknown as FakePanel);
    created.push(meter);
    return meter as unknown as NotebookCarbon;
  });
  const extension = new NotebookCarbonExtension(registry);
  const panel = new FakePanel();
  const asPanel = panel as unknown as NotebookPanel;
  return { created, registry, extension, panel, asPanel };
}

describe('NotebookCarbonRegistry', () => {
  it('creates a meter on demand, once per panel', () => {
    const { created, registry, asPanel } = setup();
    expect(registry.get(asPanel)).toBeUndefined();
    const meter = registry.ensure(asPanel);
    expect(registry.ensure(asPanel)).toBe(meter);
    expect(registry.get(asPanel)).toBe(meter);
    expect(created).toHaveLength(1);
  });

  it('reuses the meter the status bar created before the widget extension ran', () => {
    const { created, registry, extension, asPanel } = setup();
    const fromStatusBar = registry.ensure(asPanel);
    const fromExtension = extension.createNew(asPanel, {} as any);
    expect(fromExtension).toBe(fromStatusBar);
    expect(created).toHaveLength(1);
  });

  it('gives the status bar the meter the widget extension created', () => {
    const { created, registry, extension, asPanel } = setup();
    const fromExtension = extension.createNew(asPanel, {} as any);
    expect(registry.ensure(asPanel)).toBe(fromExtension);
    expect(created).toHaveLength(1);
  });

  it('disposes the meter and forgets the panel when the panel is disposed', () => {
    const { created, registry, panel, asPanel } = setup();
    const other = new FakePanel();
    registry.ensure(asPanel);
    registry.ensure(other as unknown as NotebookPanel);
    panel.dispose();
    expect(created.map(m => m.isDisposed)).toEqual([true, false]);
    expect(registry.get(asPanel)).toBeUndefined();
    expect(registry.get(other as unknown as NotebookPanel)).toBe(created[1]);
  });

  it('keeps meters apart per panel', () => {
    const { registry, asPanel } = setup();
    const other = new FakePanel() as unknown as NotebookPanel;
    expect(registry.ensure(asPanel)).not.toBe(registry.ensure(other));
  });
});
