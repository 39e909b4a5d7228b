/**
 * The `jupyter_carbon` comm protocol, version 1, as the kernel speaks it
 * (see `docs/protocol.md`). Only the fields the extension reads are typed; the
 * kernel may add fields within a version and they are ignored.
 */
import type { ICellModel } from '@jupyterlab/cells';

import type { EnergyUnit, IUnits, MassUnit } from './format';

export const COMM_TARGET = 'jupyter_carbon';
export const PROTOCOL_VERSION = 1;

export interface IIntensity {
  g_per_kwh: number;
  zone: string;
  zone_name?: string | null;
  source?: string | null;
  year?: number | null;
  signal?: string | null;
  chosen_by?: string | null;
  guess?: boolean | null;
  pue?: number | null;
  live?: boolean | null;
}

export interface IDevice {
  domain: string;
  component: string;
  name: string;
  method: string;
  detail?: string;
  advice?: string;
}

export interface ITotals {
  cells: number;
  errors: number;
  duration_s: number;
  energy_j: number;
  device_energy_j?: number;
  facility_energy_j?: number;
  emissions_g: number;
  by_component: Record<string, number>;
  method: Record<string, string>;
  /** Energy charged to the kernel between cells (a held GPU), apart from the cells'. */
  idle_spans?: number;
  idle_duration_s?: number;
  idle_energy_j?: number;
  idle_emissions_g?: number;
  idle_by_component?: Record<string, number>;
  /** The cells' work on a cluster, apart from the kernel's figures; 0 without a cluster. */
  cluster_cells?: number;
  cluster_energy_j?: number;
  cluster_facility_energy_j?: number;
  cluster_emissions_g?: number;
  /** The addresses of the workers charged, and the zones they were priced in. */
  cluster_nodes?: string[];
  cluster_zones?: string[];
  /** The cells' total (kernel and cluster), and the whole footprint with idle and embodied. */
  total_energy_j?: number;
  total_emissions_g?: number;
  footprint_g?: number;
  embodied_g?: number;
  embodied_low_g?: number;
  embodied_high_g?: number;
  sci_g?: number | null;
  unit?: string | null;
  unit_quantity?: number;
  /** Low and high of `energy_j` and `emissions_g` (the kernel's `bounds.py`); absent from older kernels. */
  energy_bounds_j?: number[];
  emissions_bounds_g?: number[];
}

/** How sure a record's figures are: low and high, from each method's band. */
export interface IBounds {
  energy_j?: number[] | null;
  emissions_g?: number[] | null;
}

/**
 * A cell's work on a cluster, as the views show it: from a record's `cluster` (which
 * counts the workers charged as `nodes`) or a footprint's (as `workers`).
 */
export interface IClusterPart {
  energy_j: number;
  emissions_g: number | null;
  workers: number;
  zones: string[];
  complete: boolean;
  /** Why the part is incomplete; null when it is complete or no reason was given. */
  note: string | null;
  /** The window began at the previous cell's end, which left work running. */
  carried: boolean;
}

/** The session's cluster work, summed over the cells that had some. */
export interface IClusterTotals {
  cells: number;
  energy_j: number;
  emissions_g: number;
  workers: number;
  zones: string[];
}

/** A `power` event's `cluster`: the workers' last pushed power, summed. */
export interface IClusterPower {
  watts: number;
  workers: number;
}

/** A `jupyter_carbon.session.CellRecord`. */
export interface ICellRecord {
  session_id: string;
  index: number;
  execution_count: number | null;
  cell_id: string | null;
  /** The cell's place in the notebook (1 = the first cell), where the one who ran it knew. */
  cell_position?: number | null;
  source: string;
  started_at?: string;
  ended_at?: string;
  duration_s: number;
  status: 'ok' | 'error' | 'interrupted' | string;
  error?: string | null;
  energy_j: number;
  by_component: Record<string, number>;
  method: Record<string, string>;
  device_energy_j?: number;
  pue?: number;
  facility_energy_j?: number;
  emissions_g: number | null;
  intensity: IIntensity | null;
  magic?: boolean;
  /** The cell's work on a cluster, as the kernel sent it; read it with `readCluster`. */
  cluster?: unknown;
  bounds?: IBounds | null;
}

