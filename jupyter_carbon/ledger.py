"""The ledger: one JSONL file per session, a header line then one line per cell or idle span.

Each record is appended and flushed the moment its cell ends, so a crash or a restart loses
at most the cell that was running; a later kernel or ``jupyter carbon report`` reads it back
with :func:`read_ledger`. Flushing hands each line to the operating system, which survives
the kernel process dying; it does not ``fsync``, which would cost milliseconds per cell to
survive a power cut.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import stat
import threading
from pathlib import Path
from typing import NamedTuple

from . import clocks, jsonline
from .compact import as_dict
from .files import check_folder, create_private, private_folder
from .records import SCHEMA_VERSION, CellRecord, IdleSpan, Totals

log = logging.getLogger("jupyter_carbon")



def default_ledger_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "carbon" / "ledgers"


class Ledger:
    """An append-only JSONL file: a header line, then one line per cell.

    Lines go to the file with ``os.write`` on an ``O_APPEND`` descriptor, so what was
    written is known to the byte. When the disk is full (or the file too large), the rest
    is kept in memory, the trouble is reported once, and everything held is written, in
    order and without a torn line, by the first append that succeeds, which says so.

    The file is new (``0600``, never opened through a link, see ``files.create_private``) in
    a folder only this user can change (created ``0700``). A file deleted while it is open
    takes every later line with it: :meth:`deleted` notices, cheaply, so that the session
    can write itself again.
    """

    #: Seconds between two looks at whether the file was deleted (an ``fstat`` costs a few
    #: microseconds: not worth every cell, and the session rewrites all it holds anyway).
    CHECK_S = 1.0

    def __init__(self, path: str | os.PathLike, header: dict):
        self.path = Path(path)
        private_folder(self.path.parent)
        self._lock = threading.Lock()
        self._fd: int | None = create_private(self.path)
        self._pending = bytearray()
        self._failing = False
        self._checked_at = clocks.monotonic()
        # the header by the standard library itself: orjson is not loaded before the first cell
        self._write({"type": "session", "schema_version": SCHEMA_VERSION, **header}, jsonline.stdlib_line)

    def _write(self, obj: dict, encode=None) -> None:
        self._pending += (encode(obj).encode("ascii") if encode else jsonline.line(obj)) + b"\n"
        self._drain()

    def _drain(self) -> None:
        held = self._pending.count(b"\n") - 1
        try:
            while self._pending:
                written = os.write(self._fd, self._pending) if self._fd is not None else 0
                if written <= 0:
                    raise OSError(f"{self.path} is closed")
                del self._pending[:written]
        except OSError as err:
            if not self._failing:
                self._failing = True
                log.warning(
                    "jupyter-carbon: cannot write %s (%s); records are kept in memory and written when it can",
                    self.path, err.strerror or err,
                )
            return
        if self._failing:
            self._failing = False
            log.warning("jupyter-carbon: writing again to %s; the %d record(s) kept meanwhile are on disk", self.path, held)

    @property
    def unwritten(self) -> int:
        """Lines waiting for the disk."""
        return self._pending.count(b"\n")

    def append(self, record: CellRecord | IdleSpan) -> None:
        """Append a record; a write that fails keeps it for the next append (never raises OSError)."""
        with self._lock:
            self._write(as_dict(record, copy=False))  # as to_dict() writes it, without the copy

    def deleted(self) -> bool:
        """Whether the file was deleted (or replaced) since it was opened: its descriptor
        then writes to a file nobody can read. Looks at most once every :data:`CHECK_S`."""
        now = clocks.monotonic()
        if now - self._checked_at < self.CHECK_S:
            return False
        self._checked_at = now
        with self._lock:
            try:
                return self._fd is not None and os.fstat(self._fd).st_nlink == 0
            except OSError:
                return False

    def close(self, *, discard: bool = False) -> None:
        """Write what is held and close; ``discard``: drop what is held, silently (the
        session writes it elsewhere)."""
        with self._lock:
            if self._fd is None:
                return
            if discard:
                self._pending.clear()
            self._drain()
            if self._pending:
                log.warning("jupyter-carbon: %d record(s) could not be written to %s", self.unwritten, self.path)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


class LedgerContents(NamedTuple):
    """A ledger read back whole (:func:`read_ledger`)."""

    path: Path
    header: dict
    records: list[CellRecord]
    skipped: list[int]
    """Line numbers that could not be read (a torn last line after a crash, hand edits)."""
    idle_spans: list[IdleSpan]

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for r in self.records:
            totals.add(r)
        for span in self.idle_spans:
            totals.add_idle(span)
        return totals


#: The longest line read back (a cell record takes about a kilobyte): a longer one is
#: skipped unread, so that a wrong path (a device, a huge file) cannot exhaust memory.
MAX_LINE = 1 << 20


def open_regular(path: str | os.PathLike, mode: str = "r", **kw):
    """Open a file for reading, or OSError if it is not a regular file (a device such as
    /dev/zero, a FIFO, a folder). Never blocks: a FIFO is opened without waiting for a writer."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        os.set_blocking(fd, True)
        return open(fd, mode, **kw)
    except BaseException:
        os.close(fd)
        raise


