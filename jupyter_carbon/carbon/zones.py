"""The catalogue of grid zones (``data/zones.csv``): intensity, year and source per zone.

Finding a zone by what people type is :mod:`jupyter_carbon.carbon.places`.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import NamedTuple

from ..tables import read_table, rows_containing, rows_starting
from .intensity import Intensity

WORLD = "WORLD"


class Zone(NamedTuple):
    """One grid zone with its yearly average intensity and where that figure comes from."""

    key: str
    name: str
    country: str
    kind: str  # "country", "subnational" or "world"
    g_per_kwh: float
    year: int | None
    source: str
    alpha3: str
    aliases: tuple[str, ...]

    pue = None  # a grid zone has no facility; see CloudRegion

    @property
    def zone(self) -> "Zone":
        return self

    def intensity(self, *, chosen_by: str, guess: bool, pue: float | None = None) -> Intensity:
        return Intensity(
            g_per_kwh=self.g_per_kwh,
            zone=self.key,
            zone_name=self.name,
            source=self.source,
            year=self.year,
            signal="average",
            chosen_by=chosen_by,
            guess=guess,
            pue=1.0 if pue is None else pue,
        )


def normalise(text: str) -> str:
    """Lower case, accents dropped, underscores as spaces, one space between words."""
    text = str(text)
    if text.isascii():  # nothing to decompose: most names, and a tenth of a kernel's start
        return " ".join(text.lower().replace("_", " ").split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().replace("_", " ").split())


def _zone(row: dict[str, str]) -> Zone:
    return Zone(
        key=row["key"],
        name=row["name"],
        country=row["country"],
        kind=row["kind"],
        g_per_kwh=float(row["g_per_kwh"]),
        year=int(row["year"]) if row["year"] else None,
        source=row["source"],
        alpha3=row["alpha3"],
        aliases=tuple(a for a in row["aliases"].split(";") if a),
    )


@functools.lru_cache(maxsize=1)
def zones() -> dict[str, Zone]:
    """Every bundled zone by key, loaded on first use."""
    return {row["key"]: _zone(row) for row in read_table("zones.csv")}


def zone(key: str) -> Zone | None:
    """The zone ``key``: from the whole table once it is parsed, else from its one line, so
    that a kernel with no zone set (the world average, or its time zone's) parses one row of
    365 at start."""
    if zones.cache_info().currsize:
        return zones().get(key)
    rows = rows_starting("zones.csv", (key + ",",))
    return _zone(rows[0]) if rows else None


def subnational(country: str) -> list[Zone]:
    """The sub-national zones of ``country``, by key: from the whole table once it is parsed,
    else from the lines that can hold them, so that a kernel naming a country's zone at start
    parses those rows only."""
    if zones.cache_info().currsize:
        found = zones().values()
    else:
        found = map(_zone, rows_containing("zones.csv", f",{country},subnational,"))
    return sorted((z for z in found if z.kind == "subnational" and z.country == country), key=lambda z: z.key)


def world() -> Zone:
    return zone(WORLD)
