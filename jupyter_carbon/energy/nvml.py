"""NVIDIA GPU energy through NVML (``pynvml``, from NVIDIA's ``nvidia-ml-py``).

Volta and newer expose a total-energy counter (millijoules since the driver loaded), read
at each snapshot: ``measured``. Older GPUs, or any whose counter call fails, only report
power (milliwatts); the sampler integrates it: ``integrated``.

Which GPUs: those visible to CUDA in this process (``CUDA_VISIBLE_DEVICES``, by index or
UUID, read as NVML indices as every metering tool does; set ``CUDA_DEVICE_ORDER=PCI_BUS_ID``
for the two to agree), and of those only the ones where this kernel or one of its children
has a context. A GPU the kernel never touched costs it nothing, though its device-wide
figure is still kept.

Sharing: when other processes also hold contexts on a GPU, the kernel is charged by its
share of the GPU's streaming-multiprocessor utilisation in NVML's per-process samples over
the last tick. SM activity is what drives GPU power, and the samples are the only per-process
signal NVML offers. Where samples are missing (unsupported, or all idle), the GPU is split
evenly among the processes holding contexts.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from dataclasses import dataclass, field

from .base import (
    INTEGRATED,
    MEASURED,
    Attribution,
    Counter,
    DeviceInfo,
    DomainPower,
    DomainReading,
    PowerIntegrator,
    SourceUnavailable,
)
from .process import ProcessTree

log = logging.getLogger("jupyter_carbon")


def visible_indices(nvml, count: int, cuda_visible_devices: str | None) -> list[int]:
    """NVML indices of the GPUs CUDA would show this process, in CUDA's order.

    Follows CUDA's rules: unset means all; an empty value means none; entries are indices
    or (prefixes of) UUIDs; the list stops at the first entry that matches no device. MIG
    instances (``MIG-...``) cannot be metered apart from their GPU and stop the list too.
    """
    if cuda_visible_devices is None:
        return list(range(count))
    uuids = None
    chosen: list[int] = []
    for token in (t.strip() for t in cuda_visible_devices.split(",")):
        if not token:
            break
        if token.lstrip("-").isdigit():
            index = int(token)
            if not 0 <= index < count:
                break
        elif token.startswith("GPU-"):
            if uuids is None:
                uuids = [_decode(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
            matches = [i for i, u in enumerate(uuids) if u.startswith(token)]
            if len(matches) != 1:
                break
            index = matches[0]
        else:
            break
        if index in chosen:
            break
        chosen.append(index)
    return chosen


def _decode(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class Gpu:
    index: int
    handle: object
    name: str
    uuid: str
    domain: str
    has_counter: bool
    counter: Counter | None
    integrator: PowerIntegrator | None
    attribution: Attribution = field(default_factory=lambda: Attribution(0.0))
    in_use: bool = False
    processes: int = 0
    last_device_j: float = 0.0
    last_t: float = 0.0
    util_timestamp: int = 0
    lost: str | None = None
    frozen: DomainReading | None = None

    @property
    def method(self) -> str:
        return MEASURED if self.has_counter else INTEGRATED


class NvmlSource:
    """Cumulative joules per visible NVIDIA GPU, charged by this kernel's use."""

    name = "nvml"

    def __init__(
        self,
        tree: ProcessTree,
        now: float,
        *,
        nvml=None,
        cuda_visible_devices: str | None = None,
        attribution: str = "process",
        env=os.environ,
    ):
        if nvml is None:
            try:
                nvml = importlib.import_module("pynvml")
            except ImportError as err:
                raise SourceUnavailable("pynvml is not installed (pip install nvidia-ml-py)") from err
        self.nvml = nvml
        self.tree = tree
        self.attribute_all = attribution == "all"
        self._lock = threading.Lock()
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as err:
            raise SourceUnavailable(f"NVML is not available: {err}") from err
        self._initialised = True
        if cuda_visible_devices is None:
            cuda_visible_devices = env.get("CUDA_VISIBLE_DEVICES")
        try:
            self.driver = _decode(nvml.nvmlSystemGetDriverVersion())
            indices = visible_indices(nvml, nvml.nvmlDeviceGetCount(), cuda_visible_devices)
            self.gpus = [self._open(i, now) for i in indices]
        except nvml.NVMLError as err:
            self.close()
            raise SourceUnavailable(f"NVML failed while listing GPUs: {err}") from err
        if not self.gpus:
            self.close()
            raise SourceUnavailable("no NVIDIA GPU is visible to this process")
        self.sample(now)

    def _open(self, index: int, now: float) -> Gpu:
        nvml = self.nvml
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name, uuid = _decode(nvml.nvmlDeviceGetName(handle)), _decode(nvml.nvmlDeviceGetUUID(handle))
        try:
            counter = Counter(nvml.nvmlDeviceGetTotalEnergyConsumption(handle), 1e-3)
            integrator = None
        except nvml.NVMLError:
            counter = None
            integrator = PowerIntegrator(now, nvml.nvmlDeviceGetPowerUsage(handle) / 1e3)
        return Gpu(index, handle, name, uuid, f"gpu:{index}", counter is not None, counter, integrator, last_t=now)

    # -- reading --------------------------------------------------------------------------
    def _device_total(self, gpu: Gpu, now: float) -> float:
        if gpu.counter is not None:
            return gpu.counter.update(self.nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle))
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
                    except self.nvml.NVMLError as err:
                        self._drop(gpu, err)
                if gpu.frozen is not None:
                    out.append(gpu.frozen)
        return out

    # -- sampling -------------------------------------------------------------------------
    def _process_pids(self, gpu: Gpu) -> set[int]:
        nvml, pids = self.nvml, set()
        for query in (nvml.nvmlDeviceGetComputeRunningProcesses, nvml.nvmlDeviceGetGraphicsRunningProcesses):
            try:
                pids.update(p.pid for p in query(gpu.handle))
            except nvml.NVMLError:
                pass
        return pids

    def _sm_share(self, gpu: Gpu, ours: set[int]) -> float | None:
        """This tree's share of SM utilisation in the samples since the last tick, if any."""
        nvml = self.nvml
        try:
            samples = nvml.nvmlDeviceGetProcessUtilization(gpu.handle, gpu.util_timestamp)
        except nvml.NVMLError:
            return None
        if samples:
            gpu.util_timestamp = max(s.timeStamp for s in samples)
        total = sum(s.smUtil for s in samples)
        if total <= 0:
            return None
        return sum(s.smUtil for s in samples if s.pid in ours) / total

    def _share(self, gpu: Gpu) -> float:
        if self.attribute_all:
            gpu.in_use = True
            return 1.0
        on_device = self._process_pids(gpu)
        ours = on_device & self.tree.pids()
        if on_device - ours and not ours:
            # A PID we do not know may be a child started since the last walk of the tree.
            self.tree.rescan_now()
        gpu.in_use, gpu.processes = bool(ours), len(on_device)
        if not ours:
            return 0.0
        if ours == on_device:
            return 1.0
        share = self._sm_share(gpu, ours)
        return share if share is not None else len(ours) / len(on_device)

    def sample(self, now: float) -> list[DomainPower]:
        nvml, out = self.nvml, []
        for gpu in self.gpus:
            if gpu.lost is not None:
                continue
            try:
                watts = nvml.nvmlDeviceGetPowerUsage(gpu.handle) / 1e3
                share = self._share(gpu)
                with self._lock:
                    if gpu.integrator is not None:
                        gpu.integrator.add(now, watts)
                    device_j = self._device_total(gpu, now)
                    gpu.attribution.set_share(device_j, share)
                    gpu.last_device_j, gpu.last_t = device_j, now
            except nvml.NVMLError as err:
                with self._lock:
                    self._drop(gpu, err)
                continue
            out.append(DomainPower(gpu.domain, "gpu", watts * gpu.attribution.share, watts))
        return out

    def describe(self) -> list[DeviceInfo]:
        info = []
        for gpu in self.gpus:
            if gpu.has_counter:
                detail = "total-energy counter (Volta or newer)"
                advice = ""
            else:
                detail = "power readings integrated by the sampler (no energy counter on this GPU)"
                advice = "A Volta or newer GPU has an energy counter and is measured exactly."
            if gpu.lost:
                detail += f"; stopped: {gpu.lost}"
            use = "charged in full" if self.attribute_all else (
                "this kernel has a context" if gpu.in_use else "not used by this kernel: costs it nothing"
            )
            info.append(DeviceInfo(gpu.domain, "gpu", f"{gpu.name} ({gpu.uuid})", gpu.method, f"{detail}; {use}", advice))
        return info

    def close(self) -> None:
        if getattr(self, "_initialised", False):
            self._initialised = False
            try:
                self.nvml.nvmlShutdown()
            except self.nvml.NVMLError:
                pass
