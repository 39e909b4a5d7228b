"""The session: meters cells, prices them, keeps their records and totals, tells listeners.

``begin`` takes a snapshot of the meter, ``end`` takes another and turns the difference into
a :class:`~jupyter_carbon.records.CellRecord`, priced with the carbon context's intensity by
the one emissions formula (:func:`jupyter_carbon.carbon.intensity.emissions_g`), appended to
the ledger and added to the totals, so a status line costs nothing however long the session.
Listeners (the widget, the comm to JupyterLab) subscribe to the events ``cell_start``,
``power``, ``cell_end``, ``idle`` and ``totals``.

Between cells the kernel still costs energy: a GPU holding the kernel's memory draws tens of
watts while the user reads and types. What the meter charges the kernel from one cell's end
to the next cell's start is recorded as an :class:`~jupyter_carbon.records.IdleSpan`, in the
ledger and the totals, apart from the cells; spans under :data:`IDLE_MIN_J` (a kernel that
holds nothing) are not recorded, and time with metering switched off is no idle time.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from .bounds import record_bounds
from .carbon.embodied import EmbodiedCharge
from .carbon.intensity import facility_energy_j, intensity_dict, priced
from .compact import Packed
from .events import Listener, Listeners
from .ledger import Ledger, default_ledger_dir
from .measurement import Measurement
from .records import STATUSES, CellRecord, IdleSpan, Totals, cell_total, first_line, utc_now
from .sums import session_unit

log = logging.getLogger("jupyter_carbon")

#: A record's fields that differ from cell to cell, kept with each (:class:`~.compact.Packed`).
CELL_OWN = ("index", "execution_count", "cell_id", "source", "started_at", "ended_at", "error", "cell_position", "source_sha256")

IDLE_MIN_J = 1.0
"""Idle spans below this are not recorded: a second of a large kernel's memory estimate,
against the tens of joules a second of a held GPU."""


class OpenCell:
    """A cell between its start and its end: ``start`` is the meter's snapshot at its start,
    ``cluster`` where its cluster window starts (``cluster.edges.CellWindow``), if metered;
    ``ended`` is set once its record is kept (an interrupted end must not record it twice).
    A plain class: a dataclass costs a kernel's start a millisecond or two to create."""

    __slots__ = ("index", "execution_count", "cell_id", "source", "started_at", "start", "magic", "notebook",
                 "cluster", "cell_position", "source_sha256", "ended")  # fmt: skip

    def __init__(self, index: int, execution_count: int | None, cell_id: str | None, source: str, started_at: str,
                 start, magic: bool = False, notebook: str | None = None, cluster=None, cell_position: int | None = None,
                 source_sha256: str | None = None):  # fmt: skip
        self.index, self.execution_count, self.cell_id, self.source = index, execution_count, cell_id, source
        self.started_at, self.start, self.magic, self.notebook = started_at, start, magic, notebook
        self.cluster, self.cell_position, self.source_sha256, self.ended = cluster, cell_position, source_sha256, False

    def __repr__(self) -> str:
        return f"OpenCell(index={self.index!r}, execution_count={self.execution_count!r}, cell_id={self.cell_id!r}, source={self.source!r})"


