"""Measurements: snapshots of cumulative counters, and the energy between two of them.

A :class:`Snapshot` is every domain's cumulative joules at one instant; a
:class:`Measurement` is the difference of two, computed on first use and frozen after.
:class:`~jupyter_carbon.meter.Meter` takes the snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from . import bounds
from .energy.base import COMPONENTS, DomainPower, DomainReading, weakest_method

_COMPONENT_ORDER = {c: i for i, c in enumerate(COMPONENTS)}


class Snapshot(NamedTuple):
    """Cumulative energy of every domain at one instant of the monotonic clock."""

    time_s: float
    readings: Mapping[str, DomainReading]


class PowerReading(NamedTuple):
    """Watts per component at one sampler tick: this kernel's and the whole devices'."""

    time_s: float
    by_component: Mapping[str, float]
    device_by_component: Mapping[str, float]
    by_domain: Mapping[str, DomainPower]

    @property
    def total_w(self) -> float:
        return sum(self.by_component.values())


class DomainEnergy(NamedTuple):
    """One domain's share of a measurement."""

    component: str
    method: str
    energy_j: float
    device_energy_j: float


class _once:
    """A figure computed on first use and kept in the instance's ``__dict__``, where later
    reads find it without a call: ``functools.cached_property`` without its lock. Python
    3.11's takes an ``RLock`` on every first use, and a cell's measurements are new, so
    every use was a first one; a figure computed twice by two threads is the same figure
    (Python 3.12 dropped that lock for this reason)."""

    def __init__(self, compute):
        self.compute, self.__doc__ = compute, compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


class Measurement:
    """Energy between two snapshots: a value that never changes.

    ``energy_j`` and ``by_component`` are what this kernel is charged; ``device_*`` keep the
    machine-wide figures beside them. ``method`` says per component how the number was
    obtained: ``measured``, ``integrated`` or ``estimated`` (the weakest of its domains).
    The subtraction is done once, when a figure is first asked for: taking the two
    snapshots is all a cell's edges cost. (A plain class rather than a frozen dataclass,
    which costs a kernel's start a millisecond to create and each cell's edges a slower
    ``__init__``; assigning to one still raises.)
    """

    def __init__(self, start: Snapshot, end: Snapshot):
        self.__dict__.update(start=start, end=end)

    def __setattr__(self, name, value):
        raise AttributeError(f"a Measurement never changes: cannot assign {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"a Measurement never changes: cannot delete {name!r}")

    def __eq__(self, other) -> bool:
        if type(other) is not Measurement:
            return NotImplemented
        return (self.start, self.end) == (other.start, other.end)

    __hash__ = None  # its snapshots hold dicts

    @classmethod
    def between(cls, start: Snapshot, end: Snapshot) -> "Measurement":
        return cls(start, end)

    @property
    def duration_s(self) -> float:
        return self.end.time_s - self.start.time_s

    @_once
    def domains(self) -> Mapping[str, DomainEnergy]:
        """Per domain (``gpu:0``, ``cpu:package-0``, ...): the energy charged and machine-wide."""
        domains: dict[str, DomainEnergy] = {}
        for domain, last in self.end.readings.items():
            first = self.start.readings.get(domain)
            joules = max(0.0, last.energy_j - (first.energy_j if first else 0.0))
            device_joules = max(0.0, last.device_energy_j - (first.device_energy_j if first else 0.0))
            domains[domain] = DomainEnergy(last.component, last.method, joules, device_joules)
        return domains

    @_once
    def _by_component(self) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
        by_component: dict[str, float] = {}
        device: dict[str, float] = {}
        methods: dict[str, list[str]] = {}
        for d in self.domains.values():
            by_component[d.component] = by_component.get(d.component, 0.0) + d.energy_j
            device[d.component] = device.get(d.component, 0.0) + d.device_energy_j
            methods.setdefault(d.component, []).append(d.method)
        ordered = sorted(by_component, key=lambda c: _COMPONENT_ORDER.get(c, len(_COMPONENT_ORDER)))
        return (
            {c: by_component[c] for c in ordered},
            {c: device[c] for c in ordered},
            {c: weakest_method(methods[c]) for c in ordered},
        )

    @property
    def by_component(self) -> dict[str, float]:
        return self._by_component[0]

    @property
    def device_by_component(self) -> dict[str, float]:
        return self._by_component[1]

    @property
    def method(self) -> dict[str, str]:
        return self._by_component[2]

    @_once
    def bounds_by_component(self) -> dict[str, list[float]]:
        """``{component: [low J, high J]}``: each domain's figure times its band
        (:mod:`jupyter_carbon.bounds`), summed per component."""
        return bounds.energy_bounds(
            (d.component, d.energy_j, bounds.reading_band(d.component, d.method, self.end.readings[name].band))
            for name, d in self.domains.items()
        )

    @_once
    def below_resolution(self) -> tuple[str, ...]:
        """Components with a counter that updates less often than this measurement lasted:
        their figure is below the counter's resolution, not a measured 0."""
        duration = self.duration_s
        coarse = {r.component for r in self.end.readings.values() if r.resolution_s > duration}
        return tuple(c for c in self.by_component if c in coarse)

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
            "by_domain": {d: e._asdict() for d, e in self.domains.items()},
            "below_resolution": list(self.below_resolution),
            "bounds_by_component": self.bounds_by_component,
        }

    def describe(self, state: str = "closed") -> str:
        parts = ", ".join(f"{c}={j:.3g} J ({self.method[c]})" for c, j in self.by_component.items())
        return f"<Measurement {state} {self.duration_s:.3f} s: {parts or 'nothing metered'}>"

    def __repr__(self) -> str:
        return self.describe()


class OpenMeasurement:
    """A measurement still running: its figures are from its start to now until
    :meth:`close` freezes them into a :class:`Measurement` (``result``)."""

    def __init__(self, start: Snapshot, meter):
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
