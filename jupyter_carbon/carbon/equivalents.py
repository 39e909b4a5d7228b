"""Emissions in things people picture: km by car, smartphone charges, tree seedlings.

Each factor comes from ``data/equivalents.csv`` with its source (US EPA equivalencies
calculator, Green Algorithms' reference values) and the gas it counts: several count CO2
alone, while emissions here are CO2e (all greenhouse gases), so each conversion says which.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..tables import read_table

#: Shown by default: the three the ML Emissions Calculator made familiar.
DEFAULT_KEYS = ("car_km", "smartphone_charges", "tree_seedlings_10y")


@dataclass(frozen=True)
class Equivalent:
    key: str
    label: str
    unit: str
    g_per_unit: float
    gas: str  # "CO2" or "CO2e": what the factor's grams count
    source: str
    year: int | None
    url: str


@functools.lru_cache(maxsize=1)
def equivalents() -> dict[str, Equivalent]:
    return {
        row["key"]: Equivalent(
            key=row["key"],
            label=row["label"],
            unit=row["unit"],
            g_per_unit=float(row["g_per_unit"]),
            gas=row["gas"],
            source=row["source"],
            year=int(row["year"]) if row["year"] else None,
            url=row["url"],
        )
        for row in read_table("equivalents.csv")
    }


def convert(grams: float, keys=DEFAULT_KEYS) -> list[dict]:
    """``grams`` of CO2e as amounts of each equivalent, with the factor, the gas it counts
    and its source."""
    table = equivalents()
    unknown = [k for k in keys if k not in table]
    if unknown:
        raise ValueError(f"unknown equivalents {unknown}; known: {sorted(table)}")
    return [
        {
            "key": e.key,
            "label": e.label,
            "amount": grams / e.g_per_unit,
            "g_per_unit": e.g_per_unit,
            "gas": e.gas,
            "source": e.source,
            "url": e.url,
        }
        for e in (table[k] for k in keys)
    ]
