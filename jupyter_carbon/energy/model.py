"""Estimated CPU and memory energy where no hardware counter can be read.

CPU: a package draws about its rated power (TDP) when every logical CPU is busy, so one
CPU-second of work costs ``TDP / the package's logical CPUs`` joules (:class:`CpuModel`):
the same meaning as a RAPL measurement, where each logical CPU-second costs the package's
measured power over its logical CPUs (see ``rapl.py``), with the package taken at its
rated power. Charging the kernel that much per CPU-second of its process tree is a
cumulative counter in its own right, read with one syscall; no sampling is needed for the
kernel's figure. The machine-wide figure uses all processes' busy time, read by the sampler.

Memory: resident memory of the tree times a constant power per GB, integrated by the
sampler. Every figure from here is ``estimated``.
"""

from __future__ import annotations

import threading

from .. import bounds, cpu_power, hardware
from .base import ESTIMATED, DeviceInfo, DomainPower, DomainReading, PowerIntegrator
from .process import ProcessTree, SystemCpu
from .cpuid import identify
from .topology import CpuTopology

GB = 1e9


class CpuModel:
    """Watts per busy logical CPU for the estimate, how they were derived, and their bounds.

    A busy logical CPU-second is charged the package's full-load power over its logical
    CPUs (its share of the package's capacity), whatever the source of that power:

    1. the part's rated power (TDP) where the hardware table knows the part exactly (or
       ``c.CarbonMeter.cpu_tdp_w`` is set): ``TDP / the package's logical CPUs``. On bare
       metal the visible topology is the package's; in a VM the package's logical CPUs come
       from the table (its threads, or its cores × the SMT the VM shows);
    2. else, where the microarchitecture is known (model name, x86 family/model, Arm CPU
       part, the instance type from DMI or metadata, macOS brand): SPECpower's full-load
       watts per hardware thread for it (``cpu_power.py``): a vCPU is one hardware thread;
    3. else Green Algorithms' 12 W per physical core, shared by its logical CPUs: a last
       resort, said loudly, with bounds to match.
    """

    def __init__(self, topology: CpuTopology, tdp_w: float | None = None, model: str | None = None, instance_type: str | None = None):
        self.topology = topology
        self.model = model or topology.brand
        self.model_origin = "configured (CarbonMeter.cpu_model)" if model else "detected"
        self.identity = identify(
            [topology.cpuinfo] if topology.cpuinfo else [], topology.brand, configured=model,
            dmi_product=topology.dmi_product, instance_type=instance_type, sysctl_brand=topology.sysctl_brand,
        )  # fmt: skip
        self.arch = cpu_power.architecture(self.identity.architecture)
        apple = self.arch is not None and self.arch.vendor == "Apple"
        # The part an instance type names (DMI, metadata) is looked up as if the machine named it.
        by_instance = self.identity.instance is not None and self.identity.part
        self.found = None if apple else (
            hardware.lookup("cpu", self.model) or (hardware.lookup("cpu", self.identity.part) if by_instance else None)
        )
        self.tdp_w = float(tdp_w) if tdp_w is not None else (self.found.tdp_w if self.found else None)
        self.tdp_origin = (
            "configured (CarbonMeter.cpu_tdp_w)" if tdp_w is not None
            else f"{self.found.name} ({self.found.source})" if self.found else None
        )
        self.package_threads, self.threads_origin = self._package_threads()
        self.advice = ""
        if self.tdp_w is not None and self.package_threads:
            self._from_tdp()
        elif self.arch is not None:
            self._from_architecture()
        else:
            self._from_default()

    def _from_tdp(self) -> None:
        self.method = "tdp"
        self.w_per_cpu_second = w = self.tdp_w / self.package_threads
        self.basis = (
            f"{self.tdp_w:g} W TDP of {self.tdp_origin} / {self.package_threads:g} logical CPUs "
            f"per package ({self.threads_origin})"
        )
        tdp = bounds.TDP_MODEL
        if self.arch is None:
            self.band = tdp
        else:
            a = self.arch
            spread = bounds.spec_band(w, a)
            self.band = bounds.hull(w, tdp.apply(w), spread.apply(w), basis=f"{tdp.basis}; {spread.basis}")

    def _from_architecture(self) -> None:
        a, ident = self.arch, self.identity
        self.method = "specpower"
        if a.vendor == "Apple":
            self.w_per_cpu_second = a.w_max
            self.basis = f"{a.w_max:g} W per busy core of an {ident.part} ({a.source}; {a.note}), known by {ident.how}: {ident.evidence}"
            self.band = bounds.spec_band(a.w_max, a)
            self.advice = "pip install 'jupyter-carbon[apple]' measures the CPU through IOReport instead (no root)."
            return
        self.w_per_cpu_second = a.w_max
        measured = f"stand-in, {a.source}" if a.source.startswith("stand-in") else f"mean of {a.results} results"
        self.basis = (
            f"{a.w_max:.3g} W per busy hardware thread: {a.name} servers at full load in SPECpower_ssj2008 "
            f"({measured}), known by {ident.how}: {ident.evidence}"
        )
        self.band = bounds.spec_band(a.w_max, a)
        self.advice = (
            "Set c.CarbonMeter.cpu_model to the exact part (the cloud provider's page for the instance type "
            "names it) for its rated power; readable RAPL counters would measure it."
        )

    def _from_default(self) -> None:
        self.method = "default"
        per_core, per = hardware.DEFAULT_CPU_W_PER_CORE, self.topology.threads_per_core
        self.w_per_cpu_second = per_core / per
        why = self._why_default()
        self.basis = (
            f"DEFAULT, NOT THIS PART'S: {per_core:g} W per physical core (Green Algorithms' default) / {per} "
            f"logical CPU{'s' if per != 1 else ''} per core; {why}"
        )
        self.band = bounds.unknown_cpu_band(self.w_per_cpu_second, why)
        self.advice = (
            "Set c.CarbonMeter.cpu_model to this CPU's model name (e.g. 'Xeon Platinum 8259CL'; the "
            "cloud provider's page for the instance type names it) for an estimate from its rated power."
        )

    @property
    def w_low(self) -> float:
        return self.w_per_cpu_second * self.band.low

    @property
    def w_high(self) -> float:
        return self.w_per_cpu_second * self.band.high

    def _package_threads(self) -> tuple[float | None, str | None]:
        t = self.topology
        if not t.virtual:
            return t.logical_cpus / t.sockets, f"bare metal: {t.logical_cpus} logical CPUs over {t.sockets} socket(s)"
        found = self.found
        if found is not None and found.threads:
            return found.threads, f"hardware table; a VM, whose {t.logical_cpus} vCPUs are threads of the host's package"
        if found is not None and found.cores:
            return found.cores * t.threads_per_core, (
                f"{found.cores} cores in the hardware table × {t.threads_per_core} threads per core as the VM shows them"
            )
        if self.tdp_origin == "configured (CarbonMeter.cpu_tdp_w)":
            # The user named the package's power but not the part: the visible vCPUs are all
            # there is to share it by.
            return t.logical_cpus, (
                f"a VM whose package size is unknown: taken as its {t.logical_cpus} visible logical CPUs; "
                "set c.CarbonMeter.cpu_model for the host package's"
            )
        return None, None

    def _why_default(self) -> str:
        if self.tdp_w is None:
            return (
                f"CPU model {self.model!r} ({self.model_origin}) was not found in the hardware table "
                f"({self.identity.evidence})"
            )
        return (
            f"a VM, and the hardware table has no core count for {self.model!r}, so the host "
            "package's logical CPUs are unknown"
        )

    def figures(self) -> dict:
        """The derivation as data, for ``jupyter carbon devices --json``."""
        t = self.topology
        return {
            "w_per_logical_cpu": self.w_per_cpu_second,
            "model": self.model,
            "model_origin": self.model_origin,
            "table_row": self.found.name if self.found else None,
            "tdp_w": self.tdp_w,
            "tdp_origin": self.tdp_origin,
            "sockets": t.sockets,
            "logical_cpus": t.logical_cpus,
            "package_logical_cpus": self.package_threads,
            "threads_per_core": t.threads_per_core,
            "virtual_machine": t.virtual,
            "basis": self.basis,
            "method": self.method,
            "part": self.identity.part,
            "architecture": self.arch.name if self.arch else None,
            "identified_by": self.identity.how,
            "evidence": self.identity.evidence,
            "instance_type": self.identity.instance.name if self.identity.instance else None,
            "w_low": self.w_low,
            "w_high": self.w_high,
            "bounds_basis": self.band.basis,
            "advice": self.advice or None,
        }


