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
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from .energy.base import (
    COMPONENTS,
    DeviceInfo,
    DomainPower,
    DomainReading,
    EnergySource,
    SourceUnavailable,
    weakest_method,
)

log = logging.getLogger("jupyter_carbon")

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


class Measurement:
    """Energy between two snapshots; while open, between the start and now.

    ``energy_j`` and ``by_component`` are what this kernel is charged; ``device_*`` keep the
    machine-wide figures beside them. ``method`` says per component how the number was
    obtained: ``measured``, ``integrated`` or ``estimated`` (the weakest of its domains).
    """

    def __init__(self, start: Snapshot, end: Snapshot | None = None, meter: "Meter | None" = None):
        self.start = start
        self.end = end
        self._meter = meter

    @classmethod
    def between(cls, start: Snapshot, end: Snapshot) -> "Measurement":
        return cls(start, end)

    def _end(self) -> Snapshot:
        if self.end is not None:
            return self.end
        if self._meter is None:
            raise ValueError("an open measurement needs its meter; use Measurement.between(start, end)")
        return self._meter.snapshot()

    def _deltas(self) -> tuple[Snapshot, dict[str, tuple[DomainReading, float, float]]]:
        end = self._end()
        out = {}
        for domain, last in end.readings.items():
            first = self.start.readings.get(domain)
            base_j = first.energy_j if first else 0.0
            base_device_j = first.device_energy_j if first else 0.0
            out[domain] = (last, max(0.0, last.energy_j - base_j), max(0.0, last.device_energy_j - base_device_j))
        return end, out

    @property
    def duration_s(self) -> float:
        return self._end().time_s - self.start.time_s

    @property
    def by_domain(self) -> dict[str, float]:
        return {d: j for d, (_, j, _) in self._deltas()[1].items()}

    @property
    def by_component(self) -> dict[str, float]:
        return self._summary()["by_component"]

    @property
    def device_by_component(self) -> dict[str, float]:
        return self._summary()["device_by_component"]

    @property
    def method(self) -> dict[str, str]:
        return self._summary()["method"]

    @property
    def energy_j(self) -> float:
        return sum(self.by_component.values())

    @property
    def device_energy_j(self) -> float:
        return sum(self.device_by_component.values())

    def _summary(self) -> dict:
        end, deltas = self._deltas()
        by_component: dict[str, float] = {}
        device: dict[str, float] = {}
        methods: dict[str, list[str]] = {}
        for reading, joules, device_joules in deltas.values():
            c = reading.component
            by_component[c] = by_component.get(c, 0.0) + joules
            device[c] = device.get(c, 0.0) + device_joules
            methods.setdefault(c, []).append(reading.method)
        order = {c: i for i, c in enumerate(COMPONENTS)}
        ordered = sorted(by_component, key=lambda c: order.get(c, len(order)))
        return {
            "duration_s": end.time_s - self.start.time_s,
            "by_component": {c: by_component[c] for c in ordered},
            "device_by_component": {c: device[c] for c in ordered},
            "method": {c: weakest_method(methods[c]) for c in ordered},
        }

    def to_dict(self) -> dict:
        """A JSON-safe record of the measurement, with the per-domain detail."""
        summary = self._summary()
        summary["energy_j"] = sum(summary["by_component"].values())
        summary["device_energy_j"] = sum(summary["device_by_component"].values())
        summary["by_domain"] = {
            d: {"component": r.component, "method": r.method, "energy_j": j, "device_energy_j": dj}
            for d, (r, j, dj) in self._deltas()[1].items()
        }
        return summary

    def __repr__(self) -> str:
        state = "open" if self.end is None else "closed"
        parts = ", ".join(f"{c}={j:.3g} J ({self.method[c]})" for c, j in self.by_component.items())
        return f"<Measurement {state} {self.duration_s:.3f} s: {parts or 'nothing metered'}>"


def discover_sources(config=None, *, now: float, tree) -> tuple[list[EnergySource], list[str]]:
    """Open every source this machine offers, best first; say what is missing and why.

    CPU and memory fall back to the model for whichever of them no counter covers.
    Returns the sources and notes for the user (e.g. how to make RAPL readable). ``tree``
    is the kernel's process tree, shared by every source that charges by share of use.
    """
    from .config import CarbonMeter
    from .energy.model import ModelSource
    from .energy.rapl import GRANT_ACCESS

    config = config or CarbonMeter()
    sources: list[EnergySource] = []
    notes: list[str] = []
    if config.enable_nvml:
        from .energy.nvml import NvmlSource

        try:
            sources.append(NvmlSource(tree, now, attribution=config.gpu_attribution))
        except SourceUnavailable as err:
            notes.append(f"GPU: not metered ({err}).")
    covered = set()
    if config.enable_rapl:
        from .energy.rapl import RaplSource

        try:
            rapl = RaplSource(tree, now, root=config.powercap_root)
            sources.append(rapl)
            covered = {z.component for z in rapl.zones}
        except SourceUnavailable as err:
            message = str(err)
            notes.append(message if message == GRANT_ACCESS else f"CPU: no RAPL counters ({message}); estimated instead.")
            if message == GRANT_ACCESS:
                log.warning("jupyter-carbon: %s", message)
    if {"cpu", "memory"} - covered:
        sources.append(
            ModelSource(
                tree,
                now,
                cpu="cpu" not in covered,
                memory="memory" not in covered,
                cpu_tdp_w=config.cpu_tdp_w,
                memory_w_per_gb=config.memory_w_per_gb,
            )
        )
    return sources, notes


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
    def snapshot(self) -> Snapshot:
        """Cumulative joules per domain now. Cheap: a few counter reads, no I/O beyond them."""
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

    def measure(self) -> "Measurement":
        """An open measurement from now; close it with ``stop()`` or use :func:`measure`."""
        return Measurement(self.snapshot(), meter=self)

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
def measure(meter: Meter | None = None) -> Iterator[Measurement]:
    """Meter the enclosed block: ``with measure() as m: ...`` then ``m.energy_j``."""
    meter = meter or default_meter()
    m = Measurement(meter.snapshot(), meter=meter)
    try:
        yield m
    finally:
        m.end = meter.snapshot()
