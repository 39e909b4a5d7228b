/** The status item's words: short at a narrow window, the how in the tooltip, the GPU only where there is one. */
import { AUTO_UNITS } from '../src/format';
import { CarbonModel } from '../src/model';
import { STALL_WORDS, UNMETERED_TEXT, statusShortText, statusText, statusTooltip } from '../src/text';
import { HELLO } from './kernel-fakes';

function metered(extra: Record<string, unknown> = {}): CarbonModel {
  const model = new CarbonModel();
  model.handle({ ...HELLO, ...extra, totals: { ...HELLO.totals, cells: 2, duration_s: 3, energy_j: 360, emissions_g: 0.0056, ...((extra.totals as object) ?? {}) } } as any);
  return model;
}

describe('the status text', () => {
  it('says "not metered" in a few words; how to load it is in the tooltip', () => {
    const model = new CarbonModel();
    model.setStatus('unmetered');
    expect(statusText(model, AUTO_UNITS)).toBe(UNMETERED_TEXT);
    expect(UNMETERED_TEXT.length).toBeLessThanOrEqual(20);
    expect(statusTooltip(model, AUTO_UNITS)).toContain('%load_ext jupyter_carbon');
    expect(statusShortText(model, AUTO_UNITS)).toBe('Carbon: off');
  });

  it('has a short form of the figures for a narrow window', () => {
    const model = metered();
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: 100 mWh · 5.6 mg CO2e');
    expect(statusShortText(model, AUTO_UNITS)).toBe('5.6 mg CO2e');
  });

  it('names a held GPU between cells only where the kernel metered one', () => {
    const idle = { idle_spans: 2, idle_energy_j: 7200, idle_duration_s: 90, idle_emissions_g: 0.1, idle_by_component: { memory: 7200 } };
    const cpuOnly = metered({ devices: [{ domain: 'cpu:model', component: 'cpu', name: 'CPU', method: 'estimated' }], totals: idle });
    expect(statusTooltip(cpuOnly, AUTO_UNITS)).toContain('(resident memory; not in the cells');
    expect(statusTooltip(cpuOnly, AUTO_UNITS)).not.toContain('GPU');
    const gpu = metered({ devices: [{ domain: 'gpu:0', component: 'gpu', name: 'A100', method: 'measured' }], totals: idle });
    expect(statusTooltip(gpu, AUTO_UNITS)).toContain('(a held GPU, resident memory;');
  });

  it('says why no answer came, in every form, instead of "connecting…"', () => {
    const model = new CarbonModel();
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: connecting…');
    model.setStall('busy');
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: kernel busy');
    expect(statusShortText(model, AUTO_UNITS)).toBe('Carbon: busy');
    expect(statusTooltip(model, AUTO_UNITS)).toContain('a cell is running');
    model.setStatus('failed');
    model.setStall('unstarted');
    expect(statusText(model, AUTO_UNITS)).toBe('Carbon: kernel did not start');
    expect(statusTooltip(model, AUTO_UNITS)).toContain("server's log");
    for (const words of Object.values(STALL_WORDS)) {
      expect(words.text.length).toBeLessThanOrEqual(34); // beside Lab's own items at 1280 px
      expect(words.short.length).toBeLessThanOrEqual(17); // as narrow as "Carbon: no answer"
    }
  });

  it('drops the reason once the kernel answers', () => {
    const model = new CarbonModel();
    model.setStall('silent');
    model.handle(HELLO as any);
    expect(model.stall).toBeNull();
    expect(statusText(model, AUTO_UNITS)).toMatch(/^Carbon: 0/);
  });
});

