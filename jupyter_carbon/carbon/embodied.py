"""Embodied emissions: the share of the hardware's manufacturing that a cell used up.

Making a GPU, a CPU or a GB of memory emitted a known amount (``data/embodied.csv``, from
Green Algorithms v3's embodied model). Spread evenly over the hardware's lifetime
(``c.CarbonMeter.hardware_lifetime_years``), every second the kernel holds a part costs
``grams / lifetime`` of it. A cell is charged, for the time it ran:

- each GPU the kernel held in it (the GPU source charged it energy) in whole: a GPU the
  kernel holds is not available to anyone else;
- the CPU and the memory by the kernel's share of them, the same share the operational
  figures use (the energy charged to the kernel over the machine's, per domain).

Bounds (``low_g``, ``high_g``): the lifetime runs from :data:`LONG_LIFETIME_H` (a
workstation's six years) to :data:`SHORT_LIFETIME_H` (a cloud server's three years at half
use: its active hours); the CPU's figure from the smallest to the largest die in the source.
The server around the parts (motherboard, power supply, casing, assembly) and the cluster's
workers are not charged: the figure is a lower estimate of the whole.

On a cloud instance whose type is known (the DMI product name, or the cloud metadata),
Cloud Carbon Footprint's per-instance figure stands in for the CPU and the memory
(``data/embodied_instances.csv``): the whole host server (a 1000 kg base plus its extra
memory, storage and CPUs, without its GPUs, which stay charged by the card), the instance's
share of it its vCPUs over the host's, and the kernel's share of the instance its share of
the CPU, as above. That figure includes the server around the parts.

:func:`amortised` is the one formula; everything else chooses its inputs.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import NamedTuple

from ..tables import read_table

log = logging.getLogger("jupyter_carbon")

HOURS_PER_YEAR = 365.25 * 24
LONG_LIFETIME_H = 6 * HOURS_PER_YEAR
"""ADEME's reference lifetime of a professional workstation (6 years), as Green Algorithms
v3 uses it: the low bound."""
SHORT_LIFETIME_H = 13149.0
"""Green Algorithms v3's active lifespan of a cloud server (3 years × 50 % active use): the
high bound, for hardware that is idle half its life."""
SOURCE = "Green Algorithms v3 embodied model (CC BY 4.0)"


class Part(NamedTuple):
    """What making one part emitted, with its bounds and where the figure comes from."""

    kind: str
    name: str
    grams: float
    low_g: float
    high_g: float
    source: str
    year: int
    exact: bool = True
    """False when the part's model is not in the table and a near or average row stands in."""


def amortised(grams: float, seconds: float, lifetime_h: float) -> float:
    """Manufacturing grams spread evenly over a lifetime: the part of them ``seconds`` use up."""
    return grams * seconds / (lifetime_h * 3600.0) if lifetime_h > 0 else 0.0


@lru_cache(maxsize=1)
def _rows() -> dict[str, list[Part]]:
    parts: dict[str, list[Part]] = {}
    for row in read_table("embodied.csv"):
        part = Part(row["kind"], row["name"], float(row["grams"]), float(row["low_g"]), float(row["high_g"]),
                    row["source"], int(row["year"]))  # fmt: skip
        parts.setdefault(part.kind, []).append(part)
    return parts


_BRANDS = {"nvidia", "amd", "tesla", "geforce", "quadro", "radeon", "graphics", "card"}


def _tokens(name: str) -> set[str]:
    """Lower-case words of a device name, numbers split from units (``80GB`` -> 80, gb),
    without brands or a trailing ``(uuid)``."""
    name = re.sub(r"\(.*?\)", " ", name.lower())
    words = re.findall(r"[a-z]+\d*[a-z]*|\d+", name)
    found = set()
    for w in words:
        m = re.fullmatch(r"(\d+)(gb)", w)
        found.update(m.groups() if m else (w,))
    return found - _BRANDS


def gpu_part(name: str) -> Part:
    """A GPU's manufacturing figure by its name (``NVIDIA A100-SXM4-80GB``): the row whose
    every word is in the name, the most specific first; else a row of the same model number
    (``h100``), not exact; else the source's mean GPU (``Any``), not exact."""
    rows = [p for p in _rows().get("gpu", []) if p.name != "Any"]
    have = _tokens(name)
    full = [p for p in rows if _tokens(p.name) <= have]
    if full:
        return max(full, key=lambda p: len(_tokens(p.name)))
    models = {t for t in have if re.search(r"\d", t) and re.search(r"[a-z]", t)}
    near = [p for p in rows if models & _tokens(p.name)]
    if near:
        best = max(near, key=lambda p: len(_tokens(p.name) & have))
        return best._replace(exact=False)
    mean = next(p for p in _rows()["gpu"] if p.name == "Any")
    return mean._replace(name="the source's average GPU", exact=False)


CCF_SOURCE = "Cloud Carbon Footprint embodied coefficients per instance type (Apache-2.0)"


@lru_cache(maxsize=1)
def _instances() -> dict[str, dict]:
    return {row["instance"].lower(): row for row in read_table("embodied_instances.csv")}


