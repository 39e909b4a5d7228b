"""Summaries and exports of a session: what it cost, cell by cell, and how each number was got.

A :class:`Report` gathers a session's records once (from the live session or a ledger read
back from disk); :func:`summary_text` and :class:`Summary` show it, :func:`render` and
:func:`export` turn it into JSON, CSV, Markdown, HTML or a LaTeX paragraph.

Everything here is standard library and one pass over the records, so a 10,000-cell session
summarises and exports in a fraction of a second. Exports are written to a temporary file
beside the target and renamed over it, so a failure never leaves a half-written report or
destroys the previous one. User text (cell sources, zone and hardware names) is escaped for
each format: HTML, Markdown tables, LaTeX.
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

from . import report_chart
from ._version import __version__
from .energy.base import COMPONENTS, METHOD_RANK
from .session import SCHEMA_VERSION, CellRecord, LedgerContents, Totals, costliest

FORMATS = ("json", "csv", "md", "html", "latex")
SUFFIXES = {
    ".json": "json",
    ".csv": "csv",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".tex": "latex",
    ".latex": "latex",
}
_ALIASES = {"markdown": "md", "tex": "latex", "htm": "html"}

HTML_ROW_LIMIT = 1000
"""Rows of the all-cells table in an HTML report; the JSON and CSV exports hold every cell."""

CSV_COLUMNS = (
    "index", "execution_count", "cell_id", "source", "started_at", "ended_at", "duration_s", "status", "error",
    "energy_j", "gpu_j", "cpu_j", "memory_j", "method_gpu", "method_cpu", "method_memory", "device_energy_j",
    "pue", "facility_energy_j", "emissions_g", "g_per_kwh", "zone", "intensity_source", "intensity_year", "signal",
)  # fmt: skip

METHOD_TEXT = {
    "measured": "measured by a hardware energy counter",
    "integrated": "integrated from hardware power readings",
    "estimated": "estimated from a power model (rated power and utilisation)",
}
COMPONENT_NAMES = {"gpu": "GPU", "cpu": "CPU", "memory": "memory"}

Write = Callable[[str], object]


# -- numbers for people -------------------------------------------------------------------------
def _num(x: float) -> str:
    """Two significant figures below 10, whole numbers above: precision the meters can back."""
    if 0 < x < 1:
        decimals = 1 - math.floor(math.log10(x))
        if round(x, decimals) < 1:
            return f"{x:.{decimals}f}"
    if x >= 9.95:  # would print as "10.0"
        return f"{x:.0f}"
    if x >= 1 or x > 0.95:
        return f"{x:.1f}"
    return "0"


def _scaled(value: float, units: Sequence[tuple[float, str]]) -> str:
    """``value`` in the largest unit it reaches (units ascending); the smallest below that."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign, value = ("-" if value < 0 else ""), abs(value)
    chosen = 0
    for i, (factor, _) in enumerate(units):
        if value >= factor:
            chosen = i
    text = _num(value / units[chosen][0])
    # 999.7 Wh rounds to "1000 Wh": say "1.0 kWh" instead.
    if chosen + 1 < len(units) and float(text) >= units[chosen + 1][0] / units[chosen][0]:
        chosen += 1
        text = _num(value / units[chosen][0])
    return f"{sign}{text} {units[chosen][1]}"


_ENERGY_UNITS = ((3.6, "mWh"), (3600.0, "Wh"), (3.6e6, "kWh"))
_MASS_UNITS = ((1e-3, "mg"), (1.0, "g"), (1e3, "kg"), (1e6, "t"))


def format_energy(joules: float) -> str:
    """Joules as mWh, Wh or kWh, whichever reads best: ``0.12 mWh``, ``3.4 Wh``, ``1.2 kWh``."""
    return _scaled(joules, _ENERGY_UNITS)


