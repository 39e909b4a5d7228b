"""The ledger: one JSONL file per session, a header line then one line per cell or idle span.

Each record is appended and flushed the moment its cell ends, so a crash or a restart loses
at most the cell that was running; a later kernel or ``jupyter carbon report`` reads it back
with :func:`read_ledger`. Flushing hands each line to the operating system, which survives
the kernel process dying; it does not ``fsync``, which would cost milliseconds per cell to
survive a power cut.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .records import SCHEMA_VERSION, CellRecord, IdleSpan, Totals

log = logging.getLogger("jupyter_carbon")


def default_ledger_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "carbon" / "ledgers"


class Ledger:
    """An append-only JSONL file: a header line, then one line per cell."""

    def __init__(self, path: str | os.PathLike, header: dict):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8")
        if self._file.tell() == 0:
            self._write({"type": "session", "schema_version": SCHEMA_VERSION, **header})

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        self._file.flush()

    def append(self, record: CellRecord | IdleSpan) -> None:
        with self._lock:
            self._write(record.to_dict())

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._file.close()


@dataclass
class LedgerContents:
    path: Path
    header: dict
    records: list[CellRecord]
    skipped: list[int]
    """Line numbers that could not be read (a torn last line after a crash, hand edits)."""
    idle_spans: list[IdleSpan] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for r in self.records:
            totals.add(r)
        for span in self.idle_spans:
            totals.add_idle(span)
        return totals


def read_ledger(path: str | os.PathLike) -> LedgerContents:
    """Read a ledger back, skipping (and warning once about) lines that are not records."""
    path = Path(path)
    header: dict = {}
    records: list[CellRecord] = []
    idle_spans: list[IdleSpan] = []
    skipped: list[int] = []
    # Most cells of a session share their intensity and methods: keep one copy of each.
    shared: dict[tuple, dict] = {}

    def share(value):
        if not isinstance(value, dict):
            return value
        try:
            return shared.setdefault(tuple(value.items()), value)
        except TypeError:  # a nested value: not worth sharing
            return value

    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                if data.get("type") == "session":
                    header = data
                    continue
                if data.get("type") == "idle":
                    idle_spans.append(IdleSpan.from_dict(data))
                    continue
                record = CellRecord.from_dict(data)
                record.intensity = share(record.intensity)
                record.method = share(record.method)
                records.append(record)
            except (ValueError, TypeError) as err:
                skipped.append(number)
                if len(skipped) == 1:
                    first_error = f"{type(err).__name__}: {err}"
    if skipped:
        log.warning(
            "jupyter-carbon: skipped %d unreadable line(s) in %s (line %s%s; first error: %s)",
            len(skipped), path, ", ".join(map(str, skipped[:5])), ", ..." if len(skipped) > 5 else "", first_error,
        )
    return LedgerContents(path, header, records, skipped, idle_spans)


def list_ledgers(directory: str | os.PathLike | None = None) -> list[Path]:
    """Ledgers on disk, oldest first."""
    directory = Path(directory) if directory else default_ledger_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name))