def instance_part(name: str | None) -> Part | None:
    """A cloud instance's share of what making its host emitted (the vCPUs it holds over the
    host's), without the host's GPUs; None for a type the source does not list."""
    row = _instances().get((name or "").strip().lower())
    if row is None:
        return None
    share = int(row["vcpus"]) / int(row["host_vcpus"])
    kg = [float(row[k]) * 1000.0 * share for k in ("host_kg", "host_low_kg", "host_high_kg")]
    label = f"{row['instance']}: {row['vcpus']} of its host's {row['host_vcpus']} vCPUs"
    return Part("server", label, kg[0], kg[1], kg[2], row["source"], int(row["year"]))


def cpu_part() -> Part:
    """A CPU package: the source's default die (no die area per model is bundled)."""
    return _rows()["cpu"][0]._replace(name="CPU of the source's average die", exact=False)


def memory_part() -> Part:
    """One GB of memory."""
    return _rows()["memory"][0]


class Held(NamedTuple):
    """One domain's part, and how many of it the domain stands for (GB for memory)."""

    component: str
    part: Part
    count: float = 1.0


class EmbodiedModel:
    """The manufacturing figures of the parts behind the meter's domains, charged per cell.

    Built once per meter (from its ``describe()``); :meth:`charge` is a loop over a
    measurement's few domains."""

    def __init__(self, held: dict[str, Held], lifetime_years: float):
        if not lifetime_years > 0:
            raise ValueError(f"hardware_lifetime_years must be a number of years above 0, not {lifetime_years!r}")
        self.held = held
        self.lifetime_years = float(lifetime_years)
        self.lifetime_h = self.lifetime_years * HOURS_PER_YEAR

    @classmethod
    def from_devices(cls, devices, *, lifetime_years: float, memory_gb: float | None = None) -> "EmbodiedModel":
        """From the meter's :class:`~jupyter_carbon.energy.base.DeviceInfo` list; ``memory_gb``:
        the memory installed (default: this machine's), shared out by use as the CPU is."""
        if memory_gb is None:
            import psutil

            memory_gb = psutil.virtual_memory().total / 1e9
        held = {}
        host = next((instance_part(d.figures.get("instance_type")) for d in devices if d.component == "cpu" and d.figures.get("instance_type")), None)
        for d in devices:
            if d.component == "gpu":
                held[d.domain] = Held("gpu", gpu_part(d.name))
            elif d.component == "cpu":
                held[d.domain] = Held("server", host) if host else Held("cpu", cpu_part())
            elif d.component == "memory" and not host:  # the instance's share of its host holds it
                held[d.domain] = Held("memory", memory_part(), max(0.0, float(memory_gb)))
        return cls(held, lifetime_years)

    def charge(self, domains, seconds: float) -> dict | None:
        """A cell's embodied part from its measurement's ``domains`` (per domain: component,
        energy charged, energy machine-wide) over ``seconds``; None if no part was held."""
        by_component: dict[str, float] = {}
        low = high = 0.0
        parts, sources = {}, {}
        for domain, e in domains.items():
            h = self.held.get(domain)
            if h is None or e.energy_j <= 0:
                continue
            share = 1.0 if h.component == "gpu" else min(1.0, e.energy_j / e.device_energy_j) if e.device_energy_j > 0 else 1.0
            used = seconds * share * h.count
            by_component[h.component] = by_component.get(h.component, 0.0) + amortised(h.part.grams, used, self.lifetime_h)
            low += amortised(h.part.low_g, used, max(self.lifetime_h, LONG_LIFETIME_H))
            high += amortised(h.part.high_g, used, min(self.lifetime_h, SHORT_LIFETIME_H))
            parts[domain] = h.part.name if h.part.exact or h.component != "gpu" else f"{h.part.name} (nearest row)"
            sources[h.part.source] = max(sources.get(h.part.source, 0), h.part.year)
        if not by_component:
            return None
        return {
            "emissions_g": sum(by_component.values()), "low_g": low, "high_g": high, "by_component": by_component,
            "lifetime_years": self.lifetime_years, "parts": parts, "source": "; ".join(sources), "year": max(sources.values()),
        }  # fmt: skip


class EmbodiedCharge:
    """A session's embodied part: the model is built from the meter's devices at the first
    cell (a change of meter builds it again), and a failure is logged once, after which no
    part is charged; ``lifetime_years`` None charges none."""

    def __init__(self, lifetime_years: float | None):
        self.lifetime_years = lifetime_years
        self._model: EmbodiedModel | None = None

    def part(self, meter, measurement) -> dict | None:
        """The share of the hardware's manufacturing ``measurement`` used up, or None."""
        if self.lifetime_years is None:
            return None
        try:
            if self._model is None:
                self._model = EmbodiedModel.from_devices(meter.describe(), lifetime_years=self.lifetime_years)
            return self._model.charge(measurement.domains, measurement.duration_s)
        except Exception:
            log.exception("jupyter-carbon: no embodied emissions for this cell")
            self.lifetime_years = None
            return None

    def forget(self) -> None:
        """Other devices, perhaps: build the model again at the next cell."""
        self._model = None
