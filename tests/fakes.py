"""Fakes of the hardware interfaces, with a known truth to check the meter against.

* ``FakeNvml`` stands in for the ``pynvml`` module: GPUs with and without energy counters,
  power that the test sets, processes with SM utilisation, injected errors and lost GPUs.
* ``FakePowercap`` writes a powercap tree into a temp folder whose counters advance and wrap.
* ``FakeTree`` and ``FakeSystem`` stand in for the kernel's process tree and the machine's
  CPU accounting, so shares are exact; ``fake_topology`` for what it shows of its CPUs.
* ``FakeClock`` is the monotonic clock both the meter and the fakes read.
* ``run_cell`` runs one cell of a session for a given number of fake seconds.

Energy truth is exact: power is piecewise constant, changed only by the test, and every
fake integrates it as the clock advances.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start
        self._on_advance = []

    def __call__(self) -> float:
        return self.now

    def on_advance(self, fn) -> None:
        self._on_advance.append(fn)

    def advance(self, seconds: float) -> None:
        for fn in self._on_advance:
            fn(seconds)
        self.now += seconds


# -- NVML -------------------------------------------------------------------------------------
class NVMLError(Exception):
    def __init__(self, value: int = 999):
        self.value = value
        super().__init__(self.__class__.__name__)


class NVMLError_NotSupported(NVMLError):
    pass


class NVMLError_GpuIsLost(NVMLError):
    pass


class NVMLError_NotFound(NVMLError):
    pass


class NVMLError_LibraryNotFound(NVMLError):
    pass


@dataclass
class FakeProcess:
    pid: int
    usedGpuMemory: int = 0


@dataclass
class UtilSample:
    pid: int
    timeStamp: int
    smUtil: int
    memUtil: int = 0
    encUtil: int = 0
    decUtil: int = 0


@dataclass
class FakeMig:
    """A MIG instance: no counter or power of its own, its slices of the parent, its processes."""

    uuid: str
    slices: int
    processes: list[int] = field(default_factory=list)


@dataclass
class FakeAttributes:
    gpuInstanceSliceCount: int
    multiprocessorCount: int = 0


@dataclass
class FakeGpu:
    name: str = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    has_counter: bool = True
    power_w: float = 100.0
    energy_mj: float = 5_000_000.0  # counters start at an arbitrary value since driver load
    processes: list[int] = field(default_factory=list)
    sm_util: dict[int, int] = field(default_factory=dict)  # pid -> SM % in the next samples
    util_supported: bool = True
    lost: bool = False
    minor: int | None = None  # /dev/nvidia<minor>; None: the index
    migs: list[FakeMig] = field(default_factory=list)
    max_mig_devices: int = 7


class FakeNvml:
    """A stand-in for the ``pynvml`` module, driven by a :class:`FakeClock`."""

    NVMLError = NVMLError
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_GpuIsLost = NVMLError_GpuIsLost
    NVMLError_NotFound = NVMLError_NotFound
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound

    def __init__(self, gpus: list[FakeGpu], clock: FakeClock, available: bool = True):
        self.gpus = gpus
        self.clock = clock
        self.available = available
        self.initialised = 0
        self.fail: dict[str, Exception] = {}  # function name -> error to raise (once)
        self.calls: dict[str, int] = {}
        clock.on_advance(self._integrate)

    def _integrate(self, seconds: float) -> None:
        for gpu in self.gpus:
            if not gpu.lost:
                gpu.energy_mj += gpu.power_w * seconds * 1e3

    def _call(self, name: str, handle: int | None = None) -> FakeGpu | None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if name in self.fail:
            raise self.fail.pop(name)
        if handle is None:
            return None
        if isinstance(handle, tuple):  # a MIG instance: ("mig", gpu index, instance index)
            if name not in self.MIG_CALLS:
                raise NVMLError_NotSupported(3)
            handle = handle[1]
        gpu = self.gpus[handle]
        if gpu.lost:
            raise NVMLError_GpuIsLost(15)
        return gpu

    # The pynvml functions the meter uses.
    def nvmlInit(self):
        self._call("nvmlInit")
        if not self.available:
            raise NVMLError_LibraryNotFound(12)
        self.initialised += 1

    def nvmlShutdown(self):
        self._call("nvmlShutdown")
        self.initialised -= 1

    def nvmlSystemGetDriverVersion(self):
        return "550.54.15"

    def nvmlDeviceGetCount(self):
        self._call("nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):
        self._call("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.gpus):
            raise NVMLError(2)
        return index

    def nvmlDeviceGetName(self, handle):
        gpu = self._call("nvmlDeviceGetName", handle)
        return f"{gpu.name} MIG {handle[2]}" if isinstance(handle, tuple) else gpu.name

    def nvmlDeviceGetUUID(self, handle):
        gpu = self._call("nvmlDeviceGetUUID", handle)
        return gpu.migs[handle[2]].uuid if isinstance(handle, tuple) else gpu.uuid

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        gpu = self._call("nvmlDeviceGetTotalEnergyConsumption", handle)
        if not gpu.has_counter:
            raise NVMLError_NotSupported(3)
        return int(gpu.energy_mj)

    def nvmlDeviceGetPowerUsage(self, handle):
        return int(self._call("nvmlDeviceGetPowerUsage", handle).power_w * 1e3)

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        gpu = self._call("nvmlDeviceGetComputeRunningProcesses", handle)
        if isinstance(handle, tuple):
            return [FakeProcess(pid) for pid in gpu.migs[handle[2]].processes]
        return [FakeProcess(pid) for pid in gpu.processes + [p for m in gpu.migs for p in m.processes]]

    def nvmlDeviceGetMinorNumber(self, handle):
        gpu = self._call("nvmlDeviceGetMinorNumber", handle)
        return self.gpus.index(gpu) if gpu.minor is None else gpu.minor

    # MIG
    MIG_CALLS = {
        "nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetComputeRunningProcesses",
        "nvmlDeviceGetGraphicsRunningProcesses", "nvmlDeviceGetAttributes", "nvmlDeviceIsMigDeviceHandle",
        "nvmlDeviceGetDeviceHandleFromMigDeviceHandle",
    }

    def nvmlDeviceGetHandleByUUID(self, uuid):
        self._call("nvmlDeviceGetHandleByUUID")
        for i, gpu in enumerate(self.gpus):
            if gpu.uuid == uuid:
                return i
            for k, mig in enumerate(gpu.migs):
                if mig.uuid == uuid:
                    return ("mig", i, k)
        raise NVMLError_NotFound(6)

    def nvmlDeviceIsMigDeviceHandle(self, handle):
        self._call("nvmlDeviceIsMigDeviceHandle", handle)
        return isinstance(handle, tuple)

    def nvmlDeviceGetDeviceHandleFromMigDeviceHandle(self, handle):
        self._call("nvmlDeviceGetDeviceHandleFromMigDeviceHandle", handle)
        return handle[1]

    def nvmlDeviceGetIndex(self, handle):
        self._call("nvmlDeviceGetIndex", handle)
        return handle

    def nvmlDeviceGetAttributes(self, handle):
        gpu = self._call("nvmlDeviceGetAttributes", handle)
        return FakeAttributes(gpu.migs[handle[2]].slices if isinstance(handle, tuple) else gpu.max_mig_devices)

    def nvmlDeviceGetMigMode(self, handle):
        gpu = self._call("nvmlDeviceGetMigMode", handle)
        mode = 1 if gpu.migs else 0
        return [mode, mode]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle):
        return self._call("nvmlDeviceGetMaxMigDeviceCount", handle).max_mig_devices

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle):
        self._call("nvmlDeviceGetGraphicsRunningProcesses", handle)
        return []

    def nvmlDeviceGetProcessUtilization(self, handle, last_seen):
        gpu = self._call("nvmlDeviceGetProcessUtilization", handle)
        if not gpu.util_supported:
            raise NVMLError_NotSupported(3)
        stamp = int(self.clock.now * 1e6)
        if not gpu.sm_util:
            raise NVMLError_NotFound(6)
        return [UtilSample(pid, stamp, util) for pid, util in gpu.sm_util.items()]


# -- AMD SMI ----------------------------------------------------------------------------------
class AmdSmiException(Exception):
    pass


class AmdSmiLibraryException(AmdSmiException):
    def __init__(self, err_code: int = 2):
        self.err_code = err_code
        super().__init__(f"AMD SMI error {err_code}")


@dataclass
class FakeAmdGpu:
    name: str = "AMD Instinct MI300X"
    uuid: str = "a1ff74a1-0000-1000-80ea-1e8fa4d3a100"
    has_counter: bool = True
    power_w: float = 500.0
    resolution_uj: float = 15.3  # microjoules per accumulator unit
    accumulator: float = 123_456_789.0
    processes: list[int] = field(default_factory=list)
    render_minor: int = 128
    gfx_busy: dict[int, float] = field(default_factory=dict)  # pid -> share of the graphics engine it keeps busy
    gfx_ns: dict[int, float] = field(default_factory=dict)  # pid -> cumulative graphics-engine time
    old_api: bool = False  # amdsmi before 6.2.1: the accumulator is under "power"; processes are handles
    lost: bool = False


class FakeAmdSmi:
    """A stand-in for the ``amdsmi`` module, driven by a :class:`FakeClock`."""

    AmdSmiException = AmdSmiException
    AmdSmiLibraryException = AmdSmiLibraryException

    def __init__(self, gpus: list[FakeAmdGpu], clock: FakeClock, available: bool = True):
        self.gpus = gpus
        self.available = available
        self.initialised = 0
        self.fail: dict[str, Exception] = {}
        clock.on_advance(self._integrate)

    def _integrate(self, seconds: float) -> None:
        for gpu in self.gpus:
            if not gpu.lost:
                gpu.accumulator += gpu.power_w * seconds * 1e6 / gpu.resolution_uj
                for pid, busy in gpu.gfx_busy.items():
                    gpu.gfx_ns[pid] = gpu.gfx_ns.get(pid, 0.0) + busy * seconds * 1e9

    def _gpu(self, name: str, handle) -> FakeAmdGpu:
        if name in self.fail:
            raise self.fail.pop(name)
        gpu = self.gpus[handle.index]
        if gpu.lost:
            raise AmdSmiLibraryException(34)
        return gpu

    def amdsmi_init(self, *flags):
        if not self.available:
            raise AmdSmiLibraryException(8)
        self.initialised += 1

    def amdsmi_shut_down(self):
        self.initialised -= 1

    def amdsmi_get_processor_handles(self):
        return [FakeHandle(i) for i in range(len(self.gpus))]

    def amdsmi_get_gpu_device_uuid(self, handle):
        return self._gpu("amdsmi_get_gpu_device_uuid", handle).uuid

    def amdsmi_get_gpu_asic_info(self, handle):
        return {"market_name": self._gpu("amdsmi_get_gpu_asic_info", handle).name, "vendor_id": 0x1002}

    def amdsmi_get_gpu_enumeration_info(self, handle):
        gpu = self._gpu("amdsmi_get_gpu_enumeration_info", handle)
        if gpu.old_api:
            raise AttributeError("amdsmi_get_gpu_enumeration_info")
        return {"drm_render": gpu.render_minor, "drm_card": gpu.render_minor - 128, "hip_id": handle.index}

    def amdsmi_get_gpu_device_bdf(self, handle):
        self._gpu("amdsmi_get_gpu_device_bdf", handle)
        return f"0000:{0x23 + handle.index:02x}:00.0"

    def amdsmi_get_energy_count(self, handle):
        gpu = self._gpu("amdsmi_get_energy_count", handle)
        if not gpu.has_counter:
            raise AmdSmiLibraryException(2)  # AMDSMI_STATUS_NOT_SUPPORTED
        key = "power" if gpu.old_api else "energy_accumulator"
        return {key: int(gpu.accumulator), "counter_resolution": gpu.resolution_uj, "timestamp": 0}

    def amdsmi_get_power_info(self, handle):
        gpu = self._gpu("amdsmi_get_power_info", handle)
        return {"current_socket_power": "N/A", "average_socket_power": int(gpu.power_w), "gfx_voltage": 900, "power_limit": 750}

    def amdsmi_get_gpu_process_list(self, handle):
        gpu = self._gpu("amdsmi_get_gpu_process_list", handle)
        if gpu.old_api:
            return [FakeHandle(pid) for pid in gpu.processes]
        return [
            {"name": "python", "pid": pid, "mem": 0, "engine_usage": {"gfx": int(gpu.gfx_ns.get(pid, 0)), "enc": 0}}
            for pid in gpu.processes
        ]

    def amdsmi_get_gpu_process_info(self, handle, process):
        self._gpu("amdsmi_get_gpu_process_info", handle)
        return {"name": "python", "pid": process.index, "memory_usage": {"vram_mem": 0}}


@dataclass(frozen=True)
class FakeHandle:
    index: int


# -- process tree and machine -------------------------------------------------------------------
class FakeTree:
    """The kernel's process tree with CPU seconds and memory the test sets."""

    def __init__(self, pids=(4242,), cpu_seconds: float = 10.0, rss_bytes: int = 2 * 10**9):
        self.pid = pids[0]
        self._pids = set(pids)
        self.cpu = cpu_seconds
        self.rss_bytes = rss_bytes
        self.refreshes = 0
        self.rescans = 0

    def cpu_seconds(self) -> float:
        return self.cpu

    def refresh(self) -> None:
        self.refreshes += 1

    def pids(self) -> set[int]:
        return set(self._pids)

    def rescan_now(self) -> None:
        self.rescans += 1


