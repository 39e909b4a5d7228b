"""Writing files so that no reader ever sees half of one, and nothing that is not ours
is written through or replaced.

Every file the package writes goes through here. Reports, executed notebooks and the
IPython profile's config are written to a temporary file beside the target and renamed over
it once complete: a failure (a full disk, Ctrl-C) leaves any earlier file as it was. The
target must be absent or a regular file of this user: a symlink (even to a regular file),
a device such as ``/dev/stdout``, a FIFO, a socket or a folder is refused, never replaced,
since renaming over ``/dev/stdout`` as root turns it into a file for a whole container.

Ledgers are private: created ``0600`` with ``O_EXCL | O_NOFOLLOW`` (never an existing file,
never through a link), in folders the package creates ``0700``. A folder that is a symlink,
belongs to another user or that other users may write to is refused: another user could
plant or swap ledgers there.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


class UnsafePath(OSError):
    """A path the package will not write: its one-line message says what is there and what
    would be right."""


def check_target(path: str | os.PathLike) -> os.stat_result | None:
    """The ``lstat`` of what is at ``path`` (None: nothing), or UnsafePath if it is not a
    regular file of this user. Never follows a link."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(f"{path} is a symbolic link; jupyter-carbon writes only a new file or a regular file of yours, never through a link")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(f"{path} is not a regular file (a device, FIFO, socket or folder); name a new file or a regular file of yours")
    if st.st_uid != os.geteuid():
        raise UnsafePath(f"{path} belongs to another user; jupyter-carbon replaces only your own files")
    return st


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[TextIO], object],
    *,
    mode: int | None = None,
    newline: str | None = None,
    fsync: bool = False,
) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``.

    ``mode``: the permissions of the result; ``None`` keeps those of a file being replaced
    and gives a new one 0644 (readable by all: what is written here is meant to be read).
    ``fsync`` also survives a power cut, at a few milliseconds' cost. UnsafePath when
    ``path`` is not absent nor a regular file of this user (see :func:`check_target`).
    """
    path = Path(path)
    existing = check_target(path)
    if mode is None:
        mode = stat.S_IMODE(existing.st_mode) if existing else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as f:
            write(f)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        check_target(path)  # again: the write took time, and the folder may not be ours alone
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


#: Permissions of a ledger, and of a folder the package creates.
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def create_private(path: str | os.PathLike) -> int:
    """A new file at ``path``, ``0600``, open for appending: its descriptor. FileExistsError
    if anything is there already, a symlink included (never opened through)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, PRIVATE_FILE)


def check_folder(path: str | os.PathLike) -> Path:
    """``path`` if it is a folder that only this user can change, else UnsafePath saying why:
    a symlink, another user's folder, or one other users may write to (world-writable, or
    group-writable by a group other than this user's own)."""
    path = Path(path)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(f"the ledger folder {path} is a symbolic link; name the real folder (c.CarbonMeter.ledger_dir)")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(f"the ledger folder {path} is not a folder")
    if st.st_uid != os.geteuid():
        raise UnsafePath(f"the ledger folder {path} belongs to another user; use a folder of your own (c.CarbonMeter.ledger_dir)")
    if st.st_mode & stat.S_IWOTH or (st.st_mode & stat.S_IWGRP and st.st_gid != os.getegid()):
        raise UnsafePath(f"the ledger folder {path} is writable by other users; make it yours alone (chmod 700) or use another")
    return path


def make_folders(path: str | os.PathLike) -> Path:
    """The folder ``path``, each of its missing parts created ``0700``."""
    path = Path(path)
    missing = []
    for part in (path, *path.parents):
        if os.path.lexists(part):
            break
        missing.append(part)
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(part, PRIVATE_FOLDER)
    return path


def private_folder(path: str | os.PathLike) -> Path:
    """The folder ``path``, its missing parts created ``0700``, checked by :func:`check_folder`."""
    return check_folder(make_folders(path))
