"""Which device files the kernel's processes hold open, and which PIDs this ``/proc`` knows.

Inside a container (JupyterHub on Kubernetes, Docker, most managed notebooks) the GPU
driver reports host PIDs, which match none of the kernel's. What the kernel's processes
*have open* is visible from inside, though: a CUDA process holds ``/dev/nvidia<minor>``, a
ROCm one ``/dev/dri/renderD<minor>`` and ``/dev/kfd``. Reading ``/proc/<pid>/fd`` of the
kernel's own tree needs no privilege. Both roots are parameters so tests can fake them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


class DeviceFiles:
    """Open device files of a set of processes, as names relative to the device root."""

    def __init__(self, proc_root: str | os.PathLike = "/proc", dev_root: str | os.PathLike = "/dev"):
        self.proc_root = os.fspath(proc_root)
        self.dev_root = os.fspath(dev_root).rstrip("/") or "/"

    def held(self, pids: Iterable[int]) -> dict[str, int]:
        """``{"nvidia0": 2, "dri/renderD128": 1, ...}``: how many of ``pids`` hold each file open."""
        prefix = self.dev_root if self.dev_root.endswith("/") else self.dev_root + "/"
        counts: dict[str, int] = {}
        for pid in pids:
            names = set()
            fd_dir = os.path.join(self.proc_root, str(pid), "fd")
            try:
                entries = os.listdir(fd_dir)
            except OSError:  # ended, or not ours to read
                continue
            for fd in entries:
                try:
                    target = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                if target.startswith(prefix):
                    names.add(target[len(prefix):])
            for name in names:
                counts[name] = counts.get(name, 0) + 1
        return counts

    def unknown(self, pids: Iterable[int]) -> set[int]:
        """The PIDs that do not exist in this ``/proc``: another PID namespace's, or ended."""
        return {pid for pid in pids if not os.path.isdir(os.path.join(self.proc_root, str(pid)))}
