"""Apple Silicon: the SoC's energy counters through ``zeus-apple-silicon`` (IOReport, no root).

``AppleEnergyMonitor().get_cumulative_energy()`` returns cumulative millijoules for the CPU
(``cpu_total_mj``), DRAM, GPU (and its SRAM) and the Neural Engine, each None where the chip
does not report it. They are counters, so a cell is two reads and a subtraction, as with
RAPL. The SoC is shared by every process: the kernel is charged its share of each counter
by its process tree's CPU time over the machine's capacity, as ``rapl.py`` does. IOReport
does not say which process used the GPU or the Neural Engine; they are charged at the same
share, which undercharges GPU work that keeps the CPU idle (the machine-wide figure beside
it shows the whole). Install with ``pip install 'jupyter-carbon[apple]'``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .base import MEASURED, Attribution, DeviceInfo, DomainPower, DomainReading, SourceUnavailable
from .process import ProcessTree, SystemCpu

#: (domain, component, the metrics' fields summed into it)
CHANNELS = (
    ("cpu:apple", "cpu", ("cpu_total_mj|cpu_mj",)),  # older releases named it cpu_mj
    ("memory:apple", "memory", ("dram_mj",)),
    ("gpu:apple", "gpu", ("gpu_mj", "gpu_sram_mj", "ane_mj")),
)


@dataclass
class _Channel:
    domain: str
    component: str
    fields: tuple[str, ...]
    base_mj: float
    attribution: Attribution
    last_device_j: float = 0.0
    last_t: float = 0.0


def _field(metrics, names: str):
    """The first of ``a|b`` the metrics carry, else None."""
    return next((v for n in names.split("|") if (v := getattr(metrics, n, None)) is not None), None)


def _millijoules(metrics, fields) -> float | None:
    values = [_field(metrics, f) for f in fields]
    present = [v for v in values if v is not None]
    return float(sum(present)) if present else None


class AppleSource:
    """CPU, DRAM and GPU+ANE energy of an Apple Silicon SoC, charged by share of CPU capacity."""

    name = "apple"

    def __init__(self, tree: ProcessTree, now: float, system: SystemCpu | None = None, module=None):
        if module is None:
            try:
                import zeus_apple_silicon as module
            except ImportError as err:
                raise SourceUnavailable("zeus-apple-silicon is not installed (pip install 'jupyter-carbon[apple]')") from err
        try:
            self.monitor = module.AppleEnergyMonitor()
            first = self.monitor.get_cumulative_energy()
        except Exception as err:  # not a Mac, or IOReport refused
            raise SourceUnavailable(f"IOReport energy counters unavailable ({err})") from err
        self.tree, self.system = tree, system or SystemCpu()
        self._lock = threading.Lock()
        self.channels = [
            _Channel(domain, component, fields, mj, Attribution(1.0), 0.0, now)
            for domain, component, fields in CHANNELS
            if (mj := _millijoules(first, fields)) is not None
        ]
        if not self.channels:
            raise SourceUnavailable("IOReport reported no CPU, DRAM or GPU energy channel")
        self._cpu_last_s, self._share_last_t = tree.cpu_seconds(), now

    def _totals(self) -> list[tuple[_Channel, float]]:
        metrics = self.monitor.get_cumulative_energy()
        out = []
        for c in self.channels:
            mj = _millijoules(metrics, c.fields)
            out.append((c, c.last_device_j if mj is None else max(0.0, (mj - c.base_mj) / 1000.0)))
        return out

    def read(self, now: float) -> list[DomainReading]:
        with self._lock:
            return [DomainReading(c.domain, c.component, MEASURED, c.attribution.charge(j), j) for c, j in self._totals()]

    def sample(self, now: float) -> list[DomainPower]:
        cpu_s = self.tree.cpu_seconds()
        capacity_s = self.system.logical_cpus * (now - self._share_last_t)
        share = (cpu_s - self._cpu_last_s) / capacity_s if capacity_s > 0 else 0.0
        self._cpu_last_s, self._share_last_t = cpu_s, now
        out = []
        with self._lock:
            for c, device_j in self._totals():
                dt = now - c.last_t
                device_w = (device_j - c.last_device_j) / dt if dt > 0 else 0.0
                c.attribution.set_share(device_j, share)
                c.last_device_j, c.last_t = device_j, now
                out.append(DomainPower(c.domain, c.component, device_w * c.attribution.share, device_w))
        return out

    def describe(self) -> list[DeviceInfo]:
        how = "IOReport energy counter (zeus-apple-silicon), charged by share of CPU capacity"
        gpu = "; IOReport does not say which process used the GPU or Neural Engine: charged at the same share"
        return [
            DeviceInfo(c.domain, c.component, f"Apple Silicon {c.component}", MEASURED, how + (gpu if c.component == "gpu" else ""))
            for c in self.channels
        ]

    def close(self) -> None:
        self.channels = []
