"""CPU package and DRAM energy from the Linux powercap interface (Intel RAPL; AMD Zen too).

Layout under ``/sys/class/powercap``: ``intel-rapl:N`` is package N (``name`` =
``package-N``), its sub-zones ``intel-rapl:N:M`` are ``core``, ``uncore`` or ``dram``;
``intel-rapl-mmio:N`` repeats a package through MMIO, and ``psys`` covers the whole
platform. Packages and DRAM are counted; core and uncore lie inside the package, and psys
and MMIO copies would count the same joules twice, so an MMIO zone is used only where the
MSR tree lacks that package.

``energy_uj`` wraps at ``max_energy_range_uj`` and, since Linux 5.4, is readable by root
only; then the meter falls back to the estimate and says how to grant access.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .base import (
    MEASURED,
    Attribution,
    Counter,
    DeviceInfo,
    DomainPower,
    DomainReading,
    GRANT_ACCESS,
    SourceUnavailable,
    no_rapl_zones,
)
from .process import ProcessTree, SystemCpu



@dataclass
class Zone:
    domain: str
    component: str
    label: str
    path: Path
    fd: int
    counter: Counter
    attribution: Attribution
    last_device_j: float = 0.0
    last_t: float = 0.0

    def read_raw(self) -> int:
        return int(os.pread(self.fd, 32, 0))


def _read_text(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


def discover_zones(root: Path) -> list[tuple[str, str, Path]]:
    """(domain, component, path) for every package and DRAM zone worth counting."""
    if not root.is_dir():
        return []
    found: dict[str, tuple[str, str, Path]] = {}
    mmio: dict[str, tuple[str, str, Path]] = {}
    for entry in sorted(root.iterdir()):
        prefix = entry.name.split(":", 1)[0]
        if prefix not in ("intel-rapl", "intel-rapl-mmio") or ":" not in entry.name:
            continue
        try:
            name = _read_text(entry / "name")
        except OSError:
            continue
        if name.startswith("package"):
            package = name
        elif name == "dram":
            parent = entry.name.rsplit(":", 1)[0]
            try:
                package = _read_text(root / parent / "name") if parent.count(":") else "package"
            except OSError:
                package = parent
            if not package.startswith("package"):
                package = "package"
        else:
            continue  # core and uncore lie inside the package; psys spans the platform
        component = "cpu" if name.startswith("package") else "memory"
        domain = f"{component}:{package}" if component == "cpu" else f"memory:{package}-dram"
        target = mmio if prefix == "intel-rapl-mmio" else found
        target.setdefault(domain, (domain, component, entry))
    for domain, zone in mmio.items():
        found.setdefault(domain, zone)
    return sorted(found.values())


class RaplSource:
    """Cumulative joules per package and DRAM zone, charged by the tree's share of capacity.

    Each logical CPU-second the kernel's process tree runs is charged the package's power
    over its logical CPUs: the tree's share of a zone during a sampler tick is its CPU time
    over (logical CPUs × the tick's length). Idle power is thus shared out by capacity used,
    never handed whole to whichever process happens to be busy, and the power of CPUs
    nobody uses is charged to nobody. The estimate (``model.py``) means the same with the
    package at its rated power. DRAM is charged at the same share, memory traffic following
    CPU work more closely than anything else cheaply known.
    """

    name = "rapl"
    needs_ticks = False
    """The counters wrap after minutes at full power: a tick every few seconds while nothing
    runs keeps wraps apart, and the share it charges is the tree's CPU over the longer tick."""

    def __init__(self, tree: ProcessTree, now: float, root: str | os.PathLike = "/sys/class/powercap", system: SystemCpu | None = None):
        self.root = Path(root)
        self.tree = tree
        self.system = system or SystemCpu()
        self._lock = threading.Lock()
        self.zones: list[Zone] = []
        zones = discover_zones(self.root)
        if not zones:
            raise SourceUnavailable(no_rapl_zones(self.root))
        try:
            for domain, component, path in zones:
                self.zones.append(self._open(domain, component, path, now))
        except PermissionError as err:
            self.close()
            raise SourceUnavailable(GRANT_ACCESS) from err
        self._cpu_last_s = tree.cpu_seconds()
        self._share_last_t = now

    def _open(self, domain: str, component: str, path: Path, now: float) -> Zone:
        fd = os.open(path / "energy_uj", os.O_RDONLY)
        try:
            raw = int(os.pread(fd, 32, 0))
            try:
                wrap = int(_read_text(path / "max_energy_range_uj"))
            except (OSError, ValueError):
                wrap = None
        except Exception:
            os.close(fd)
            raise
        label = f"{_read_text(path / 'name')} ({path.name})"
        return Zone(domain, component, label, path, fd, Counter(raw, 1e-6, wrap), Attribution(1.0), 0.0, now)

    def _device_total(self, zone: Zone) -> float:
        return zone.counter.update(zone.read_raw())

    def read(self, now: float) -> list[DomainReading]:
        out = []
        with self._lock:
            for z in self.zones:
                device_j = self._device_total(z)
                out.append(DomainReading(z.domain, z.component, MEASURED, z.attribution.charge(device_j), device_j))
        return out

    def sample(self, now: float) -> list[DomainPower]:
        cpu_s = self.tree.cpu_seconds()
        capacity_s = self.system.logical_cpus * (now - self._share_last_t)
        share = (cpu_s - self._cpu_last_s) / capacity_s if capacity_s > 0 else 0.0
        self._cpu_last_s, self._share_last_t = cpu_s, now
        out = []
        with self._lock:
            for z in self.zones:
                device_j = self._device_total(z)
                dt = now - z.last_t
                device_w = (device_j - z.last_device_j) / dt if dt > 0 else 0.0
                z.attribution.set_share(device_j, share)
                z.last_device_j, z.last_t = device_j, now
                out.append(DomainPower(z.domain, z.component, device_w * z.attribution.share, device_w))
        return out

    def describe(self) -> list[DeviceInfo]:
        return [
            DeviceInfo(z.domain, z.component, z.label, MEASURED, f"RAPL counter {z.path / 'energy_uj'}, charged by share of CPU capacity")
            for z in self.zones
        ]

    def close(self) -> None:
        for z in self.zones:
            try:
                os.close(z.fd)
            except OSError:
                pass
        self.zones = []
