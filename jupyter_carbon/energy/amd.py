"""AMD GPUs (Instinct, Radeon; ROCm) through AMD SMI (``amdsmi``, AMD's own Python bindings):
the AMD backend of :mod:`jupyter_carbon.energy.gpu`, which holds the energy and attribution
logic shared with NVIDIA.

Energy: ``amdsmi_get_energy_count`` gives an accumulator and its resolution in microjoules
(the key was ``power`` before amdsmi 6.2.1, ``energy_accumulator`` since); a GPU with it is
``measured``. Where it fails, socket power from ``amdsmi_get_power_info`` is integrated by
the sampler: ``integrated``. Processes come from ``amdsmi_get_gpu_process_list`` (dicts with
a ``pid`` in current amdsmi; handles resolved by ``amdsmi_get_gpu_process_info`` in older).
A GPU shared with other processes is split by each process's graphics-engine time over the
last tick (``engine_usage["gfx"]``, cumulative nanoseconds, in current amdsmi), else evenly
among them. A ROCm process holds the GPU's render node
(``/dev/dri/renderD<minor>``) open, found from AMD SMI or, failing that, sysfs by PCI address.

Optional: ``pip install jupyter-carbon[amd]``; never imported unless installed.
"""

from __future__ import annotations

import importlib
import os

from .base import AMDSMI_MISSING, SourceUnavailable
from .gpu import GpuDevice, GpuSource
from .process import ProcessTree

VISIBLE_ENV = ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
"""ROCm honours all three; the first one set is read, each as indices or ``GPU-`` UUIDs."""


