"""The report model: a session's records gathered once, with what every view needs.

A :class:`Report` is built from a live session (:meth:`Report.from_session`), from a ledger
read back from disk (:meth:`Report.from_ledger`), or by ``jupyter carbon run``. Its
:attr:`Report.facts` are computed in one pass over the records, so a 10,000-cell session
summarises and exports in a fraction of a second.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from ..carbon.intensity import JOULES_PER_KWH, grams_for
from ..energy.base import COMPONENTS, METHOD_RANK
from ..ledger import LedgerContents
from ..records import CellRecord, IdleSpan, Totals
from ..sums import CellTotal, cell_total
from . import chart


class NotALedger(LookupError):
    """A file read as a ledger holds neither a session header nor a single record."""


Write = Callable[[str], object]
"""Where a format writer sends its text, piece by piece."""


@dataclass
class ZoneShare:
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
        kwh = self.facility_energy_j / JOULES_PER_KWH
        if kwh > 0:
            return self.emissions_g / kwh
        return self.g_min if math.isfinite(self.g_min) else 0.0

    @property
    def varied(self) -> bool:
        return self.g_max - self.g_min > 1e-9


@dataclass
class Facts:
    """What every view needs beyond the totals, gathered in one pass over the records."""

    zones: list[ZoneShare]
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
    idle_spans: list[IdleSpan] = field(default_factory=list)
    """Energy between cells, in the totals' ``idle_*`` figures and shown apart from the cells."""
    ledger: str | None = None
    """The file a saved session was read from (None for a live session): the views name it."""

    @classmethod
    def from_session(cls, session, *, hardware: Iterable[str] = (), alternative: dict | None = None) -> "Report":
        """A snapshot of a live session: later cells do not change this report."""
        records, idle = list(session.records), list(getattr(session, "idle_spans", ()))
        totals = session.totals
        if totals.cells != len(records) or totals.idle_spans != len(idle):  # one ended between the reads
            totals = totals_of(records, idle)
        else:
            totals = Totals.from_dict(totals.to_dict())  # a copy: the session's goes on counting
        return cls(records, totals, session.session_id, session.started_at, list(hardware), alternative, idle)

    @classmethod
    def from_ledger(
        cls, contents: LedgerContents, *, hardware: Iterable[str] = (), alternative: dict | None = None
    ) -> "Report":
        """A session read back from its ledger file (see :func:`jupyter_carbon.ledger.read_ledger`).
        Raises NotALedger for a file with no session header and no record in it: reporting
        it as an empty session would hide that the wrong file was named."""
        records = contents.records
        check_ledger(contents.path, contents.header, bool(records or contents.idle_spans), contents.skipped)
        session_id, started_at, hardware = ledger_session(contents.header, records[0] if records else None, hardware)
        return cls(
            records, contents.totals, session_id, started_at, hardware, alternative, list(contents.idle_spans),
            ledger=str(contents.path),
        )

    def empty_text(self) -> str:
        """What a report of no cell says: which session it is, when it was read from disk."""
        if self.ledger is None:
            return "jupyter-carbon: no cell has been metered yet in this session."
        started = f", started {self.started_at}" if self.started_at else ""
        return f"jupyter-carbon: session {self.session_id or '(no id)'}{started} recorded no cell ({self.ledger})."

    @cached_property
    def facts(self) -> Facts:
        zones: dict[str | None, ZoneShare] = {}
        unpriced = 0
        priced_j = 0.0
        methods: dict[str, dict[str, None]] = {}
        # Consecutive cells mostly share one intensity and one methods dict (the session
        # makes them once, read_ledger keeps one copy): what they say is gathered once.
        last_method = last_intensity = None
        for r in self.records:
            if r.method is not last_method:
                last_method = r.method
                for c, m in r.method.items():
                    methods.setdefault(c, {})[m] = None
            if r.emissions_g is None:
                unpriced += 1
                continue
            it = r.intensity or {}
            key = it.get("zone")
            z = zones.get(key)
            if z is None:
                z = zones[key] = ZoneShare(key, it.get("zone_name"))
            z.cells += 1
            z.facility_energy_j += r.facility_energy_j
            z.emissions_g += r.emissions_g
            priced_j += r.facility_energy_j
            if it is last_intensity:
                continue
            last_intensity = it
            g = it.get("g_per_kwh")
            if isinstance(g, (int, float)):
                z.g_min = min(z.g_min, g)
                z.g_max = max(z.g_max, g)
            src = source_with_year(it.get("source"), it.get("year"))
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
    def cell_totals(self) -> list[CellTotal]:
        """Each record's total (kernel and cluster), computed once for every view of the report."""
        return [cell_total(r) for r in self.records]

    def costliest(self, n: int) -> list[CellRecord]:
        """The n cells whose total used the most energy, costliest first (the first of equals
        first, as :func:`~jupyter_carbon.records.costliest` orders them)."""
        energies = [t.energy_j for t in self.cell_totals]
        return [self.records[i] for i in heapq.nlargest(n, range(len(energies)), key=energies.__getitem__)]

    @cached_property
    def chart(self) -> chart.Series:
        return chart.series(self.records, self.cell_totals)

    @cached_property
    def notebooks(self) -> list[str]:
        """The notebooks the cells belong to, in order of first appearance (empty if unknown)."""
        return list(dict.fromkeys(r.notebook for r in self.records if r.notebook))

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
        grams = grams_for(self.facts.priced_facility_energy_j, float(alt["g_per_kwh"]))
        actual = self.totals.emissions_g
        percent = (actual - grams) / actual * 100 if actual > 0 else 0.0
        return grams, percent


def source_with_year(source, year) -> str:
    """``"Ember yearly average (CC BY 4.0) 2024"``, or the source alone when it already names
    the year (``"Ember 2024 yearly average"``): the year is said once."""
    source = str(source) if source else ""
    if not year or str(year) in source:
        return source
    return f"{source} {year}".strip()


def check_ledger(path, header: dict, any_record: bool, skipped) -> None:
    """NotALedger for a file with no session header and no record in it: reporting it as an
    empty session would hide that the wrong file was named."""
    if not header and not any_record:
        unread = f" ({len(skipped)} unreadable lines)" if skipped else " (it is empty)"
        raise NotALedger(f"{path} is not a ledger: no session header and no cell record in it{unread}")


def ledger_session(header: dict | None, first: CellRecord | None, hardware: Iterable[str] = ()) -> tuple:
    """(session id, start, hardware) of a ledger from its header, else its first record; the
    hardware the header names (what the session ran on), else ``hardware``."""
    texts = {k: v for k, v in (header or {}).items() if isinstance(v, str)}  # a hand-edited header may hold anything
    session_id = texts.get("session_id") or (first.session_id if first else None)
    started_at = texts.get("started_at") or (first.started_at if first else None)
    recorded = (header or {}).get("hardware")
    if isinstance(recorded, list) and recorded and all(isinstance(h, str) for h in recorded):
        hardware = recorded  # what the session ran on, not the machine reading it now
    return session_id, started_at, list(hardware)


def totals_of(records: Iterable[CellRecord], idle_spans: Iterable[IdleSpan] = ()) -> Totals:
    totals = Totals()
    for r in records:
        totals.add(r)
    for span in idle_spans:
        totals.add_idle(span)
    return totals


