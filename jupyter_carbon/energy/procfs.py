"""Reading /proc for the process tree: a process's ids, and one walk of every process.

Raw reads, no psutil objects: a busy host creates many PIDs between two cells, and each
new PID costs a cell boundary one of these calls.
"""

from __future__ import annotations

import os


def _read(path: str, size: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def stat_ids(proc, pid: int) -> tuple[int, int, int] | None:
    """(parent, process group, session) of a process, from /proc/PID/stat."""
    data = _read(f"{proc}/{pid}/stat", 512)
    if data is None:
        return None
    try:
        fields = data[data.rfind(b")") + 2:].split(None, 4)
        return int(fields[1]), int(fields[2]), int(fields[3])
    except (ValueError, IndexError):
        return None


def _status_id(head: bytes, key: bytes) -> int:
    """The first id on a /proc/PID/status line (the one of this /proc's PID namespace), or -1."""
    try:
        return int(head[head.index(key) + len(key):].split(None, 1)[0])
    except (ValueError, IndexError):
        return -1


def status_ids(proc, pid: int) -> tuple[int, int, int, int] | None:
    """(thread group, parent, process group, session) of a PID (a thread's too) from
    /proc/PID/status; the group and session are -1 where the status does not give them."""
    head = _read(f"{proc}/{pid}/status", 2048)
    if head is None:
        return None
    tgid, ppid = _status_id(head, b"\nTgid:"), _status_id(head, b"\nPPid:")
    if tgid < 0 or ppid < 0:
        return None
    return tgid, ppid, _status_id(head, b"\nNSpgid:"), _status_id(head, b"\nNSsid:")


def adopted(parent: int, parent_ids: tuple[int, int, int] | None, session: int | None, launcher: int | None) -> bool:
    """Whether a process of the kernel's session or group whose parent is ``parent`` was
    detached (init or a subreaper adopted it) rather than started beside the kernel.

    A parent outside the kernel's session adopted it. Where the kernel leads only its group
    (``launcher``: the shell that started it), the other commands of its pipeline
    (``ipython | tee log``) have that shell as parent; any other parent of the session is a
    subreaper or an init that shares the session (a container whose first process is the
    shell that runs everything)."""
    if parent_ids is None or parent_ids[2] != session:
        return True
    return launcher is not None and parent != launcher


def walk(proc, root: int, marker: tuple[int, int], session: int | None, launcher: int | None = None) -> tuple[list[int], set[int]]:
    """One read of every /proc/PID/stat: ``root``'s descendants by parentage, then the
    processes of its session or group (``marker``: field of :func:`stat_ids` and id) that
    are not, with their own descendants; parents before their children. The second item
    holds those :func:`adopted` by init or a subreaper: the detached processes."""
    table: dict[int, tuple[int, int, int]] = {}
    for name in os.listdir(proc):
        if name.isdigit():
            ids = stat_ids(proc, int(name))
            if ids is not None:
                table[int(name)] = ids
    below: dict[int, list[int]] = {}
    for pid, ids in table.items():
        below.setdefault(ids[0], []).append(pid)
    order: list[int] = []
    seen = {root}

    def visit(top: int) -> None:
        queue = [top]
        while queue:
            parent = queue.pop(0)
            for child in sorted(below.get(parent, ())):
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    queue.append(child)

    visit(root)
    field, value = marker
    detached = {pid for pid, ids in table.items() if pid not in seen and ids[field] == value}
    roots = sorted(pid for pid in detached if table[pid][0] not in detached
                   and adopted(table[pid][0], table.get(table[pid][0]), session, launcher))
    for top in roots:
        seen.add(top)
        order.append(top)
        visit(top)
    return order, set(roots)