class ModelSource:
    """CPU and/or memory estimates for this kernel's process tree."""

    name = "model"
    needs_ticks = False
    """CPU time is a counter; memory's power changes little while nothing runs (see ``Meter.demand``)."""

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
        cpu_model: str | None = None,
        topology: CpuTopology | None = None,
        powercap_root: str = "/sys/class/powercap",
        instance_type: str | None = None,
    ):
        import psutil as _psutil

        self._psutil = psutil_module or _psutil
        self.tree = tree
        self.system = system or SystemCpu(self._psutil)
        self.with_cpu, self.with_memory = cpu, memory
        topology = topology or CpuTopology.read(powercap_root=powercap_root, psutil_module=self._psutil)
        self._cpu_settings = (topology, cpu_tdp_w, cpu_model)
        self._use_cpu_model(CpuModel(topology, cpu_tdp_w, cpu_model, instance_type))
        self._instance_hint = None
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

    def _use_cpu_model(self, model: CpuModel) -> None:
        self.cpu_model = model
        self._cpu_band = (model.band.low, model.band.high)

    def use_instance_hint(self, hint) -> None:
        """``hint()`` names the cloud instance type once cloud metadata has answered (None
        before); the sampler asks it until it does, and a part known only by its family, its
        Arm CPU part or not at all is then identified from the instance type."""
        self._instance_hint = hint

    def _check_instance_hint(self) -> None:
        name = self._instance_hint()
        if not name:
            return
        self._instance_hint = None
        if self.cpu_model.identity.how in ("unknown", "family/model", "CPU part"):
            better = CpuModel(*self._cpu_settings, instance_type=name)
            if better.identity.how == "metadata":
                with self._lock:
                    self._use_cpu_model(better)

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
            readings.append(DomainReading("cpu:model", "cpu", ESTIMATED, cpu_j, device_j, band=self._cpu_band))
        if self.with_memory:
            with self._lock:
                mem_j, mem_device_j = self._memory.at(now), self._memory_device.at(now)
            readings.append(DomainReading("memory:model", "memory", ESTIMATED, mem_j, max(mem_j, mem_device_j)))
        return readings

    def sample(self, now: float) -> list[DomainPower]:
        if self._instance_hint is not None:
            self._check_instance_hint()
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
                    m.model,
                    ESTIMATED,
                    f"{m.w_per_cpu_second:.3g} W per busy logical CPU ({m.w_low:.3g}-{m.w_high:.3g} W): {m.basis}",
                    m.advice or "Readable RAPL counters (Linux powercap) would measure CPU energy instead.",
                    m.figures(),
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