def _lines(f):
    """(number, line) of a text file, each line at most MAX_LINE characters; a longer one
    is skipped to its end and given as None."""
    number = 0
    while True:
        line = f.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = f.readline(MAX_LINE)
            yield number, None
        else:
            yield number, line


def read_ledger(path: str | os.PathLike) -> LedgerContents:
    """Read a ledger back, skipping (and warning once about, with their count) lines that
    are not valid records: torn by a crash, edited by hand, too long, wrongly typed.
    Raises OSError if the file cannot be read or is not a regular file."""
    path = Path(path)
    header: dict = {}
    records: list[CellRecord] = []
    idle_spans: list[IdleSpan] = []
    # Most cells of a session share their intensity and methods: keep one copy of each.
    shared: dict[tuple, dict] = {}

    def share(value):
        if not isinstance(value, dict):
            return value
        try:
            return shared.setdefault(tuple(value.items()), value)
        except TypeError:  # a nested value: not worth sharing
            return value

    lines = LedgerLines(path)
    for _, kind, item in lines:
        if kind == "session":
            header = item
        elif kind == "idle":
            idle_spans.append(item)
        else:
            item.intensity = share(item.intensity)
            item.method = share(item.method)
            records.append(item)
    return LedgerContents(path, header, records, lines.skipped, idle_spans)


class LedgerLines:
    """A ledger's lines as ``(number, kind, item)``, one at a time: ``kind`` is ``session``
    (the header, a dict), ``idle`` (an :class:`IdleSpan`) or ``cell`` (a :class:`CellRecord`).

    The one reading of a ledger line, for :func:`read_ledger` and for reports that stream a
    ledger without holding it. Lines that are not valid records are counted in
    :attr:`skipped` and warned about once, when the file has been read to its end. Iterating
    again reads the file again; ``only`` picks line numbers (ascending) to read. Raises
    OSError if the file cannot be read or is not a regular file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.skipped: list[int] = []

    def __iter__(self):
        return self.read()

    def read(self, only=None):
        skipped, first_error = [], None
        wanted = iter(only) if only is not None else None
        next_wanted = next(wanted, None) if wanted is not None else None
        with open_regular(self.path, encoding="utf-8", errors="replace") as f:
            for number, line in _lines(f):
                if wanted is not None:
                    if next_wanted is None:
                        return
                    if number != next_wanted:
                        continue
                    next_wanted = next(wanted, None)
                if line is not None and not line.strip():
                    continue
                try:
                    kind, item = _parse(line)
                except (ValueError, TypeError, RecursionError) as err:
                    skipped.append(number)
                    first_error = first_error or f"{type(err).__name__}: {err}"
                    continue
                yield number, kind, item
        if wanted is None:
            self.skipped = skipped
            if skipped:
                log.warning(
                    "jupyter-carbon: skipped %d unreadable line(s) in %s (line %s%s; first error: %s)",
                    len(skipped), self.path, ", ".join(map(str, skipped[:5])), ", ..." if len(skipped) > 5 else "", first_error,
                )


@functools.cache
def _fast_loads():
    """orjson's ``loads`` (imported on the first ledger read back), or None without it."""
    try:
        from orjson import JSONDecodeError, loads
    except ImportError:
        return None
    return loads, JSONDecodeError


