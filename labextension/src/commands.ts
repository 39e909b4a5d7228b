/**
 * Commands for the command palette of both apps, under "Energy and carbon": show the
 * session panel, and export the session's report in each format the panel offers. Both
 * are enabled only while the current widget is a metered notebook.
 */
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';

import { EXPORT_FORMATS, formatLabel } from './exporting';
import type { CarbonModel } from './model';
import type { ExportFormat } from './protocol';

export const CATEGORY = 'Energy and carbon';

export const CommandIDs = {
  showSession: 'jupyter-carbon:show-session',
  /** Takes `{format}`, one of `EXPORT_FORMATS`' names. */
  exportAs: 'jupyter-carbon:export'
} as const;

/** What the commands act on, as the plugin sees it. */
export interface ICarbonCommandsHost {
  /** The model of the current widget if it is a notebook, else null. */
  currentModel(): CarbonModel | null;
  /** Open the session panel of the current notebook. */
  showSession(): void;
  /** Download the report of `model`'s session in `format`. */
  exportAs(model: CarbonModel, format: ExportFormat): Promise<void>;
}

export function addCommands(
  commands: CommandRegistry,
  host: ICarbonCommandsHost,
  palette: ICommandPalette | null
): void {
  const metered = () => {
    const model = host.currentModel();
    return model?.status === 'metered' ? model : null;
  };
  commands.addCommand(CommandIDs.showSession, {
    label: `${CATEGORY}: show session`,
    caption: 'Totals, region, the costliest cells and exports of this notebook’s kernel session',
    isEnabled: () => metered() !== null,
    execute: () => {
      requireMetered(metered());
      host.showSession();
    }
  });
  commands.addCommand(CommandIDs.exportAs, {
    label: args => `${CATEGORY}: export as ${formatLabel(args.format) ?? 'a report'}`,
    caption: 'Download the report of this notebook’s kernel session',
    isEnabled: args => metered() !== null && formatLabel(args.format) !== undefined,
    execute: args => host.exportAs(requireMetered(metered()), requireFormat(args.format))
  });
  if (palette) {
    palette.addItem({ command: CommandIDs.showSession, category: CATEGORY });
    for (const [format] of EXPORT_FORMATS) {
      palette.addItem({ command: CommandIDs.exportAs, args: { format }, category: CATEGORY });
    }
  }
}

function requireMetered(model: CarbonModel | null): CarbonModel {
  if (!model) {
    throw new Error(
      `${CATEGORY}: the current widget is not a metered notebook; open a notebook and run %load_ext jupyter_carbon in it`
    );
  }
  return model;
}

function requireFormat(format: unknown): ExportFormat {
  if (formatLabel(format) === undefined) {
    const names = EXPORT_FORMATS.map(([name]) => name).join(', ');
    throw new Error(`${CATEGORY}: cannot export as ${JSON.stringify(format)}; the formats are ${names}`);
  }
  return format as ExportFormat;
}
