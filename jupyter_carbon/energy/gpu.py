"""GPU energy, whatever the vendor: counters, power integration, and who is charged.

A vendor backend (``nvml.py`` for NVIDIA, ``amd.py`` for AMD) answers a few questions about
each device: its cumulative energy counter if it has one, its power, the PIDs holding
contexts on it, and per-process utilisation samples if the driver keeps them. Everything
else lives here once:

- Energy: a counter read at each snapshot is ``measured``; a device without one has its
  power integrated by the sampler: ``integrated``. A device that is a part of a GPU (a MIG
  instance) reads its parent's counter and keeps its share of it (its slices).
- Attribution: which GPUs the kernel uses and its share of each, decided by
  :mod:`jupyter_carbon.energy.gpu_use` from the driver's process list or, where its PIDs
  cannot be matched (containers), the device files the kernel's processes hold open.
- Failure: a failed read is retried at the next tick and the last good reading stands
  (the sampler refreshes it too); a device is dropped only after reads keep failing for
  ``drop_after_s`` (:class:`~jupyter_carbon.energy.base.Failures`), with one warning, and
  what it counted stays.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Protocol

from . import gpu_use
from .base import (
    INTEGRATED,
    MEASURED,
    Attribution,
    Counter,
    DeviceInfo,
    DomainPower,
    DomainReading,
    Failures,
    PowerIntegrator,
    SourceUnavailable,
)
from .devfiles import DeviceFiles
from .process import ProcessTree

log = logging.getLogger("jupyter_carbon")


@dataclass(frozen=True)
class GpuDevice:
    """A device a backend found: its index in the backend's order, names and handles."""

    index: int
    name: str
    uuid: str
    handle: object
    """Where processes and utilisation are asked."""
    files: frozenset[str] = frozenset()
    """Device files (relative to ``/dev``) that a process using this device holds open."""
    energy_handle: object = None
    """Where energy and power are read, when not ``handle`` (a MIG instance's parent GPU)."""
    part: float = 1.0
    """The part of ``energy_handle``'s energy that belongs to this device (a MIG instance's slices)."""
    domain: str = ""
    """Default ``gpu:<index>``."""
    detail: str = ""
    """What the device is, where it needs saying (``MIG instance: 3 of 7 slices of GPU 0``)."""

    @property
    def meter_handle(self):
        return self.handle if self.energy_handle is None else self.energy_handle


class GpuBackend(Protocol):
    """What a vendor library must answer; each call raises ``error`` when it cannot."""

    name: str
    """The source's name, e.g. ``nvml``."""
    error: type[Exception]
    counter_scale: float
    """Joules per unit of the raw energy counter."""
    counter_detail: str
    """How the counter is described in ``devices``, e.g. "total-energy counter (Volta or newer)"."""
    no_counter_advice: str
    resolution_s: float
    """How often the driver updates the energy counter or power reading."""

    def devices(self) -> list[GpuDevice]: ...

    def energy_counter(self, handle) -> int: ...

    def power_w(self, handle) -> float: ...

    def process_pids(self, handle) -> set[int]: ...

    def utilisation(self, handle, since: int) -> tuple[dict[int, float], int] | None:
        """Per-PID utilisation summed over the samples newer than ``since``, and the newest
        sample's timestamp; None where the driver keeps no samples."""
        ...

    def close(self) -> None: ...


@dataclass
class Gpu:
    """One device being metered, and the state its energy and attribution need."""

    device: GpuDevice
    counter: Counter | None
    integrator: PowerIntegrator | None
    failures: Failures
    attribution: Attribution = field(default_factory=lambda: Attribution(0.0))
    use: gpu_use.Use = gpu_use.NOT_USED
    util_since: int = 0
    lost: str | None = None
    told: bool = False
    frozen: DomainReading | None = None

    @property
    def index(self) -> int:
        return self.device.index

    @property
    def domain(self) -> str:
        return self.device.domain or f"gpu:{self.device.index}"

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def method(self) -> str:
        return MEASURED if self.counter is not None else INTEGRATED


