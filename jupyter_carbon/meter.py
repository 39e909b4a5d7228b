"""The meter: owns the energy sources and the one sampler thread.

A measurement is two snapshots of cumulative counters and a subtraction, so measuring a
cell costs a few counter reads and starts no thread. The sampler thread runs for the
meter's life, only to integrate power where a source has no energy counter, to refresh
the kernel's share of shared devices, and to feed live displays through ``subscribe``.

A source that raises is dropped with one warning; what it counted until then stays in every
later snapshot, and the other sources go on. Metering never breaks the caller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .energy.base import (
    COMPONENTS,
    DeviceInfo,
    DomainPower,
    DomainReading,
    EnergySource,
    weakest_method,
)

log = logging.getLogger("jupyter_carbon")

_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}

PowerListener = Callable[["PowerReading"], None]


@dataclass(frozen=True)
class Snapshot:
    """Cumulative energy of every domain at one instant of the monotonic clock."""

    time_s: float
    readings: Mapping[str, DomainReading]


@dataclass(frozen=True)
class PowerReading:
    """Watts per component at one sampler tick: this kernel's and the whole devices'."""

    time_s: float
    by_component: Mapping[str, float]
    device_by_component: Mapping[str, float]
    by_domain: Mapping[str, DomainPower]

    @property
    def total_w(self) -> float:
        return sum(self.by_component.values())


@dataclass(frozen=True)
class DomainEnergy:
    """One domain's share of a measurement."""

    component: str
    method: str
    energy_j: float
    device_energy_j: float


@dataclass(frozen=True)
class Measurement:
    """Energy between two snapshots: a value, computed once, that never changes.

    ``energy_j`` and ``by_component`` are what this kernel is charged; ``device_*`` keep the
    machine-wide figures beside them. ``method`` says per component how the number was
    obtained: ``measured``, ``integrated`` or ``estimated`` (the weakest of its domains).
    """

    duration_s: float
    by_component: Mapping[str, float]
    device_by_component: Mapping[str, float]
    method: Mapping[str, str]
    domains: Mapping[str, DomainEnergy]

    @classmethod
    def between(cls, start: Snapshot, end: Snapshot) -> "Measurement":
        domains: dict[str, DomainEnergy] = {}
        by_component: dict[str, float] = {}
        device: dict[str, float] = {}
        methods: dict[str, list[str]] = {}
        for domain, last in end.readings.items():
            first = start.readings.get(domain)
            joules = max(0.0, last.energy_j - (first.energy_j if first else 0.0))
            device_joules = max(0.0, last.device_energy_j - (first.device_energy_j if first else 0.0))
            domains[domain] = DomainEnergy(last.component, last.method, joules, device_joules)
            c = last.component
            by_component[c] = by_component.get(c, 0.0) + joules
            device[c] = device.get(c, 0.0) + device_joules
            methods.setdefault(c, []).append(last.method)
        ordered = sorted(by_component, key=lambda c: _COMPONENT_ORDER.get(c, len(_COMPONENT_ORDER)))
        return cls(
            duration_s=end.time_s - start.time_s,
            by_component={c: by_component[c] for c in ordered},
            device_by_component={c: device[c] for c in ordered},
            method={c: weakest_method(methods[c]) for c in ordered},
            domains=domains,
        )

    @property
    def energy_j(self) -> float:
        return sum(self.by_component.values())

    @property
    def device_energy_j(self) -> float:
        return sum(self.device_by_component.values())

    @property
    def by_domain(self) -> dict[str, float]:
        """Joules charged to this kernel per domain (``gpu:0``, ``cpu:package-0``, ...)."""
        return {d: e.energy_j for d, e in self.domains.items()}

    def to_dict(self) -> dict:
        """A JSON-safe record of the measurement, with the per-domain detail."""
        return {
            "duration_s": self.duration_s,
            "by_component": dict(self.by_component),
            "device_by_component": dict(self.device_by_component),
            "method": dict(self.method),
            "energy_j": self.energy_j,
            "device_energy_j": self.device_energy_j,
            "by_domain": {d: dataclasses.asdict(e) for d, e in self.domains.items()},
        }

    def describe(self, state: str = "closed") -> str:
        parts = ", ".join(f"{c}={j:.3g} J ({self.method[c]})" for c, j in self.by_component.items())
        return f"<Measurement {state} {self.duration_s:.3f} s: {parts or 'nothing metered'}>"

    def __repr__(self) -> str:
        return self.describe()


class OpenMeasurement:
    """A measurement still running: its figures are from its start to now until
    :meth:`close` freezes them into a :class:`Measurement` (``result``)."""

    def __init__(self, start: Snapshot, meter: "Meter"):
        self.start = start
        self._meter = meter
        self.result: Measurement | None = None

    def close(self) -> Measurement:
        if self.result is None:
            self.result = Measurement.between(self.start, self._meter.snapshot(fresh=True))
        return self.result

    def _now(self) -> Measurement:
        return self.result or Measurement.between(self.start, self._meter.snapshot())

    def __getattr__(self, name):
        # The figures (energy_j, by_component, method, duration_s, to_dict, ...) of the
        # measurement so far, or of the closed one.
        if name.startswith("_") or name in ("start", "result"):
            raise AttributeError(name)
        return getattr(self._now(), name)

    def __repr__(self) -> str:
        return self._now().describe("closed" if self.result is not None else "open")


