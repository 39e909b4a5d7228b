/**
 * The user's choices (schema/plugin.json), with defaults until the registry answers,
 * and one signal for the views to redraw.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { EnergyUnit, IUnits, MassUnit } from './format';

export interface ISettingsValues {
  energyUnit: EnergyUnit;
  massUnit: MassUnit;
  showFooter: boolean;
  autoLoad: boolean;
}

export const DEFAULT_SETTINGS: ISettingsValues = {
  energyUnit: 'auto',
  massUnit: 'auto',
  showFooter: true,
  autoLoad: false
};

export class CarbonSettings {
  private _values: ISettingsValues = { ...DEFAULT_SETTINGS };
  private _changed = new Signal<this, void>(this);

  get values(): ISettingsValues {
    return this._values;
  }

  get units(): IUnits {
    return { energy: this._values.energyUnit, mass: this._values.massUnit };
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Take the composite settings; anything missing or of the wrong type keeps its default. */
  update(composite: Partial<Record<keyof ISettingsValues, unknown>>): void {
    const pick = <K extends keyof ISettingsValues>(key: K, ok: (v: unknown) => boolean) =>
      (ok(composite[key]) ? composite[key] : DEFAULT_SETTINGS[key]) as ISettingsValues[K];
    this._values = {
      energyUnit: pick('energyUnit', v => v === 'auto' || v === 'Wh' || v === 'kWh'),
      massUnit: pick('massUnit', v => v === 'auto' || v === 'g' || v === 'kg'),
      showFooter: pick('showFooter', v => typeof v === 'boolean'),
      autoLoad: pick('autoLoad', v => typeof v === 'boolean')
    };
    this._changed.emit();
  }
}