def _number(value) -> float | None:
    """AMD SMI answers "N/A" (a string) for what a GPU does not report."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class AmdSmiBackend:
    """AMD SMI's answers to what :class:`~jupyter_carbon.energy.gpu.GpuSource` asks."""

    name = "amdsmi"
    counter_scale = 1e-6  # the accumulator times its resolution, in microjoules
    counter_detail = "energy accumulator (AMD SMI)"
    no_counter_advice = "AMD Instinct GPUs (MI100 and newer) have an energy counter and are measured."
    resolution_s = 0.1
    """A conservative figure: AMD documents no refresh period for the accumulator."""

    def __init__(self, amdsmi=None, *, visible: str | None = None, env=os.environ, sys_root: str | os.PathLike = "/sys"):
        if amdsmi is None:
            try:
                amdsmi = importlib.import_module("amdsmi")
            except ImportError as err:
                raise SourceUnavailable(AMDSMI_MISSING) from err
        self.amdsmi = amdsmi
        self.error = amdsmi.AmdSmiException
        self.sys_root = os.fspath(sys_root)
        try:
            amdsmi.amdsmi_init()
        except amdsmi.AmdSmiException as err:
            raise SourceUnavailable(f"AMD SMI is not available: {err}") from err
        self._initialised = True
        self._gfx_ns: dict[int, dict[int, int]] = {}
        """Per device handle (by id), each process's cumulative graphics-engine time at the last look."""
        if visible is None:
            visible = next((env[name] for name in VISIBLE_ENV if name in env), None)
        self._visible = visible

    def devices(self) -> list[GpuDevice]:
        smi = self.amdsmi
        handles = smi.amdsmi_get_processor_handles()
        uuids = [str(smi.amdsmi_get_gpu_device_uuid(h)) for h in handles]
        found = []
        for index in visible_amd(uuids, self._visible):
            handle = handles[index]
            name = smi.amdsmi_get_gpu_asic_info(handle).get("market_name") or "AMD GPU"
            found.append(GpuDevice(index, str(name), uuids[index], handle, files=self._files(handle)))
        return found

    def _files(self, handle) -> frozenset[str]:
        """The render node a ROCm process holds open for this GPU."""
        smi = self.amdsmi
        try:
            minor = smi.amdsmi_get_gpu_enumeration_info(handle)["drm_render"]
            return frozenset({f"dri/renderD{int(minor)}"})
        except (AttributeError, KeyError, TypeError, ValueError, smi.AmdSmiException):
            pass  # amdsmi older than 6.4: ask sysfs by PCI address
        try:
            bdf = smi.amdsmi_get_gpu_device_bdf(handle)
            names = os.listdir(os.path.join(self.sys_root, "bus", "pci", "devices", str(bdf), "drm"))
        except (OSError, smi.AmdSmiException):
            return frozenset()
        return frozenset(f"dri/{n}" for n in names if n.startswith("renderD"))

    def energy_counter(self, handle) -> int:
        count = self.amdsmi.amdsmi_get_energy_count(handle)
        raw = count.get("energy_accumulator", count.get("power"))
        resolution = _number(count.get("counter_resolution"))
        if _number(raw) is None or not resolution:
            raise self.error(f"no energy counter: {count!r}")
        return int(raw * resolution)

    def power_w(self, handle) -> float:
        info = self.amdsmi.amdsmi_get_power_info(handle)
        for key in ("current_socket_power", "socket_power", "average_socket_power"):  # by amdsmi version
            watts = _number(info.get(key))
            if watts is not None and watts > 0:
                return watts
        raise self.error(f"no socket power: {info!r}")

    def _processes(self, handle) -> list[dict]:
        smi = self.amdsmi
        try:
            processes = smi.amdsmi_get_gpu_process_list(handle)
        except smi.AmdSmiException:
            return []
        found = []
        for p in processes:
            try:
                info = p if isinstance(p, dict) else smi.amdsmi_get_gpu_process_info(handle, p)
                int(info["pid"])
            except (KeyError, TypeError, ValueError, smi.AmdSmiException):
                continue
            found.append(info)
        return found

    def process_pids(self, handle) -> set[int]:
        return {int(info["pid"]) for info in self._processes(handle)}

    def utilisation(self, handle, since: int) -> tuple[dict[int, float], int] | None:
        """Graphics-engine nanoseconds per process since the last call; None on the first, or
        where amdsmi reports no engine time."""
        now: dict[int, int] = {}
        for info in self._processes(handle):
            gfx = _number((info.get("engine_usage") or {}).get("gfx"))
            if gfx is not None:
                now[int(info["pid"])] = int(gfx)
        before = self._gfx_ns.get(id(handle))
        self._gfx_ns[id(handle)] = now
        if before is None or not now:
            return None
        return {pid: float(max(0, ns - before.get(pid, ns))) for pid, ns in now.items()}, since + 1

    def close(self) -> None:
        if getattr(self, "_initialised", False):
            self._initialised = False
            try:
                self.amdsmi.amdsmi_shut_down()
            except self.amdsmi.AmdSmiException:
                pass


def visible_amd(uuids: list[str], visible: str | None) -> list[int]:
    """Indices of the GPUs ROCm would show: all when unset; indices or UUID prefixes, up to
    the first entry that matches nothing."""
    if visible is None:
        return list(range(len(uuids)))
    chosen: list[int] = []
    for token in (t.strip() for t in visible.split(",")):
        if token.isdigit() and int(token) < len(uuids):
            index = int(token)
        else:
            matches = [i for i, u in enumerate(uuids) if token and u.lower().startswith(token.lower().removeprefix("gpu-"))]
            if len(matches) != 1:
                break
            index = matches[0]
        if index in chosen:
            break
        chosen.append(index)
    return chosen


class AmdSource(GpuSource):
    """Every AMD GPU visible to this process, metered through AMD SMI."""

    def __init__(self, tree: ProcessTree, now: float, *, amdsmi=None, visible: str | None = None, env=os.environ, sys_root="/sys", attribution: str = "process", **options):
        """``options``: ``proc_root``, ``dev_root``, ``drop_after_s`` of :class:`GpuSource`."""
        backend = AmdSmiBackend(amdsmi, visible=visible, env=env, sys_root=sys_root)
        self._start(tree, now, backend, "AMD SMI", "AMD", attribution=attribution, **options)
