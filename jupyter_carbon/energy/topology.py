"""What this kernel can see of the CPUs: model name, logical CPUs, sockets, SMT, VM or not.

The estimate of CPU power needs the physical part behind the logical CPUs. On bare metal
the kernel sees every package, so the visible topology is the truth. In a virtual machine
it sees a slice: its vCPUs are hardware threads of a host package it cannot count, so the
visible vCPUs bound what the kernel can use but say nothing about the package's size.
Read once, from ``/proc/cpuinfo`` and the powercap tree (whose package zones are listed
even where their counters are not readable).
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from .base import lists_rapl_zones


class CpuTopology(NamedTuple):
    brand: str
    """The CPU's model name as the machine reports it."""
    logical_cpus: int
    """Logical CPUs this kernel sees (vCPUs in a virtual machine)."""
    sockets: int
    """CPU packages this kernel sees."""
    threads_per_core: int
    """Hardware threads per physical core as this kernel sees them (2 with SMT)."""
    virtual: bool
    """A hypervisor is present: the visible CPUs are a slice of a larger host package."""
    cpuinfo: Mapping[str, str] = MappingProxyType({})
    """The first processor's fields of /proc/cpuinfo (family, model, flags, CPU part...)."""
    dmi_product: str = ""
    """The DMI product name (AWS Nitro writes the instance type there: ``m5.large``)."""
    sysctl_brand: str = ""
    """macOS ``machdep.cpu.brand_string`` ("Apple M1 Max"); empty elsewhere."""

    @classmethod
    def read(
        cls,
        cpuinfo: str | Path = "/proc/cpuinfo",
        powercap_root: str | Path = "/sys/class/powercap",
        psutil_module=None,
        dmi_root: str | Path = "/sys/class/dmi/id",
        sysctl_brand: str | None = None,
    ) -> "CpuTopology":
        import psutil as _psutil

        from .cpuid import macos_brand, read_dmi_product

        psutil = psutil_module or _psutil
        blocks = _cpuinfo_blocks(Path(cpuinfo))
        logical = psutil.cpu_count(logical=True) or len(blocks) or 1
        cores = psutil.cpu_count(logical=False) or logical
        sysctl_brand = macos_brand() if sysctl_brand is None else sysctl_brand
        brand = (
            next((b["model name"] for b in blocks if b.get("model name")), "")
            or sysctl_brand
            or platform.processor()
            or "unknown CPU"
        )
        virtual = any("hypervisor" in b.get("flags", "").split() for b in blocks)
        return cls(
            brand=brand,
            logical_cpus=logical,
            sockets=_packages(Path(powercap_root)) or len({b["physical id"] for b in blocks if "physical id" in b}) or 1,
            threads_per_core=max(1, round(logical / cores)),
            virtual=virtual,
            cpuinfo=blocks[0] if blocks else {},
            dmi_product=read_dmi_product(dmi_root),
            sysctl_brand=sysctl_brand,
        )


def _cpuinfo_blocks(path: Path) -> list[dict[str, str]]:
    """One ``{field: value}`` per processor in /proc/cpuinfo (empty where it is absent)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    blocks = []
    for chunk in text.split("\n\n"):
        fields = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def _packages(root: Path) -> int:
    """CPU packages in the powercap tree, counted once whether listed through MSR or MMIO."""
    if not lists_rapl_zones(root):
        return 0
    from .rapl import discover_zones

    return sum(1 for _, component, _ in discover_zones(root) if component == "cpu")
