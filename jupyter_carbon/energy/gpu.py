"""GPU energy, whatever the vendor: counters, power integration, and who is charged.

A vendor backend (``nvml.py`` for NVIDIA) answers a few questions about each device: its
cumulative energy counter if it has one, its power, the PIDs holding contexts on it, and
per-process utilisation samples if the driver keeps them. Everything else lives here once:

- Energy: a counter read at each snapshot is ``measured``; a device without one has its
  power integrated by the sampler: ``integrated``.
- Attribution: a GPU the kernel (or a child) holds no context on costs it nothing, though
  its device-wide figure is kept. When other processes also hold contexts, the kernel is
  charged by its share of the per-process utilisation samples over the last tick (SM
  activity drives power, and the samples are the only per-process signal drivers offer);
  without samples, the device is split evenly among the processes holding contexts.
- Failure: a device that fails is dropped with one warning; what it counted stays.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from .base import (
    INTEGRATED,
    MEASURED,
    Attribution,
    Counter,
    DeviceInfo,
    DomainPower,
    DomainReading,
    PowerIntegrator,
)
from .process import ProcessTree

log = logging.getLogger("jupyter_carbon")


@dataclass(frozen=True)
class GpuDevice:
    """A device a backend found: its index in the backend's order, names and handle."""

    index: int
    name: str
    uuid: str
    handle: object


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
    domain: str
    counter: Counter | None
    integrator: PowerIntegrator | None
    attribution: Attribution = field(default_factory=lambda: Attribution(0.0))
    in_use: bool = False
    util_since: int = 0
    lost: str | None = None
    frozen: DomainReading | None = None

    @property
    def index(self) -> int:
        return self.device.index

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def method(self) -> str:
        return MEASURED if self.counter is not None else INTEGRATED


class GpuSource:
    """Cumulative joules per visible GPU of one backend, charged by this kernel's use."""

    def __init__(self, tree: ProcessTree, now: float, backend: GpuBackend, *, attribution: str = "process"):
        self.backend = backend
        self.name = backend.name
        self.tree = tree
        self.attribute_all = attribution == "all"
        self._lock = threading.Lock()
        self.gpus = [self._open(device, now) for device in backend.devices()]

    def _open(self, device: GpuDevice, now: float) -> Gpu:
        backend = self.backend
        try:
            counter = Counter(backend.energy_counter(device.handle), backend.counter_scale)
            integrator = None
        except backend.error:
            counter = None
            integrator = PowerIntegrator(now, backend.power_w(device.handle))
        return Gpu(device, f"gpu:{device.index}", counter, integrator)

    # -- reading --------------------------------------------------------------------------
    def _device_total(self, gpu: Gpu, now: float) -> float:
        if gpu.counter is not None:
            return gpu.counter.update(self.backend.energy_counter(gpu.device.handle))
        return gpu.integrator.at(now)

    def _drop(self, gpu: Gpu, err: Exception) -> None:
        """A GPU that fails (lost, reset, driver error) stops being read; its joules so far stay."""
        gpu.lost = str(err) or type(err).__name__
        log.warning("jupyter-carbon: stopped metering GPU %d (%s): %s", gpu.index, gpu.name, gpu.lost)

    def read(self, now: float) -> list[DomainReading]:
        out = []
        with self._lock:
            for gpu in self.gpus:
                if gpu.lost is None:
                    try:
                        device_j = self._device_total(gpu, now)
                        gpu.frozen = DomainReading(gpu.domain, "gpu", gpu.method, gpu.attribution.charge(device_j), device_j)
                    except self.backend.error as err:
                        self._drop(gpu, err)
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

    def _share(self, gpu: Gpu) -> float:
        if self.attribute_all:
            gpu.in_use = True
            return 1.0
        on_device = self.backend.process_pids(gpu.device.handle)
        ours = on_device & self.tree.pids()
        if on_device - ours and not ours:
            # A PID we do not know may be a child started since the last walk of the tree.
            self.tree.rescan_now()
        gpu.in_use = bool(ours)
        if not ours:
            return 0.0
        if ours == on_device:
            return 1.0
        share = self._utilisation_share(gpu, ours)
        return share if share is not None else len(ours) / len(on_device)

    # -- sampling -------------------------------------------------------------------------
    def sample(self, now: float) -> list[DomainPower]:
        out = []
        for gpu in self.gpus:
            if gpu.lost is not None:
                continue
            try:
                watts = self.backend.power_w(gpu.device.handle)
                share = self._share(gpu)
                with self._lock:
                    if gpu.integrator is not None:
                        gpu.integrator.add(now, watts)
                    gpu.attribution.set_share(self._device_total(gpu, now), share)
            except self.backend.error as err:
                with self._lock:
                    self._drop(gpu, err)
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
            if gpu.lost:
                detail += f"; stopped: {gpu.lost}"
            use = "charged in full" if self.attribute_all else (
                "this kernel has a context" if gpu.in_use else "not used by this kernel: costs it nothing"
            )
            name = f"{gpu.name} ({gpu.device.uuid})"
            info.append(DeviceInfo(gpu.domain, "gpu", name, gpu.method, f"{detail}; {use}", advice))
        return info

    def close(self) -> None:
        self.backend.close()