class Session:
    """Meters cells with a meter, prices them with a carbon context, records them in a ledger.

    ``carbon`` is anything with ``current() -> Intensity`` (a ``CarbonContext``); ``None``
    records energy without emissions.
    """

    def __init__(
        self,
        meter,
        carbon=None,
        *,
        ledger_dir: str | os.PathLike | None = None,
        persist: bool = True,
        sync: Callable[[], object] | None = None,
        idle: bool = True,
        identity: dict | None = None,
        cluster=None,
        hardware_lifetime_years: float | None = 5.0,
    ):
        """``sync``, called at both edges of every cell before the snapshot, waits for the GPU
        work queued so far (:func:`jupyter_carbon.gpusync.synchronise`): the time it waits at
        the end is the cell's, and so is the energy."""
        self.meter = meter
        self.identity = dict(identity or {})
        """What tells this kernel's ledgers from other kernels' (``notebook``, ``kernel_id``),
        written in each ledger's header with the process id."""
        self.carbon = carbon
        self.sync = sync
        self.cluster = cluster
        """``begin() -> window`` and ``end(window) -> dict | None`` (a
        :class:`~jupyter_carbon.cluster.edges.ClusterMeter`): the cell's cluster part."""
        self.record_idle = idle
        self._embodied = EmbodiedCharge(hardware_lifetime_years)  # None: no embodied part
        self.functional_unit = None  # each cell's (quantity, unit) by default
        self.ledger_dir = Path(ledger_dir) if ledger_dir else None
        self.persist = persist
        self.notebook: str | None = None
        """The notebook this session's cells belong to, when known (recorded with each cell)."""
        self._events = Listeners()
        self._emit = self._events.emit
        self._lock = threading.Lock()
        self._current: OpenCell | None = None
        self._use(meter)
        self.previous_ledger_path: Path | None = None
        """The ledger of this kernel's session before the last ``reset``: what ``previous`` means first."""
        self._start_ledger()

    def _start_ledger(self) -> None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.session_id = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.started_at = utc_now()
        self.records: Packed = Packed(CellRecord, CELL_OWN, key=lambda r: cell_total(r).energy_j)
        self.idle_spans: Packed = Packed(IdleSpan, ("before_cell", "started_at", "ended_at"))
        self.totals = Totals()
        self._last_edge: tuple[object, str] | None = (self.meter.snapshot(), self.started_at)
        self.ledger: Ledger | None = None
        if self.persist:
            directory = self.ledger_dir or default_ledger_dir()
            self._header = {
                "session_id": self.session_id, "started_at": self.started_at, "pid": os.getpid(), **self.identity,
                "hardware": self._hardware(),
            }
            try:
                self.ledger = Ledger(directory / f"{self.session_id}.jsonl", self._header)
            except OSError as err:
                log.warning("jupyter-carbon: cannot write the ledger in %s (%s); totals are kept in memory only", directory, err)

    def _hardware(self) -> list[str]:
        """The devices metered, for the header: a report read back from the ledger names them."""
        from .meter import hardware_labels

        try:
            return hardware_labels(self.meter)
        except Exception:  # a meter that cannot describe itself: the header says nothing
            return []

    # -- events -------------------------------------------------------------------------------
    def subscribe(self, listener: Listener, *, wants_power: Callable[[], bool] | None = None) -> Callable[[], None]:
        """``listener(event, payload)`` for cell_start, power, cell_end and totals; ``wants_power()``
        says if it wants ``power`` between cells now (None: always, as a live meter shown)."""
        self._events.subscribe(listener, wants_power)
        self._wake()
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._events.unsubscribe(listener)

    def wants_readings(self) -> bool:
        """Whether anyone wants the meter's readings now: a cell runs, or a listener wants power."""
        return self._current is not None or self._events.want_power()

    def _use(self, meter) -> None:
        self.meter, self._wake = meter, getattr(meter, "wake", lambda: None)
        if hasattr(meter, "demand"):  # the sampler sleeps longer while nobody wants readings
            meter.demand = self.wants_readings
        self._unsubscribe_power = meter.subscribe(lambda reading: self._emit("power", reading))

    # -- cells --------------------------------------------------------------------------------
    @property
    def current(self) -> OpenCell | None:
        return self._current

    def _synchronise(self) -> None:
        if self.sync is not None:
            try:
                self.sync()
            except Exception:
                log.exception("jupyter-carbon: waiting for the GPU's queued work failed")

    def begin(
        self, *, execution_count=None, cell_id=None, source: str = "", magic: bool = False, cell_position=None,
        source_sha256=None, snapshot=None,
    ) -> OpenCell:
        """Open a cell. ``snapshot``: the meter's snapshot at the cell's true start, when the
        caller took it earlier (a server that saw the kernel go busy on another thread)."""
        self._synchronise()
        start, index = snapshot or self.meter.snapshot(fresh=True), self.totals.cells + 1
        self._end_idle(start, index)
        cell = OpenCell(
            index=index, execution_count=execution_count, cell_id=cell_id, source=first_line(source), started_at=utc_now(),
            start=start, magic=magic, notebook=self.notebook, cluster=self._cluster_begin(), cell_position=cell_position,
            source_sha256=source_sha256,
        )  # fmt: skip
        self._current = cell
        self._wake()  # live readings from one interval on, not after an idle wait
        self._emit("cell_start", cell)
        return cell

    def live_energy_j(self) -> float:
        """Energy of the running cell so far (0 between cells)."""
        cell = self._current
        if cell is None:
            return 0.0
        return Measurement.between(cell.start, self.meter.snapshot()).energy_j

    def end(self, cell: OpenCell, *, status: str = "ok", error: str | None = None, intensity=None, snapshot=None,
            unit: dict | None = None) -> CellRecord:
        """Close a cell: measure it, price it, append it to the ledger, update the totals.
        ``snapshot`` as in :meth:`begin`; ``unit``: the cell's own functional unit (R)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        self._synchronise()
        end = snapshot or self.meter.snapshot(fresh=True)
        cluster = self._cluster_end(cell)
        m = Measurement.between(cell.start, end)
        record = CellRecord(
            session_id=self.session_id,
            index=cell.index,
            execution_count=cell.execution_count,
            cell_id=cell.cell_id,
            source=cell.source,
            started_at=cell.started_at,
            ended_at=utc_now(),
            status=status,
            error=error,
            magic=cell.magic,
            notebook=cell.notebook,
            below_resolution=list(m.below_resolution),
            cluster=cluster,
            cell_position=cell.cell_position,
            source_sha256=cell.source_sha256,
            functional_unit=unit or session_unit(self.functional_unit),
            **self._figures(m, intensity or self._intensity()),
        )
        with self._lock:
            if self._current is cell:
                self._current = None
            self.records.append(record)
            self.totals.add(record)
            cell.ended = True
            self._last_edge = (end, record.ended_at)
        self._append(record)
        self._emit("cell_end", record)
        self._emit("totals", self.totals)
        return record

    def discard(self, cell: OpenCell) -> None:
        """Forget an open cell without a record: another meter records it (a server that
        meters a kernel from outside, when the kernel meters itself). What runs until the
        next cell is no idle time of this session either."""
        with self._lock:
            if self._current is cell:
                self._current = None
            cell.ended = True
            self._last_edge = None

    def _cluster_begin(self):
        if self.cluster is None:
            return None
        try:
            return self.cluster.begin()
        except Exception:
            log.exception("jupyter-carbon: could not start the cell's cluster window")
            return None

    def _cluster_end(self, cell: OpenCell) -> dict | None:
        """The cluster part, measured after the kernel's end snapshot (asking the workers
        takes the kernel some work, which is not the cell's)."""
        if self.cluster is None or cell.cluster is None:
            return None
        try:
            return self.cluster.end(cell.cluster)
        except Exception:
            log.exception("jupyter-carbon: the cell's cluster part is missing")
            return None

    def _append(self, record) -> None:
        if self.ledger is not None and self.ledger.deleted():
            self._write_again(self.ledger)  # with ``record``, which the session holds already
            return
        if self.ledger is not None:
            try:
                self.ledger.append(record)  # a failing disk is the ledger's to report, once
            except ValueError as err:
                log.warning("jupyter-carbon: could not append to %s (%s); kept in memory", self.ledger.path, err)

    def _write_again(self, old: Ledger) -> None:
        """The ledger was deleted while open: the session so far goes to a new file there."""
        old.close(discard=True)
        try:
            ledger = Ledger(old.path, self._header)
        except OSError as err:
            self.ledger = None
            log.warning("jupyter-carbon: the ledger %s was deleted during the session and cannot be written again (%s); totals are kept in memory only", old.path, err)
            return
        with self._lock:
            held = sorted((*self.records, *self.idle_spans), key=lambda item: item.started_at)
        for item in held:
            ledger.append(item)
        self.ledger = ledger
        log.warning("jupyter-carbon: the ledger %s was deleted during the session; written again there with the session's %d cell(s) so far", old.path, len(self.records))

    @property
    def hardware_lifetime_years(self) -> float | None:
        """The lifetime the embodied part spreads the hardware's manufacturing over (None: none)."""
        return self._embodied.lifetime_years

    @hardware_lifetime_years.setter
    def hardware_lifetime_years(self, years: float | None) -> None:
        self._embodied = EmbodiedCharge(years)

    # -- between cells ------------------------------------------------------------------------
    def use_meter(self, meter) -> None:
        """Meter the next cells with ``meter`` (new settings), between cells only; the span
        since the last cell is not charged, its start being the old meter's snapshot."""
        self._unsubscribe_power()
        self._embodied.forget()
        if self.cluster is not None:  # before the new meter's first reading, for its baseline
            self.cluster.use_tree(getattr(meter, "tree", None))
        self._use(meter)
        self.skip_idle()

    def cluster_power(self) -> dict | None:
        """The cluster's power from its workers' pushed readings (``{"watts", "workers"}``), or None."""
        return self.cluster.power() if self.cluster is not None else None

    def skip_idle(self) -> None:
        """Metering was switched off: what runs until the next metered cell is no idle time."""
        self._last_edge = None

    def _end_idle(self, snapshot, before_cell: int | None, ended_at: str | None = None) -> IdleSpan | None:
        """Record the span from the last cell's end (or the session's start) to ``snapshot`` (at ``ended_at``)."""
        edge, self._last_edge = self._last_edge, None
        if edge is None or not self.record_idle:
            return None
        m = Measurement.between(edge[0], snapshot)
        if m.energy_j < IDLE_MIN_J:
            return None
        span = IdleSpan(
            session_id=self.session_id, before_cell=before_cell, started_at=edge[1], ended_at=ended_at or utc_now(),
            **self._figures(m, self._intensity()),
        )
        with self._lock:
            self.idle_spans.append(span)
            self.totals.add_idle(span)
        self._append(span)
        self._emit("idle", span)
        self._emit("totals", self.totals)
        return span

    def _figures(self, m: Measurement, intensity) -> dict:
        """What a cell record and an idle span both carry of ``m``: energy by component and
        method, facility energy, the price in ``intensity``, bounds, the embodied part."""
        pue = float(getattr(intensity, "pue", 1.0) or 1.0)
        return dict(
            duration_s=m.duration_s, energy_j=m.energy_j, by_component=dict(m.by_component), method=dict(m.method),
            device_energy_j=m.device_energy_j, device_by_component=dict(m.device_by_component),
            pue=pue, facility_energy_j=facility_energy_j(m.energy_j, pue),
            emissions_g=priced(m.energy_j, intensity), intensity=intensity_dict(intensity),
            bounds=record_bounds(m.bounds_by_component, lambda j: priced(j, intensity)),
            embodied=self._embodied.part(self.meter, m),
        )  # fmt: skip

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
        """Start a new session: totals from zero and a new ledger file; the old one stays.

        A cell open at the time (the one running ``%carbon reset``) ends in the new session,
        as its first cell, so that the new ledger's indices run 1, 2, 3 without a repeat.
        """
        if self.ledger is not None:
            self.ledger.close()
            self.previous_ledger_path = self.ledger.path
        running = self._current
        self._start_ledger()
        if running is not None:
            running.index = self.totals.cells + 1
        self.announce_totals()

    def close(self) -> None:
        """Record the span since the last cell, then stop listening and close the ledger."""
        if self._current is None:
            with contextlib.suppress(Exception):
                self._end_idle(self.meter.snapshot(), None)
        self._unsubscribe_power()
        if self.ledger is not None:
            self.ledger.close()

