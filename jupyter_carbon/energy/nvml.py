"""NVIDIA GPUs through NVML (``pynvml``, from NVIDIA's ``nvidia-ml-py``): the NVIDIA backend
of :mod:`jupyter_carbon.energy.gpu`, which holds the energy and attribution logic.

Volta and newer expose a total-energy counter (millijoules since the driver loaded): such a
GPU is ``measured``. Older GPUs, or any whose counter call fails, only report power
(milliwatts), which the sampler integrates: ``integrated``.

Which GPUs: those visible to CUDA in this process (``CUDA_VISIBLE_DEVICES``, by index or
UUID, read as NVML indices as every metering tool does; set ``CUDA_DEVICE_ORDER=PCI_BUS_ID``
for the two to agree). Per-process utilisation comes from NVML's process samples (SM %).
"""

from __future__ import annotations

import importlib
import os

from .base import SourceUnavailable
from .gpu import GpuDevice, GpuSource
from .process import ProcessTree


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


class NvmlBackend:
    """NVML's answers to what :class:`~jupyter_carbon.energy.gpu.GpuSource` asks."""

    name = "nvml"
    counter_scale = 1e-3  # millijoules
    counter_detail = "total-energy counter (Volta or newer)"
    no_counter_advice = "A Volta or newer GPU has an energy counter and is measured exactly."

    def __init__(self, nvml=None, *, cuda_visible_devices: str | None = None, env=os.environ):
        if nvml is None:
            try:
                nvml = importlib.import_module("pynvml")
            except ImportError as err:
                raise SourceUnavailable("pynvml is not installed (pip install nvidia-ml-py)") from err
        self.nvml = nvml
        self.error = nvml.NVMLError
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as err:
            raise SourceUnavailable(f"NVML is not available: {err}") from err
        self._initialised = True
        self._visible = env.get("CUDA_VISIBLE_DEVICES") if cuda_visible_devices is None else cuda_visible_devices
        try:
            self.driver = _decode(nvml.nvmlSystemGetDriverVersion())
        except nvml.NVMLError as err:
            self.close()
            raise SourceUnavailable(f"NVML failed while listing GPUs: {err}") from err

    def devices(self) -> list[GpuDevice]:
        nvml, found = self.nvml, []
        for index in visible_indices(nvml, nvml.nvmlDeviceGetCount(), self._visible):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name, uuid = _decode(nvml.nvmlDeviceGetName(handle)), _decode(nvml.nvmlDeviceGetUUID(handle))
            found.append(GpuDevice(index, name, uuid, handle))
        return found

    def energy_counter(self, handle) -> int:
        return self.nvml.nvmlDeviceGetTotalEnergyConsumption(handle)

    def power_w(self, handle) -> float:
        return self.nvml.nvmlDeviceGetPowerUsage(handle) / 1e3

    def process_pids(self, handle) -> set[int]:
        nvml, pids = self.nvml, set()
        for query in (nvml.nvmlDeviceGetComputeRunningProcesses, nvml.nvmlDeviceGetGraphicsRunningProcesses):
            try:
                pids.update(p.pid for p in query(handle))
            except nvml.NVMLError:
                pass
        return pids

    def utilisation(self, handle, since: int) -> tuple[dict[int, float], int] | None:
        samples = self.nvml.nvmlDeviceGetProcessUtilization(handle, since)
        by_pid: dict[int, float] = {}
        for s in samples:
            by_pid[s.pid] = by_pid.get(s.pid, 0.0) + s.smUtil
        return by_pid, max((s.timeStamp for s in samples), default=since)

    def close(self) -> None:
        if getattr(self, "_initialised", False):
            self._initialised = False
            try:
                self.nvml.nvmlShutdown()
            except self.nvml.NVMLError:
                pass


class NvmlSource(GpuSource):
    """Every NVIDIA GPU visible to this process, metered through NVML."""

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
        backend = NvmlBackend(nvml, cuda_visible_devices=cuda_visible_devices, env=env)
        try:
            super().__init__(tree, now, backend, attribution=attribution)
        except backend.error as err:
            backend.close()
            raise SourceUnavailable(f"NVML failed while listing GPUs: {err}") from err
        if not self.gpus:
            backend.close()
            raise SourceUnavailable("no NVIDIA GPU is visible to this process")
        self.sample(now)

    @property
    def driver(self) -> str:
        return self.backend.driver
