"""JSON and CSV reports of a ledger file, written as it is read: never the whole ledger in memory.

A saved session can hold a million cells (a kilobyte each on disk, several in memory once
read back): ``jupyter carbon report`` reads its ledger one line at a time
(:class:`~jupyter_carbon.ledger.LedgerLines`) and writes each cell's row or line as it goes,
keeping only running sums, the notebooks' names, a count of cells per zone and the line
numbers of the idle spans. The bytes are those of :func:`~jupyter_carbon.report.render` of
the whole ledger (``tests/test_report_stream.py`` holds them to it), values spelled as
``encoding.py`` says.

The CSV goes straight through: its header row is fixed, the idle spans (read again by their
line numbers) follow the cells. The JSON export's head holds the session's totals, which
are known only at the end: its cell lines are spooled to an anonymous temporary file (as
large as they are, on disk, never in memory), then written after the head.
"""

from __future__ import annotations

import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..ledger import LedgerLines
from ..records import CellRecord, Totals
from .model import Write, check_ledger, ledger_session
from .tabular import JSON_CELLS, csv_row, csv_writer, json_cell, json_end, json_head, json_spans

STREAMED = ("json", "csv")
"""The formats a ledger file is streamed into; the others need the whole session at once."""


@dataclass
class Zones:
    """Cells priced per grid zone and the intensity of each zone's first: enough to pick a
    cleaner region to compare the session with (the zone most cells ran in)."""

    counts: Counter = field(default_factory=Counter)
    first_g: dict = field(default_factory=dict)

    def add(self, r: CellRecord) -> None:
        if r.intensity:
            zone = r.intensity.get("zone")
            self.counts[zone] += 1
            self.first_g.setdefault(zone, r.intensity.get("g_per_kwh"))

    @classmethod
    def of(cls, records) -> "Zones":
        zones = cls()
        for r in records:
            zones.add(r)
        return zones

    def most_cells(self) -> tuple[str | None, float | None] | None:
        """(zone, intensity of its first cell) of the zone most cells ran in (the first seen
        of equals), or None if no cell was priced."""
        if not self.counts:
            return None
        zone = self.counts.most_common(1)[0][0]
        return zone, self.first_g[zone]


@dataclass
class Pass:
    """What one pass over a ledger's cells keeps: sums and names, no record."""

    lines: LedgerLines
    header: dict = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    first: CellRecord | None = None
    notebooks: dict = field(default_factory=dict)
    zones: Zones = field(default_factory=Zones)
    idle_lines: array = field(default_factory=lambda: array("q"))

    def cells(self):
        """The ledger's cell records, in order, summing them as they go by."""
        for number, kind, item in self.lines:
            if kind == "cell":
                if self.first is None:
                    self.first = item
                self.totals.add(item)
                if item.notebook:
                    self.notebooks[item.notebook] = None
                self.zones.add(item)
                yield item
            elif kind == "idle":
                self.idle_lines.append(number)
            else:
                self.header = item

    def spans(self):
        """The idle spans, read again by their line numbers."""
        return (item for _, kind, item in self.lines.read(only=self.idle_lines) if kind == "idle")

    def check(self) -> None:
        """NotALedger if the file held no header and no record."""
        check_ledger(self.lines.path, self.header, bool(self.first or self.idle_lines), self.lines.skipped)

    @property
    def count(self) -> int:
        return self.totals.cells


def stream_csv(lines: LedgerLines, write: Write) -> Pass:
    """The CSV export of a ledger file, a row written per cell read; its header row waits
    for the first record, so that a file that is no ledger writes nothing."""
    gathered = Pass(lines)
    w = None
    for r in gathered.cells():
        w = w or csv_writer(write)
        w.write(csv_row(r))
    gathered.check()
    w = w or csv_writer(write)
    for span in gathered.spans():
        w.write(csv_row(span))
    return gathered


def stream_json(lines: LedgerLines, write: Write, alternative: Callable[[Zones], dict | None], hardware=()) -> Pass:
    """The JSON export of a ledger file; ``alternative`` picks the cleaner region to compare
    with from the cells' zones."""
    gathered = Pass(lines)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        sep = "\n"
        for r in gathered.cells():
            spool.write(sep + json_cell(r))
            sep = ",\n"
        gathered.check()
        for span in gathered.spans():
            gathered.totals.add_idle(span)
        session_id, started_at, hardware = ledger_session(gathered.header, gathered.first, hardware)
        session = {"session_id": session_id, "started_at": started_at, "notebooks": list(gathered.notebooks), "hardware": hardware}
        write(json_head(session, gathered.totals, alternative(gathered.zones)))
        write(json_spans(gathered.spans()))
        write(JSON_CELLS)
        spool.seek(0)
        shutil.copyfileobj(spool, _Writer(write), 1 << 16)
        write(json_end(gathered.first is not None))
    return gathered


class _Writer:
    """A file-like ``write`` for :func:`shutil.copyfileobj`."""

    def __init__(self, write: Write):
        self.write = write
