import type { CommandRegistry } from '@lumino/commands';

import { addCommands, CATEGORY, CommandIDs, ICarbonCommandsHost } from '../src/commands';
import { EXPORT_FORMATS } from '../src/exporting';
import { CarbonModel } from '../src/model';
import { ExportFormat } from '../src/protocol';

/** A model in the state the kernel's `hello` (metered) or a closed comm (unmetered) leaves. */
function model(status: 'metered' | 'unmetered' | 'connecting'): CarbonModel {
  const m = new CarbonModel();
  if (status === 'metered') {
    m.handle({ type: 'hello', protocol: 1, version: '0.1.0', session_id: 's1', enabled: true } as any);
  } else if (status === 'unmetered') {
    m.detach('unmetered');
  }
  expect(m.status).toBe(status);
  return m;
}

class FakeHost implements ICarbonCommandsHost {
  current: CarbonModel | null = null;
  shown = 0;
  exported: Array<[CarbonModel, ExportFormat]> = [];

  currentModel(): CarbonModel | null {
    return this.current;
  }

  showSession(): void {
    this.shown += 1;
  }

  async exportAs(m: CarbonModel, format: ExportFormat): Promise<void> {
    this.exported.push([m, format]);
  }
}

/**
 * The part of Lumino's CommandRegistry the commands use, answering as it does: labels and
 * enabling from the options, and execute's result (or throw) as a promise. (The real one
 * needs a browser's `navigator` to load.)
 */
class FakeCommands {
  readonly added = new Map<string, CommandRegistry.ICommandOptions>();

  addCommand(id: string, options: CommandRegistry.ICommandOptions): void {
    expect(this.added.has(id)).toBe(false);
    this.added.set(id, options);
  }

  label(id: string, args: Record<string, unknown> = {}): string {
    const label = this.added.get(id)!.label;
    return typeof label === 'function' ? label(args as any) : label ?? '';
  }

  isEnabled(id: string, args: Record<string, unknown> = {}): boolean {
    return this.added.get(id)!.isEnabled?.(args as any) ?? true;
  }

  execute(id: string, args: Record<string, unknown> = {}): Promise<unknown> {
    try {
      return Promise.resolve(this.added.get(id)!.execute(args as any));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

function setup() {
  const commands = new FakeCommands();
  const host = new FakeHost();
  const items: Array<{ command: string; args?: unknown; category: string }> = [];
  const palette = { addItem: (item: any) => items.push(item) };
  addCommands(commands as unknown as CommandRegistry, host, palette as any);
  return { commands, host, items };
}

describe('palette commands', () => {
  it('lists show session and one export per panel format under one category', () => {
    const { commands, items } = setup();
    expect(items.every(i => i.category === CATEGORY)).toBe(true);
    const labels = items.map(i => commands.label(i.command, i.args as any));
    expect(labels).toEqual([
      'Energy and carbon: show session',
      'Energy and carbon: export as JSON',
      'Energy and carbon: export as CSV',
      'Energy and carbon: export as Markdown',
      'Energy and carbon: export as HTML',
      'Energy and carbon: export as LaTeX',
      'Energy and carbon: export as CodeCarbon',
      'Energy and carbon: export as Model card'
    ]);
    expect(items.slice(1).map(i => (i.args as any).format)).toEqual(EXPORT_FORMATS.map(([f]) => f));
  });

  it.each([
    ['no notebook is current', null],
    ['the notebook is not metered', 'unmetered'],
    ['the kernel has not answered yet', 'connecting']
  ] as const)('is disabled when %s', (_, status) => {
    const { commands, host } = setup();
    host.current = status ? model(status) : null;
    expect(commands.isEnabled(CommandIDs.showSession)).toBe(false);
    expect(commands.isEnabled(CommandIDs.exportAs, { format: 'csv' })).toBe(false);
  });

  it('is enabled for a metered notebook, and export only for a known format', () => {
    const { commands, host } = setup();
    host.current = model('metered');
    expect(commands.isEnabled(CommandIDs.showSession)).toBe(true);
    expect(commands.isEnabled(CommandIDs.exportAs, { format: 'csv' })).toBe(true);
    expect(commands.isEnabled(CommandIDs.exportAs, { format: 'pdf' })).toBe(false);
    expect(commands.isEnabled(CommandIDs.exportAs, {})).toBe(false);
  });

  it('hands the current model and the format to the export', async () => {
    const { commands, host } = setup();
    const current = model('metered');
    host.current = current;
    await commands.execute(CommandIDs.exportAs, { format: 'codecarbon' });
    expect(host.exported).toEqual([[current, 'codecarbon']]);
  });

  it('opens the session panel of a metered notebook', async () => {
    const { commands, host } = setup();
    host.current = model('metered');
    await commands.execute(CommandIDs.showSession);
    expect(host.shown).toBe(1);
  });

  it('refuses to run for an unmetered notebook or an unknown format, saying why', async () => {
    const { commands, host } = setup();
    host.current = model('unmetered');
    await expect(commands.execute(CommandIDs.showSession)).rejects.toThrow(/not a metered notebook.*%load_ext jupyter_carbon/);
    await expect(commands.execute(CommandIDs.exportAs, { format: 'csv' })).rejects.toThrow(/not a metered notebook/);
    host.current = model('metered');
    await expect(commands.execute(CommandIDs.exportAs, { format: 'pdf' })).rejects.toThrow(
      'cannot export as "pdf"; the formats are json, csv, md, html, latex, codecarbon, model-card'
    );
    expect(host.shown).toBe(0);
    expect(host.exported).toEqual([]);
  });
});