/**
 * A record as `costliest` lists it (in `hello` and `summary`), and as the model hands
 * a `cell_end` on: with that cell's footprint beside its fields, so whoever writes the
 * cell's metadata needs nothing else. Older kernels send no footprint.
 */
export interface IRecordWithFootprint extends ICellRecord {
  footprint?: ICellFootprint;
}

export interface ICellStart {
  type: 'cell_start';
  cell_id: string | null;
  execution_count: number | null;
  index: number;
  started_at: string;
}

export interface IHello {
  type: 'hello';
  protocol: number;
  version: string;
  session_id: string;
  enabled: boolean;
  intensity: IIntensity | null;
  devices: IDevice[];
  totals: ITotals;
  costliest: IRecordWithFootprint[];
  running: ICellStart | null;
  /** The server's channel only (docs/server.md): who meters the kernel, and why not. */
  metered_by?: 'server' | 'kernel' | null;
  reason?: string | null;
  /** The server's channel only: the kernel's language as its spec names it. */
  language?: string;
}

export interface IPower {
  type: 'power';
  time_s: number;
  by_component: Record<string, number>;
  total_w: number;
  cell_id: string | null;
  cell_energy_j: number | null;
  /** The cluster's live power; null or absent without a metered cluster. Read it with `readClusterPower`. */
  cluster?: unknown;
}

export interface ICellEnd {
  type: 'cell_end';
  record: ICellRecord;
  /** The cell's metadata as the kernel computed it; absent from older kernels. */
  footprint?: ICellFootprint;
}

export interface ITotalsMessage {
  type: 'totals';
  session_id: string;
  totals: ITotals;
  intensity: IIntensity | null;
}

export interface ISummary {
  type: 'summary';
  request_id: string;
  totals: ITotals;
  costliest: IRecordWithFootprint[];
}

export interface IExportReply {
  type: 'export';
  request_id: string;
  ok: boolean;
  format?: string;
  path?: string;
  filename?: string;
  mimetype?: string;
  content?: string;
  error?: string;
}

/** One hour of the forecast, as the kernel sends it. */
export interface IForecastPoint {
  start: string;
  end: string;
  g_per_kwh: number;
}

/** The `forecast` reply's figures (docs/protocol.md). */
export interface IForecast {
  zone: string;
  source: string | null;
  signal: string | null;
  hours: number;
  length_s: number;
  power_w: number | null;
  points: IForecastPoint[];
  cleanest: IForecastPoint | null;
  now_g_per_kwh: number | null;
  saving_g: number | null;
  text: string;
}

/** Reply to a `forecast` request: the hours ahead from the user's forecast provider. */
export interface IForecastReply {
  type: 'forecast';
  request_id: string;
  forecast: IForecast;
}

export interface IErrorMessage {
  type: 'error';
  request_id?: string | null;
  message: string;
}

/**
 * The user's unit settings, sent to the kernel on connect and whenever they change, so the
 * kernel's own views (the live meter, the `%%carbon` line, `%carbon summary`) use them too.
 * No reply.
 */
export interface ISettingsMessage {
  type: 'settings';
  protocol: number;
  energy_unit: EnergyUnit;
  mass_unit: MassUnit;
}

export function settingsMessage(units: IUnits): ISettingsMessage {
  return { type: 'settings', protocol: PROTOCOL_VERSION, energy_unit: units.energy, mass_unit: units.mass };
}

export type KernelMessage =
  | IHello
  | ICellStart
  | IPower
  | ICellEnd
  | ITotalsMessage
  | ISummary
  | IExportReply
  | IForecastReply
  | IErrorMessage;

export type ExportFormat = 'json' | 'csv' | 'md' | 'html' | 'latex' | 'codecarbon' | 'model-card';

/**
 * A cell's footprint: what a notebook cell carries in its metadata under
 * `jupyter_carbon`. The kernel computes it (for `cell_end` and `costliest`) and the
 * headless runner writes the same, so a saved notebook shows its figures anywhere;
 * the extension writes it as received and never builds one itself.
 * See "The cell footprint" in docs/protocol.md for units.
 *
 * `pue`, `session_id` and `index` are null when read from a notebook saved by an
 * older version, which did not write them.
 */
