"""A measurement: the energy between two snapshots of the meter's cumulative counters.

Kept apart from the meter that takes the snapshots: a :class:`Measurement` is a plain value
(per component and domain, with how each figure was obtained), computed once by
:meth:`Measurement.between`; an :class:`OpenMeasurement` is one whose end is still to come.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .energy.base import COMPONENTS, DomainReading, weakest_method

if TYPE_CHECKING:
    from .meter import Meter

_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}


@dataclass(frozen=True)
class Snapshot:
    """Cumulative energy of every domain at one instant of the monotonic clock."""

    time_s: float
    readings: Mapping[str, DomainReading]


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
    below_resolution: tuple[str, ...] = ()
    """Components with a counter that updates less often than this measurement lasted: their
    figure is below the counter's resolution, not a measured 0."""

    @classmethod
    def between(cls, start: Snapshot, end: Snapshot) -> "Measurement":
        domains: dict[str, DomainEnergy] = {}
        by_component: dict[str, float] = {}
        device: dict[str, float] = {}
        methods: dict[str, list[str]] = {}
        duration_s = end.time_s - start.time_s
        coarse: set[str] = set()
        for domain, last in end.readings.items():
            if last.resolution_s > duration_s:
                coarse.add(last.component)
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
            duration_s=duration_s,
            by_component={c: by_component[c] for c in ordered},
            device_by_component={c: device[c] for c in ordered},
            method={c: weakest_method(methods[c]) for c in ordered},
            domains=domains,
            below_resolution=tuple(c for c in ordered if c in coarse),
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
            "below_resolution": list(self.below_resolution),
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
            self.result = Measurement.between(self.start, self._meter.snapshot())
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