class GpuSource:
    """Cumulative joules per visible GPU of one backend, charged by this kernel's use."""

    def __init__(
        self,
        tree: ProcessTree,
        now: float,
        backend: GpuBackend,
        *,
        attribution: str = "process",
        proc_root: str | os.PathLike = "/proc",
        dev_root: str | os.PathLike = "/dev",
        drop_after_s: float = 10.0,
    ):
        self.backend = backend
        self.name = backend.name
        self.tree = tree
        self.attribute_all = attribution == "all"
        self.files = DeviceFiles(proc_root, dev_root)
        self.drop_after_s = drop_after_s
        self.foreign_pids = False
        self._lock = threading.Lock()
        self.gpus = [self._open(device, now) for device in backend.devices()]

    def _start(self, tree: ProcessTree, now: float, backend: GpuBackend, library: str, vendor: str, **options) -> None:
        """Open every device of a vendor's backend and take the first sample, or say why
        not (closing the backend): for the vendor sources' constructors."""
        try:
            GpuSource.__init__(self, tree, now, backend, **options)
        except SourceUnavailable:
            backend.close()
            raise
        except backend.error as err:
            backend.close()
            raise SourceUnavailable(f"{library} failed while listing GPUs: {err}") from err
        if not self.gpus:
            backend.close()
            raise SourceUnavailable(f"no {vendor} GPU is visible to this process")
        self.sample(now)

    def _open(self, device: GpuDevice, now: float) -> Gpu:
        backend = self.backend
        try:
            counter = Counter(backend.energy_counter(device.meter_handle), backend.counter_scale)
            integrator = None
        except backend.error:
            counter = None
            integrator = PowerIntegrator(now, backend.power_w(device.meter_handle) * device.part)
        return Gpu(device, counter, integrator, Failures(self.drop_after_s))

    # -- reading --------------------------------------------------------------------------
    def _device_total(self, gpu: Gpu, now: float) -> float:
        if gpu.counter is not None:
            return gpu.counter.update(self.backend.energy_counter(gpu.device.meter_handle)) * gpu.device.part
        return gpu.integrator.at(now)

    def _refresh(self, gpu: Gpu, now: float) -> None:
        """Read the device and keep the reading: the one a later failure falls back on."""
        device_j = self._device_total(gpu, now)
        # Integrated power extrapolates between ticks, so only a counter can read a flat 0.
        resolution = self.backend.resolution_s if gpu.counter is not None else 0.0
        gpu.frozen = DomainReading(gpu.domain, "gpu", gpu.method, gpu.attribution.charge(device_j), device_j, resolution)

    def _failed(self, gpu: Gpu, now: float, err: Exception) -> None:
        """A failed read: retried at the next tick, given up only when failures last."""
        if gpu.failures.failed(now, err):
            gpu.lost = gpu.failures.summary(now)
            log.warning(
                "jupyter-carbon: stopped metering GPU %d (%s) after %s; its energy up to the last good reading is kept",
                gpu.index, gpu.name, gpu.lost,
            )
        elif not gpu.told:
            gpu.told = True
            log.info("jupyter-carbon: a read of GPU %d (%s) failed (%s); retrying at the next tick", gpu.index, gpu.name, gpu.failures.last_error)

    def read(self, now: float) -> list[DomainReading]:
        out = []
        with self._lock:
            for gpu in self.gpus:
                if gpu.lost is None:
                    try:
                        self._refresh(gpu, now)
                        gpu.failures.succeeded()
                    except self.backend.error as err:
                        self._failed(gpu, now, err)
                if gpu.frozen is not None:
                    out.append(gpu.frozen)
        return out

    # -- attribution ----------------------------------------------------------------------
    def _utilisation_share(self, gpu: Gpu, ours: set[int]) -> float | None:
        """This tree's share of utilisation in the samples since the last tick, if any."""
        try:
            answer = self.backend.utilisation(gpu.device.handle, gpu.util_since)
        except self.backend.error:
            return None
        if answer is None:
            return None
        by_pid, newest = answer
        gpu.util_since = max(gpu.util_since, newest)
        total = sum(by_pid.values())
        if total <= 0:
            return None
        return sum(u for pid, u in by_pid.items() if pid in ours) / total

    def _signals(self, live: list[Gpu]) -> gpu_use.TickSignals:
        """What this tick knows about all GPUs: listed PIDs, foreign ones, held files (lazily)."""
        listed = {gpu.domain: self.backend.process_pids(gpu.device.handle) for gpu in live}
        tree_pids = self.tree.pids()
        everyone = set().union(*listed.values()) - tree_pids
        foreign = self.files.unknown(everyone)
        self.foreign_pids = bool(foreign)
        cache: dict = {}

        def held():
            if "held" not in cache:
                cache["held"] = self.files.held(tree_pids)
            return cache["held"]

        return gpu_use.TickSignals(tree_pids, listed, foreign, held)

    def _use(self, gpu: Gpu, signals: gpu_use.TickSignals) -> gpu_use.Use:
        on_device = signals.listed[gpu.domain]
        ours = on_device & signals.tree_pids
        if on_device - ours and not ours and not signals.foreign:
            # A PID we do not know may be a child started since the last walk of the tree.
            self.tree.rescan_now()
        if ours:
            return gpu_use.by_pids(ours, on_device, lambda: self._utilisation_share(gpu, ours))
        return gpu_use.by_device_files(gpu.device.files, on_device, signals)

    # -- sampling -------------------------------------------------------------------------
    def sample(self, now: float) -> list[DomainPower]:
        live = [gpu for gpu in self.gpus if gpu.lost is None]
        signals = None if self.attribute_all else self._signals(live)
        out = []
        for gpu in live:
            try:
                watts = self.backend.power_w(gpu.device.meter_handle) * gpu.device.part
                use = ALL if signals is None else self._use(gpu, signals)
                with self._lock:
                    if gpu.integrator is not None:
                        gpu.integrator.add(now, watts)
                    gpu.attribution.set_share(self._device_total(gpu, now), use.share)
                    gpu.use = use
                    self._refresh(gpu, now)
                    gpu.failures.succeeded()
            except self.backend.error as err:
                with self._lock:
                    self._failed(gpu, now, err)
                continue
            out.append(DomainPower(gpu.domain, "gpu", watts * gpu.attribution.share, watts))
        return out

    def describe(self) -> list[DeviceInfo]:
        info = []
        for gpu in self.gpus:
            if gpu.counter is not None:
                detail, advice = self.backend.counter_detail, ""
            else:
                detail = "power readings integrated by the sampler (no energy counter on this GPU)"
                advice = self.backend.no_counter_advice
            if gpu.device.detail:
                detail = f"{gpu.device.detail}; {detail}"
            if gpu.lost:
                detail += f"; stopped after {gpu.lost}"
            elif gpu.failures.transient:
                detail += f"; {gpu.failures.transient} failed reads retried"
            detail += f"; {gpu.use.decided_by}"
            if self.foreign_pids and not self.attribute_all:
                detail += "; the driver's PIDs are another PID namespace's (a container), so open device files decide"
            name = f"{gpu.name} ({gpu.device.uuid})"
            info.append(DeviceInfo(gpu.domain, "gpu", name, gpu.method, detail, advice))
        return info

    def close(self) -> None:
        self.backend.close()


ALL = gpu_use.Use(1.0, "charged in full (gpu_attribution = 'all')", True)
