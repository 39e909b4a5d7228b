"""NVIDIA GPUs through NVML (``pynvml``, from NVIDIA's ``nvidia-ml-py``): the NVIDIA backend
of :mod:`jupyter_carbon.energy.gpu`, which holds the energy and attribution logic.

Volta and newer expose a total-energy counter (millijoules since the driver loaded): such a
GPU is ``measured``. Older GPUs, or any whose counter call fails, only report power
(milliwatts), which the sampler integrates: ``integrated``.

Which GPUs: those visible to CUDA in this process (``CUDA_VISIBLE_DEVICES``, by index or
UUID, read as NVML indices as every metering tool does; set ``CUDA_DEVICE_ORDER=PCI_BUS_ID``
for the two to agree). Per-process utilisation comes from NVML's process samples (SM %).
A CUDA process holds ``/dev/nvidia<minor>`` open, which tells its use where NVML's PIDs are
a container's host's.

MIG: an instance (``MIG-...`` in ``CUDA_VISIBLE_DEVICES``) has no energy counter or power of
its own. It is metered on its parent GPU's, and keeps its slices' part of it: an instance
of 3 of a GPU's 7 slices is charged 3/7 of the GPU's energy (its compute slices are what it
holds of the GPU; the memory slices follow them in every MIG profile).
"""

from __future__ import annotations

import importlib
import os

from .base import SourceUnavailable
from .gpu import GpuDevice, GpuSource
from .process import ProcessTree


def visible_indices(nvml, count: int, cuda_visible_devices: str | None) -> list[int | str]:
    """The GPUs CUDA would show this process, in CUDA's order: NVML indices of whole GPUs,
    and the UUIDs (``MIG-...``) of MIG instances.

    Follows CUDA's rules: unset means all; an empty value means none; entries are indices
    or (prefixes of) UUIDs; the list stops at the first entry that matches no device.
    """
    if cuda_visible_devices is None:
        return list(range(count))
    uuids = None
    chosen: list[int | str] = []
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
        elif token.startswith("MIG-") and _is_mig(nvml, token):
            index = token
        else:
            break
        if index in chosen:
            break
        chosen.append(index)
    return chosen


def visible_setting(env) -> str | None:
    """``CUDA_VISIBLE_DEVICES``; where it is unset, the MIG instances a container was given
    (Kubernetes' device plugin sets ``NVIDIA_VISIBLE_DEVICES=MIG-...`` and the container then
    sees the whole parent GPU in NVML, every tenant's instance with it)."""
    if "CUDA_VISIBLE_DEVICES" in env:
        return env["CUDA_VISIBLE_DEVICES"]
    migs = [t.strip() for t in env.get("NVIDIA_VISIBLE_DEVICES", "").split(",") if t.strip().startswith("MIG-")]
    return ",".join(migs) if migs else None


def _is_mig(nvml, uuid: str) -> bool:
    try:
        return bool(nvml.nvmlDeviceIsMigDeviceHandle(nvml.nvmlDeviceGetHandleByUUID(uuid)))
    except nvml.NVMLError:
        return False


def _decode(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


MIG_WHOLE = (
    "MIG mode is on but no instance is named in CUDA_VISIBLE_DEVICES: the whole GPU is metered, "
    "shared with every instance's processes"
)


class NvmlBackend:
    """NVML's answers to what :class:`~jupyter_carbon.energy.gpu.GpuSource` asks."""

    name = "nvml"
    counter_scale = 1e-3  # millijoules
    counter_detail = "total-energy counter (Volta or newer)"
    no_counter_advice = "A Volta or newer GPU has an energy counter and is measured exactly."
    resolution_s = 0.1
    """NVML refreshes power and the energy counter about every 100 ms on current GPUs."""

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
        self._visible = visible_setting(env) if cuda_visible_devices is None else cuda_visible_devices
        try:
            self.driver = _decode(nvml.nvmlSystemGetDriverVersion())
        except nvml.NVMLError as err:
            self.close()
            raise SourceUnavailable(f"NVML failed while listing GPUs: {err}") from err

    def devices(self) -> list[GpuDevice]:
        nvml, found = self.nvml, []
        for entry in visible_indices(nvml, nvml.nvmlDeviceGetCount(), self._visible):
            if isinstance(entry, str):
                found.append(self._mig_device(entry))
                continue
            handle = nvml.nvmlDeviceGetHandleByIndex(entry)
            name, uuid = _decode(nvml.nvmlDeviceGetName(handle)), _decode(nvml.nvmlDeviceGetUUID(handle))
            detail = MIG_WHOLE if self._mig_mode(handle) else ""
            found.append(GpuDevice(entry, name, uuid, handle, files=self._files(handle), detail=detail))
        return found

    def _mig_mode(self, handle) -> bool:
        try:
            return self.nvml.nvmlDeviceGetMigMode(handle)[0] == 1
        except self.nvml.NVMLError:  # not a MIG-capable GPU
            return False

    def _files(self, handle) -> frozenset[str]:
        try:
            return frozenset({f"nvidia{self.nvml.nvmlDeviceGetMinorNumber(handle)}"})
        except self.nvml.NVMLError:
            return frozenset()

    def _mig_device(self, uuid: str) -> GpuDevice:
        """A MIG instance, metered on its parent's counter at its slices' part."""
        nvml = self.nvml
        handle = nvml.nvmlDeviceGetHandleByUUID(uuid)
        parent = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(handle)
        index = nvml.nvmlDeviceGetIndex(parent)
        slices = nvml.nvmlDeviceGetAttributes(handle).gpuInstanceSliceCount
        total = nvml.nvmlDeviceGetMaxMigDeviceCount(parent)
        if not 0 < slices <= total:
            raise SourceUnavailable(f"MIG instance {uuid}: NVML reports {slices} of {total} slices, so its part of GPU {index} is unknown")
        detail = f"MIG instance: {slices} of {total} slices of GPU {index}, charged {slices}/{total} of its counter"
        return GpuDevice(
            index,
            _decode(nvml.nvmlDeviceGetName(handle)),
            _decode(nvml.nvmlDeviceGetUUID(handle)),
            handle,
            files=self._files(parent),
            energy_handle=parent,
            part=slices / total,
            domain=f"gpu:{index}:{uuid[:12]}",
            detail=detail,
        )

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
        **options,
    ):
        """``options``: ``proc_root``, ``dev_root``, ``drop_after_s`` of :class:`GpuSource`."""
        backend = NvmlBackend(nvml, cuda_visible_devices=cuda_visible_devices, env=env)
        self._start(tree, now, backend, "NVML", "NVIDIA", attribution=attribution, **options)

    @property
    def driver(self) -> str:
        return self.backend.driver
