"""The plain-text summary: totals, the costliest cells with a bar each, a sparkline."""

from __future__ import annotations

from ..records import cell_total
from ..units import cell_label, clip, format_duration, format_energy, format_mass, plural
from . import chart
from .model import Report
from .prose import between_cells, cluster_summary, embodied_note, emissions_line, energy_line, footprint_line, headline, sci_line, share, zone_lines


def summary_text(report: Report, top: int = 10) -> str:
    """Totals, the costliest cells with a bar each, and the energy of every cell as a sparkline."""
    if not report.records:
        return report.empty_text()
    t = report.totals
    lines = [f"jupyter-carbon session {report.session_id or ''}".rstrip() + f": {headline(report)}"]
    if report.ledger:
        lines.append(f"Read from: {report.ledger}" + (f" (started {report.started_at})" if report.started_at else ""))
    if report.notebooks:
        lines.append("Notebook: " + ", ".join(report.notebooks))
    lines.append(energy_line(report))
    split = between_cells(report)
    if split:
        lines.append(f"Session energy: {split}")
    cluster = cluster_summary(report)
    if cluster:
        lines.append(f"Cluster: {cluster}")
    facility = t.facility_energy_j + t.cluster_facility_energy_j
    if abs(facility - t.total_energy_j) > 1e-9:
        pue = facility / t.total_energy_j if t.total_energy_j > 0 else 1.0
        lines.append(f"Facility energy: {format_energy(facility)} (PUE {pue:.2f})")
    lines.append(emissions_line(report))
    lines += [f"Footprint: {line}" for line in (footprint_line(report),) if line]
    lines += [line for line in (sci_line(report),) if line] + [f"{note}." for note in (embodied_note(report),) if note]
    lines += ["Grid: " + z for z in zone_lines(report)]
    if report.hardware:
        lines.append("Hardware: " + ", ".join(report.hardware))

    rows = report.costliest(top)
    lines += ["", f"Costliest {plural(len(rows), 'cell')}:"]
    table = [("cell", "energy", "share", "CO2e", "time", "", "source")]
    peak = cell_total(rows[0]).energy_j if rows else 0.0
    for r in rows:
        total = cell_total(r)
        bar = "█" * round(total.energy_j / peak * 12) if peak > 0 else ""
        status = "" if r.status == "ok" else f" ({r.status})"
        table.append((
            cell_label(r), format_energy(total.energy_j), share(total.energy_j, t.total_energy_j), format_mass(total.emissions_g),
            format_duration(r.duration_s), bar.ljust(12), clip(r.source, 48) + status,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  " + "  ".join(cell.ljust(w) if i in (0, 5, 6) else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())

    s = report.chart
    what = "cell" if s.bucket == 1 else f"{s.bucket} cells"
    lines += ["", f"Energy per {what} ({s.first_label[0]} – {s.last_label[-1]}):", "  " + chart.sparkline(s.energy_j)]
    return "\n".join(lines)


