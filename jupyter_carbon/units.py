"""Figures for people: energy, mass, power, duration and grid intensity as short text.

Units inside the project are joules, grams, watts and seconds; watt-hours, kilograms and
kilowatts are for display only. Every view (the ``%%carbon`` line, the live meter, the
reports, the command line) formats through this module, and the JupyterLab extension's
``format.ts`` follows the same rules; ``tests/fixtures/format_cases.json`` holds the cases
both are tested against.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator, Sequence

#: ``auto`` picks the unit that reads best; a fixed unit keeps it unless a figure would be unreadable in it.
ENERGY_UNITS = ("auto", "Wh", "kWh")
MASS_UNITS = ("auto", "g", "kg")

#: The units a view asked for (:func:`display_units`); ``auto`` unless one did.
_PREFERRED: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("jupyter_carbon_units", default=("auto", "auto"))

_ENERGY_SCALE = ((3.6, "mWh"), (3600.0, "Wh"), (3.6e6, "kWh"))
_MASS_SCALE = ((1e-3, "mg"), (1.0, "g"), (1e3, "kg"), (1e6, "t"))
_ENERGY_FIXED = {"Wh": 3600.0, "kWh": 3.6e6}
_MASS_FIXED = {"g": 1.0, "kg": 1e3}


def num(x: float) -> str:
    """Two significant figures below 10, whole numbers above: precision the meters can back."""
    if 0 < x < 1:
        decimals = 1 - math.floor(math.log10(x))
        # 0.09999 rounds up to 0.1, a place to the left of where it started: one decimal fewer.
        if round(x, decimals) >= 10.0 ** (2 - decimals):
            decimals -= 1
        if round(x, decimals) < 1:
            return f"{x:.{decimals}f}"
    if x >= 9.95:  # would print as "10.0"
        return f"{x:.0f}"
    if x >= 1 or x > 0.95:
        return f"{x:.1f}"
    return "0"


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _scaled(value: float | None, units: Sequence[tuple[float, str]]) -> str:
    """``value`` in the largest unit it reaches (units ascending); the smallest below that."""
    if not _finite(value):
        return "n/a"
    sign, value = ("-" if value < 0 else ""), abs(value)
    chosen = 0
    for i, (factor, _) in enumerate(units):
        if value >= factor:
            chosen = i
    text = num(value / units[chosen][0])
    # 999.7 Wh rounds to "1000 Wh": say "1.0 kWh" instead.
    if chosen + 1 < len(units) and float(text) >= units[chosen + 1][0] / units[chosen][0]:
        chosen += 1
        text = num(value / units[chosen][0])
    return f"{sign}{text} {units[chosen][1]}"


def _fixed(value: float | None, factor: float, unit: str, scale: Sequence[tuple[float, str]]) -> str:
    """A fixed unit, by the rule of :func:`num`. A figure below a thousandth of it would need
    more zeros than digits ("0.00000376 kWh"): that one is said in the unit of ``scale`` that
    reads best ("0.28 mWh"), never in scientific notation."""
    if not _finite(value):
        return "n/a"
    v = value / factor
    if v == 0:
        return f"0 {unit}"
    if abs(v) < _FIXED_FLOOR:
        return _scaled(value, scale)
    return f"{'-' if v < 0 else ''}{num(abs(v))} {unit}"


#: Below this many of a fixed unit, a figure goes to a unit that reads (see :func:`_fixed`).
_FIXED_FLOOR = 0.001


def _unit(unit: str, allowed: Sequence[str]) -> str:
    if unit not in allowed:
        raise ValueError(f"unit must be one of {', '.join(allowed)}, not {unit!r}")
    return unit


@contextlib.contextmanager
def display_units(energy: str = "auto", mass: str = "auto") -> Iterator[None]:
    """Within this block, figures formatted without a unit use these: the units the user
    chose for a kernel's views (JupyterLab's settings, ``c.CarbonMeter.energy_unit``). Files
    and the command line format outside any such block, in ``auto``."""
    token = _PREFERRED.set((_unit(energy, ENERGY_UNITS), _unit(mass, MASS_UNITS)))
    try:
        yield
    finally:
        _PREFERRED.reset(token)


def format_energy(joules: float | None, unit: str | None = None) -> str:
    """Joules as mWh, Wh or kWh, whichever reads best (``0.12 mWh``, ``3.4 Wh``), or always
    in ``unit`` (``Wh``, ``kWh``); no unit: the one :func:`display_units` set, else auto."""
    unit = unit or _PREFERRED.get()[0]
    if _unit(unit, ENERGY_UNITS) == "auto":
        return _scaled(joules, _ENERGY_SCALE)
    return _fixed(joules, _ENERGY_FIXED[unit], unit, _ENERGY_SCALE)


def format_mass(grams: float | None, unit: str | None = None) -> str:
    """Grams of CO2e as mg, g, kg or t (or always in ``unit``; no unit: as for
    :func:`format_energy`); ``None`` (not priced) as n/a."""
    unit = unit or _PREFERRED.get()[1]
    if _unit(unit, MASS_UNITS) == "auto":
        return _scaled(grams, _MASS_SCALE)
    return _fixed(grams, _MASS_FIXED[unit], unit, _MASS_SCALE)


#: Marks a figure that a model estimated rather than a counter measured.
ESTIMATE_MARK = "≈"


def format_range(
    value: float | None, bounds, kind: str = "energy", unit: str | None = None, estimate: bool = False
) -> str:
    """A figure with its bounds in the figure's own unit: ``≈1.2 Wh (0.80–1.9 Wh)``.

    ``bounds`` is ``[low, high]`` as a record carries it (None or equal ends: the figure
    alone); ``estimate`` prefixes ``≈``. ``kind`` is ``energy`` (joules) or ``mass`` (grams)."""
    text = (format_energy if kind == "energy" else format_mass)(value, unit)
    mark = ESTIMATE_MARK if estimate and text != "n/a" else ""
    if text == "n/a" or not bounds or len(bounds) != 2 or not all(_finite(b) for b in bounds) or bounds[0] == bounds[1]:
        return mark + text
    shown = text.rpartition(" ")[2]
    scale, fixed = (_ENERGY_SCALE, _ENERGY_FIXED) if kind == "energy" else (_MASS_SCALE, _MASS_FIXED)
    factor = {name: f for f, name in scale}.get(shown) or fixed[shown]
    # The ends by the figure's own rule (:func:`num`), in any unit: never in e-notation.
    return f"{mark}{text} ({num(bounds[0] / factor)}–{num(bounds[1] / factor)} {shown})"


def format_power(watts: float | None) -> str:
    """Watts as ``12 W`` or ``1.5 kW``."""
    if not _finite(watts):
        return "n/a"
    return f"{num(watts / 1000)} kW" if watts >= 1000 else f"{num(watts)} W"


def format_duration(seconds: float) -> str:
    """``12 ms``, ``2.5 s``, ``2 min 05 s``, ``3 h 07 min``.

    Under a second in milliseconds: ``0.71 ms`` reads at a glance where ``0.00071 s`` is counted
    in zeros, and fits the panel's narrow time column.
    """
    if 0 < seconds < 1 and num(seconds) != "1.0":
        return f"{num(seconds * 1000)} ms"
    if seconds < 60:
        return f"{num(seconds)} s"
    minutes, s = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_intensity(intensity: dict | None) -> str:
    """"zone CA-QC 32 g/kWh (Electricity Maps 2025; config)", with live or guess noted."""
    if not intensity:
        return "no carbon intensity"
    how = intensity.get("chosen_by") or ""
    if intensity.get("guess"):
        how = f"guessed from {how}" if how and how != "default" else "world average, no zone set"
    source = intensity.get("source") or ""
    year = intensity.get("year")
    if year and str(year) not in source:
        source = f"{source} {year}".strip()
    signal = " marginal" if intensity.get("signal") == "marginal" else ""
    live = " live" if intensity.get("live") else ""
    details = "; ".join(p for p in (source, how) if p)
    return f"zone {intensity.get('zone', '?')} {intensity.get('g_per_kwh', 0):.4g} g/kWh{signal}{live} ({details})"


def plural(n: int, noun: str) -> str:
    """``1 cell``, ``2 cells``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` characters, whitespace folded, an ellipsis if cut."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_cell(execution_count: int | None, position: int | None = None, index: int | None = None) -> str:
    """The one name every view gives a cell: ``[3] cell 6``. ``[3]`` is the execution count
    the notebook shows beside the cell; ``cell 6`` its place in the notebook (1 = the first
    cell, markdown included), where the one who ran it knows (``jupyter carbon run``). A cell
    with neither is ``#2``, its order in the session."""
    parts = []
    if execution_count is not None:
        parts.append(f"[{execution_count}]")
    if position is not None:
        parts.append(f"cell {position}")
    if not parts and index is not None:
        parts.append(f"#{index}")
    return " ".join(parts) or "–"


def cell_label(record) -> str:
    """:func:`format_cell` of a cell record (or its dict)."""
    if isinstance(record, dict):
        return format_cell(record.get("execution_count"), record.get("cell_position"), record.get("index"))
    return format_cell(getattr(record, "execution_count", None), getattr(record, "cell_position", None), getattr(record, "index", None))


def printable(name: str) -> str:
    """A file name as text every writer can encode. A name whose bytes are not UTF-8 (made
    on another system) reaches Python with lone surrogates, which no UTF-8 writer accepts:
    those bytes become ``\\xe9`` escapes, as ``ls -b`` shows them."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system byte gives
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