#: Every digit as 0, so that twenty digits in a row (an integer orjson would read as a float,
#: past 64 bits, or text) are one substring to look for (a regular expression takes ten times longer).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_TWENTY_DIGITS = b"0" * 20


def _long_number(line: str) -> bool:
    return _TWENTY_DIGITS in line.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO)


def _loads(line: str):
    """A line's JSON, by orjson where it is installed (four times faster on a record's line,
    the same values); a line it refuses is read again by :mod:`json`, which accepts a little
    more (``NaN``) and words the error of a bad line as it always did. A line with an integer
    past 64 bits, which orjson reads as a float, goes to :mod:`json` straight away."""
    fast = _fast_loads()
    if fast is not None and not _long_number(line):
        try:
            return fast[0](line)
        except fast[1]:
            pass
    return json.loads(line)


def _parse(line: str | None) -> tuple[str, object]:
    """A ledger line's kind and its header, idle span or cell record; ValueError (or
    TypeError) for a line that is none of them."""
    if line is None:
        raise ValueError(f"line longer than {MAX_LINE} characters")
    data = _loads(line)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    kind = data.get("type")
    if kind == "session":
        return "session", data
    if kind == "idle":
        return "idle", IdleSpan.from_dict(data)
    return "cell", CellRecord.from_dict(data)


_warned_foreign: set[str] = set()


def list_ledgers(directory: str | os.PathLike | None = None) -> list[Path]:
    """This user's ledgers on disk, oldest first.

    Only regular files owned by this user count: in a folder others can reach, another
    user's ledger (a forged one, say) is ignored, and said so once per folder. UnsafePath
    (an OSError) when the folder is a symlink, another user's or writable by others."""
    directory = Path(directory) if directory else default_ledger_dir()
    if not os.path.lexists(directory):
        return []
    check_folder(directory)
    me, found, foreign = os.geteuid(), [], 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.endswith(".jsonl"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_uid != me:
                foreign += 1
                continue
            found.append((st.st_mtime, entry.name, Path(entry.path)))
    if foreign and str(directory) not in _warned_foreign:
        _warned_foreign.add(str(directory))
        log.warning("jupyter-carbon: ignored %d ledger(s) in %s that belong to another user", foreign, directory)
    return [path for _, _, path in sorted(found)]




def read_header(path: str | os.PathLike) -> dict:
    """A ledger's header line ({} if it has none or cannot be read)."""
    try:
        with open_regular(path, "rb") as f:
            data = json.loads(f.readline(MAX_LINE))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) and data.get("type") == "session" else {}


def _alive(pid) -> bool:
    """Whether a process with this id runs now (any user's)."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _same_kernel(header: dict, identity: dict) -> bool:
    """Whether a ledger's header is an earlier session of the kernel ``identity`` names."""
    pid = header.get("pid")
    if pid != identity.get("pid") and _alive(pid):
        return False  # another kernel, running now: its session is not ours
    for key in ("notebook", "kernel_id"):
        if identity.get(key):
            return header.get(key) == identity[key]
    return pid == identity.get("pid") or not (header.get("notebook") or header.get("kernel_id"))


def previous_ledger(directory, *, current=None, identity: dict) -> Path | None:
    """This kernel's newest earlier session ledger, or None.

    ``identity`` holds this kernel's ``pid`` and, where known, its ``notebook`` (the same
    notebook, across kernel restarts) and ``kernel_id``. The ledger of another kernel that
    is still running is never taken, however new.
    """
    found = []
    for path in list_ledgers(directory):
        if current is not None and path == Path(current):
            continue
        header = read_header(path)
        if header and _same_kernel(header, identity):
            found.append((str(header.get("started_at") or ""), path.stat().st_mtime, path.name, path))
    return max(found)[-1] if found else None
