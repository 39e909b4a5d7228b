"""The meter: owns the energy sources and the one sampler thread.

A measurement is two snapshots of cumulative counters and a subtraction, so measuring a
cell costs a few counter reads and starts no thread. The sampler thread runs for the
meter's life, only to integrate power where a source has no energy counter, to refresh
the kernel's share of shared devices, and to feed live displays through ``subscribe``.

A source that raises is retried at the next snapshot or tick, its last good reading standing
meanwhile (the sampler refreshes that reading at every tick, so little is ever stale). Only
when its reads keep failing for ``drop_after_s`` is it dropped, with one warning; what it
counted until then stays in every later snapshot, a counter of CPU or memory energy is
replaced by the estimate from then on, and the other sources go on. Metering never breaks
the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator

from . import clocks
from .energy.base import (
    DeviceInfo,
    DomainPower,
    DomainReading,
    ESTIMATED,
    EnergySource,
    Failures,
)

from .measurement import DomainEnergy, Measurement, OpenMeasurement, PowerReading, Snapshot

__all__ = ["DomainEnergy", "Measurement", "Meter", "OpenMeasurement", "PowerReading", "Snapshot", "default_meter", "measure"]

log = logging.getLogger("jupyter_carbon")

IDLE_INTERVAL_S = 5.0
"""The sampler's wait while nothing runs and no view listens: counters need no ticks, memory
is steady, and an idle kernel's sampler then costs a tenth of its CPU (see ``Meter.demand``)."""

PowerListener = Callable[["PowerReading"], None]
Fallback = Callable[[set[str], float], "EnergySource | None"]
"""``fallback(components, now)``: a source estimating what a dropped counter measured."""


