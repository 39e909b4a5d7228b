"""The charts of a session: energy per cell (its total, kernel and cluster) as bars, cumulative
emissions as a line; and the split of its footprint into its parts as one stacked bar.

Computed in one pass over the records. A long session is bucketed to at most
:data:`MAX_BARS` bars (each bar the energy of consecutive cells), so the SVG stays a few
tens of kilobytes whether the session ran 40 cells or 40,000. Plain SVG with inline
styles, meant to sit inside HTML (so it carries no XML namespace): it renders in a
notebook, in a saved HTML file and offline, with no script.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..records import cell_total
from ..units import cell_label

MAX_BARS = 200
SPARK = "▁▂▃▄▅▆▇█"


@dataclass
class Series:
    """Bars of energy per bucket of cells and the cumulative emissions at each bucket's end."""

    bucket: int
    """Cells per bar (1 unless the session is long)."""
    first_label: list[str]
    last_label: list[str]
    """Each bar's first and last cell, as every view names a cell (``[3] cell 6``)."""
    energy_j: list[float]
    cumulative_g: list[float]
    errors: list[int]
    priced: bool
    """Whether any cell had emissions; without any, no line is drawn."""


def series(records: Sequence, totals: Sequence | None = None, max_bars: int = MAX_BARS) -> Series:
    """The bars and line of ``records``; ``totals``: each one's :func:`cell_total`, where known."""
    n = len(records)
    totals = [cell_total(r) for r in records] if totals is None else totals
    bucket = max(1, -(-n // max_bars))
    first, last, energy, cumulative, errors = [], [], [], [], []
    running = 0.0
    priced = False
    for start in range(0, n, bucket):
        chunk = records[start : start + bucket]
        e = 0.0
        bad = 0
        for r, total in zip(chunk, totals[start : start + bucket]):  # kernel and cluster
            e += total.energy_j
            if total.emissions_g is not None:
                running += total.emissions_g
                priced = True
            bad += r.status != "ok"
        first.append(cell_label(chunk[0]))
        last.append(cell_label(chunk[-1]))
        energy.append(e)
        cumulative.append(running)
        errors.append(bad)
    return Series(bucket, first, last, energy, cumulative, errors, priced)


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """Values squeezed into ``width`` block characters, each the sum of its share of values."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    sums = [sum(values[i : i + step]) for i in range(0, len(values), step)]
    top = max(sums)
    if top <= 0:
        return SPARK[0] * len(sums)
    last = len(SPARK) - 1
    return "".join(SPARK[min(last, int(v / top * last + 0.5))] for v in sums)


def svg(
    s: Series,
    format_energy: Callable[[float], str],
    format_mass: Callable[[float | None], str],
    width: int = 720,
    height: int = 240,
) -> str:
    """An inline SVG: bars on the left axis (energy), a line on the right axis (CO2e). Each
    axis's margin holds its label whole (a long one, "0.0059 mg CO₂e", is not cut at the edge)."""
    n = len(s.energy_j)
    emax = max(s.energy_j, default=0.0) or 1.0
    gmax = s.cumulative_g[-1] if s.cumulative_g and s.cumulative_g[-1] > 0 else 1.0
    left_label, right_label = format_energy(emax), format_mass(gmax) + " CO₂e"
    left = max(70, _room(left_label))
    right = max(84, _room(right_label)) if s.priced else 16
    top, bottom = 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(n, 1)
    bar_w = max(slot * 0.8, 0.5)
    what = "cell" if s.bucket == 1 else f"{s.bucket} cells"
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Energy per {what} and cumulative emissions" '
        'style="font: 11px sans-serif; max-width: 100%">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#ccc"/>',
    ]
    for i, e in enumerate(s.energy_j):
        h = e / emax * plot_h
        x = left + i * slot + (slot - bar_w) / 2
        cells = s.first_label[i] if s.first_label[i] == s.last_label[i] else f"{s.first_label[i]} – {s.last_label[i]}"
        note = f", {s.errors[i]} failed" if s.errors[i] else ""
        colour = "#e45756" if s.errors[i] else "#4c78a8"
        parts.append(
            f'<rect x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{bar_w:.2f}" height="{h:.2f}" fill="{colour}">'
            f"<title>{html.escape(cells)}: {html.escape(format_energy(e))}{note}</title></rect>"
        )
    if s.priced and n:
        points = " ".join(
            f"{left + (i + 1) * slot:.2f},{top + plot_h - g / gmax * plot_h:.2f}" for i, g in enumerate(s.cumulative_g)
        )
        parts.append(f'<polyline points="{left:.2f},{top + plot_h:.2f} {points}" fill="none" stroke="#2b2b2b" stroke-width="1.5"/>')
        parts.append(_text(width - right + 4, top + 4, right_label, "start"))
        parts.append(_text(width - right + 4, top + plot_h, "0", "start"))
    parts += [
        _text(left - 4, top + 4, left_label, "end"),
        _text(left - 4, top + plot_h, "0", "end"),
        _text(left, height - 12, s.first_label[0] if n else "", "start"),
        _text(width - right, height - 12, s.last_label[-1] if n else "", "end"),
        _text(left, 14, f"■ energy per {what}", "start", "#4c78a8"),
    ]
    if s.priced:
        parts.append(_text(width - right, 14, "— cumulative emissions", "end", "#2b2b2b"))
    parts.append("</svg>")
    return "".join(parts)


LABEL_EM = 0.6
"""A generous width of one character of the charts' 11 px sans-serif, in ems (digits and
lower-case letters run 0.5-0.56 em in common sans-serif faces)."""


def _room(label: str, font_px: float = 11) -> int:
    """The margin that holds ``label`` beside an axis: its width at most, and 8 px apart."""
    return int(len(label) * font_px * LABEL_EM + 0.999) + 8


def _text(x: float, y: float, text: str, anchor: str, fill: str = "#555") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{html.escape(text)}</text>'


#: A colour per footprint part (``prose.FOOTPRINT_PARTS``' keys), told apart without colour by
#: the legend's order and each segment's title.
SPLIT_COLOURS = {"kernel": "#4c78a8", "cluster": "#72b7b2", "idle": "#f58518", "embodied": "#9d755d"}


def split_svg(parts: Sequence[tuple[str, str, float]], format_mass: Callable[[float | None], str], width: int = 720) -> str:
    """The footprint's split as one stacked bar: (key, label, grams) per part, in order, each
    segment as wide as its share, with a legend giving each part's grams and share; "" with
    fewer than two parts (nothing to split)."""
    total = sum(g for _, _, g in parts)
    if len(parts) < 2 or total <= 0:
        return ""
    bar_y, bar_h, row_h = 8, 22, 16
    height = bar_y + bar_h + 10 + row_h * len(parts)
    out = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Footprint by part: {html.escape(", ".join(f"{label} {g / total:.0%}" for _, label, g in parts))}" '
        'style="font: 11px sans-serif; max-width: 100%">'
    ]
    x = 0.0
    for i, (key, label, grams) in enumerate(parts):
        w = grams / total * width
        colour = SPLIT_COLOURS.get(key, "#888")
        text = f"{label}: {format_mass(grams)} CO₂e ({grams / total:.0%})"
        out.append(f'<rect x="{x:.2f}" y="{bar_y}" width="{w:.2f}" height="{bar_h}" fill="{colour}"><title>{html.escape(text)}</title></rect>')
        y = bar_y + bar_h + 10 + row_h * i
        out.append(f'<rect x="0" y="{y}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(16, y + 9, text, "start", "#333"))
        x += w
    out.append("</svg>")
    return "".join(out)
