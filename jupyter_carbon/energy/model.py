"""Estimated CPU and memory energy where no hardware counter can be read.

CPU: a package draws about its rated power (TDP) when every logical CPU is busy, so one
CPU-second of work costs ``TDP / logical CPUs`` joules. Charging the kernel that much per
CPU-second of its process tree is a cumulative counter in its own right, read with one
syscall; no sampling is needed for the kernel's figure. The machine-wide figure uses all
processes' busy time, read by the sampler. Idle power is charged to nobody: this is the
cost of the work, as in Green Algorithms, not of keeping the machine on.

Memory: resident memory of the tree times a constant power per GB, integrated by the
sampler. Every figure from here is ``estimated``.
"""

from __future__ import annotations

import threading

from .. import hardware
from .base import ESTIMATED, DeviceInfo, DomainPower, DomainReading, PowerIntegrator
from .process import ProcessTree, SystemCpu

GB = 1e9


class CpuModel:
    """Where the TDP used by the estimate came from, for the record and for ``devices``."""

    def __init__(self, tdp_w: float | None, logical_cpus: int, brand: str | None = None):
        self.brand = brand or hardware.cpu_brand()
        if tdp_w is not None:
            self.tdp_w, self.basis = float(tdp_w), "configured (CarbonMeter.cpu_tdp_w)"
        else:
            found = hardware.lookup("cpu", self.brand)
            if found is not None:
                self.tdp_w, self.basis = found.tdp_w, f"TDP of {found.name} ({found.source})"
            else:
                self.tdp_w = hardware.DEFAULT_CPU_W_PER_CORE * logical_cpus
                self.basis = (
                    f"{self.brand!r} is not in the hardware table: "
                    f"{hardware.DEFAULT_CPU_W_PER_CORE:g} W per logical CPU × {logical_cpus}"
                )
        self.w_per_cpu_second = self.tdp_w / logical_cpus


class ModelSource:
    """CPU and/or memory estimates for this kernel's process tree."""

    name = "model"

    def __init__(
        self,
        tree: ProcessTree,
        now: float,
        *,
        cpu: bool = True,
        memory: bool = True,
        cpu_tdp_w: float | None = None,
        memory_w_per_gb: float = 0.3725,
        system: SystemCpu | None = None,
        psutil_module=None,
        brand: str | None = None,
    ):
        import psutil as _psutil

        self._psutil = psutil_module or _psutil
        self.tree = tree
        self.system = system or SystemCpu(self._psutil)
        self.with_cpu, self.with_memory = cpu, memory
        self.cpu_model = CpuModel(cpu_tdp_w, self.system.logical_cpus, brand)
        self.memory_w_per_gb = memory_w_per_gb
        self._lock = threading.Lock()

        self._cpu_start_s = tree.cpu_seconds()
        self._system_busy_start_s = self.system.busy_seconds()
        self._system_busy_last_s = self._system_busy_start_s
        self._cpu_last_s = self._cpu_start_s
        # Machine-wide CPU: busy time is a cumulative counter, committed exactly at each tick
        # and extrapolated at the last rate in between (never reported lower than before).
        self._cpu_device_j = 0.0
        self._cpu_device_w = 0.0
        self._cpu_device_reported_j = 0.0
        self._memory = PowerIntegrator(now, self._memory_watts(tree.rss_bytes))
        self._memory_device = PowerIntegrator(now, self._machine_memory_watts())
        self._last_t = now

    def _memory_watts(self, rss_bytes: int) -> float:
        return rss_bytes / GB * self.memory_w_per_gb

    def _machine_memory_watts(self) -> float:
        return self._psutil.virtual_memory().used / GB * self.memory_w_per_gb

    def read(self, now: float) -> list[DomainReading]:
        readings = []
        if self.with_cpu:
            cpu_j = (self.tree.cpu_seconds() - self._cpu_start_s) * self.cpu_model.w_per_cpu_second
            with self._lock:
                extrapolated = self._cpu_device_j + self._cpu_device_w * max(0.0, now - self._last_t)
                device_j = max(cpu_j, extrapolated, self._cpu_device_reported_j)
                self._cpu_device_reported_j = device_j
            readings.append(DomainReading("cpu:model", "cpu", ESTIMATED, cpu_j, device_j))
        if self.with_memory:
            with self._lock:
                mem_j, mem_device_j = self._memory.at(now), self._memory_device.at(now)
            readings.append(DomainReading("memory:model", "memory", ESTIMATED, mem_j, max(mem_j, mem_device_j)))
        return readings

    def sample(self, now: float) -> list[DomainPower]:
        busy = self.system.busy_seconds()
        cpu_s = self.tree.cpu_seconds()
        dt = now - self._last_t
        powers = []
        with self._lock:
            if self.with_cpu and dt > 0:
                w_per = self.cpu_model.w_per_cpu_second
                kernel_w = (cpu_s - self._cpu_last_s) * w_per / dt
                device_w = max(kernel_w, (busy - self._system_busy_last_s) * w_per / dt)
                self._cpu_device_j = (busy - self._system_busy_start_s) * w_per
                self._cpu_device_w = device_w
                powers.append(DomainPower("cpu:model", "cpu", kernel_w, device_w))
            if self.with_memory:
                mem_w = self._memory_watts(self.tree.rss_bytes)
                machine_w = self._machine_memory_watts()
                self._memory.add(now, mem_w)
                self._memory_device.add(now, machine_w)
                powers.append(DomainPower("memory:model", "memory", mem_w, max(mem_w, machine_w)))
            self._system_busy_last_s, self._cpu_last_s, self._last_t = busy, cpu_s, now
        return powers

    def describe(self) -> list[DeviceInfo]:
        info = []
        if self.with_cpu:
            m = self.cpu_model
            info.append(
                DeviceInfo(
                    "cpu:model",
                    "cpu",
                    m.brand,
                    ESTIMATED,
                    f"{m.tdp_w:g} W rated × this kernel's share of {self.system.logical_cpus} logical CPUs; {m.basis}",
                    "Readable RAPL counters (Linux powercap) would measure CPU energy instead.",
                )
            )
        if self.with_memory:
            info.append(
                DeviceInfo(
                    "memory:model",
                    "memory",
                    "resident memory",
                    ESTIMATED,
                    f"{self.memory_w_per_gb:g} W per GB of the kernel's resident memory",
                    "A RAPL dram domain (most Intel servers) would measure memory energy instead.",
                )
            )
        return info

    def close(self) -> None:
        pass
