"""The session ledger: one record per metered cell, running totals, and the file on disk.

Each record is appended to a JSONL file and flushed the moment its cell ends, so a crash or
a restart loses at most the cell that was running; a later kernel can read it back with
:func:`read_ledger`. Totals are kept incrementally, so a status line costs nothing however
long the session. Listeners (the widget, the JupyterLab status bar) subscribe to the events
``cell_start``, ``power``, ``cell_end`` and ``totals``.

Flushing hands each line to the operating system, which survives the kernel process dying;
it does not ``fsync``, which would cost milliseconds per cell to survive a power cut.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .energy.base import COMPONENTS, weakest_method

log = logging.getLogger("jupyter_carbon")

SCHEMA_VERSION = 1
_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}
STATUSES = ("ok", "error", "interrupted")

Listener = Callable[[str, object], None]


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
    type: str = "cell"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CellRecord":
        missing = [f for f in _REQUIRED_FIELDS if f not in data]
        if missing:
            raise ValueError(f"cell record lacks {', '.join(missing)}")
        return cls(**{k: v for k, v in data.items() if k in _RECORD_FIELDS})


_RECORD_FIELDS = frozenset(CellRecord.__dataclass_fields__)
_REQUIRED_FIELDS = ("session_id", "index", "energy_j", "status")


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

    def add(self, record: CellRecord) -> None:
        self.cells += 1
        self.errors += record.status != "ok"
        self.duration_s += record.duration_s
        self.energy_j += record.energy_j
        self.device_energy_j += record.device_energy_j
        self.facility_energy_j += record.facility_energy_j
        self.emissions_g += record.emissions_g or 0.0
        new_component = False
        for c, j in record.by_component.items():
            new_component |= c not in self.by_component
            self.by_component[c] = self.by_component.get(c, 0.0) + j
        for c, m in record.method.items():
            previous = self.method.get(c)
            self.method[c] = m if previous is None else weakest_method((m, previous))
        if new_component:  # keep gpu, cpu, memory order for display
            self.by_component = dict(sorted(self.by_component.items(), key=lambda kv: _COMPONENT_ORDER.get(kv[0], 9)))

    def to_dict(self) -> dict:
        return asdict(self)


# -- the file -----------------------------------------------------------------------------------
def default_ledger_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "carbon" / "ledgers"


class Ledger:
    """An append-only JSONL file: a header line, then one line per cell."""

    def __init__(self, path: str | os.PathLike, header: dict):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8")
        if self._file.tell() == 0:
            self._write({"type": "session", "schema_version": SCHEMA_VERSION, **header})

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        self._file.flush()

    def append(self, record: CellRecord) -> None:
        with self._lock:
            self._write(record.to_dict())

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._file.close()


@dataclass
class LedgerContents:
    path: Path
    header: dict
    records: list[CellRecord]
    skipped: list[int]
    """Line numbers that could not be read (a torn last line after a crash, hand edits)."""

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for r in self.records:
            totals.add(r)
        return totals


def read_ledger(path: str | os.PathLike) -> LedgerContents:
    """Read a ledger back, skipping (and warning once about) lines that are not records."""
    path = Path(path)
    header: dict = {}
    records: list[CellRecord] = []
    skipped: list[int] = []
    # Most cells of a session share their intensity and methods: keep one copy of each.
    shared: dict[tuple, dict] = {}

    def share(value):
        if not isinstance(value, dict):
            return value
        try:
            return shared.setdefault(tuple(value.items()), value)
        except TypeError:  # a nested value: not worth sharing
            return value

    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                if data.get("type") == "session":
                    header = data
                    continue
                record = CellRecord.from_dict(data)
                record.intensity = share(record.intensity)
                record.method = share(record.method)
                records.append(record)
            except (ValueError, TypeError) as err:
                skipped.append(number)
                if len(skipped) == 1:
                    first_error = f"{type(err).__name__}: {err}"
    if skipped:
        log.warning(
            "jupyter-carbon: skipped %d unreadable line(s) in %s (line %s%s; first error: %s)",
            len(skipped), path, ", ".join(map(str, skipped[:5])), ", ..." if len(skipped) > 5 else "", first_error,
        )
    return LedgerContents(path, header, records, skipped)


def list_ledgers(directory: str | os.PathLike | None = None) -> list[Path]:
    """Ledgers on disk, oldest first."""
    directory = Path(directory) if directory else default_ledger_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name))


# -- the session --------------------------------------------------------------------------------
@dataclass
class OpenCell:
    """A cell between its start and its end."""

    index: int
    execution_count: int | None
    cell_id: str | None
    source: str
    started_at: str
    start: object  # meter Snapshot
    magic: bool = False


class Session:
    """Meters cells with a meter, prices them with a carbon context, records them in a ledger.

    ``carbon`` is anything with ``current() -> Intensity`` and ``emissions_g(joules,
    intensity)``; ``None`` records energy without emissions.
    """

    def __init__(self, meter, carbon=None, *, ledger_dir: str | os.PathLike | None = None, persist: bool = True):
        self.meter = meter
        self.carbon = carbon
        self.ledger_dir = Path(ledger_dir) if ledger_dir else None
        self.persist = persist
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._current: OpenCell | None = None
        self._unsubscribe_power = meter.subscribe(self._on_power)
        self._start_ledger()

    def _start_ledger(self) -> None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.session_id = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.started_at = utc_now()
        self.records: list[CellRecord] = []
        self.totals = Totals()
        self.ledger: Ledger | None = None
        if self.persist:
            directory = self.ledger_dir or default_ledger_dir()
            header = {"session_id": self.session_id, "started_at": self.started_at, "pid": os.getpid()}
            try:
                self.ledger = Ledger(directory / f"{self.session_id}.jsonl", header)
            except OSError as err:
                log.warning("jupyter-carbon: cannot write the ledger in %s (%s); totals are kept in memory only", directory, err)

    # -- events -------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(event, payload)`` for cell_start, power, cell_end and totals."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _emit(self, event: str, payload) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event, payload)
            except Exception:
                log.exception("jupyter-carbon: a session listener failed on %r and was removed", event)
                self.unsubscribe(listener)

    def _on_power(self, reading) -> None:
        self._emit("power", reading)

    # -- cells --------------------------------------------------------------------------------
    @property
    def current(self) -> OpenCell | None:
        return self._current

    def begin(self, *, execution_count=None, cell_id=None, source: str = "", magic: bool = False) -> OpenCell:
        cell = OpenCell(
            index=self.totals.cells + 1,
            execution_count=execution_count,
            cell_id=cell_id,
            source=first_line(source),
            started_at=utc_now(),
            start=self.meter.snapshot(),
            magic=magic,
        )
        self._current = cell
        self._emit("cell_start", cell)
        return cell

    def live_energy_j(self) -> float:
        """Energy of the running cell so far (0 between cells)."""
        cell = self._current
        if cell is None:
            return 0.0
        from .meter import Measurement

        return Measurement.between(cell.start, self.meter.snapshot()).energy_j

    def end(self, cell: OpenCell, *, status: str = "ok", error: str | None = None, intensity=None) -> CellRecord:
        """Close a cell: measure it, price it, append it to the ledger, update the totals."""
        from .meter import Measurement

        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        m = Measurement.between(cell.start, self.meter.snapshot())
        summary = m._summary()
        energy_j = sum(summary["by_component"].values())
        intensity = intensity or self._intensity()
        pue = float(getattr(intensity, "pue", 1.0) or 1.0)
        facility_j = energy_j * pue
        emissions = None
        if intensity is not None:
            try:
                emissions = float(self.carbon.emissions_g(energy_j, intensity))
            except Exception:
                emissions = facility_j / 3.6e6 * intensity.g_per_kwh
        record = CellRecord(
            session_id=self.session_id,
            index=cell.index,
            execution_count=cell.execution_count,
            cell_id=cell.cell_id,
            source=cell.source,
            started_at=cell.started_at,
            ended_at=utc_now(),
            duration_s=summary["duration_s"],
            status=status,
            error=error,
            energy_j=energy_j,
            by_component=summary["by_component"],
            method=summary["method"],
            device_energy_j=sum(summary["device_by_component"].values()),
            device_by_component=summary["device_by_component"],
            pue=pue,
            facility_energy_j=facility_j,
            emissions_g=emissions,
            intensity=_intensity_dict(intensity),
            magic=cell.magic,
        )
        with self._lock:
            if self._current is cell:
                self._current = None
            self.records.append(record)
            self.totals.add(record)
        if self.ledger is not None:
            try:
                self.ledger.append(record)
            except (OSError, ValueError) as err:
                log.warning("jupyter-carbon: could not append to %s (%s); kept in memory", self.ledger.path, err)
        self._emit("cell_end", record)
        self._emit("totals", self.totals)
        return record

    def _intensity(self):
        if self.carbon is None:
            return None
        try:
            return self.carbon.current()
        except Exception:
            log.exception("jupyter-carbon: no carbon intensity for this cell")
            return None

    def announce_totals(self) -> None:
        """Tell the listeners the totals again, e.g. after the zone or PUE changed."""
        self._emit("totals", self.totals)

    def reset(self) -> None:
        """Start a new session: totals from zero and a new ledger file; the old one stays."""
        if self.ledger is not None:
            self.ledger.close()
        self._current = None
        self._start_ledger()
        self.announce_totals()

    def close(self) -> None:
        self._unsubscribe_power()
        if self.ledger is not None:
            self.ledger.close()


def _intensity_dict(intensity) -> dict | None:
    if intensity is None:
        return None
    if hasattr(intensity, "to_dict"):
        return intensity.to_dict()
    return dict(intensity)


def costliest(records: Iterable[CellRecord], n: int = 10) -> list[CellRecord]:
    """The n cells that used the most energy, costliest first."""
    return sorted(records, key=lambda r: r.energy_j, reverse=True)[:n]
