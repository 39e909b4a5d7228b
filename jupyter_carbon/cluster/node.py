"""The meter one cluster node runs: the kernel's own meter and carbon context, on that node.

A backend's plugin (one per worker process) opens a :class:`NodeMeter` there. It meters the
node process's tree (the worker and its children) with :class:`~jupyter_carbon.meter.Meter`
(GPU, RAPL or the estimate, whatever that host offers, with the same settings a kernel there
would read) and prices with a :class:`~jupyter_carbon.carbon.CarbonContext` resolved on that
host (``JUPYTER_CARBON_REGION``, the profile's ``c.CarbonMeter.region``, cloud metadata when
enabled), so a cluster in another region is priced by its own grid.

Each sampler tick appends the cumulative joules per component to an
:class:`~.history.EnergyHistory` stamped with the node's wall clock; :meth:`NodeMeter.report`
answers "energy between t0 and t1" for the kernel's wall-clock edges, shifted by the
difference between the two clocks as seen when the question arrives.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from .. import clocks
from .history import EnergyHistory

log = logging.getLogger("jupyter_carbon")

Sample = Callable[[float, dict[str, float], dict[str, float]], None]
"""``on_sample(wall_time, cumulative_j_by_component, power_w_by_component)`` after each tick."""


class NodeMeter:
    """Cumulative energy of this node process's tree, with its history and its own zone."""

    def __init__(self, config=None, *, meter=None, carbon=None, tree=None, clock: Callable[[], float] = clocks.wall,
                 on_sample: Sample | None = None, max_samples: int = 4096):
        """``config``: a ``CarbonMeter`` (default: the settings a kernel on this host reads).
        ``tree``: the processes metered (default: this process and its children); a Ray
        node's agent meters its raylet's tree, and reports the raylet's PID as its own."""
        if config is None:
            from ..config import load_settings

            config = load_settings()
        if meter is None:
            from ..meter import Meter

            meter = Meter(config=config, tree=tree)
        if carbon is None:
            from ..carbon import CarbonContext

            carbon = CarbonContext(config)
        self.meter, self.carbon, self.clock = meter, carbon, clock
        self.on_sample = on_sample
        self.history = EnergyHistory(max_samples)
        self.host = socket.gethostname()
        self.pid = tree.pid if tree is not None else os.getpid()
        self.started_at = clock()
        self._record(fresh=True)
        self._unsubscribe = meter.subscribe(self._on_tick)

    def _record(self, *, fresh: bool = False) -> tuple[float, dict[str, float]]:
        snapshot = self.meter.snapshot(fresh=fresh)
        now = self.clock()
        cumulative: dict[str, float] = {}
        for reading in snapshot.readings.values():
            cumulative[reading.component] = cumulative.get(reading.component, 0.0) + reading.energy_j
        self.history.add(now, cumulative)
        return now, cumulative

    def sample(self) -> tuple[float, dict[str, float]]:
        """A fresh reading now: (this node's wall clock, cumulative joules per component)."""
        return self._record(fresh=True)

    def _on_tick(self, reading) -> None:
        now, cumulative = self._record()
        if self.on_sample is not None:
            try:
                self.on_sample(now, cumulative, dict(reading.by_component))
            except Exception:
                log.exception("jupyter-carbon: could not pass on this node's reading")

    def methods(self) -> dict[str, str]:
        """How each component is metered here (``measured``, ``integrated``, ``estimated``)."""
        found: dict[str, str] = {}
        for info in self.meter.describe():
            found.setdefault(info.component, info.method)
        return found

    def intensity(self) -> dict:
        return self.carbon.current().to_dict()

    def report(self, start_s: float, end_s: float, sent_s: float) -> dict:
        """Energy between the kernel's wall-clock edges ``start_s`` and ``end_s``.

        ``sent_s`` is the kernel's clock when it asked: this node's clock minus it is the
        skew between the two hosts plus one network latency, and shifts both edges."""
        now, _ = self._record(fresh=True)
        offset = now - sent_s
        by_component, covered = self.history.between(start_s + offset, min(end_s + offset, now))
        return {
            "host": self.host, "pid": self.pid, "by_component": by_component, "method": self.methods(),
            "covered_s": covered, "window_s": max(0.0, end_s - start_s), "clock_offset_s": offset,
            "intensity": self.intensity(),
        }  # fmt: skip

    def describe(self) -> dict:
        """This node's hardware, how each part is metered, and its zone."""
        return {
            "host": self.host, "pid": self.pid, "metered_since": self.started_at,
            "hardware": [f"{info.name} ({info.method})" for info in self.meter.describe()],
            "notes": list(self.meter.notes), "intensity": self.intensity(),
        }  # fmt: skip

    def close(self) -> None:
        self._unsubscribe()
        for part in (self.carbon, self.meter):
            try:
                part.close()
            except Exception:
                log.exception("jupyter-carbon: error while closing the node's %s", type(part).__name__)
