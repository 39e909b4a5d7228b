/**
 * A notebook someone else saved: its footprints are checked against the schema the kernel
 * writes (the shared cases in tests/fixtures/footprint_cases.json get the verdict pytest
 * gives them), and a footprint is matched against the cell it sits in.
 */
import * as fs from 'fs';
import * as path from 'path';

import { AUTO_UNITS, componentName, formatComponents } from '../src/format';
import { ICellNow, footprintAge, readCellMetadata, readFootprint, sha256Hex } from '../src/footprint';
import { ICellFootprint } from '../src/protocol';
import { componentsLine } from '../src/paneltext';
import { UNREADABLE_FOOTPRINT, footerAgeLabel, footerText, footerTooltip } from '../src/text';

type Case = { why: string; footprint: unknown };
const CASES: { valid: Case[]; invalid: Case[]; source_sha256: Array<[string, string]> } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'footprint_cases.json'), 'utf-8')
);

describe('the shared footprint cases', () => {
  it.each(CASES.valid.map(c => [c.why, c.footprint]))('reads %s', (_, footprint) => {
    expect(readFootprint(footprint).kind).toBe('ok');
  });

  it.each(CASES.invalid.map(c => [c.why, c.footprint]))('calls %s unreadable', (_, footprint) => {
    const reading = readFootprint(footprint);
    expect(reading.kind).toBe('unreadable');
    // One short line saying what is wrong, never the hostile value itself.
    const reason = reading.kind === 'unreadable' ? reading.reason : '';
    expect(reason.length).toBeLessThan(120);
    expect(reason).not.toContain('<img');
    expect(reason).not.toContain('ZONEZONE');
  });

  it.each(CASES.source_sha256)('hashes %j as the kernel does', async (source, digest) => {
    expect(await sha256Hex(source)).toBe(digest);
  });

  it('reads no metadata as none', () => {
    expect(readFootprint(undefined).kind).toBe('none');
    expect(readCellMetadata({ energy_j: -5 })).toBeNull();
  });
});

describe('a component named after something on Object.prototype', () => {
  const hostile = { energy_j: 3.6, by_component: { constructor: 3.6 }, method: {} };

  it('is shown by its name, with no method it does not have', () => {
    expect(componentName('constructor')).toBe('constructor');
    const meta = readCellMetadata(hostile)!;
    expect(meta).not.toBeNull();
    // The components line names it and nothing from the prototype; the figures line follows.
    expect(footerTooltip(meta, AUTO_UNITS)).toBe('constructor 1.0 mWh\nEnergy: 1.0 mWh; emissions: n/a CO2e');
    expect(formatComponents({ toString: 1 }, {})).not.toContain('native code');
    const totals = { cells: 1, errors: 0, duration_s: 1, energy_j: 3.6, emissions_g: 0, by_component: { constructor: 3.6 }, method: {} };
    expect(componentsLine(totals, AUTO_UNITS)).toBe('constructor 1.0 mWh (?)');
  });
});

describe('how a footprint relates to its cell', () => {
  const fp: ICellFootprint = {
    ...readCellMetadata({ energy_j: 720, duration_s: 1.5, emissions_g: 0.0112, zone: 'FR', g_per_kwh: 56, status: 'ok' })!,
    cell_id: 'abc',
    execution_count: 4,
    source_sha256: 'a'.repeat(64)
  };
  const now: ICellNow = { id: 'abc', executionCount: 4, sourceSha256: 'a'.repeat(64), editedHere: false };

  it('is current for the run that produced the outputs', () => {
    expect(footprintAge(fp, now)).toBe('current');
    expect(footerAgeLabel('current')).toBe('');
  });

  it('is hidden once the outputs are cleared, or while the cell runs', () => {
    expect(footprintAge(fp, { ...now, executionCount: null })).toBe('hidden');
  });

  it('belongs to the original in a pasted copy', () => {
    expect(footprintAge(fp, { ...now, id: 'pasted' })).toBe('copied');
  });

  it('is earlier after an unmetered run', () => {
    expect(footprintAge(fp, { ...now, executionCount: 9 })).toBe('rerun');
  });

  it('is earlier once the source is edited, by hash or, without Web Crypto, by what this page saw', () => {
    expect(footprintAge(fp, { ...now, sourceSha256: 'b'.repeat(64) })).toBe('edited');
    expect(footprintAge(fp, { ...now, sourceSha256: null, editedHere: true })).toBe('edited');
    expect(footerAgeLabel('edited')).toBe('before the last edit ·');
  });

  it('takes an older footprint, without the fields to tell, as current', () => {
    const older = readCellMetadata({ energy_j: 720 })!;
    expect(footprintAge(older, { ...now, id: 'other', executionCount: 12 })).toBe('current');
  });

  it('says unreadable in the footer, with no figure', () => {
    expect(UNREADABLE_FOOTPRINT).toBe('carbon: unreadable footprint');
    expect(footerText(fp, AUTO_UNITS)).toBe('carbon: 200 mWh · 11 mg CO2e · 1.5 s · FR 56 g/kWh');
  });
});
