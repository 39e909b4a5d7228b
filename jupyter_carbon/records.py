"""What a cell cost: the record kept for each metered cell, and running totals over records.

A :class:`CellRecord` is the unit of everything downstream: the ledger stores one per line,
the reports read them back, the comm sends them to front ends. It says how each number was
obtained (``method`` per component; the intensity's zone, source and year).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from . import bounds as _bounds
from .compact import as_dict
from .energy.base import COMPONENTS, METHOD_RANK, weakest_method
from .sums import CellTotal, cell_sci, cell_total, costliest, parse_unit, sci  # noqa: F401 (the records' figures, in one place)

SCHEMA_VERSION = 1
_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}
STATUSES = ("ok", "error", "interrupted")


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def first_line(source: str, limit: int = 120) -> str:
    """The first non-blank line of a cell, shortened: enough to recognise it in a table."""
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


@dataclass(slots=True)
class CellRecord:
    """What one cell cost, and how each number was obtained."""

    session_id: str
    index: int
    """Order of the cell in this session, from 1."""
    execution_count: int | None
    cell_id: str | None
    source: str
    """First line of the cell's source."""
    started_at: str
    ended_at: str
    duration_s: float
    status: str
    """``ok``, ``error`` or ``interrupted``."""
    error: str | None
    energy_j: float
    """IT energy charged to this kernel, all components."""
    by_component: dict[str, float]
    method: dict[str, str]
    device_energy_j: float
    """The same, machine-wide: every process's use of the devices this kernel metered."""
    device_by_component: dict[str, float]
    pue: float
    facility_energy_j: float
    """IT energy × PUE: what the building drew from the grid for this cell."""
    emissions_g: float | None
    intensity: dict | None
    """Grid intensity used: g_per_kwh, zone, zone_name, source, year, signal, chosen_by, ..."""
    magic: bool = False
    """Run under ``%%carbon``."""
    notebook: str | None = None
    """The notebook the cell belongs to, where the front end says (a path, relative to the
    Jupyter server's root when it comes from JupyterLab or Notebook); None in a console."""
    below_resolution: list[str] = field(default_factory=list)
    """Components whose counter updates less often than the cell lasted: no figure to trust."""
    cluster: dict | None = None
    """The work the cell sent to a cluster, apart from the kernel's own figures above: the
    sums (``energy_j``, ``facility_energy_j``, ``emissions_g``, ``by_component``, ``nodes``,
    ``hosts``, ``zones``), whether it is ``complete`` (``note`` says why not), and per node
    (``workers``) its host, energy by component, method, zone, intensity, PUE and emissions
    (see :mod:`jupyter_carbon.cluster.base`). None without a cluster client."""
    cell_position: int | None = None
    """The cell's place in the notebook (1 = the first cell), where the one who ran it knows:
    ``jupyter carbon run``. Absent from older ledgers."""
    source_sha256: str | None = None
    """SHA-256 (hex) of all the source that ran, to tell a cell edited since. Absent from older ledgers."""
    bounds: dict | None = None
    """How sure the figures are: ``{"energy_j": [low, high], "by_component": {c: [low, high]},
    "emissions_g": [low, high] | None}`` from each method's band (:mod:`jupyter_carbon.bounds`).
    None in ledgers written before bounds were kept."""
    embodied: dict | None = None
    """The hardware's manufacturing emissions the cell used up, apart from the operational
    figures above: ``emissions_g`` with ``low_g``/``high_g``, ``by_component``,
    ``lifetime_years``, ``parts`` (per domain, the row priced), ``source``, ``year`` (see
    :mod:`jupyter_carbon.carbon.embodied`). None where not estimated (older ledgers)."""
    functional_unit: dict | None = None
    """The cell's functional unit for the SCI score: ``quantity`` (R) and ``unit`` (e.g.
    1000 and ``samples``), and ``declared_by`` (``cell``, ``session`` or ``return``)."""
    type: str = "cell"

    def to_dict(self) -> dict:
        return as_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CellRecord":
        """A record read back (a ledger line, a JSON export), or ValueError saying which field
        is missing or of the wrong type: a hand-edited ``"energy_j": null`` must be one
        skipped line, not a TypeError deep in a report."""
        if _common(data):  # the usual line, checked in a few microseconds (reports of a million cells)
            return cls(*data.values())  # by position: matching 29 keyword names costs more than the check
        missing = [f for f in _REQUIRED_FIELDS if f not in data]
        if missing:
            raise ValueError(f"cell record lacks {', '.join(missing)}")
        fields = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
        for name, value in fields.items():
            if not _FIELD_TYPES[name](value):
                shown = repr(value) if len(repr(value)) <= 80 else f"a {type(value).__name__}"
                raise ValueError(f"cell record field {name} has a wrong value: {shown}")
        return cls(**fields)


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