def format_mass(grams: float | None) -> str:
    """Grams of CO2e as mg, g, kg or t; ``None`` (not priced) as ``n/a``."""
    return _scaled(grams, _MASS_UNITS)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{_num(seconds)} s"
    minutes, s = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Zone:
    """One grid zone's share of a session: which cells were priced with it, and at what."""

    zone: str | None
    zone_name: str | None
    cells: int = 0
    facility_energy_j: float = 0.0
    emissions_g: float = 0.0
    g_min: float = math.inf
    g_max: float = -math.inf
    sources: dict[str, None] = field(default_factory=dict)
    """``"source year"`` strings in order of appearance (a dict as an ordered set)."""
    chosen_by: dict[str, None] = field(default_factory=dict)
    signals: dict[str, None] = field(default_factory=dict)
    guess: bool = False
    live: bool = False
    fallback_reasons: dict[str, None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.zone_name and self.zone and self.zone_name != self.zone:
            return f"{self.zone_name} ({self.zone})"
        return self.zone_name or self.zone or "unknown zone"

    @property
    def g_per_kwh(self) -> float:
        """The intensity the zone's cells were priced at: the energy-weighted mean if it varied."""
        kwh = self.facility_energy_j / 3.6e6
        if kwh > 0:
            return self.emissions_g / kwh
        return self.g_min if math.isfinite(self.g_min) else 0.0

    @property
    def varied(self) -> bool:
        return self.g_max - self.g_min > 1e-9


@dataclass
class Facts:
    """What every view needs beyond the totals, gathered in one pass over the records."""

    zones: list[Zone]
    unpriced: int
    """Cells without emissions (no intensity was known)."""
    priced_facility_energy_j: float
    methods: dict[str, dict[str, None]]
    """Per component, the methods its figures were obtained by, strongest first."""


@dataclass
class Report:
    """Everything a summary or an export needs, gathered once.

    ``hardware`` names the devices for the LaTeX paragraph and the headers (may be empty).
    ``alternative`` is a cleaner region to compare with, e.g. ``{"zone": "SE", "zone_name":
    "Sweden", "g_per_kwh": 30.0, "source": "...", "year": 2025}``; ``None`` leaves the
    comparison out.
    """

    records: list[CellRecord]
    totals: Totals
    session_id: str | None = None
    started_at: str | None = None
    hardware: list[str] = field(default_factory=list)
    alternative: dict | None = None

    @classmethod
    def from_session(cls, session, *, hardware: Iterable[str] = (), alternative: dict | None = None) -> "Report":
        """A snapshot of a live session: later cells do not change this report."""
        records = list(session.records)
        totals = session.totals
        if totals.cells != len(records):  # a cell ended between the two reads
            totals = _totals(records)
        else:
            totals = Totals(**totals.to_dict())  # a copy: the session's goes on counting
        return cls(records, totals, session.session_id, session.started_at, list(hardware), alternative)

    @classmethod
    def from_ledger(
        cls, contents: LedgerContents, *, hardware: Iterable[str] = (), alternative: dict | None = None
    ) -> "Report":
        """A session read back from its ledger file (see :func:`jupyter_carbon.session.read_ledger`)."""
        records = contents.records
        header = contents.header or {}
        session_id = header.get("session_id") or (records[0].session_id if records else None)
        started_at = header.get("started_at") or (records[0].started_at if records else None)
        return cls(records, contents.totals, session_id, started_at, list(hardware), alternative)

    @cached_property
    def facts(self) -> Facts:
        zones: dict[str | None, Zone] = {}
        unpriced = 0
        priced_j = 0.0
        methods: dict[str, dict[str, None]] = {}
        for r in self.records:
            for c, m in r.method.items():
                methods.setdefault(c, {})[m] = None
            if r.emissions_g is None:
                unpriced += 1
                continue
            it = r.intensity or {}
            key = it.get("zone")
            z = zones.get(key)
            if z is None:
                z = zones[key] = Zone(key, it.get("zone_name"))
            z.cells += 1
            z.facility_energy_j += r.facility_energy_j
            z.emissions_g += r.emissions_g
            priced_j += r.facility_energy_j
            g = it.get("g_per_kwh")
            if isinstance(g, (int, float)):
                z.g_min = min(z.g_min, g)
                z.g_max = max(z.g_max, g)
            src = " ".join(str(x) for x in (it.get("source"), it.get("year")) if x)
            if src:
                z.sources[src] = None
            if it.get("chosen_by"):
                z.chosen_by[str(it["chosen_by"])] = None
            if it.get("signal"):
                z.signals[str(it["signal"])] = None
            if it.get("fallback_reason"):
                z.fallback_reasons[str(it["fallback_reason"])] = None
            z.guess = z.guess or bool(it.get("guess"))
            z.live = z.live or bool(it.get("live"))
        for c, ms in methods.items():
            methods[c] = dict.fromkeys(sorted(ms, key=lambda m: -METHOD_RANK.get(m, -1)))
        return Facts(list(zones.values()), unpriced, priced_j, methods)

    @cached_property
    def chart(self) -> report_chart.Series:
        return report_chart.series(self.records)

    @property
    def components(self) -> list[str]:
        order = {c: i for i, c in enumerate(COMPONENTS)}
        return sorted(self.totals.by_component, key=lambda c: order.get(c, len(order)))

    def alternative_comparison(self) -> tuple[float, float] | None:
        """(grams the priced cells would have emitted in the alternative zone, percent less).

        Only cells that were priced are compared, at their own facility energy (same PUE),
        so the two numbers cover the same work. ``None`` without an alternative or priced cells.
        """
        alt = self.alternative
        if not alt or alt.get("g_per_kwh") is None or not self.facts.zones:
            return None
        grams = self.facts.priced_facility_energy_j / 3.6e6 * float(alt["g_per_kwh"])
        actual = self.totals.emissions_g
        percent = (actual - grams) / actual * 100 if actual > 0 else 0.0
        return grams, percent


def _totals(records: Iterable[CellRecord]) -> Totals:
    totals = Totals()
    for r in records:
        totals.add(r)
    return totals


# -- rendering ----------------------------------------------------------------------------------
def _normalise(fmt: str) -> str:
    key = _ALIASES.get(str(fmt).lower().lstrip("."), str(fmt).lower().lstrip("."))
    if key not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return key


def render(report: Report, fmt: str) -> str:
    """The report as text in one of :data:`FORMATS`."""
    parts: list[str] = []
    _WRITERS[_normalise(fmt)](report, parts.append)
    return "".join(parts)


def export(report: Report, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write the report to ``path``, the format taken from ``fmt`` or else the file's suffix.

    The text goes to a temporary file in the same folder, renamed over ``path`` only once
    complete: readers never see half a report, and a failure leaves any earlier file as it
    was. The folder must exist (a typo in it should not silently create a tree). A file
    replaced keeps its permissions; a new one is readable by all (0644), as reports are
    meant to be shared.
    """
    path = Path(path).expanduser()
    if fmt is None:
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            valid = ", ".join(f"{s} ({f})" for s, f in SUFFIXES.items())
            raise ValueError(
                f"cannot tell the report format from {path.name!r}; use one of the suffixes {valid} "
                f"or give a format ({', '.join(FORMATS)})"
            )
    writer = _WRITERS[_normalise(fmt)]
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:
            writer(report, f.write)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


# JSON -----------------------------------------------------------------------------------------
_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def _clean(value):
    """NaN and infinities become null: they are not JSON, and mean "unknown" here anyway."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _encode(obj) -> str:
    try:
        return _JSON.encode(obj)
    except ValueError:
        return _JSON.encode(_clean(obj))


_RECORD_FIELDS = tuple(CellRecord.__dataclass_fields__)


def _write_json(report: Report, write: Write) -> None:
    """The whole session, one cell per line so that a large export diffs and greps well."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"jupyter-carbon {__version__}",
        "session": {"session_id": report.session_id, "started_at": report.started_at, "hardware": report.hardware},
        "totals": report.totals.to_dict(),
        "alternative": report.alternative,
    }
    write(_encode(head)[:-1] + ',\n"cells": [')
    sep = "\n"
    for r in report.records:
        # A shallow dict: the fields are flat values and dicts of them, so asdict's deep copy is waste.
        write(sep + _encode({name: getattr(r, name) for name in _RECORD_FIELDS}))
        sep = ",\n"
    write("\n]}\n" if report.records else "]}\n")


# CSV ------------------------------------------------------------------------------------------
def _csv_row(r: CellRecord) -> list:
    by, method, it = r.by_component, r.method, r.intensity or {}
    return [
        r.index, r.execution_count, r.cell_id, r.source, r.started_at, r.ended_at, r.duration_s, r.status, r.error,
        r.energy_j, by.get("gpu"), by.get("cpu"), by.get("memory"),
        method.get("gpu"), method.get("cpu"), method.get("memory"),
        r.device_energy_j, r.pue, r.facility_energy_j, r.emissions_g,
        it.get("g_per_kwh"), it.get("zone"), it.get("source"), it.get("year"), it.get("signal"),
    ]  # fmt: skip


def _write_csv(report: Report, write: Write) -> None:
    """One row a cell, units in the column names (joules, seconds, grams)."""
    w = csv.writer(SimpleNamespace(write=write), lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.records:
        w.writerow(_csv_row(r))


# shared prose ---------------------------------------------------------------------------------
def _cells(n: int) -> str:
    return f"{n} cell{'' if n == 1 else 's'}"


def _cell_label(r: CellRecord) -> str:
    return f"#{r.index}" + (f" [{r.execution_count}]" if r.execution_count is not None else "")


def _share(part: float, whole: float) -> str:
    return f"{part / whole * 100:.0f}%" if whole > 0 else "–"


def _headline(report: Report) -> str:
    t = report.totals
    failed = f" ({t.errors} failed)" if t.errors else ""
    return f"{_cells(t.cells)}{failed}, {format_duration(t.duration_s)} of running time"


def _component_parts(report: Report) -> list[tuple[str, float, str]]:
    """(name, joules, method) per component, the method the weakest any cell used."""
    t = report.totals
    return [(COMPONENT_NAMES.get(c, c), t.by_component[c], t.method.get(c, "")) for c in report.components]


def _emissions_line(report: Report) -> str:
    t, f = report.totals, report.facts
    if not f.zones:
        return "Emissions: not estimated (no grid carbon intensity was available)"
    line = f"Emissions: {format_mass(t.emissions_g)} CO2e"
    if f.unpriced:
        line += f" ({_cells(f.unpriced)} without an intensity not counted)"
    return line


def _zone_lines(report: Report) -> list[str]:
    """One line per grid zone: intensity, where it came from, and how the zone was chosen."""
    lines = []
    for z in report.facts.zones:
        g = f"{z.g_per_kwh:.0f} gCO2e/kWh" + (f" (from {z.g_min:.0f} to {z.g_max:.0f})" if z.varied else "")
        bits = [f"{z.label}: {g}"]
        if z.sources:
            bits.append("source " + ", ".join(z.sources))
        if z.signals:
            bits.append(", ".join(z.signals) + " signal" + (", live" if z.live else ""))
        if z.chosen_by:
            bits.append("zone chosen by " + ", ".join(z.chosen_by) + (" (a guess)" if z.guess else ""))
        elif z.guess:
            bits.append("zone guessed")
        if z.fallback_reasons:
            bits.append("fallback: " + "; ".join(z.fallback_reasons))
        if len(report.facts.zones) > 1:
            bits.append(_cells(z.cells))
        lines.append("; ".join(bits))
    return lines


def _method_notes(report: Report) -> list[str]:
    notes = []
    for c in report.components:
        ms = report.facts.methods.get(c) or {report.totals.method.get(c, ""): None}
        texts = [METHOD_TEXT.get(m, m) for m in ms if m]
        if texts:
            name = COMPONENT_NAMES.get(c, c)
            notes.append(f"{name[:1].upper()}{name[1:]} energy {' or '.join(texts)}")
    return notes


# plain text -----------------------------------------------------------------------------------
def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_text(report: Report, top: int = 10) -> str:
    """Totals, the costliest cells with a bar each, and the energy of every cell as a sparkline."""
    if not report.records:
        return "jupyter-carbon: no cell has been metered yet in this session."
    t = report.totals
    lines = [f"jupyter-carbon session {report.session_id or ''}".rstrip() + f": {_headline(report)}"]
    parts = ", ".join(f"{n} {format_energy(j)} ({m})" for n, j, m in _component_parts(report))
    lines.append(f"Energy: {format_energy(t.energy_j)}" + (f" = {parts}" if parts else ""))
    if abs(t.facility_energy_j - t.energy_j) > 1e-9:
        pue = t.facility_energy_j / t.energy_j if t.energy_j > 0 else 1.0
        lines.append(f"Facility energy: {format_energy(t.facility_energy_j)} (PUE {pue:.2f})")
    lines.append(_emissions_line(report))
    lines += ["Grid: " + z for z in _zone_lines(report)]
    if report.hardware:
        lines.append("Hardware: " + ", ".join(report.hardware))

    rows = costliest(report.records, top)
    lines += ["", f"Costliest {_cells(len(rows))}:"]
    table = [("cell", "energy", "share", "CO2e", "time", "", "source")]
    peak = rows[0].energy_j if rows else 0.0
    for r in rows:
        bar = "█" * round(r.energy_j / peak * 12) if peak > 0 else ""
        status = "" if r.status == "ok" else f" ({r.status})"
        table.append((
            _cell_label(r), format_energy(r.energy_j), _share(r.energy_j, t.energy_j), format_mass(r.emissions_g),
            format_duration(r.duration_s), bar.ljust(12), _clip(r.source, 48) + status,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  " + "  ".join(cell.ljust(w) if i in (0, 5, 6) else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())

    s = report.chart
    what = "cell" if s.bucket == 1 else f"{s.bucket} cells"
    lines += ["", f"Energy per {what} (cells {s.first_index[0]}–{s.last_index[-1]}):", "  " + report_chart.sparkline(s.energy_j)]
    return "\n".join(lines)


# Markdown -------------------------------------------------------------------------------------
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#&!"})


def _md(text) -> str:
    """Plain text safe anywhere in Markdown, table cells included."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def _md_code(text: str) -> str:
    """A code span for a cell's source, usable inside a table row."""
    text = " ".join(text.split()).replace("|", "\\|")
    if not text:
        return ""
    run = longest = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _write_md(report: Report, write: Write) -> None:
    t = report.totals
    title = f"# Energy and carbon report: session {_md(report.session_id)}" if report.session_id else "# Energy and carbon report"
    out = [title, ""]
    if report.started_at:
        out.append(f"Started {_md(report.started_at)}. Generated by jupyter-carbon {__version__}.")
        out.append("")
    if not report.records:
        out.append("No cell has been metered in this session.")
        write("\n".join(out) + "\n")
        return
    out += [
        f"- **Cells:** {_md(_headline(report))}",
        f"- **Energy:** {format_energy(t.energy_j)} (IT equipment charged to this kernel; "
        f"{format_energy(t.device_energy_j)} machine-wide)",
        f"- **Facility energy:** {format_energy(t.facility_energy_j)}",
        "- **{}:** {}".format(*map(_md, _emissions_line(report).split(": ", 1))),
    ]
    if report.hardware:
        out.append("- **Hardware:** " + ", ".join(_md(h) for h in report.hardware))
    comparison = report.alternative_comparison()
    if comparison:
        grams, percent = comparison
        alt = report.alternative
        out.append(
            f"- **In {_md(alt.get('zone_name') or alt.get('zone') or 'the alternative region')}** "
            f"({alt['g_per_kwh']:.0f} gCO2e/kWh) the same work would have emitted {format_mass(grams)} CO2e "
            f"({abs(percent):.0f}% {'less' if percent >= 0 else 'more'})"
        )
    out += ["", "## Energy by component", "", "| Component | Energy | Share | Method |", "| --- | ---: | ---: | --- |"]
    for name, j, m in _component_parts(report):
        out.append(f"| {name} | {format_energy(j)} | {_share(j, t.energy_j)} | {_md(m)} |")
    out += ["", "## Grid carbon intensity", ""]
    zl = _zone_lines(report)
    out += [f"- {_md(z)}" for z in zl] if zl else ["No grid carbon intensity was available; emissions were not estimated."]
    rows = costliest(report.records, 10)
    out += ["", f"## Costliest cells ({len(rows)} of {t.cells})", ""]
    out += ["| Cell | Source | Energy | Share | CO2e | Time | Status |", "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        out.append(
            f"| {_cell_label(r)} | {_md_code(r.source)} | {format_energy(r.energy_j)} | {_share(r.energy_j, t.energy_j)} "
            f"| {format_mass(r.emissions_g)} | {format_duration(r.duration_s)} | {_md(r.status)} |"
        )
    notes = _method_notes(report)
    if notes:
        out += ["", "## How the numbers were obtained", ""] + [f"- {_md(n)}." for n in notes]
    write("\n".join(out) + "\n")


# HTML -----------------------------------------------------------------------------------------
_CSS = (
    ".jc-report{font-family:system-ui,sans-serif;font-size:13px;color:#222}"
    ".jc-report table{border-collapse:collapse;margin:6px 0 12px}"
    ".jc-report th,.jc-report td{padding:2px 8px;border-bottom:1px solid #e4e4e4;text-align:left}"
    ".jc-report td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".jc-report code{font-size:12px}.jc-report .err{color:#b22}.jc-report .note{color:#666}"
)

_e = html.escape


def _html_totals(report: Report) -> str:
    t = report.totals
    items = [
        ("Cells", _headline(report)),
        ("Energy", f"{format_energy(t.energy_j)} (machine-wide {format_energy(t.device_energy_j)})"),
        ("Facility energy", format_energy(t.facility_energy_j)),
        ("By component", ", ".join(f"{n} {format_energy(j)} ({m})" for n, j, m in _component_parts(report))),
        tuple(_emissions_line(report).split(": ", 1)),
    ]
    items += [("Grid", z) for z in _zone_lines(report)]
    if report.hardware:
        items.append(("Hardware", ", ".join(report.hardware)))
    comparison = report.alternative_comparison()
    if comparison:
        grams, percent = comparison
        alt = report.alternative
        name = alt.get("zone_name") or alt.get("zone") or "the alternative region"
        items.append((
            f"In {name}",
            f"{format_mass(grams)} CO2e at {alt['g_per_kwh']:.0f} gCO2e/kWh ({abs(percent):.0f}% {'less' if percent >= 0 else 'more'})",
        ))  # fmt: skip
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items)
    return f"<table>{rows}</table>"


def _html_costliest(report: Report, top: int) -> str:
    t = report.totals
    head = "<tr><th>Cell</th><th>Source</th><th>Energy</th><th>Share</th><th>CO₂e</th><th>Time</th><th>Status</th></tr>"
    rows = []
    for r in costliest(report.records, top):
        cls = "" if r.status == "ok" else ' class="err"'
        rows.append(
            f"<tr><td>{_e(_cell_label(r))}</td><td><code>{_e(r.source)}</code></td>"
            f'<td class="n">{format_energy(r.energy_j)}</td><td class="n">{_share(r.energy_j, t.energy_j)}</td>'
            f'<td class="n">{format_mass(r.emissions_g)}</td><td class="n">{format_duration(r.duration_s)}</td>'
            f"<td{cls}>{_e(r.status)}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _html_body(report: Report, top: int) -> str:
    """Totals, chart and costliest cells: the notebook summary and the top of the HTML export."""
    if not report.records:
        return '<div class="jc-report"><p>jupyter-carbon: no cell has been metered yet in this session.</p></div>'
    chart = report_chart.svg(report.chart, format_energy, format_mass)
    return (
        f'<div class="jc-report">{_html_totals(report)}{chart}'
        f"<h4>Costliest cells</h4>{_html_costliest(report, top)}</div>"
    )


def _write_html(report: Report, write: Write) -> None:
    """A single self-contained page: inline style and SVG, no script, nothing fetched."""
    title = "Energy and carbon report" + (f": session {report.session_id}" if report.session_id else "")
    write(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_CSS} body{{margin:24px}}</style></head><body>\n<h1 class=\"jc-report\">{_e(title)}</h1>\n"
    )
    if report.started_at:
        write(f'<p class="jc-report note">Started {_e(report.started_at)}; generated by jupyter-carbon {__version__}.</p>\n')
    write(_html_body(report, 10) + "\n")
    if report.records:
        notes = _method_notes(report)
        if notes:
            write('<div class="jc-report"><h2>How the numbers were obtained</h2><ul>')
            write("".join(f"<li>{_e(n)}.</li>" for n in notes) + "</ul></div>\n")
        _write_html_cells(report, write)
    write("</body></html>\n")


def _write_html_cells(report: Report, write: Write) -> None:
    shown = report.records[:HTML_ROW_LIMIT]
    write('<div class="jc-report"><h2>All cells</h2>')
    if len(shown) < len(report.records):
        write(
            f'<p class="note">The first {len(shown)} of {len(report.records)} cells; '
            "the JSON and CSV exports hold every cell.</p>"
        )
    comps = report.components
    head = "".join(f"<th>{_e(COMPONENT_NAMES.get(c, c))}</th>" for c in comps)
    write(
        "<table><tr><th>Cell</th><th>Source</th><th>Status</th><th>Time</th><th>Energy</th>"
        f"{head}<th>CO₂e</th><th>Zone</th></tr>\n"
    )
    for r in shown:
        cls = "" if r.status == "ok" else ' class="err"'
        parts = "".join(f'<td class="n">{format_energy(r.by_component.get(c, 0.0))}</td>' for c in comps)
        zone = (r.intensity or {}).get("zone") or ""
        write(
            f"<tr><td>{_e(_cell_label(r))}</td><td><code>{_e(r.source)}</code></td><td{cls}>{_e(r.status)}</td>"
            f'<td class="n">{format_duration(r.duration_s)}</td><td class="n">{format_energy(r.energy_j)}</td>'
            f'{parts}<td class="n">{format_mass(r.emissions_g)}</td><td>{_e(str(zone))}</td></tr>\n'
        )
    write("</table></div>\n")


# LaTeX ----------------------------------------------------------------------------------------
_TEX_SPECIAL = str.maketrans({
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
})  # fmt: skip


def tex_escape(text) -> str:
    """User text safe in a LaTeX paragraph."""
    return str(text).translate(_TEX_SPECIAL)


def _tex_mass(grams: float) -> str:
    return format_mass(grams) + "CO$_2$e"


def _tex_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _write_latex(report: Report, write: Write) -> None:
    """A paragraph for a paper's experiments section, in the manner of the ML CO2 Impact calculator."""
    write(latex_paragraph(report) + "\n")


def latex_paragraph(report: Report) -> str:
    t, f = report.totals, report.facts
    tool = f"jupyter-carbon {__version__}"
    if not report.records:
        return (
            "No computation was metered in this Jupyter session, so no energy use or emissions can be reported "
            f"(jupyter-carbon {__version__})."
        )
    where = ""
    hardware = _tex_list([rf"\emph{{{tex_escape(h)}}}" for h in report.hardware])
    if len(f.zones) == 1:
        z = f.zones[0]
        g = f"{'an average' if z.varied else 'a'} carbon intensity of {z.g_per_kwh:.0f} gCO$_2$e/kWh"
        src = f" ({tex_escape(', '.join(z.sources))})" if z.sources else ""
        where = rf" located in \emph{{{tex_escape(z.zone_name or z.zone or 'an unnamed zone')}}}, whose grid has {g}{src}"
    elif len(f.zones) > 1:
        names = _tex_list([tex_escape(z.zone_name or z.zone or "an unnamed zone") for z in f.zones])
        where = f" in several grid zones ({names}), each cell priced at its own zone's carbon intensity"
    sentences = [
        "Experiments were conducted in a Jupyter session" + (f" on {hardware}" if hardware else "") + where + "."
    ]
    hours = t.duration_s / 3600
    energy = f"{format_energy(t.energy_j)}"
    if abs(t.facility_energy_j - t.energy_j) > 1e-9 and t.energy_j > 0:
        energy += f" ({format_energy(t.facility_energy_j)} at the facility, with a PUE of {t.facility_energy_j / t.energy_j:.2f})"
    s = f"A cumulative of {_num(hours)} hours of computation used {energy}"
    if f.zones:
        s += f", emitting an estimated {_tex_mass(t.emissions_g)}"
        if f.unpriced:
            s += f" for the {t.cells - f.unpriced} of {t.cells} cells whose grid intensity was known"
    else:
        s += "; emissions were not estimated, no grid carbon intensity being available"
    sentences.append(s + ".")
    comparison = report.alternative_comparison()
    if comparison:
        grams, percent = comparison
        alt = report.alternative
        name = tex_escape(alt.get("zone_name") or alt.get("zone") or "a cleaner region")
        src = " ".join(str(x) for x in (alt.get("source"), alt.get("year")) if x)
        src = f", {tex_escape(src)}" if src else ""
        more = "less" if percent >= 0 else "more"
        sentences.append(
            rf"Had it run in \emph{{{name}}} ({float(alt['g_per_kwh']):.0f} gCO$_2$e/kWh{src}), "
            rf"it would have emitted {_tex_mass(grams)} ({abs(percent):.0f}\% {more})."
        )
    by_method: dict[str, list[str]] = {}
    for c in report.components:
        m = t.method.get(c)
        if m:
            by_method.setdefault(m, []).append(COMPONENT_NAMES.get(c, c))
    how = [f"{METHOD_TEXT.get(m, m)} for the {_tex_list(cs)}" for m, cs in by_method.items()]
    sentences.append(
        f"Estimations were made with {tool}" + (f"; energy was {_tex_list(how)}" if how else "") + "."
    )
    return " ".join(sentences)


_WRITERS: dict[str, Callable[[Report, Write], None]] = {
    "json": _write_json,
    "csv": _write_csv,
    "md": _write_md,
    "html": _write_html,
    "latex": _write_latex,
}


# the notebook view ----------------------------------------------------------------------------
class Summary:
    """A session summary that shows itself: HTML with a chart in a notebook, text in a terminal."""

    def __init__(self, report: Report, top: int = 10):
        self.report = report
        self.top = top

    def _repr_html_(self) -> str:
        return f"<style>{_CSS}</style>" + _html_body(self.report, self.top)

    def __repr__(self) -> str:
        return summary_text(self.report, self.top)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(summary_text(self.report, self.top))
