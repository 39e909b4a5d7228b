"""The kernel's process tree: how much CPU and memory it uses, and which PIDs it has.

Energy of shared hardware is charged to the kernel by its share of use, so every source
needs the same few facts about the kernel and its descendants (DataLoader workers,
multiprocessing pools of any start method, subprocesses and their children). Reading them
must be cheap on the hot path: a full walk of /proc happens only on the sampler thread,
and cell boundaries look only at the processes created since the last look.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

from .. import clocks
from . import procfs


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class ProcessTree:
    """CPU seconds, resident memory and PIDs of one process and its descendants.

    ``cpu_seconds()`` is the hot-path call: two cheap syscalls plus the descendants' CPU
    time cached by the last ``refresh()`` or ``refresh_cpu()``. A descendant's figure
    includes the time of the processes it has waited for (``cutime``/``cstime``): that is
    where a forkserver's workers, or a pool worker's short subprocesses, end up once they
    exit. Children the kernel itself has waited for are counted by ``os.times()``; one
    reaped since the last refresh would be counted twice (cached as live and again as
    waited), so the waited growth since the refresh is taken out of the cached figure.
    Parents are read before their children, so a child reaped during a refresh is missed
    for that refresh (and counted at the next) rather than counted twice. The result never
    goes backwards.

    Processes a cell detaches (``nohup cmd &`` in ``%%bash``, a double fork) leave the tree
    of parents: their parent exits and they are re-parented to init. Where the kernel leads
    its own session (a Jupyter kernel does) or else its own process group (terminal IPython
    started from a shell), every process of that session or group was started by the kernel
    or its descendants, so those are counted too (``adopted``) while they live; what an
    adopted process used is kept when it exits, since no process of the tree waits for it.
    A process that leaves the session (``setsid``, ``start_new_session=True``, a daemon)
    escapes, as does detached work where the kernel leads neither.
    """

    #: Walking all of /proc for descendants costs milliseconds on a busy host: the sampler
    #: does it at most this often; cell boundaries examine only the PIDs created since.
    RESCAN_S = 5.0
    #: Between walks while the kernel is idle (new PIDs are still examined at every tick).
    IDLE_RESCAN_S = 60.0
    #: More new PIDs than this since the last look (a busy host): walk /proc instead.
    MAX_NEW_PIDS = 512

    def __init__(self, pid: int | None = None, psutil_module=None, clock=clocks.monotonic, proc: str | os.PathLike = "/proc"):
        import psutil as _psutil

        self._psutil = psutil_module or _psutil
        self.pid = pid or os.getpid()
        self._own = os.getpid() == self.pid
        self._proc = self._psutil.Process(self.pid)
        self._procfs = Path(proc)
        self._has_procfs = (self._procfs / str(self.pid) / "stat").is_file()
        self._clock = clock
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._children: dict[int, object] = {}
        self._live_children_s = 0.0
        self._waited_at_refresh = self._waited_seconds()
        self._last_scan = float("-inf")
        self._last_pid: int | None = None
        self._loadavg_fd: int | None = None
        self._reported = 0.0
        self._excluded: dict[int, object] = {}
        """Descendants metered elsewhere (a cluster's worker processes), with their own
        descendants: not this tree's from the moment they are excluded."""
        self._excluded_last_s: dict[int, float] = {}
        self._excluded_base_s = 0.0
        self._excluded_live_s = 0.0
        self.rss_bytes = 0
        self._marker = self._group_marker()
        self._adopted: set[int] = set()
        """Descendants no longer under the kernel by parentage, counted by their session or group."""
        self._adopted_last_s: dict[int, float] = {}
        self._departed_s = 0.0
        self.refresh()

    def _group_marker(self) -> tuple[int, int] | None:
        """(field, id) telling the kernel's detached processes: the session it leads (field
        2 of :func:`.procfs.stat_ids`), else the process group it leads (field 1); None if it leads
        neither (a session or group shared with processes it did not start). A process of the
        group is taken as detached only when its parent is outside the kernel's session, so
        that the other commands of a shell pipeline (``ipython | tee log``) are not."""
        try:
            self._session = os.getsid(self.pid)
            if self._session == self.pid:
                return (2, self.pid)
            if os.getpgid(self.pid) == self.pid:
                return (1, self.pid)
        except (OSError, AttributeError):
            self._session = None
        return None

    # -- hot path -------------------------------------------------------------------------
    def _own_and_waited(self) -> tuple[float, float]:
        if self._own:
            # process_time() has nanosecond resolution; times() counts in 10 ms ticks and is
            # only used for the children the kernel has waited for.
            t = os.times()
            return clocks.process_time(), t.children_user + t.children_system
        t = self._proc.cpu_times()
        return t.user + t.system, t.children_user + t.children_system

    def _waited_seconds(self) -> float:
        return self._own_and_waited()[1]

    def cpu_seconds(self) -> float:
        """CPU seconds used by the tree so far (user + system, all threads)."""
        own, waited = self._own_and_waited()
        with self._lock:
            # Excluded processes count among the live ones here only so that, when the kernel
            # reaps one, its time moving to ``waited`` is not counted twice until the refresh.
            live = max(0.0, self._live_children_s - (waited - self._waited_at_refresh)) - self._excluded_live_s
            total = max(self._reported, own + waited + live + self._excluded_base_s + self._departed_s)
            self._reported = total
        return total

    # -- refreshing -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Sampler tick: re-read the descendants' CPU time and the tree's memory; walk /proc
        for new descendants every ``RESCAN_S`` (cell boundaries look sooner)."""
        with self._scan_lock:
            now = self._clock()
            if now - self._last_scan >= self.RESCAN_S:
                self._rescan()
                self._last_scan = now
            self._read(memory=True)

    def refresh_idle(self) -> None:
        """Sampler tick while nothing runs: the PIDs created since the last look (a walk of
        /proc, 4-5 ms of CPU on a busy host, only every ``IDLE_RESCAN_S``), then CPU and memory."""
        with self._scan_lock:
            now = self._clock()
            if now - self._last_scan >= self.IDLE_RESCAN_S or not self._scan_new():
                self._rescan()
                self._last_scan = now
            self._read(memory=True)

    def refresh_cpu(self) -> None:
        """Cell boundary: bring the descendants' CPU time up to date now, including processes
        started since the last look. Costs a few file reads per descendant and per new PID."""
        with self._scan_lock:
            if not self._scan_new():
                self._rescan()
                self._last_scan = self._clock()
            self._read(memory=False)

    def _read(self, memory: bool) -> None:
        psutil = self._psutil
        # Waited-for time first: a child reaped after this read but before its own read is
        # then missed until the next refresh, never counted both as live and as waited.
        waited = self._waited_seconds()
        live_s = 0.0
        rss = 0
        departed = 0.0
        members = self.pids() if memory and self._marker else ()
        for pid, child in list(self._children.items()):
            try:
                if memory:
                    with child.oneshot():
                        t = child.cpu_times()
                        rss += child.memory_info().rss
                        if members and child.ppid() not in members:
                            self._adopted.add(pid)  # its parent exited: no member will wait for it
                    seconds = t.user + t.system + t.children_user + t.children_system
                else:
                    seconds = self._stat_cpu_seconds(child)
                live_s += seconds
                if pid in self._adopted:
                    self._adopted_last_s[pid] = seconds
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, FileNotFoundError, ProcessLookupError):
                self._children.pop(pid, None)
                if pid in self._adopted:  # reaped by init: what it used is not in any waited time
                    self._adopted.discard(pid)
                    departed += self._adopted_last_s.pop(pid, 0.0)
        excluded_s = self._read_excluded()
        with self._lock:
            self._excluded_live_s = excluded_s
            self._live_children_s = live_s + excluded_s
            self._waited_at_refresh = waited
            self._departed_s += departed
        if memory:
            try:
                rss += self._proc.memory_info().rss
            except psutil.Error:
                pass
            self.rss_bytes = rss

    def _read_excluded(self) -> float:
        """The excluded processes' CPU seconds now. Once one exits, what it used reaches this
        tree's waited-for time (or a descendant's), and is taken out of the total again."""
        for pid, proc in list(self._excluded.items()):
            if pid not in self._excluded_last_s:
                continue  # a descendant of an excluded process: its time reaches its parent
            try:
                self._excluded_last_s[pid] = self._stat_cpu_seconds(proc)
            except (self._psutil.Error, FileNotFoundError, ProcessLookupError):
                with self._lock:
                    self._excluded_base_s -= self._excluded_last_s.pop(pid)
                self._excluded.pop(pid, None)
        return sum(self._excluded_last_s.values())

    def exclude(self, pid: int) -> bool:
        """Stop counting the descendant ``pid`` and its own descendants from now on (a
        cluster worker that reports its energy itself). What it used until now stays
        counted here. When the kernel waits for it, what it used after the last refresh (one
        sampler tick at most) reaches this tree. False, changing nothing, when ``pid`` is not
        a descendant."""
        psutil = self._psutil
        with self._scan_lock:
            try:
                proc = self._children.get(pid) or psutil.Process(pid)
                if self.pid not in {p.pid for p in proc.parents()}:
                    return False
                used = self._stat_cpu_seconds(proc)
                below = proc.children(recursive=True)
            except (psutil.Error, FileNotFoundError):
                return False
            self._excluded[pid] = proc
            self._excluded.update({c.pid: c for c in below})
            self._excluded_last_s[pid] = used
            with self._lock:
                self._excluded_base_s += used
            for gone in (pid, *(c.pid for c in below)):
                self._children.pop(gone, None)
            self._read(memory=False)
        return True

    def _stat_cpu_seconds(self, child) -> float:
        """utime + stime + cutime + cstime of one process: one read of /proc/PID/stat where
        there is a procfs (a fifth of psutil's cost, which counts at a cell boundary)."""
        if not self._has_procfs:
            t = child.cpu_times()
            return t.user + t.system + t.children_user + t.children_system
        with open(self._procfs / str(child.pid) / "stat", "rb") as f:
            data = f.read()
        fields = data[data.rfind(b")") + 2:].split()
        return sum(int(v) for v in fields[11:15]) / _CLOCK_TICKS

    def _rescan(self) -> None:
        """Walk all of /proc for descendants and the processes they detached (parents come
        before their children)."""
        self._last_pid = self._read_last_pid()
        adopted: set[int] = set()
        try:
            if self._has_procfs and self._marker:
                order, adopted = procfs.walk(self._procfs, self.pid, self._marker, self._session, self._launcher())
                found = [p for p in map(self._process, order) if p is not None]
            else:
                found = self._proc.children(recursive=True)
        except (self._psutil.Error, OSError):
            return
        known, excluded = self._children, self._excluded
        children = {}
        for c in found:  # parents come before their children
            if c.pid in excluded:
                continue
            try:
                if excluded and c.ppid() in excluded:
                    excluded[c.pid] = c
                    continue
            except self._psutil.Error:
                continue
            children[c.pid] = known.get(c.pid, c)
        self._children = children
        self._adopted |= adopted & set(children)

    def _process(self, pid: int):
        """The psutil process ``pid`` (the one known already, if any), or None if it is gone."""
        try:
            return self._children.get(pid) or self._psutil.Process(pid)
        except self._psutil.Error:
            return None

    def _launcher(self) -> int | None:
        """The kernel's parent where it leads only its process group (the shell whose
        pipeline it is part of), else None: see :func:`.procfs.adopted`."""
        if self._marker is None or self._marker[0] != 1:
            return None
        ids = procfs.stat_ids(self._procfs, self.pid)
        return ids[0] if ids else None

    def _adopted_by(self, parent: int) -> bool:
        """Whether ``parent`` adopted an orphan of the kernel's (init or a subreaper), not
        the shell of a pipeline the kernel is part of."""
        return procfs.adopted(parent, procfs.stat_ids(self._procfs, parent), self._session, self._launcher())

    def _scan_new(self) -> bool:
        """Add the descendants among the PIDs created since the last look; False where that
        cannot be known (no /proc/loadavg, PIDs wrapped, too many new), so a walk is needed."""
        last, current = self._last_pid, self._read_last_pid()
        if last is None or current is None or current < last or current - last > self.MAX_NEW_PIDS:
            return False
        members = {self.pid, *self._children}
        for pid in range(last + 1, current + 1):
            ids = self._tgid_ppid(pid)
            # A thread has PIDs too: only a process (its own thread group) is a descendant.
            if ids is None or ids[0] != pid:
                continue
            if ids[1] in self._excluded:
                self._excluded[pid] = None  # metered with the excluded process above it
                continue
            # Its parent exited already (a double fork, ``nohup cmd &`` as bash ends): of
            # the kernel's session or group, it was started by the tree all the same.
            detached = ids[1] not in members and self._marker is not None and ids[1 + self._marker[0]] == self._marker[1] \
                and self._adopted_by(ids[1])
            if ids[1] in members or detached:
                try:
                    self._children[pid] = self._psutil.Process(pid)
                except self._psutil.Error:
                    continue
                members.add(pid)
                if detached:
                    self._adopted.add(pid)
        self._last_pid = current
        return True

    def _read_last_pid(self) -> int | None:
        """The PID most recently handed out (in this PID namespace), from /proc/loadavg,
        read through a descriptor kept open: a couple of microseconds per cell boundary."""
        try:
            if self._loadavg_fd is None:
                self._loadavg_fd = os.open(self._procfs / "loadavg", os.O_RDONLY)
                weakref.finalize(self, os.close, self._loadavg_fd)
            return int(os.pread(self._loadavg_fd, 128, 0).split()[-1])
        except (OSError, ValueError, IndexError):
            return None

    def _tgid_ppid(self, pid: int) -> tuple[int, int, int, int] | None:
        return procfs.status_ids(self._procfs, pid)

    def pids(self) -> set[int]:
        """This process and the descendants seen at the last refresh."""
        return {self.pid, *self._children}

    def excluded(self) -> set[int]:
        """Descendants metered elsewhere (see :meth:`exclude`)."""
        return set(self._excluded)

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
