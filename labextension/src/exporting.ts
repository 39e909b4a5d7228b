/**
 * Exports of a kernel session's report: the kernel writes the report into its reply (no
 * file lands beside the notebook) and the browser downloads it. The panel's buttons and
 * the command palette's "export as" commands both come here.
 */
import { downloadText } from './download';
import { CarbonModel } from './model';
import { EXPORT_BUTTONS } from './paneltext';
import { ExportFormat, IExportReply } from './protocol';

/** The formats the kernel exports, in the panel's order, with the label a user sees for each. */
export const EXPORT_FORMATS: ReadonlyArray<[ExportFormat, string]> = Object.entries(EXPORT_BUTTONS).map(
  ([format, { label }]) => [format as ExportFormat, label]
);

/** The label of a format, or undefined if the kernel does not export it. */
export function formatLabel(format: unknown): string | undefined {
  return EXPORT_FORMATS.find(([name]) => name === format)?.[1];
}

/**
 * Ask the kernel for the report in `format` and hand it to the browser as a download.
 * Resolves with the file's name; rejects with an Error saying what went wrong.
 */
export async function downloadReport(model: CarbonModel, format: ExportFormat): Promise<string> {
  const reply = await model.request<IExportReply>('export', { format, path: null });
  if (reply.content === undefined) {
    throw new Error(reply.error ?? 'the kernel sent no content');
  }
  const filename = exportFilename(model.notebookPath, format, reply.filename);
  downloadText(filename, reply.mimetype ?? 'text/plain', reply.content);
  return filename;
}

/**
 * "analysis-carbon.csv", "analysis-codecarbon.csv", "analysis-model-card.md": named by the
 * notebook and the format, so no two exports of one notebook share a name. The file type
 * is the one the kernel wrote; without a notebook, "carbon-…".
 */
export function exportFilename(notebookPath: string | null, format: ExportFormat, kernelName?: string): string {
  const suffix = /\.[A-Za-z0-9]{1,8}$/.exec(kernelName ?? '')?.[0] ?? FALLBACK_SUFFIX[format];
  const base = (notebookPath ?? '').split('/').pop()?.replace(/\.ipynb$/i, '') ?? '';
  const stem = base.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').trim().slice(0, 120);
  const tag = format === 'codecarbon' || format === 'model-card' ? format : 'carbon';
  return `${stem ? `${stem}-` : ''}${tag}${suffix}`;
}

const FALLBACK_SUFFIX: Record<ExportFormat, string> = {
  json: '.json',
  csv: '.csv',
  md: '.md',
  html: '.html',
  latex: '.tex',
  codecarbon: '.csv',
  'model-card': '.md'
};

/** The text of whatever an export was rejected with. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
