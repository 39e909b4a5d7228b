import { CarbonSettings, DEFAULT_SETTINGS } from '../src/settings';

describe('CarbonSettings', () => {
  it('starts from the schema defaults: automatic units, footer on, no autoload', () => {
    const s = new CarbonSettings();
    expect(s.values).toEqual(DEFAULT_SETTINGS);
    expect(s.values.autoLoad).toBe(false);
    expect(s.units).toEqual({ energy: 'auto', mass: 'auto' });
  });

  it('takes valid values, keeps defaults for invalid ones, and signals', () => {
    const s = new CarbonSettings();
    let changes = 0;
    s.changed.connect(() => changes++);
    s.update({ energyUnit: 'kWh', massUnit: 'tonnes', showFooter: false, autoLoad: 'yes' });
    expect(s.values).toEqual({ energyUnit: 'kWh', massUnit: 'auto', showFooter: false, autoLoad: false });
    expect(s.units).toEqual({ energy: 'kWh', mass: 'auto' });
    expect(changes).toBe(1);
  });
});
