"""Sentences and labels every report format shares, so each says the same thing.

Plain text here; each format escapes it by its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import bounds
from ..cluster.base import CHARGED
from ..units import format_duration, format_energy, format_mass, format_range, plural
from .model import Report, source_with_year

METHOD_TEXT = {
    "measured": "measured by a hardware energy counter",
    "integrated": "integrated from hardware power readings",
    "estimated": "estimated from a power model (rated power and utilisation)",
}
COMPONENT_NAMES = {"gpu": "GPU", "cpu": "CPU", "memory": "memory"}


def title(report: Report) -> str:
    """"Energy and carbon report: train.ipynb (session ...)", naming what is known."""
    named = ", ".join(report.notebooks)
    session = f"session {report.session_id}" if report.session_id else ""
    if named and session:
        return f"Energy and carbon report: {named} ({session})"
    return "Energy and carbon report" + (f": {named or session}" if named or session else "")


def energy_range(figures) -> str:
    """A record's or the totals' energy with its bounds, ``≈`` where estimated."""
    return format_range(figures.energy_j, bounds.of(figures, "energy_j"), "energy", estimate=bounds.estimated(bounds.method_of(figures)))


def mass_range(figures) -> str:
    """Likewise the emissions (``n/a`` where not priced)."""
    return format_range(figures.emissions_g, bounds.of(figures, "emissions_g"), "mass", estimate=bounds.estimated(bounds.method_of(figures)))


def share(part: float, whole: float) -> str:
    return f"{part / whole * 100:.0f}%" if whole > 0 else "–"


def headline(report: Report) -> str:
    t = report.totals
    failed = f" ({t.errors} failed)" if t.errors else ""
    return f"{plural(t.cells, 'cell')}{failed}, {format_duration(t.duration_s)} of running time"


def between_cells(report: Report) -> str | None:
    """``cells 12 Wh · between cells 40 Wh (GPU 38 Wh, memory 2 Wh) over 3 h, 9 g CO2e``: what
    the kernel drew between cells (a held GPU above all), apart from the cells; None if nothing."""
    t = report.totals
    if not t.idle_spans:
        return None
    parts = ", ".join(f"{COMPONENT_NAMES.get(c, c)} {format_energy(j)}" for c, j in t.idle_by_component.items() if j > 0)
    emitted = f", {format_mass(t.idle_emissions_g)} CO2e" if t.idle_emissions_g else ""
    return (
        f"cells {format_energy(t.energy_j)} · between cells {format_energy(t.idle_energy_j)}"
        f"{f' ({parts})' if parts else ''} over {format_duration(t.idle_duration_s)}{emitted}"
    )


def cluster_summary(report: Report) -> str | None:
    """``12 Wh on 8 workers (3 hosts) in 2 zones (FR, PL) over 4 cells, 3 g CO2e``, shown after a
    "Cluster" label: the work cells sent to a cluster, apart from the kernel's figures; None
    if none did."""
    t = report.totals
    if not t.cluster_cells:
        return None
    parts = [r.cluster for r in report.records if r.cluster]
    charged = [w for p in parts for w in p.get("workers", []) if w.get("status") in CHARGED]
    workers, hosts = {w.get("node") for w in charged}, {w.get("host") for w in charged}
    zones = sorted({z for p in parts for z in p.get("zones", [])})
    incomplete = sum(not p.get("complete", True) for p in parts)
    where = f" in {plural(len(zones), 'zone')} ({', '.join(zones)})" if zones else ""
    missing = f"; incomplete in {plural(incomplete, 'cell')}" if incomplete else ""
    return (
        f"{format_energy(t.cluster_energy_j)} on {plural(len(workers), 'worker')} ({plural(len(hosts), 'host')})"
        f"{where} over {plural(t.cluster_cells, 'cell')}, {format_mass(t.cluster_emissions_g)} CO2e{missing}"
    )


def component_parts(report: Report) -> list[tuple[str, float, str]]:
    """(name, joules, method) per component, the method the weakest any cell used."""
    t = report.totals
    return [(COMPONENT_NAMES.get(c, c), t.by_component[c], t.method.get(c, "")) for c in report.components]


def emissions_line(report: Report) -> str:
    t, f = report.totals, report.facts
    if not f.zones:
        return "Emissions: not estimated (no grid carbon intensity was available)"
    line = f"Emissions: {mass_range(t)} CO2e"
    if f.unpriced:
        line += f" ({plural(f.unpriced, 'cell')} without an intensity not counted)"
    return line


def zone_lines(report: Report) -> list[str]:
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
            bits.append(plural(z.cells, 'cell'))
        lines.append("; ".join(bits))
    return lines


def method_notes(report: Report) -> list[str]:
    notes = []
    for c in report.components:
        ms = report.facts.methods.get(c) or {report.totals.method.get(c, ""): None}
        texts = [METHOD_TEXT.get(m, m) for m in ms if m]
        if texts:
            name = COMPONENT_NAMES.get(c, c)
            notes.append(f"{name[:1].upper()}{name[1:]} energy {' or '.join(texts)}")
    return notes


@dataclass(frozen=True)
class Alternative:
    """The same priced work in a cleaner region, as every format words it."""

    name: str | None
    """The region's name (or key); None if the report's alternative names neither."""
    g_per_kwh: float
    grams: float
    percent: float
    """How much less (or more) than the actual emissions, as a positive number."""
    direction: str
    """``less`` or ``more``."""
    source: str
    """``"source year"`` of the region's intensity, or empty."""


def alternative(report: Report) -> Alternative | None:
    """The report's cleaner-region comparison, or None without one (see
    :meth:`Report.alternative_comparison`)."""
    comparison = report.alternative_comparison()
    if comparison is None:
        return None
    grams, percent = comparison
    alt = report.alternative
    source = source_with_year(alt.get("source"), alt.get("year"))
    return Alternative(
        alt.get("zone_name") or alt.get("zone"), float(alt["g_per_kwh"]), grams, abs(percent),
        "less" if percent >= 0 else "more", source,
    )  # fmt: skip