class FakeSystem:
    def __init__(self, logical_cpus: int = 4, busy: float = 100.0):
        self.logical_cpus = logical_cpus
        self.busy = busy

    def busy_seconds(self) -> float:
        return self.busy


def fake_topology(brand: str = "Test CPU 9000", logical_cpus: int = 4, *, sockets: int = 1, threads_per_core: int = 1, virtual: bool = False):
    """What a machine shows of its CPUs (bare metal, one socket, no SMT unless told)."""
    from jupyter_carbon.energy.topology import CpuTopology

    return CpuTopology(brand, logical_cpus, sockets, threads_per_core, virtual)


# -- powercap ---------------------------------------------------------------------------------
class FakePowercap:
    """A powercap tree in a temp folder. Counters are rewritten in place, as sysfs would show."""

    def __init__(self, root: Path, clock: FakeClock | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "intel-rapl").mkdir(exist_ok=True)  # the control-type folder, no counter
        (self.root / "intel-rapl" / "enabled").write_text("1\n")
        self.zones: dict[str, dict] = {}
        if clock is not None:
            clock.on_advance(self._integrate)

    def add_zone(self, zone: str, name: str, *, power_w: float = 0.0, start_uj: int = 0, max_uj: int = 262_143_328_850) -> None:
        path = self.root / zone
        path.mkdir()
        (path / "name").write_text(name + "\n")
        (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
        self.zones[zone] = {"power_w": power_w, "uj": start_uj, "max": max_uj, "total_j": 0.0}
        self._write(zone)

    def _write(self, zone: str) -> None:
        z = self.zones[zone]
        text = "\x00\x7fgarbage\n" if z.get("garbled") else f"{int(z['uj'])}\n"
        with open(self.root / zone / "energy_uj", "r+" if (self.root / zone / "energy_uj").exists() else "w") as f:
            f.seek(0)
            f.write(text)
            f.truncate()

    def garble(self, zone: str, garbled: bool = True) -> None:
        """The counter file reads as garbage (the energy still counts underneath) until ungarbled."""
        self.zones[zone]["garbled"] = garbled
        self._write(zone)

    def add_energy(self, zone: str, joules: float) -> None:
        z = self.zones[zone]
        z["uj"] = (z["uj"] + joules * 1e6) % (z["max"] + 1)
        z["total_j"] += joules
        self._write(zone)

    def set_raw(self, zone: str, raw_uj: int) -> None:
        self.zones[zone]["uj"] = raw_uj
        self._write(zone)

    def set_power(self, zone: str, watts: float) -> None:
        self.zones[zone]["power_w"] = watts

    def _integrate(self, seconds: float) -> None:
        for zone, z in self.zones.items():
            if z["power_w"]:
                self.add_energy(zone, z["power_w"] * seconds)

    def make_unreadable(self, zone: str) -> None:
        os.chmod(self.root / zone / "energy_uj", 0)


# -- /proc and /dev ---------------------------------------------------------------------------
class FakeProcFs:
    """A ``/proc`` and a ``/dev`` in a temp folder: which PIDs exist in this PID namespace, and
    which device files each holds open (``/proc/<pid>/fd/<n>`` links, as Linux shows them)."""

    def __init__(self, root: Path, pids=()):
        self.proc = Path(root) / "proc"
        self.dev = Path(root) / "dev"
        self.proc.mkdir(parents=True, exist_ok=True)
        self.dev.mkdir(parents=True, exist_ok=True)
        self.add(*pids)

    def add(self, *pids: int) -> None:
        for pid in pids:
            fds = self.proc / str(pid) / "fd"
            if not fds.is_dir():
                fds.mkdir(parents=True)
                (fds / "0").symlink_to("/dev/null")  # a file outside the device root

    def hold(self, pid: int, name: str) -> None:
        """Process ``pid`` opens ``/dev/<name>``."""
        self.add(pid)
        target = self.dev / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
        fds = self.proc / str(pid) / "fd"
        (fds / str(len(list(fds.iterdir())) + 2)).symlink_to(target)

    def release(self, pid: int, name: str) -> None:
        for link in (self.proc / str(pid) / "fd").iterdir():
            if Path(os.readlink(link)) == self.dev / name:
                link.unlink()


def run_cell(session, clock: FakeClock, seconds: float, **kw):
    """Begin a cell, let ``seconds`` pass on ``clock``, end it; returns its record."""
    cell = session.begin(source=kw.pop("source", "x = 1"), execution_count=kw.pop("execution_count", None))
    clock.advance(seconds)
    return session.end(cell, **kw)
