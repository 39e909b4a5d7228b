"""Which GPUs this kernel uses, and what share of each, from the best signal there is.

Signals, best first:

1. The driver's process list (NVML, AMD SMI) names the kernel's PIDs: the kernel has a
   context there. Alone on the device it is charged in full; beside other processes, by
   its share of the per-process utilisation samples, else evenly per process.
2. The driver's PIDs are from another PID namespace (inside a container the driver reports
   host PIDs, which match nothing here) but the kernel's processes hold the device's file
   open (``/dev/nvidia<minor>``, ``/dev/dri/renderD<minor>``): the kernel is among the
   contexts listed, and is charged one share per process of its tree holding the file
   (the whole device when it is the only context).
3. The driver lists no process on any GPU (some containers hide them) and the kernel holds
   the device's file open: charged in full, as the only evidence there is.

CUDA opens the device file of every visible GPU when it starts, so a held file alone never
charges a GPU on which the driver lists processes of this namespace but none of ours, nor
one without any context while other GPUs show theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Use:
    """The kernel's share of one GPU over the next interval, and what decided it."""

    share: float
    decided_by: str
    in_use: bool


NOT_USED = Use(0.0, "not used by this kernel: costs it nothing", False)


@dataclass
class TickSignals:
    """What one sampler tick knows about every GPU of a source, gathered once."""

    tree_pids: set[int]
    listed: Mapping[str, set[int]]
    """Domain -> PIDs the driver lists on it."""
    foreign: set[int]
    """Listed PIDs that do not exist in this ``/proc``."""
    held: Callable[[], Mapping[str, int]]
    """Device file -> how many of the tree's processes hold it; read only when needed."""

    @property
    def anything_listed(self) -> bool:
        return any(self.listed.values())


def by_pids(ours: set[int], on_device: set[int], utilisation_share: Callable[[], float | None]) -> Use:
    """Signal 1: the driver names the kernel's processes."""
    if ours == on_device:
        return Use(1.0, "the driver lists this kernel's processes, alone on the device", True)
    share = utilisation_share()
    if share is not None:
        return Use(share, f"its share of the utilisation samples of {len(on_device)} processes", True)
    return Use(len(ours) / len(on_device), f"{len(ours)} of {len(on_device)} processes on it, split evenly (no utilisation samples)", True)


def by_device_files(files: frozenset[str], on_device: set[int], signals: TickSignals) -> Use:
    """Signals 2 and 3: the driver's PIDs cannot be matched; the open device files decide."""
    foreign = bool(on_device & signals.foreign)
    if not files or not (foreign or not signals.anything_listed):
        return NOT_USED  # the driver's PIDs are this namespace's, and none is ours
    held = signals.held()
    name, holders = max(((f, held.get(f, 0)) for f in sorted(files)), key=lambda item: item[1])
    if not holders:
        return NOT_USED
    path = f"/dev/{name}"
    if foreign:
        if len(on_device) == 1:
            return Use(1.0, f"holds {path} open; the only context on it", True)
        share = min(1.0, holders / len(on_device))
        return Use(share, f"holds {path} open; {holders} of {len(on_device)} contexts, split evenly", True)
    return Use(1.0, f"holds {path} open; the driver lists no processes on any GPU here", True)
