"""What each field of a cell record may hold, checked as a ledger line is read back.

:data:`FIELD_TYPES` is the full check, field by field (``CellRecord.from_dict`` words its
error); :func:`common` is the quick one for a line of the usual shape, a few microseconds
where the full check takes tens, so that a report of a million cells is not spent checking.
It is a sufficient check: whatever it passes the full check passes too
(``tests/test_ledger_fast_path.py``), and whatever it does not pass gets the full check.
"""

from __future__ import annotations

import math

from . import bounds as _bounds
from .energy.base import METHOD_RANK

STATUSES = ("ok", "error", "interrupted")


def _number(v) -> bool:
    """A finite number of at least zero: every quantity a record holds is one."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v) and v >= 0
    except OverflowError:  # an integer too large for a float
        return False


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _optional(check):
    return lambda v: v is None or check(v)


def _str(v) -> bool:
    return isinstance(v, str)


def _joules(v) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and _number(j) for k, j in v.items())


def _methods(v) -> bool:
    """Per component, a method this version knows: an unknown one ("guessed") cannot be ranked
    or shown with its bounds, so the line is skipped (and counted) rather than trusted."""
    return isinstance(v, dict) and all(isinstance(k, str) and isinstance(m, str) and m in METHOD_RANK for k, m in v.items())


#: The intensity's keys that the reports read, and what each must be; other keys are kept
#: if they are plain values.
_INTENSITY_TYPES = {
    "g_per_kwh": _optional(_number), "pue": _optional(_number), "year": _optional(_int),
    "zone": _optional(_str), "zone_name": _optional(_str), "source": _optional(_str), "signal": _optional(_str),
    "chosen_by": _optional(_str), "fallback_reason": _optional(_str), "observed_at": _optional(_str),
    "guess": _optional(lambda v: isinstance(v, bool)), "live": _optional(lambda v: isinstance(v, bool)),
}  # fmt: skip


def _cluster(v) -> bool:
    """A cluster part: its sums are quantities and its nodes a list of dicts."""
    if v is None:
        return True
    if not isinstance(v, dict) or not all(_number(v.get(k)) for k in ("energy_j", "facility_energy_j")):
        return False
    return _optional(_number)(v.get("emissions_g")) and isinstance(v.get("workers", []), list) and all(
        isinstance(w, dict) and _number(w.get("energy_j")) for w in v.get("workers", [])
    )


def _embodied(v) -> bool:
    return v is None or (isinstance(v, dict) and _number(v.get("emissions_g")) and _joules(v.get("by_component", {})))


def _unit(v) -> bool:
    return v is None or (isinstance(v, dict) and _number(v.get("quantity")) and v["quantity"] > 0 and _str(v.get("unit")))


def _intensity(v) -> bool:
    if v is None:
        return True
    if not isinstance(v, dict):
        return False
    plain = _optional(lambda x: isinstance(x, (str, int, float, bool)))
    return all(isinstance(k, str) and _INTENSITY_TYPES.get(k, plain)(x) for k, x in v.items())


FIELD_TYPES = {
    "session_id": _str, "index": _int, "execution_count": _optional(_int), "cell_id": _optional(_str),
    "source": _str, "started_at": _str, "ended_at": _str, "duration_s": _number,
    "status": lambda v: v in STATUSES, "error": _optional(_str), "energy_j": _number, "by_component": _joules,
    "method": _methods, "device_energy_j": _number, "device_by_component": _joules, "pue": _number,
    "facility_energy_j": _number, "emissions_g": _optional(_number), "intensity": _intensity,
    "magic": lambda v: isinstance(v, bool), "type": _str, "notebook": _optional(_str),
    "below_resolution": lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
    "cluster": _cluster, "cell_position": _optional(lambda v: _int(v) and v >= 1), "source_sha256": _optional(_str),
    "bounds": _bounds.valid, "embodied": _embodied, "functional_unit": _unit,
}  # fmt: skip
_INF = math.inf
#: A current record's fields in the order a ledger line holds them (records.py checks it is
#: ``CellRecord``'s order).
FIELD_ORDER = (
    "session_id", "index", "execution_count", "cell_id", "source", "started_at", "ended_at", "duration_s", "status", "error",
    "energy_j", "by_component", "method", "device_energy_j", "device_by_component", "pue", "facility_energy_j", "emissions_g",
    "intensity", "magic", "notebook", "below_resolution", "cluster", "cell_position", "source_sha256", "bounds", "embodied",
    "functional_unit", "type",
)  # fmt: skip
_last_order = FIELD_ORDER
#: Per check, the last intensity or methods dict it passed, with its values' types:
#: consecutive cells share them, and an equal dict of the same types passes again.
_LAST_VALID: dict = {}


def _shared_valid(value: dict, check) -> bool:
    """``check(value)``, answered by comparison when ``value`` equals the last dict that
    passed it (its values' types too: 1, 1.0 and True are equal, not equally valid)."""
    types = tuple(map(type, value.values()))
    last = _LAST_VALID.get(check)
    if last is not None and last[1] == types and last[0] == value:
        return True
    if not check(value):
        return False
    _LAST_VALID[check] = (value, types)
    return True


def common(d: dict) -> bool:
    """Whether ``d`` is a valid record of the usual shape: every field there, in order, floats
    for the quantities, plain text. A sufficient check, never a wider one than
    :data:`FIELD_TYPES`: a dict it does not pass (an older ledger's line, an integer where a
    float is usual, a wrong value) gets the full check and its error."""
    global _last_order
    if type(d) is not dict:
        return False
    order = tuple(d)
    if order != _last_order:  # the same key objects line after line (a parser's key cache): compared by identity
        if order != FIELD_ORDER:
            return False
        _last_order = order
    (
        session_id, index, execution_count, cell_id, source, started_at, ended_at, duration_s, status, error,
        energy_j, by, method, device_energy_j, dev, pue, facility_energy_j, g, intensity, magic, notebook,
        below, cluster, cell_position, source_sha256, bounds, embodied, unit, kind,
    ) = d.values()  # fmt: skip
    q = (duration_s, energy_j, device_energy_j, pue, facility_energy_j, *by.values(), *dev.values()) if type(by) is dict is type(dev) else ()
    return (
        len(q) > 5 and _FLOAT.issuperset(map(type, q)) and 0.0 <= min(q) and sum(q) < _INF  # a NaN or an infinity makes the sum neither
        and (g is None or (type(g) is float and 0.0 <= g < _INF)) and _TEXT.issuperset(map(type, by)) and _TEXT.issuperset(map(type, dev))
        and type(index) is int and _TEXT.issuperset(map(type, (session_id, source, started_at, ended_at, kind)))
        and status in STATUSES and type(magic) is bool and type(below) is list and _TEXT.issuperset(map(type, below))
        and _TEXT_OR_NONE.issuperset(map(type, (cell_id, error, notebook, source_sha256)))
        and type(execution_count) in _INT_OR_NONE and (cell_position is None or (type(cell_position) is int and cell_position >= 1))
        and type(method) is dict and _shared_valid(method, _methods)
        and (intensity is None or (type(intensity) is dict and _shared_valid(intensity, _intensity)))
        and (cluster is None or _cluster(cluster)) and (bounds is None or _bounds.valid(bounds))
        and (embodied is None or _embodied(embodied)) and (unit is None or _unit(unit))
    )  # fmt: skip


_FLOAT, _TEXT = frozenset((float,)), frozenset((str,))
_TEXT_OR_NONE = frozenset((str, type(None)))
_INT_OR_NONE = (int, type(None))
