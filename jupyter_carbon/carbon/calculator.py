"""The emissions calculator: hardware (or watts) × hours × PUE × grid intensity.

It does what the ML Emissions Calculator (Lacoste, Luccioni et al. 2019) does: energy and
emissions of a run, in equivalents people picture, and the same run in the cleanest region
of the same cloud provider and of all providers, so the cheapest saving is visible.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .intensity import JOULES_PER_KWH, Intensity, check_pue, emissions_g, facility_energy_j, grams_for
from . import equivalents as _equivalents

if TYPE_CHECKING:
    from .cloud import CloudRegion


@dataclass(frozen=True)
class Alternative:
    """The same run elsewhere: ``scope`` is "same provider" or "overall"."""

    scope: str
    key: str
    name: str
    g_per_kwh: float
    pue: float
    emissions_g: float
    saving_pct: float  # positive: that much less than the run as estimated


@dataclass(frozen=True)
class Estimate:
    hardware: str | None
    hardware_source: str | None
    count: int
    power_w: float
    hours: float
    it_energy_j: float
    facility_energy_j: float
    intensity: Intensity
    emissions_g: float
    equivalents: list
    alternatives: list

    @property
    def it_energy_kwh(self) -> float:
        return self.it_energy_j / JOULES_PER_KWH

    @property
    def facility_energy_kwh(self) -> float:
        return self.facility_energy_j / JOULES_PER_KWH

    @property
    def emissions_kg(self) -> float:
        return self.emissions_g / 1000.0

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["intensity"] = self.intensity.to_dict()
        data["it_energy_kwh"] = self.it_energy_kwh
        data["facility_energy_kwh"] = self.facility_energy_kwh
        data["emissions_kg"] = self.emissions_kg
        return data


def find_hardware(name: str):
    """The hardware row ``name`` names. Accelerators are searched first ("A100" is a GPU, not
    Intel's A100 CPU), and a name that says it is a GPU or TPU ("GTX 980", "RX 570") is
    never priced as a CPU. A name that fits several parts of different power is an error
    listing them, since guessing would be off by up to half."""
    from .. import hardware

    wanted = frozenset(hardware.tokens(name))
    if not wanted:
        raise ValueError(f"hardware name {name!r} has no model in it (e.g. 'V100 SXM2', 'TPU v3')")
    accelerator = hardware.names_accelerator(name)
    searches = [("gpu", "tpu")] if accelerator else [("gpu", "tpu"), ("cpu",)]
    for kinds in searches:
        found = _match_hardware(name, wanted, kinds)
        if found is not None:
            return found
    what = "GPU or TPU" if accelerator else "hardware"
    searched = {kind for kinds in searches for kind in kinds}
    names = [hw.name for hw in hardware.table() if hw.kind in searched]
    close = difflib.get_close_matches(name, names, n=4, cutoff=0.4)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise ValueError(f"no {what} named {name!r} in the bundled table{hint}; or give --power in watts")


def _match_hardware(name: str, wanted: frozenset, kinds: tuple[str, ...]):
    """The one row of ``kinds`` that ``name`` names, None if none; ValueError if several
    parts of different power fit. A row whose words are exactly the name's wins; else the
    name must be part of the rows' names ("V100" of "V100 SXM2"); a name with more words
    than any row (what NVML reports: "Tesla V100-SXM2-16GB", a CPU "with Radeon Graphics")
    is looked up as a machine's name, where CPU rows named by one word ("980") do not
    count: they would catch any name with that number in it."""
    from .. import hardware

    candidates = [hw for hw in hardware.table() if hw.kind in kinds and wanted <= set(hardware.tokens(hw.name))]
    exact = [hw for hw in candidates if set(hardware.tokens(hw.name)) == wanted]
    if exact:
        return min(exact, key=lambda hw: len(hw.name))
    if len({hw.tdp_w for hw in candidates}) == 1:
        return min(candidates, key=lambda hw: len(hw.name))
    if candidates:
        listed = ", ".join(f"{hw.name} ({hw.tdp_w:g} W)" for hw in sorted(candidates, key=lambda h: h.name)[:8])
        raise ValueError(f"hardware {name!r} fits several parts: {listed}; name one, or give --power")
    for kind in kinds:
        found = hardware.lookup(kind, name)
        if found is not None and (kind != "cpu" or len(hardware.tokens(found.name)) > 1):
            return found
    return None


def _positive(value, what: str, example: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number ({example}), not {value!r}") from None
    if not number > 0 or math.isinf(number):
        raise ValueError(f"{what} must be a positive number ({example}), not {value!r}")
    return number


def _place_intensity(region, intensity, pue, environ, timezone, config_region=None, config_pue=None):
    from .resolve import machine_timezone, resolve

    if region is None and intensity is not None:
        place = None
        base = Intensity(
            g_per_kwh=0.0, zone="custom", zone_name="intensity given by the user", source="given by the user",
            year=None, signal="average", chosen_by="argument", guess=False, pue=1.0,
        )
    else:
        environ = os.environ if environ is None else environ
        tz = machine_timezone(environ) if timezone is None else timezone
        choice = resolve(explicit=region, config_region=config_region, environ=environ, timezone=tz)
        place = choice.place
        base = place.intensity(chosen_by=choice.chosen_by, guess=choice.guess)
    if intensity is not None:
        g = float(intensity)
        if not g >= 0 or math.isinf(g):
            raise ValueError(f"intensity must be a non-negative number of g/kWh (e.g. 432.7), not {intensity!r}")
        base = base.replace(g_per_kwh=g, source="given by the user", year=None)
    if pue is None:
        pue = config_pue
    if pue is not None:
        base = base.replace(pue=check_pue(pue))
    elif place is not None and place.pue is not None:
        base = base.replace(pue=place.pue)
    return place, base


def cleanest_regions(place) -> list[tuple[str, "CloudRegion"]]:
    """The cloud regions that emit least per kWh of IT energy (grid intensity × PUE):
    ``("same provider", region)`` when ``place`` is a cloud region, then ``("overall", region)``."""
    from .cloud import cloud_regions

    regions = list(cloud_regions().values())

    def per_it_kwh(region):
        return (region.pue * region.g_per_kwh, region.key)

    scopes = []
    provider = getattr(place, "provider", None)
    if provider:
        scopes.append(("same provider", [r for r in regions if r.provider == provider]))
    scopes.append(("overall", regions))
    return [(scope, min(pool, key=per_it_kwh)) for scope, pool in scopes]


def cleaner_alternative(place, g_per_kwh: float) -> dict | None:
    """The cleanest cloud region (of the same provider, if ``place`` is a cloud region) as
    the reports name it, or None if it is no cleaner than ``g_per_kwh``."""
    _, region = cleanest_regions(place)[0]
    if region.g_per_kwh >= g_per_kwh:
        return None
    return {"zone": region.key, "zone_name": region.name, "g_per_kwh": region.g_per_kwh, "source": region.source, "year": region.year}


def _alternatives(place, intensity: Intensity, it_energy_j: float, emissions: float) -> list[Alternative]:
    out = []
    for scope, best in cleanest_regions(place):
        g = grams_for(facility_energy_j(it_energy_j, best.pue), best.g_per_kwh)
        saving = (1.0 - g / emissions) * 100.0 if emissions > 0 else 0.0
        out.append(Alternative(scope, best.key, best.name, best.g_per_kwh, best.pue, g, saving))
    return out


def estimate(
    *,
    hours: float,
    hardware: str | None = None,
    count: int = 1,
    power_w: float | None = None,
    region: str | None = None,
    intensity: float | None = None,
    pue: float | None = None,
    equivalents=_equivalents.DEFAULT_KEYS,
    environ=None,
    timezone: str | None = None,
    config_region: str | None = None,
    config_pue: float | None = None,
) -> Estimate:
    """Energy and emissions of running ``count`` × ``hardware`` (or ``power_w`` watts in
    all) for ``hours``. The zone is ``region`` or, failing that, resolved as for a kernel
    (environment, time zone, world average); ``intensity`` (g/kWh) overrides the zone's
    value; ``pue`` overrides the provider's (1.0 off the cloud). ``config_region`` and
    ``config_pue`` are the user's configured defaults (``c.CarbonMeter``). Raises ValueError (or its
    subclass UnknownRegion) naming what was wrong."""
    hours = _positive(hours, "hours", "e.g. 12")
    if (hardware is None) == (power_w is None):
        raise ValueError("give either a hardware name (e.g. 'V100 SXM2') with a count, or a total power in watts")
    hw = None
    place, chosen = _place_intensity(region, intensity, pue, environ, timezone, config_region, config_pue)
    if hardware is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number of at least 1, not {count!r}")
        hw = find_hardware(hardware)
        power = hw.tdp_w * count
    else:
        power = _positive(power_w, "power", "total watts, e.g. 1415.78")
        count = 1
    it_energy = power * hours * 3600.0
    facility = facility_energy_j(it_energy, chosen.pue)
    grams = emissions_g(it_energy, chosen)
    return Estimate(
        hardware=hw.name if hw else None,
        hardware_source=hw.source if hw else None,
        count=count,
        power_w=power,
        hours=hours,
        it_energy_j=it_energy,
        facility_energy_j=facility,
        intensity=chosen,
        emissions_g=grams,
        equivalents=_equivalents.convert(grams, equivalents),
        alternatives=_alternatives(place, chosen, it_energy, grams),
    )
