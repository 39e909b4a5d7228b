"""Writing files so that no reader ever sees half of one.

Reports, executed notebooks and the IPython profile's JSON config are written to a
temporary file beside the target and renamed over it once complete: a failure (a full
disk, Ctrl-C) leaves any earlier file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


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
    ``fsync`` also survives a power cut, at a few milliseconds' cost.
    """
    path = Path(path)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as f:
            write(f)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
