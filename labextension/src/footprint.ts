/**
 * Reading a cell's footprint (its `jupyter_carbon` metadata) from a notebook that anyone
 * may have saved: checked against the one schema the kernel's `footprint.py` writes
 * (`footprint.schema.json`) before any figure is shown, and matched against the cell it
 * sits in, so that a copy, an edit or a later unmetered run is not passed off as the
 * figures of what the cell says now.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

import { IBounds, ICellFootprint, readCluster } from './protocol';
import schema from './footprint.schema.json';

/** What a cell's metadata holds: nothing, something this version cannot read, or a footprint. */
export type FootprintReading =
  | { kind: 'none' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'ok'; footprint: ICellFootprint };

let compiled: ValidateFunction | null = null;

/** The schema's check, compiled once, on first use. */
function check(): ValidateFunction {
  if (!compiled) {
    compiled = new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  return compiled;
}

/** Whether the value passes the footprint schema; null if it does, else what is wrong. */
export function footprintProblem(value: unknown): string | null {
  const validate = check();
  return validate(value) ? null : describe(validate.errors);
}

/** A metadata value read from a notebook file: a footprint only once its shape is checked. */
export function readFootprint(value: unknown): FootprintReading {
  if (value === undefined || value === null) {
    return { kind: 'none' };
  }
  const problem = footprintProblem(value);
  if (problem !== null) {
    return { kind: 'unreadable', reason: problem };
  }
  return { kind: 'ok', footprint: normalise(value as Record<string, unknown>) };
}

/** The footprint in a metadata value, or null for none or one that fails the schema. */
export function readCellMetadata(value: unknown): ICellFootprint | null {
  const reading = readFootprint(value);
  return reading.kind === 'ok' ? reading.footprint : null;
}

/** "zone: must NOT have more than 64 characters": the first thing wrong, in one short line. */
function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) {
    return 'not a footprint';
  }
  const where = first.instancePath ? first.instancePath.slice(1).split('/').slice(0, 2).join('.') : 'the footprint';
  return `${where.slice(0, 40)}: ${first.message ?? 'invalid'}`;
}

/** A checked footprint with its optional fields filled (null: not written by that version). */
function normalise(v: Record<string, unknown>): ICellFootprint {
  const cluster = readCluster(v.cluster);
  return {
    energy_j: v.energy_j as number,
    by_component: (v.by_component as Record<string, number>) ?? {},
    method: (v.method as Record<string, string>) ?? {},
    duration_s: (v.duration_s as number) ?? 0,
    emissions_g: (v.emissions_g as number | null) ?? null,
    zone: (v.zone as string | null) ?? null,
    g_per_kwh: (v.g_per_kwh as number | null) ?? null,
    pue: (v.pue as number | null) ?? null,
    status: (v.status as string) ?? 'ok',
    session_id: (v.session_id as string | null) ?? null,
    index: (v.index as number | null) ?? null,
    cell_id: (v.cell_id as string | null) ?? null,
    execution_count: (v.execution_count as number | null) ?? null,
    source_sha256: (v.source_sha256 as string | null) ?? null,
    ...(cluster ? { cluster } : {}),
    ...boundsOf(v.bounds),
    ...namedParts(v)
  };
}

/** `{bounds}` when the footprint has an energy range, `{}` otherwise (older notebooks). */
function boundsOf(value: unknown): { bounds?: IBounds } {
  const b = value as { energy_j?: number[] | null; emissions_g?: number[] | null } | null | undefined;
  return b?.energy_j ? { bounds: { energy_j: b.energy_j, emissions_g: b.emissions_g ?? null } } : {};
}

/** The footprint's total and its named parts (embodied, SCI), each only where it was written. */
function namedParts(v: Record<string, unknown>): Partial<ICellFootprint> {
  const out: Partial<ICellFootprint> = {};
  if (typeof v.total_energy_j === 'number') {
    out.total_energy_j = v.total_energy_j;
    out.total_emissions_g = (v.total_emissions_g as number | null) ?? null;
  }
  if (typeof v.embodied_g === 'number') {
    out.embodied_g = v.embodied_g;
    out.lifetime_years = (v.lifetime_years as number | null) ?? undefined;
  }
  const unit = v.functional_unit as { quantity: number; unit: string } | null | undefined;
  if (typeof v.sci_g === 'number' && unit) {
    out.sci_g = v.sci_g;
    out.functional_unit = { quantity: unit.quantity, unit: unit.unit };
  }
  return out;
}

/** What a footer knows of the cell it sits under. */
export interface ICellNow {
  id: string;
  /** Null while the cell runs, and once its outputs were cleared. */
  executionCount: number | null;
  /** SHA-256 of its source now; null where the browser cannot hash (no secure context). */
  sourceSha256: string | null;
  /** Whether the source changed since this page saw the footprint arrive. */
  editedHere: boolean;
}

/**
 * How a footprint relates to the cell's current state:
 * - `hidden`: the cell has no run to describe (outputs cleared, or running now);
 * - `copied`: the footprint came with a pasted copy of another cell;
 * - `rerun`: the cell ran again since, unmetered (another execution count);
 * - `edited`: the source is not the one that ran;
 * - `current`: the figures are those of the run that produced the cell's outputs.
 * Older footprints without the fields to tell are taken as current.
 */
export type FootprintAge = 'hidden' | 'copied' | 'rerun' | 'edited' | 'current';

export function footprintAge(fp: ICellFootprint, cell: ICellNow): FootprintAge {
  if (cell.executionCount === null) {
    return 'hidden';
  }
  if (fp.cell_id && fp.cell_id !== cell.id) {
    return 'copied';
  }
  if (fp.execution_count !== null && fp.execution_count !== undefined && fp.execution_count !== cell.executionCount) {
    return 'rerun';
  }
  const edited = fp.source_sha256 && cell.sourceSha256 ? fp.source_sha256 !== cell.sourceSha256 : cell.editedHere;
  return edited ? 'edited' : 'current';
}

/** SHA-256 of the UTF-8 of `source`, hex, as `footprint.source_sha256` in the kernel; null without Web Crypto. */
export async function sha256Hex(source: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    return null;
  }
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(source));
  return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
}
