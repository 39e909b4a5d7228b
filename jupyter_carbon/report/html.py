"""HTML: a self-contained page (inline style and SVG, no script), and the notebook summary."""

from __future__ import annotations

import html

from .._version import __version__
from ..records import cell_total
from ..units import cell_label, format_duration, format_energy, format_mass
from . import chart
from .model import Report, Write
from .prose import title as prose_title
from .prose import (
    COMPONENT_NAMES, alternative, cell_total_texts, between_cells, cluster_summary, component_parts, embodied_note, emissions_line, footprint_line,
    energy_line, footprint_parts, headline, method_notes, sci_line, share, zone_lines,
)  # fmt: skip

HTML_ROW_LIMIT = 1000
"""Rows of the all-cells table in an HTML report; the JSON and CSV exports hold every cell."""

CSS = (
    ".jc-report{font-family:system-ui,sans-serif;font-size:13px;color:#222;max-width:100%;overflow-x:auto}"
    # In a narrow pane the chart scales down with its labels (it has a viewBox) rather than being cut.
    ".jc-report svg{max-width:100%;height:auto}"
    ".jc-report table{border-collapse:collapse;margin:6px 0 12px}"
    ".jc-report th,.jc-report td{padding:2px 8px;border-bottom:1px solid #e4e4e4;text-align:left}"
    ".jc-report td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "h1.jc-report{font-size:22px;margin:0 0 8px}.jc-report h2{font-size:17px}.jc-report h4{font-size:14px}"
    ".jc-report code{font-size:12px}.jc-report .err{color:#b22}.jc-report .note{color:#666}"
    # Long words (a path, a session id) break rather than widen the box.
    ".jc-report td{overflow-wrap:anywhere}"
    # In a narrow box (a notebook in half a window) the costliest cells' table, seven columns
    # whose figures must not wrap, cannot fit: each row becomes a block of labelled figures.
    "div.jc-report{container-type:inline-size}"
    "@container (max-width:600px){"
    ".jc-report table.jc-cells,.jc-report .jc-cells tbody,.jc-report .jc-cells tr{display:block}"
    ".jc-report .jc-cells tr:first-child{display:none}"
    ".jc-report .jc-cells tr{padding:3px 0;border-bottom:1px solid #e4e4e4;text-align:left}"
    ".jc-report .jc-cells td{display:inline-block;border:0;padding:0 10px 0 0;text-align:left!important}"
    ".jc-report .jc-cells td.src{display:block}"
    ".jc-report .jc-cells td[data-label]::before{content:attr(data-label) ' ';color:#666}"
    "}"
)

_e = html.escape

# Inline, because Jupyter right-aligns every table cell of an output with a rule
# (``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``) that outranks any class rule here:
# labels and source read from the left, numbers line up on the right.
_LEFT = ' style="text-align:left"'
_NUMBER = ' class="n" style="text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap"'


def _th(text: str, *, number: bool = False) -> str:
    return f"<th{_NUMBER if number else _LEFT}>{text}</th>"


def _td(text: str, *, number: bool = False, attrs: str = "", label: str = "") -> str:
    """A cell; ``label`` names its column where a narrow box shows the row as a block."""
    named = f' data-label="{_e(label)}"' if label else ""
    return f"<td{_NUMBER if number else _LEFT}{named}{attrs}>{text}</td>"


def _status_td(status: str) -> str:
    return _td(_e(status), attrs="" if status == "ok" else ' class="err"')