class Meter:
    """Cumulative energy of this kernel's process tree, from every available source."""

    def __init__(
        self,
        sources: list[EnergySource] | None = None,
        *,
        config=None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
        tree=None,
    ):
        """``sources`` default to every source this machine offers, sharing one process
        ``tree`` (this process's by default), which each tick refreshes once."""
        self.clock = clock
        self.notes: list[str] = []
        if sources is None:
            if tree is None:
                from .energy.process import ProcessTree

                tree = ProcessTree()
            from .energy.sources import discover_sources

            sources, self.notes = discover_sources(config, now=clock(), tree=tree)
        self.tree = tree
        if interval is None:
            interval = config.sample_interval if config is not None else 0.5
        self.interval = float(interval)
        self._sources: tuple[EnergySource, ...] = tuple(sources)
        self._frozen: dict[str, DomainReading] = {}
        self._last_read: dict[EnergySource, list[DomainReading]] = {}
        self._dropped: dict[str, str] = {}
        self._lock = threading.Lock()
        self._listeners: list[PowerListener] = []
        self._power: PowerReading | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        if start:
            self.start()

    # -- measuring ------------------------------------------------------------------------
    def snapshot(self, *, fresh: bool = False) -> Snapshot:
        """Cumulative joules per domain now. Cheap: a few counter reads, no I/O beyond them.

        ``fresh`` (a cell's start and end) first brings the process tree up to date, so that
        pools and subprocesses that started or ended within the cell are counted exactly."""
        refresh_cpu = getattr(self.tree, "refresh_cpu", None) if fresh else None
        if refresh_cpu is not None:
            try:
                refresh_cpu()
            except Exception:
                log.exception("jupyter-carbon: could not refresh the process tree")
        now = self.clock()
        readings = dict(self._frozen)
        for source in self._sources:
            try:
                got = source.read(now)
            except Exception as err:  # a broken source must never break the caller
                self._drop(source, err)
                readings.update(self._frozen)
                continue
            self._last_read[source] = got
            for r in got:
                readings[r.domain] = r
        return Snapshot(now, readings)

    def add_source(self, source: EnergySource) -> None:
        """Meter one more source from now on (its energy so far is not counted)."""
        with self._lock:
            self._sources = (*self._sources, source)

    def measure(self) -> OpenMeasurement:
        """An open measurement from now; ``close()`` it, or use :func:`measure`."""
        return OpenMeasurement(self.snapshot(fresh=True), self)

    def power(self) -> PowerReading | None:
        """Watts per component at the last sampler tick (None before the first)."""
        return self._power

    # -- sampling -------------------------------------------------------------------------
    def tick(self) -> PowerReading:
        """One sampler step: integrate power, refresh shares, tell the listeners."""
        if self.tree is not None:
            try:
                self.tree.refresh()
            except Exception:
                log.exception("jupyter-carbon: could not refresh the process tree")
        now = self.clock()
        by_domain: dict[str, DomainPower] = {}
        for source in self._sources:
            try:
                for p in source.sample(now):
                    by_domain[p.domain] = p
            except Exception as err:
                self._drop(source, err)
        by_component: dict[str, float] = {}
        device: dict[str, float] = {}
        for p in by_domain.values():
            by_component[p.component] = by_component.get(p.component, 0.0) + p.power_w
            device[p.component] = device.get(p.component, 0.0) + p.device_power_w
        reading = PowerReading(now, by_component, device, by_domain)
        self._power = reading
        for listener in tuple(self._listeners):
            try:
                listener(reading)
            except Exception:
                log.exception("jupyter-carbon: a power listener failed and was removed")
                self.unsubscribe(listener)
        return reading

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="jupyter-carbon-sampler", daemon=True)
            self._thread.start()

    def subscribe(self, listener: PowerListener) -> Callable[[], None]:
        """Call ``listener(PowerReading)`` after every tick; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: PowerListener) -> None:
        with self._lock:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

    # -- failure --------------------------------------------------------------------------
    def _drop(self, source: EnergySource, err: Exception) -> None:
        with self._lock:
            if source not in self._sources:
                return
            self._sources = tuple(s for s in self._sources if s is not source)
            # Keep what the source counted so far: later snapshots still include it.
            for r in self._last_read.pop(source, ()):
                self._frozen.setdefault(r.domain, r)
            self._dropped[source.name] = f"{type(err).__name__}: {err}"
        log.warning("jupyter-carbon: stopped metering with %s after an error: %s: %s", source.name, type(err).__name__, err)
        with contextlib.suppress(Exception):
            source.close()

    @property
    def dropped(self) -> dict[str, str]:
        """Sources stopped after an error, with the error."""
        return dict(self._dropped)

    @property
    def sources(self) -> tuple[EnergySource, ...]:
        return self._sources

    def describe(self) -> list[DeviceInfo]:
        info = []
        for source in self._sources:
            with contextlib.suppress(Exception):
                info.extend(source.describe())
        return info

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the sampler and release the sources. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(5.0, 2 * self.interval))
        self._thread = None
        for source in self._sources:
            with contextlib.suppress(Exception):
                source.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "Meter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_default: Meter | None = None
_default_lock = threading.Lock()


def default_meter() -> Meter:
    """The process-wide meter, opened and started on first use."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = Meter()
    return _default


def _forget_default_in_child() -> None:
    # A forked child has the meter's state but not its thread: let it open its own.
    global _default
    _default = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_default_in_child)


@contextlib.contextmanager
def measure(meter: Meter | None = None) -> Iterator[OpenMeasurement]:
    """Meter the enclosed block: ``with measure() as m: ...`` then ``m.energy_j``."""
    meter = meter or default_meter()
    m = meter.measure()
    try:
        yield m
    finally:
        m.close()
