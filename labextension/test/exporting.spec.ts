/** Exports are named by the notebook and the format: no two downloads of one notebook collide. */
import { EXPORT_FORMATS, exportFilename } from '../src/exporting';

describe('export file names', () => {
  it('name the notebook and the format, one name per format', () => {
    const kernelNames: Record<string, string> = {
      json: 'carbon-s1.json',
      csv: 'carbon-s1.csv',
      md: 'carbon-s1.md',
      html: 'carbon-s1.html',
      latex: 'carbon-s1.tex',
      codecarbon: 'carbon-s1.csv',
      'model-card': 'carbon-s1.md'
    };
    const names = EXPORT_FORMATS.map(([format]) => exportFilename('work/analysis.ipynb', format, kernelNames[format]));
    expect(names).toEqual([
      'analysis-carbon.json',
      'analysis-carbon.csv',
      'analysis-carbon.md',
      'analysis-carbon.html',
      'analysis-carbon.tex',
      'analysis-codecarbon.csv',
      'analysis-model-card.md'
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps a name a file system takes, and works without a notebook or a kernel name', () => {
    expect(exportFilename('a:b*c?.ipynb', 'csv', 'x.csv')).toBe('a_b_c_-carbon.csv');
    expect(exportFilename(null, 'model-card')).toBe('model-card.md');
    expect(exportFilename('n.ipynb', 'latex', 'evil name.tex/../../x')).toBe('n-carbon.tex');
  });
});
