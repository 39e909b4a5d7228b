"""Sentences and labels every report format shares, so each says the same thing.

Plain text here; each format escapes it by its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import bounds
from ..cluster.base import CHARGED
from ..records import cell_total, cluster_work
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


def cell_total_texts(r) -> tuple[str, str]:
    """A cell's total energy and emissions as a report's table shows them: with the kernel's
    bounds where the kernel's part is all there is, the plain total where a cluster adds to it."""
    if not cluster_work(r.cluster):
        return energy_range(r), mass_range(r)
    total = cell_total(r)
    return format_energy(total.energy_j), format_mass(total.emissions_g)


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
        f"cells {format_energy(t.total_energy_j)} · between cells {format_energy(t.idle_energy_j)}"
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
    if t.cluster_cells:
        line = f"Emissions: {format_mass(t.total_emissions_g)} CO2e = kernel {mass_range(t)} + cluster {format_mass(t.cluster_emissions_g)}"
    else:
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


#: The parts of a session's footprint, in the order every view shows them: the cells' total
#: (kernel and cluster, operational), then the session's other named parts.
FOOTPRINT_PARTS = (
    ("kernel", "the kernel's cells (operational)"),
    ("cluster", "the cells' cluster work (operational)"),
    ("idle", "between cells (idle)"),
    ("embodied", "embodied (hardware manufacturing)"),
)


def footprint_parts(report: Report) -> list[tuple[str, str, float]]:
    """(key, label, grams) per part of the session's footprint that holds anything."""
    t = report.totals
    grams = {"kernel": t.emissions_g, "cluster": t.cluster_emissions_g, "idle": t.idle_emissions_g, "embodied": t.embodied_g}
    return [(k, label, grams[k]) for k, label in FOOTPRINT_PARTS if grams[k] > 0]


def energy_line(report: Report) -> str:
    """``Energy: 11 mWh = kernel 0.13 mWh (CPU ...) + cluster 10 mWh``: the cells' total first."""
    t = report.totals
    parts = ", ".join(f"{n} {format_energy(j)} ({m})" for n, j, m in component_parts(report))
    if not t.cluster_cells:
        return f"Energy: {energy_range(t)}" + (f" = {parts}" if parts else "")
    kernel = f"kernel {energy_range(t)}" + (f" ({parts})" if parts else "")
    return f"Energy: {format_energy(t.total_energy_j)} = {kernel} + cluster {format_energy(t.cluster_energy_j)}"


def footprint_line(report: Report) -> str | None:
    """``Footprint: 3.1 g CO2e = cells 2.0 g (kernel 0.5 g + cluster 1.5 g) + between cells
    0.6 g + embodied 0.5 g (0.3–1.4 g)``: the whole session; None when the cells' total is
    all there is (no idle span, no embodied part)."""
    t = report.totals
    if not (t.idle_emissions_g or t.embodied_g):
        return None
    cells = f"cells {format_mass(t.total_emissions_g)}"
    if t.cluster_cells:
        cells += f" (kernel {format_mass(t.emissions_g)} + cluster {format_mass(t.cluster_emissions_g)})"
    line = f"{format_mass(t.footprint_g)} CO2e = {cells}"
    if t.idle_emissions_g:
        line += f" + between cells {format_mass(t.idle_emissions_g)}"
    if t.embodied_g:
        line += (f" + embodied {format_mass(t.embodied_g)} "
                 f"({format_mass(t.embodied_low_g)} to {format_mass(t.embodied_high_g)}, hardware manufacturing)")  # fmt: skip
    return line


def embodied_note(report: Report) -> str | None:
    """Where the embodied figure comes from and what it leaves out; None without one."""
    lifetimes = {r.embodied.get("lifetime_years") for r in report.records if r.embodied}
    if not lifetimes:
        return None
    years = ", ".join(f"{y:g}" for y in sorted(y for y in lifetimes if y))
    return (
        "Embodied emissions: the manufacturing of the GPUs the kernel held (whole) and of the CPU and memory "
        f"(by its share of their use), spread over a {years}-year lifetime; Green Algorithms v3's embodied model "
        "(CC BY 4.0); the bounds run from a 6-year lifetime to a cloud server's 3 years at half use. "
        "The server's chassis, motherboard and power supply and the cluster's workers are not counted"
    )


def sci_line(report: Report) -> str | None:
    """``SCI: 2.1 µg CO2e per unit (R = 30000 samples over 3 cells)``; None without one R."""
    t = report.totals
    if t.sci_g is None:
        return "SCI: not given (the cells declared different functional units)" if t.units_mixed else None
    return (
        f"SCI: {format_mass(t.sci_g)} CO2e per unit (R = {t.unit_quantity:g} {t.unit}): (E × I + M) / R over the "
        "cells' energy (kernel and cluster), the idle spans and the embodied part (ISO/IEC 21031:2024)"
    )
