"""The one place for a cell's total and the SCI formula, read by every view.

A cell's total is what it caused: its kernel's operational figures plus its cluster part's
(:func:`cell_total`). Idle spans and embodied emissions are named parts of a session's
footprint beside it, never in it. The Software Carbon Intensity (Green Software Foundation,
ISO/IEC 21031:2024) is ``SCI = (E × I + M) per R`` (:func:`sci`). Works on a
:class:`~jupyter_carbon.records.CellRecord` or its dict alike, so the views, the exports
and a ledger read back agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple


def _getter(record):
    return record.get if isinstance(record, dict) else (lambda k, d=None: getattr(record, k, d))


class CellTotal(NamedTuple):
    """What a cell caused, the one figure to quote: its kernel's part plus its cluster part."""

    energy_j: float
    facility_energy_j: float
    emissions_g: float | None
    """None when neither part was priced."""


def cell_total(record) -> CellTotal:
    """A cell's total (a :class:`CellRecord` or its dict): the kernel's operational figures
    plus its cluster part's. Embodied emissions are not in it: a named part of its own."""
    if type(record) is not dict and getattr(record, "cluster", None) is None:  # no cluster part: the sums below, read directly
        g = getattr(record, "emissions_g", None)
        return CellTotal(record.energy_j + 0.0, getattr(record, "facility_energy_j", 0.0) + 0.0, None if g is None else (g or 0.0) + 0.0)
    get = _getter(record)
    part = get("cluster") or {}
    kernel_g, cluster_g = get("emissions_g"), part.get("emissions_g")
    grams = None if kernel_g is None and cluster_g is None else (kernel_g or 0.0) + (cluster_g or 0.0)
    return CellTotal(
        get("energy_j") + part.get("energy_j", 0.0), get("facility_energy_j", 0.0) + part.get("facility_energy_j", 0.0), grams
    )


def sci(operational_g: float | None, embodied_g: float | None, quantity: float | None) -> float | None:
    """The Software Carbon Intensity, SCI = (E × I + M) per R (Green Software Foundation,
    ISO/IEC 21031:2024): operational emissions (E × I) plus embodied (M), per functional
    unit; None without an R above 0 or operational emissions."""
    if operational_g is None or not quantity or quantity <= 0:
        return None
    return (operational_g + (embodied_g or 0.0)) / quantity


def cell_sci(record, total: CellTotal | None = None) -> float | None:
    """A cell's SCI in gCO2e per its declared unit: its total (kernel and cluster; ``total``
    where the caller has it already) plus its embodied part, over its R; None without a
    declared unit."""
    get = _getter(record)
    unit = get("functional_unit")
    if not unit:
        return None
    embodied = (get("embodied") or {}).get("emissions_g")
    return sci((total or cell_total(record)).emissions_g, embodied, unit.get("quantity"))


def parse_unit(words) -> dict:
    """A functional unit from ``["1000", "samples"]`` (R and its name), or from
    ``["result", "samples"]`` (R is what each cell returns: see :func:`unit_from_result`);
    ValueError saying what a right one looks like."""
    words = list(words)
    example = "e.g. 1000 samples, or result samples to count what the cell returns"
    if len(words) < 2:
        raise ValueError(f"a functional unit is a number and a name, {example}; got {' '.join(words)!r}")
    if words[0] == "result":
        return {"per_result": True, "unit": " ".join(words[1:])}
    try:
        quantity = float(words[0])
    except ValueError:
        raise ValueError(f"a functional unit starts with how many, {example}; {words[0]!r} is not a number") from None
    if not (math.isfinite(quantity) and quantity > 0):
        raise ValueError(f"a functional unit's number must be above 0, {example}; got {words[0]}")
    return {"quantity": quantity, "unit": " ".join(words[1:])}


def costliest(records: Iterable, n: int = 10) -> list:
    """The n cells whose total (kernel and cluster) used the most energy, costliest first."""
    if hasattr(records, "largest"):  # a session's records (compact.Packed), not all read back
        return records.largest(n)
    return sorted(records, key=lambda r: cell_total(r).energy_j, reverse=True)[:n]


def session_unit(unit: dict | None) -> dict | None:
    """The session's functional unit as a cell that declares none records it; None for a
    ``result`` unit, which the kernel resolves from each cell's value first."""
    return dict(unit, declared_by="session") if unit and not unit.get("per_result") else None


def unit_from_result(spec: dict, value) -> tuple[dict | None, str]:
    """R from the value a cell returned, for a ``result`` unit: a number above 0 as it is,
    else the length of a sized value that holds one item per unit (a list of predictions, an
    array, a data frame); (None, why) for anything else. Text and mappings are not counts:
    their length is characters or keys. ``len`` is the only thing asked of the value."""
    from collections.abc import Mapping
    from numbers import Real

    name = spec["unit"]
    if value is None:
        return None, f"no SCI: the cell returned nothing to count as {name}"
    quantity = None
    if isinstance(value, Real) and not isinstance(value, bool):
        quantity = float(value)
    elif hasattr(value, "__len__") and not isinstance(value, (str, bytes, bytearray, Mapping)):
        try:
            quantity = float(len(value))
        except Exception:  # a lazy collection may not know its length
            quantity = None
    if quantity is None or not (math.isfinite(quantity) and quantity > 0):
        return None, f"no SCI: the cell returned {type(value).__name__} {_short(value)}, not a count of {name} above 0"
    return {"quantity": quantity, "unit": name, "declared_by": "return"}, ""


def _short(value) -> str:
    try:
        text = repr(value)
    except Exception:
        return ""
    return text if len(text) <= 20 else text[:19] + "…"
