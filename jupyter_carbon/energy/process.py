"""The kernel's process tree: how much CPU and memory it uses, and which PIDs it has.

Energy of shared hardware is charged to the kernel by its share of use, so every source
needs the same few facts about the kernel and its children (DataLoader workers,
multiprocessing pools, subprocesses). Reading them must be cheap on the hot path, so the
slow part (walking the children with psutil) happens only on the sampler thread.
"""

from __future__ import annotations

import os
import threading
import time


class ProcessTree:
    """CPU seconds, resident memory and PIDs of one process and its descendants.

    ``cpu_seconds()`` is the hot-path call: two cheap syscalls plus the children's CPU
    time cached by the last ``refresh()``. Children that ended and were waited for are
    counted by the kernel in ``times().children_*``; live children are read through psutil
    at each refresh. A child reaped since the last refresh would be counted twice (cached
    as live and again as waited), so the waited growth since the refresh is taken out of
    the cached live figure. The result never goes backwards.
    """

    #: Walking all of /proc for descendants costs milliseconds on a busy host; do it at
    #: most this often, and between walks re-read only the children already known.
    RESCAN_S = 5.0

    def __init__(self, pid: int | None = None, psutil_module=None, clock=time.monotonic):
        import psutil as _psutil

        self._psutil = psutil_module or _psutil
        self.pid = pid or os.getpid()
        self._own = os.getpid() == self.pid
        self._proc = self._psutil.Process(self.pid)
        self._clock = clock
        self._lock = threading.Lock()
        self._children: dict[int, object] = {}
        self._children_cpu: dict[int, float] = {}
        self._live_children_s = 0.0
        self._waited_at_refresh = self._waited_seconds()
        self._last_scan = float("-inf")
        self._reported = 0.0
        self.rss_bytes = 0
        self.refresh()

    # -- hot path -------------------------------------------------------------------------
    def _own_and_waited(self) -> tuple[float, float]:
        if self._own:
            # process_time() has nanosecond resolution; times() counts in 10 ms ticks and is
            # only used for the children the kernel has waited for.
            t = os.times()
            return time.process_time(), t.children_user + t.children_system
        t = self._proc.cpu_times()
        return t.user + t.system, t.children_user + t.children_system

    def _waited_seconds(self) -> float:
        return self._own_and_waited()[1]

    def cpu_seconds(self) -> float:
        """CPU seconds used by the tree so far (user + system, all threads)."""
        own, waited = self._own_and_waited()
        with self._lock:
            live = max(0.0, self._live_children_s - (waited - self._waited_at_refresh))
            total = max(self._reported, own + waited + live)
            self._reported = total
        return total

    # -- sampler --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read live children's CPU time and the tree's resident memory."""
        now = self._clock()
        if now - self._last_scan >= self.RESCAN_S:
            self._rescan()
            self._last_scan = now
        psutil = self._psutil
        cpu: dict[int, float] = {}
        rss = 0
        for pid, child in list(self._children.items()):
            try:
                with child.oneshot():
                    t = child.cpu_times()
                    cpu[pid] = t.user + t.system
                    rss += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._children.pop(pid, None)
        try:
            rss += self._proc.memory_info().rss
        except psutil.Error:
            pass
        waited = self._waited_seconds()
        with self._lock:
            self._children_cpu = cpu
            self._live_children_s = sum(cpu.values())
            self._waited_at_refresh = waited
        self.rss_bytes = rss

    def _rescan(self) -> None:
        try:
            found = self._proc.children(recursive=True)
        except self._psutil.Error:
            return
        known = self._children
        self._children = {c.pid: known.get(c.pid, c) for c in found}

    def pids(self) -> set[int]:
        """This process and the descendants seen at the last refresh."""
        return {self.pid, *self._children}

    def rescan_now(self) -> None:
        """Walk the descendants at the next refresh (e.g. when a GPU shows an unknown PID)."""
        self._last_scan = float("-inf")


class SystemCpu:
    """Machine-wide CPU use, to turn the kernel's CPU time into a share of a package."""

    def __init__(self, psutil_module=None):
        import psutil as _psutil

        self._psutil = psutil_module or _psutil
        self.logical_cpus = self._psutil.cpu_count(logical=True) or 1

    def busy_seconds(self) -> float:
        """CPU seconds all processes spent not idle, summed over logical CPUs."""
        t = self._psutil.cpu_times()
        # Linux already counts guest time inside user time; idle, iowait and steal are
        # time this machine's CPUs did no work of their own.
        not_busy = ("idle", "iowait", "steal", "guest", "guest_nice")
        return sum(t) - sum(getattr(t, field, 0.0) for field in not_busy)
