/**
 * The `jupyter_carbon` comm protocol, version 1, as the kernel speaks it
 * (see `docs/protocol.md`). Only the fields the extension reads are typed; the
 * kernel may add fields within a version and they are ignored.
 */

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
}

/** A `jupyter_carbon.session.CellRecord`. */
export interface ICellRecord {
  session_id: string;
  index: number;
  execution_count: number | null;
  cell_id: string | null;
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
  costliest: ICellRecord[];
  running: ICellStart | null;
}

export interface IPower {
  type: 'power';
  time_s: number;
  by_component: Record<string, number>;
  total_w: number;
  cell_id: string | null;
  cell_energy_j: number | null;
}

export interface ICellEnd {
  type: 'cell_end';
  record: ICellRecord;
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
  costliest: ICellRecord[];
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

export interface IErrorMessage {
  type: 'error';
  request_id?: string | null;
  message: string;
}

export type KernelMessage =
  | IHello
  | ICellStart
  | IPower
  | ICellEnd
  | ITotalsMessage
  | ISummary
  | IExportReply
  | IErrorMessage;

export type ExportFormat = 'json' | 'csv' | 'md' | 'html' | 'latex';

/**
 * What a notebook cell carries in its metadata under `jupyter_carbon`; the headless
 * runner writes the same shape, so a saved notebook shows its footprint anywhere.
 */
export interface ICellMetadata {
  energy_j: number;
  by_component: Record<string, number>;
  method: Record<string, string>;
  emissions_g: number | null;
  duration_s: number;
  zone: string | null;
  g_per_kwh: number | null;
  status: string;
}

export const METADATA_KEY = 'jupyter_carbon';

export function cellMetadata(record: ICellRecord): ICellMetadata {
  return {
    energy_j: record.energy_j,
    by_component: { ...record.by_component },
    method: { ...record.method },
    emissions_g: record.emissions_g ?? null,
    duration_s: record.duration_s,
    zone: record.intensity?.zone ?? null,
    g_per_kwh: record.intensity?.g_per_kwh ?? null,
    status: record.status
  };
}

/** A metadata value read from a notebook file: trusted only once its shape is checked. */
export function readCellMetadata(value: unknown): ICellMetadata | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.energy_j !== 'number' || !Number.isFinite(v.energy_j)) {
    return null;
  }
  const emissions = typeof v.emissions_g === 'number' ? v.emissions_g : null;
  return {
    energy_j: v.energy_j,
    by_component: isRecord(v.by_component) ? (v.by_component as Record<string, number>) : {},
    method: isRecord(v.method) ? (v.method as Record<string, string>) : {},
    emissions_g: emissions,
    duration_s: typeof v.duration_s === 'number' ? v.duration_s : 0,
    zone: typeof v.zone === 'string' ? v.zone : null,
    g_per_kwh: typeof v.g_per_kwh === 'number' ? v.g_per_kwh : null,
    status: typeof v.status === 'string' ? v.status : 'ok'
  };
}

function isRecord(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
