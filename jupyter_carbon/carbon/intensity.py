"""The carbon intensity that applies to some energy, and the arithmetic that uses it.

Units: joules in, grams of CO2e out; intensities in g/kWh. PUE scales IT energy (what the
machine drew) up to facility energy (what the building drew, cooling included).
"""

from __future__ import annotations

import functools
import logging
from typing import NamedTuple

JOULES_PER_KWH = 3.6e6

#: How a zone was chosen, from the most to the least deliberate.
CHOSEN_BY = ("argument", "config", "environment", "cloud-metadata", "timezone", "default")
SIGNALS = ("average", "marginal")


class _IntensityFields(NamedTuple):
    g_per_kwh: float
    zone: str
    zone_name: str
    source: str
    year: int | None
    signal: str
    chosen_by: str
    guess: bool
    pue: float
    live: bool = False
    fallback_reason: str | None = None


class Intensity(_IntensityFields):
    """Grams of CO2e per kWh for one place, with where the number came from.

    ``signal`` is "average" (what a kWh from this grid emits on average) or "marginal"
    (what one more kWh emits now, WattTime's signal): the two answer different questions and
    are never compared with each other. (A NamedTuple checked as it is made: a frozen
    dataclass cost a kernel's start two milliseconds to create.)
    """

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls, *args, **kwargs)
        if self.signal not in SIGNALS:
            raise ValueError(f"signal must be one of {SIGNALS}, not {self.signal!r}")
        if self.chosen_by not in CHOSEN_BY:
            raise ValueError(f"chosen_by must be one of {CHOSEN_BY}, not {self.chosen_by!r}")
        check_pue(self.pue)
        if not self.g_per_kwh >= 0:
            raise ValueError(f"an intensity is a non-negative number of g/kWh, not {self.g_per_kwh!r}")
        return self

    def to_dict(self) -> dict:
        """JSON-safe fields. Nothing here can hold a token: providers keep theirs to themselves."""
        return self._asdict()

    def replace(self, **changes) -> "Intensity":
        """A copy with ``changes``, checked as a new one is."""
        return Intensity(**{**self._asdict(), **changes})


def check_pue(pue: float) -> float:
    """A PUE below 1 would mean the building uses less power than the machines in it."""
    try:
        value = float(pue)
    except (TypeError, ValueError):
        raise ValueError(f"PUE must be a number of at least 1.0 (e.g. 1.1), not {pue!r}") from None
    if not value >= 1.0 or value == float("inf"):
        raise ValueError(
            f"PUE must be at least 1.0 (facility energy / IT energy; 1.0 for a machine "
            f"without a data centre around it), not {pue!r}"
        )
    return value


def facility_energy_j(it_energy_j: float, pue: float) -> float:
    """Energy the facility drew for ``it_energy_j`` of IT energy: IT energy × PUE."""
    if not it_energy_j >= 0:
        raise ValueError(f"energy must be a non-negative number of joules, not {it_energy_j!r}")
    return it_energy_j * check_pue(pue)


def grams_for(facility_energy_j: float, g_per_kwh: float) -> float:
    """Grams of CO2e for energy the facility drew: J / 3.6e6 × g/kWh. The one place the
    grid's intensity meets energy; everything that prices energy comes through here."""
    return facility_energy_j / JOULES_PER_KWH * g_per_kwh


def emissions_g(it_energy_j: float, intensity: Intensity) -> float:
    """Grams of CO2e: IT energy (J) / 3.6e6 × PUE × intensity (g/kWh)."""
    return grams_for(facility_energy_j(it_energy_j, intensity.pue), intensity.g_per_kwh)


def priced(energy_j: float, intensity) -> float | None:
    """Grams of CO2e for a record's IT energy, or None when no intensity applies or it cannot
    price (an intensity of the wrong type is logged, and the record kept unpriced)."""
    if intensity is None:
        return None
    try:
        return float(emissions_g(energy_j, intensity))
    except (TypeError, ValueError):
        logging.getLogger("jupyter_carbon").exception("jupyter-carbon: could not price this cell's energy")
        return None


def intensity_dict(intensity) -> dict | None:
    """The intensity as a record keeps it (None for none): a fresh dict each time, of an
    :class:`Intensity` made once per distinct intensity (each cell's is equal to the last)."""
    if intensity is None:
        return None
    if type(intensity) is Intensity:
        return dict(_fields_of(intensity))
    return intensity.to_dict() if hasattr(intensity, "to_dict") else dict(intensity)


@functools.lru_cache(maxsize=64)
def _fields_of(intensity: Intensity) -> dict:
    return intensity.to_dict()