export interface ICellFootprint {
  /** The cell's total, kernel and cluster (the kernel's `records.cell_total`); absent from older metadata. */
  total_energy_j?: number;
  total_emissions_g?: number | null;
  energy_j: number;
  by_component: Record<string, number>;
  method: Record<string, string>;
  duration_s: number;
  emissions_g: number | null;
  zone: string | null;
  g_per_kwh: number | null;
  pue: number | null;
  status: string;
  session_id: string | null;
  index: number | null;
  /** The run these figures describe (see footprint.ts); null when an older version saved them. */
  cell_id?: string | null;
  execution_count?: number | null;
  source_sha256?: string | null;
  /** Only for a cell that sent work to a cluster. */
  cluster?: IClusterPart;
  /** Absent from notebooks saved by older versions. */
  bounds?: IBounds | null;
  /** The hardware's manufacturing emissions the cell used up: a named part, not in the total. */
  embodied_g?: number;
  lifetime_years?: number;
  /** The cell's functional unit R and its SCI, (E × I + M) / R, in gCO2e per unit. */
  functional_unit?: { quantity: number; unit: string };
  sci_g?: number;
}

export const METADATA_KEY = 'jupyter_carbon';

/**
 * Whether an output's metadata marks it as a `%%carbon` line: the kernel shows the cell's
 * figures itself, so no footer is drawn under that cell. See docs/protocol.md.
 */
export function isCellLineOutput(outputMetadata: unknown): boolean {
  const mark = isRecord(outputMetadata) ? (outputMetadata as Record<string, unknown>)[METADATA_KEY] : undefined;
  return isRecord(mark) && (mark as Record<string, unknown>).cell_line === true;
}

/**
 * A record's or footprint's `cluster`, trusted only once its shape is checked: null for
 * none (a cell without a cluster, metadata saved before clusters) or for one whose energy
 * is not a number. Fields that are missing or malformed read as unknown.
 */
export function readCluster(value: unknown): IClusterPart | null {
  if (!isRecord(value)) {
    return null;
  }
  const v = value as Record<string, unknown>;
  if (!isNumber(v.energy_j)) {
    return null;
  }
  // A record counts the workers charged as `nodes` (its `workers` lists them); a footprint as `workers`.
  const workers = isNumber(v.nodes) ? v.nodes : isNumber(v.workers) ? v.workers : 0;
  return {
    energy_j: v.energy_j,
    emissions_g: isNumber(v.emissions_g) ? v.emissions_g : null,
    workers,
    zones: stringsOf(v.zones),
    complete: v.complete !== false,
    note: typeof v.note === 'string' && v.note ? v.note : null,
    carried: v.carried === true
  };
}

/** The totals' cluster sums; null when no cell sent work to a cluster (or an older kernel). */
export function readClusterTotals(totals: ITotals | null | undefined): IClusterTotals | null {
  if (!totals || !isNumber(totals.cluster_cells) || totals.cluster_cells <= 0 || !isNumber(totals.cluster_energy_j)) {
    return null;
  }
  return {
    cells: totals.cluster_cells,
    energy_j: totals.cluster_energy_j,
    emissions_g: isNumber(totals.cluster_emissions_g) ? totals.cluster_emissions_g : 0,
    workers: stringsOf(totals.cluster_nodes).length,
    zones: stringsOf(totals.cluster_zones)
  };
}

/** A `power` event's cluster power; null without one, or for one that is not a number. */
export function readClusterPower(power: IPower | null | undefined): IClusterPower | null {
  const c = power?.cluster;
  if (!isRecord(c) || !isNumber((c as Record<string, unknown>).watts)) {
    return null;
  }
  const { watts, workers } = c as Record<string, unknown>;
  return { watts: watts as number, workers: isNumber(workers) ? workers : 0 };
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** What `writeFootprint` needs of a cell's model. */
export type IMetadataHolder = Pick<ICellModel, 'getMetadata' | 'setMetadata'>;

/**
 * Put the kernel's footprint into the cell's metadata as it came. Without one (a
 * kernel from before footprints) nothing is written, rather than a shape of the
 * extension's own that would differ from the kernel's and the runner's. An equal
 * value is not written again, so the notebook is not marked dirty for nothing.
 */
export function writeFootprint(cell: IMetadataHolder, footprint: ICellFootprint | undefined): void {
  if (!isRecord(footprint)) {
    return;
  }
  if (JSON.stringify(cell.getMetadata(METADATA_KEY)) !== JSON.stringify(footprint)) {
    cell.setMetadata(METADATA_KEY, footprint);
  }
}

function isRecord(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