class Meter:
    """Cumulative energy of this kernel's process tree, from every available source."""

    def __init__(
        self,
        sources: list[EnergySource] | None = None,
        *,
        config=None,
        interval: float | None = None,
        clock: Callable[[], float] = clocks.monotonic,
        start: bool = True,
        tree=None,
        fallback: Fallback | None = None,
        drop_after_s: float | None = None,
    ):
        """``sources`` default to every source this machine offers, sharing one process
        ``tree`` (this process's by default), which each tick refreshes once; a counter
        dropped after lasting failures is then replaced by the estimate. A source given
        explicitly has no ``fallback`` unless one is given too."""
        self.clock = clock
        self.notes: list[str] = []
        if sources is None and config is None:
            config = profile_settings()
        if sources is None:
            if tree is None:
                from .energy.process import ProcessTree

                tree = ProcessTree()
            from .energy.sources import discover_sources, estimate_instead

            sources, self.notes = discover_sources(config, now=clock(), tree=tree)
            fallback = fallback or estimate_instead(config, tree)
        self.tree = tree
        self._fallback = fallback
        if drop_after_s is None:
            drop_after_s = config.drop_after_s if config is not None else 10.0
        self.drop_after_s = float(drop_after_s)
        self._failures: dict[EnergySource, Failures] = {}
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
        self._wake = threading.Event()
        self._deep = False
        self.idle_interval = max(self.interval, IDLE_INTERVAL_S)
        self.demand: Callable[[], bool] | None = None
        """``demand()``: whether anyone wants readings now; while it says no, the sampler
        waits ``idle_interval`` between ticks (None: always ``interval``, as a bare meter)."""
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
        readings: dict[str, DomainReading] = {}
        for source in self._sources:
            got = self._read(source, now)
            for r in got if got is not None else self._last_read.get(source, ()):
                readings[r.domain] = r
        for domain, r in self._frozen.items():
            readings.setdefault(domain, r)
        return Snapshot(now, readings)

    def _read(self, source: EnergySource, now: float) -> list[DomainReading] | None:
        """The source's readings, kept as its last good ones; None when the read failed.
        (Only a whole good tick clears a source's failures: see :meth:`tick`.)"""
        try:
            got = source.read(now)
        except Exception as err:  # a broken source must never break the caller
            self._failed(source, err, now)
            return None
        self._last_read[source] = got
        return got

    def add_source(self, source: EnergySource) -> None:
        """Meter one more source from now on (its energy so far is not counted)."""
        with self._lock:
            self._sources = (*self._sources, source)

    def use_instance_hint(self, hint) -> None:
        """Pass ``hint()`` (the cloud instance type, once metadata names it) to the sources
        that estimate the CPU from its part."""
        for source in self._sources:
            if hasattr(source, "use_instance_hint"):
                source.use_instance_hint(hint)

    def measure(self) -> OpenMeasurement:
        """An open measurement from now; ``close()`` it, or use :func:`measure`."""
        return OpenMeasurement(self.snapshot(fresh=True), self)

    def power(self) -> PowerReading | None:
        """Watts per component at the last sampler tick (None before the first)."""
        return self._power

    # -- sampling -------------------------------------------------------------------------
    def tick(self, *, idle: bool = False) -> PowerReading:
        """One sampler step: integrate power, refresh shares, tell the listeners. ``idle``:
        after a long wait, the process tree refreshed without walking all of /proc."""
        if self.tree is not None:
            try:
                getattr(self.tree, "refresh_idle", self.tree.refresh)() if idle else self.tree.refresh()
            except Exception:
                log.exception("jupyter-carbon: could not refresh the process tree")
        now = self.clock()
        by_domain: dict[str, DomainPower] = {}
        for source in self._sources:
            try:
                powers = source.sample(now)
            except Exception as err:
                self._failed(source, err, now)
                continue
            # The sampler keeps the last good reading fresh, so a later loss loses little.
            if self._read(source, now) is not None:
                self._failures.pop(source, None)
            for p in powers:
                by_domain[p.domain] = p
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
        while True:
            self._deep = True  # before asking: a wake() from now on ends the wait
            self._deep = deep = self._sleeps_deep()
            woken = self._wake.wait(self.idle_interval if deep else self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not woken:
                self.tick(idle=deep)

    def _sleeps_deep(self) -> bool:
        """Whether the next wait may be the long one: whoever owns the meter says nobody wants
        readings now (no cell runs, no view listens), and no source needs ticks between
        snapshots (a power reading to integrate, a GPU's process samples)."""
        demand = self.demand
        if demand is None or any(getattr(s, "needs_ticks", True) for s in self._sources):
            return False
        try:
            return not demand()
        except Exception:
            return False

    def wake(self) -> None:
        """Readings are wanted again (a cell starts, a view connects): end a long wait now,
        so the next tick comes one ``interval`` later rather than an ``idle_interval``."""
        if self._deep:
            self._wake.set()

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
    def _failed(self, source: EnergySource, err: Exception, now: float) -> None:
        """A failed read: retried at the next tick; the source is dropped when failures last."""
        with self._lock:
            failures = self._failures.get(source)
            if failures is None:
                failures = self._failures[source] = Failures(self.drop_after_s)
                log.info("jupyter-carbon: a read of %s failed (%s: %s); retrying at the next tick", source.name, type(err).__name__, err)
            give_up = failures.failed(now, err)
        if give_up:
            self._drop(source, failures.summary(now), now)

    def _drop(self, source: EnergySource, why: str, now: float) -> None:
        with self._lock:
            if source not in self._sources:
                return
            self._sources = tuple(s for s in self._sources if s is not source)
            # Keep what the source counted so far: later snapshots still include it.
            kept = self._last_read.pop(source, ())
            for r in kept:
                self._frozen.setdefault(r.domain, r)
            self._dropped[source.name] = why
            self._failures.pop(source, None)
        replaced = self._replace(kept, now)
        instead = f"; {' and '.join(sorted(replaced))} estimated from now on" if replaced else ""
        log.warning("jupyter-carbon: stopped metering with %s after %s; what it counted is kept%s", source.name, why, instead)
        with contextlib.suppress(Exception):
            source.close()

    def _replace(self, kept: list[DomainReading], now: float) -> set[str]:
        """Components a dropped counter measured, now estimated by the fallback source."""
        components = {r.component for r in kept if r.method != ESTIMATED}
        if not components or self._fallback is None:
            return set()
        try:
            source = self._fallback(components, now)
        except Exception:
            log.exception("jupyter-carbon: could not start the estimate instead")
            return set()
        if source is None:
            return set()
        self.add_source(source)
        return {info.component for info in source.describe()}

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
        self._wake.set()
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


def profile_settings():
    """The settings an IPython kernel of the default profile reads (``c.CarbonMeter.*``), so
    that ``measure()`` in a script and ``Meter()`` charge what the kernel would; the defaults,
    said once in the log, if the profile cannot be read."""
    from .config import METER_SETTINGS, CarbonMeter, load_settings

    try:
        return load_settings(uses=METER_SETTINGS)
    except Exception as err:  # a broken profile must not stop the user's script
        log.warning("jupyter-carbon: could not read the IPython profile's settings (%s); using the defaults", err)
        return CarbonMeter()


def hardware_labels(meter) -> list[str]:
    """``"NVIDIA H100 (...) (measured)"`` per device: the reports' hardware line, also
    written in each ledger's header so that a report read back from disk has it."""
    return [f"{info.name} ({info.method})" for info in meter.describe()]


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
