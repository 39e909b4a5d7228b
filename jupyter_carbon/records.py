"""What a cell cost: the record kept for each metered cell, and running totals over records.

A :class:`CellRecord` is the unit of everything downstream: the ledger stores one per line,
the reports read them back, the comm sends them to front ends. It says how each number was
obtained (``method`` per component; the intensity's zone, source and year).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .compact import as_dict
from .record_checks import FIELD_ORDER as _FIELD_ORDER
from .record_checks import FIELD_TYPES as _FIELD_TYPES
from .record_checks import STATUSES
from .record_checks import common as _common
from .energy.base import COMPONENTS, weakest_method
from .sums import CellTotal, cell_sci, cell_total, costliest, parse_unit, sci  # noqa: F401 (the records' figures, in one place)

SCHEMA_VERSION = 1
_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}


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


_RECORD_FIELDS = frozenset(CellRecord.__dataclass_fields__)
assert _RECORD_FIELDS == frozenset(_FIELD_TYPES), "every record field needs its check"
assert tuple(CellRecord.__dataclass_fields__) == _FIELD_ORDER, "the quick check reads the fields in this order"
_REQUIRED_FIELDS = ("session_id", "index", "energy_j", "status")


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