def _html_totals(report: Report) -> str:
    t = report.totals
    items = [
        ("Cells", headline(report)),
        ("Energy", energy_line(report).split(": ", 1)[1] + f" (the kernel's machine-wide {format_energy(t.device_energy_j)})"),
        ("Facility energy", format_energy(t.facility_energy_j + t.cluster_facility_energy_j)),
        *([("Session energy", between_cells(report))] if t.idle_spans else []),
        *([("Cluster", cluster_summary(report))] if t.cluster_cells else []),
        ("By component", ", ".join(f"{n} {format_energy(j)} ({m})" for n, j, m in component_parts(report))),
        tuple(emissions_line(report).split(": ", 1)),
        *([("Footprint", footprint_line(report))] if footprint_line(report) else []),
        *([tuple(sci_line(report).split(": ", 1))] if sci_line(report) else []),
    ]
    items += [("Grid", z) for z in zone_lines(report)]
    if report.ledger:
        items.append(("Read from", f"{report.ledger} (session {report.session_id}, started {report.started_at})"))
    if report.hardware:
        items.append(("Hardware", ", ".join(report.hardware)))
    alt = alternative(report)
    if alt:
        items.append((
            f"In {alt.name or 'the alternative region'}",
            f"{format_mass(alt.grams)} CO2e at {alt.g_per_kwh:.0f} gCO2e/kWh ({alt.percent:.0f}% {alt.direction})",
        ))  # fmt: skip
    rows = "".join(f"<tr>{_th(_e(k))}{_td(_e(v))}</tr>" for k, v in items)
    return f"<table>{rows}</table>"


FIGURE_COLUMNS = ("Energy", "Share", "CO₂e", "Time")
_SOURCE = ' class="src"'


def _html_costliest(report: Report, top: int) -> str:
    t = report.totals
    head = f"<tr>{_th('Cell')}{_th('Source')}{''.join(_th(c, number=True) for c in FIGURE_COLUMNS)}{_th('Status')}</tr>"
    rows = []
    for r in report.costliest(top):
        total = cell_total(r)
        energy, mass = cell_total_texts(r)
        figures = (energy, share(total.energy_j, t.total_energy_j), mass, format_duration(r.duration_s))
        rows.append(
            f"<tr>{_td(_e(cell_label(r)))}{_td(f'<code>{_e(r.source)}</code>', attrs=_SOURCE)}"
            + "".join(_td(_e(f), number=True, label=c) for c, f in zip(FIGURE_COLUMNS, figures))
            + f"{_status_td(r.status)}</tr>"
        )
    return f'<table class="jc-cells">{head}{"".join(rows)}</table>'


def _split(report: Report) -> str:
    """The footprint's parts as one stacked bar, under a heading; "" with a single part."""
    bar = chart.split_svg(footprint_parts(report), format_mass)
    return f"<h4>Footprint by part</h4>{bar}" if bar else ""


def body_html(report: Report, top: int) -> str:
    """Totals, chart and costliest cells: the notebook summary and the top of the HTML export."""
    if not report.records:
        return f'<div class="jc-report"><p>{_e(report.empty_text())}</p></div>'
    svg = chart.svg(report.chart, format_energy, format_mass)
    return (
        f'<div class="jc-report">{_html_totals(report)}{_split(report)}{svg}'
        f"<h4>Costliest cells</h4>{_html_costliest(report, top)}</div>"
    )


def write_html(report: Report, write: Write) -> None:
    """A single self-contained page: inline style and SVG, no script, nothing fetched."""
    title = prose_title(report)
    write(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{CSS} body{{margin:24px}}</style></head><body>\n<h1 class=\"jc-report\">{_e(title)}</h1>\n"
    )
    if report.started_at:
        write(f'<p class="jc-report note">Started {_e(report.started_at)}; generated by jupyter-carbon {__version__}.</p>\n')
    write(body_html(report, 10) + "\n")
    if report.records:
        notes = method_notes(report) + [n for n in (embodied_note(report),) if n]
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
    head = "".join(_th(_e(COMPONENT_NAMES.get(c, c)), number=True) for c in comps)
    write(
        f"<table><tr>{_th('Cell')}{_th('Source')}{_th('Status')}{_th('Time', number=True)}{_th('Energy', number=True)}"
        f"{head}{_th('CO₂e', number=True)}{_th('Zone')}</tr>\n"
    )
    for r in shown:
        total = cell_total(r)
        figures = (
            format_duration(r.duration_s), format_energy(total.energy_j),
            *(format_energy(r.by_component.get(c, 0.0)) for c in comps), format_mass(total.emissions_g),
        )  # fmt: skip
        zone = (r.intensity or {}).get("zone") or ""
        write(
            f"<tr>{_td(_e(cell_label(r)))}{_td(f'<code>{_e(r.source)}</code>')}{_status_td(r.status)}"
            + "".join(_td(_e(f), number=True) for f in figures)
            + f"{_td(_e(str(zone)))}</tr>\n"
        )
    write("</table></div>\n")
