"""Running sums of the kernels' records, by the labels /metrics shows.

A counter in Prometheus must only grow and must keep apart what its labels say, so the sums
are taken from each record as it is made (a cell's end, an idle span): energy by part
(``cell`` or ``idle``), component, method and the zone that priced it; grams CO2e by part
and zone; cells by status. The totals a kernel's session keeps could not say which zone
priced which joule after ``c.CarbonMeter.region`` changes.
"""

from __future__ import annotations

import threading
from collections import defaultdict


def _zone(record) -> str:
    intensity = record.intensity or {}
    zone = intensity.get("zone") if isinstance(intensity, dict) else None
    return zone if isinstance(zone, str) and zone else "none"


class Tally:
    """Sums per kernel, filled from the sessions' events (``listener_for``)."""

    def __init__(self, user: str | None):
        self.user = user or ""
        self._lock = threading.Lock()
        self.energy: dict[tuple, float] = defaultdict(float)
        """(kernel_id, part, component, method, zone) -> joules."""
        self.emissions: dict[tuple, float] = defaultdict(float)
        """(kernel_id, part, zone) -> grams CO2e (records without an intensity add none)."""
        self.cells: dict[tuple, int] = defaultdict(int)
        """(kernel_id, status) -> cells recorded."""

    def listener_for(self, kernel_id: str):
        """A session listener that adds the kernel's records to the sums."""

        def on_event(event: str, payload) -> None:
            if event == "cell_end":
                self.add(kernel_id, "cell", payload)
                with self._lock:
                    self.cells[(kernel_id, payload.status)] += 1
            elif event == "idle":
                self.add(kernel_id, "idle", payload)

        return on_event

    def add(self, kernel_id: str, part: str, record) -> None:
        zone = _zone(record)
        with self._lock:
            for component, joules in record.by_component.items():
                method = record.method.get(component, "unknown")
                self.energy[(kernel_id, part, component, method, zone)] += float(joules)
            if record.emissions_g is not None:
                self.emissions[(kernel_id, part, zone)] += float(record.emissions_g)

    def forget(self, kernel_id: str) -> None:
        """A kernel shut down: its series end (Prometheus keeps their history)."""
        with self._lock:
            for table in (self.energy, self.emissions, self.cells):
                for key in [k for k in table if k[0] == kernel_id]:
                    del table[key]

    def snapshot(self) -> tuple[dict, dict, dict]:
        with self._lock:
            return dict(self.energy), dict(self.emissions), dict(self.cells)