#: How a cluster node's figures were obtained: its own answer at the cell's end; the readings
#: it pushed as its work began and ended (it was idle at the cell's end); the last readings it
#: pushed before it was lost; none (it could not say, ``error`` says why); or counted in the
#: kernel's own part because the node runs inside the kernel's process tree.
NODE_STATUSES = ("answered", "pushed", "reported", "missing", "in-kernel")
#: The statuses whose figures are charged in a cluster part's sums.
CHARGED = ("answered", "pushed", "reported")


def cluster_work(part: dict | None) -> bool:
    """Whether a cell's cluster part has anything to say: workers charged, or a reason it is
    incomplete. A complete part that charged no worker (a ``LocalCluster``'s workers, which
    the kernel's own figures count) says nothing and is no cluster cell."""
    return bool(part) and (bool(part.get("nodes")) or not part.get("complete", True))


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


_FIELD_TYPES = {
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
_RECORD_FIELDS = frozenset(CellRecord.__dataclass_fields__)
assert _RECORD_FIELDS == frozenset(_FIELD_TYPES), "every record field needs its check"
_REQUIRED_FIELDS = ("session_id", "index", "energy_j", "status")
_INF = math.inf
_FIELD_ORDER = tuple(CellRecord.__dataclass_fields__)
_last_order = _FIELD_ORDER
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


def _common(d: dict) -> bool:
    """Whether ``d`` is a valid record of the usual shape: every field there, in order, floats
    for the quantities, plain text. A sufficient check, never a wider one than
    :data:`_FIELD_TYPES`: a dict it does not pass (an older ledger's line, an integer where a
    float is usual, a wrong value) gets the full check and its error."""
    global _last_order
    if type(d) is not dict:
        return False
    order = tuple(d)
    if order != _last_order:  # the same key objects line after line (a parser's key cache): compared by identity
        if order != _FIELD_ORDER:
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


@dataclass(slots=True)
class IdleSpan:
    """Energy charged to the kernel between two cells: a GPU held with its memory, the
    kernel's resident memory, background threads. Kept apart from the cells: no cell ran."""

    session_id: str
    before_cell: int | None
    """Index of the cell that ended the span; None for the span a session closed on."""
    started_at: str
    ended_at: str
    duration_s: float
    energy_j: float
    by_component: dict[str, float]
    method: dict[str, str]
    device_energy_j: float
    device_by_component: dict[str, float]
    pue: float
    facility_energy_j: float
    emissions_g: float | None
    intensity: dict | None
    bounds: dict | None = None
    """As a cell record's; None in older ledgers."""
    embodied: dict | None = None
    """The hardware's manufacturing the span used up (the GPUs held, the kernel's share of
    CPU and memory), as a cell's ``embodied``; None where not estimated (older ledgers)."""
    type: str = "idle"

    def to_dict(self) -> dict:
        return as_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "IdleSpan":
        missing = [f for f in ("session_id", "energy_j", "duration_s") if f not in data]
        if missing:
            raise ValueError(f"idle span lacks {', '.join(missing)}")
        return cls(**{k: v for k, v in data.items() if k in _IDLE_FIELDS})


_IDLE_FIELDS = frozenset(IdleSpan.__dataclass_fields__)


@dataclass
class Totals:
    """Running totals of a session, updated as each cell ends."""

    cells: int = 0
    errors: int = 0
    duration_s: float = 0.0
    energy_j: float = 0.0
    device_energy_j: float = 0.0
    facility_energy_j: float = 0.0
    emissions_g: float = 0.0
    by_component: dict[str, float] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)
    idle_spans: int = 0
    """Spans between cells, kept apart from the cells' figures above."""
    idle_duration_s: float = 0.0
    idle_energy_j: float = 0.0
    idle_facility_energy_j: float = 0.0
    idle_emissions_g: float = 0.0
    idle_by_component: dict[str, float] = field(default_factory=dict)
    cluster_cells: int = 0
    """Cells that sent work to a cluster; its figures are kept apart from the kernel's above."""
    cluster_energy_j: float = 0.0
    cluster_facility_energy_j: float = 0.0
    cluster_emissions_g: float = 0.0
    cluster_nodes: list[str] = field(default_factory=list)
    """The workers charged in any cell (their addresses), in the order first charged."""
    cluster_zones: list[str] = field(default_factory=list)
    """The grid zones those workers were priced in, sorted."""
    energy_bounds_j: list[float] = field(default_factory=lambda: [0.0, 0.0])
    """Low and high of ``energy_j``: the cells' bounds summed (a record without bounds, from
    an older ledger, counts as its figure at both ends)."""
    emissions_bounds_g: list[float] = field(default_factory=lambda: [0.0, 0.0])
    """Low and high of ``emissions_g``, likewise."""
    embodied_g: float = 0.0
    """The hardware's manufacturing emissions the cells and the idle spans used up, a named
    part of the footprint apart from the operational figures; with its bounds."""
    embodied_low_g: float = 0.0
    embodied_high_g: float = 0.0
    unit_quantity: float = 0.0
    """The functional units (R) the cells declared, when they all named one ``unit``."""
    unit: str | None = None
    units_mixed: bool = False
    """Cells declared different units: no one R for the session."""

    def add_idle(self, span: IdleSpan) -> None:
        self.idle_spans += 1
        self.idle_duration_s += span.duration_s
        self.idle_energy_j += span.energy_j
        self.idle_facility_energy_j += span.facility_energy_j
        self.idle_emissions_g += span.emissions_g or 0.0
        self._add_embodied(span.embodied)
        for c, j in span.by_component.items():
            self.idle_by_component[c] = self.idle_by_component.get(c, 0.0) + j

    def _add_bounds(self, record: CellRecord) -> None:
        b, grams = record.bounds or {}, record.emissions_g or 0.0
        energy, emissions = b.get("energy_j") or [record.energy_j] * 2, b.get("emissions_g") or [grams] * 2
        self.energy_bounds_j = [self.energy_bounds_j[0] + energy[0], self.energy_bounds_j[1] + energy[1]]
        self.emissions_bounds_g = [self.emissions_bounds_g[0] + emissions[0], self.emissions_bounds_g[1] + emissions[1]]

    def _add_embodied(self, part: dict | None) -> None:
        if part:
            self.embodied_g += part["emissions_g"]
            self.embodied_low_g += part.get("low_g", part["emissions_g"])
            self.embodied_high_g += part.get("high_g", part["emissions_g"])

    def add(self, record: CellRecord) -> None:
        self.cells += 1
        self._add_bounds(record)
        self.errors += record.status != "ok"
        self.duration_s += record.duration_s
        self.energy_j += record.energy_j
        self.device_energy_j += record.device_energy_j
        self.facility_energy_j += record.facility_energy_j
        self.emissions_g += record.emissions_g or 0.0
        if record.cluster is not None:
            self.cluster_cells += cluster_work(record.cluster)
            self.cluster_energy_j += record.cluster["energy_j"]
            self.cluster_facility_energy_j += record.cluster["facility_energy_j"]
            self.cluster_emissions_g += record.cluster.get("emissions_g") or 0.0
            charged = [w for w in record.cluster.get("workers", []) if w.get("status") in CHARGED]
            self.cluster_nodes += [n for n in dict.fromkeys(w.get("node") for w in charged) if n not in self.cluster_nodes]
            self.cluster_zones = sorted(set(self.cluster_zones) | set(record.cluster.get("zones") or ()))
        self._add_embodied(record.embodied)
        if record.functional_unit:
            fu = record.functional_unit
            self.units_mixed |= self.unit is not None and fu["unit"] != self.unit
            self.unit = self.unit or fu["unit"]
            self.unit_quantity += fu["quantity"]
        new_component = False
        for c, j in record.by_component.items():
            new_component |= c not in self.by_component
            self.by_component[c] = self.by_component.get(c, 0.0) + j
        for c, m in record.method.items():
            previous = self.method.get(c)
            if previous != m:  # the same method as before (most cells): nothing to weigh
                self.method[c] = m if previous is None else weakest_method((m, previous))
        if new_component:  # keep gpu, cpu, memory order for display
            self.by_component = dict(sorted(self.by_component.items(), key=lambda kv: _COMPONENT_ORDER.get(kv[0], 9)))

    @property
    def total_energy_j(self) -> float:
        """What the cells caused: the kernel's part and the cluster's."""
        return self.energy_j + self.cluster_energy_j

    @property
    def total_emissions_g(self) -> float:
        return self.emissions_g + self.cluster_emissions_g

    @property
    def footprint_g(self) -> float:
        """The session's whole footprint: the cells' total, the idle spans, the embodied part."""
        return self.total_emissions_g + self.idle_emissions_g + self.embodied_g

    @property
    def sci_g(self) -> float | None:
        """The session's SCI: its footprint per functional unit, where the cells declared
        one unit; None otherwise."""
        if self.units_mixed or not self.unit_quantity:
            return None
        return sci(self.total_emissions_g + self.idle_emissions_g, self.embodied_g, self.unit_quantity)

    def to_dict(self) -> dict:
        """The running sums, and the totals derived from them (which :meth:`from_dict` drops)."""
        return as_dict(self) | {
            "total_energy_j": self.total_energy_j, "total_emissions_g": self.total_emissions_g,
            "footprint_g": self.footprint_g, "sci_g": self.sci_g,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> "Totals":
        return cls(**{k: v for k, v in data.items() if k in _TOTALS_FIELDS})


_TOTALS_FIELDS = frozenset(Totals.__dataclass_fields__)
