"""LaTeX: a paragraph for a paper's experiments section, in the manner of the ML CO2 Impact calculator."""

from __future__ import annotations

from collections.abc import Sequence

from .._version import __version__
from ..units import format_energy, format_mass, num
from .model import Report, Write
from .prose import COMPONENT_NAMES, METHOD_TEXT, alternative
from .prose import energy_range, mass_range

_TEX_SPECIAL = str.maketrans({
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
})  # fmt: skip


def tex_escape(text) -> str:
    """User text safe in a LaTeX paragraph."""
    return str(text).translate(_TEX_SPECIAL)


def _tex_range(text: str) -> str:
    """A figure with its bounds as LaTeX writes it: ``$\approx$1.2 Wh (0.80--1.9 Wh)``."""
    return text.replace("≈", r"$\approx$").replace("–", "--")


def _tex_mass(grams: float) -> str:
    return format_mass(grams) + "CO$_2$e"


def _tex_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def write_latex(report: Report, write: Write) -> None:
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
        "Experiments were conducted in a Jupyter session"
        + (f" (\\texttt{{{tex_escape(', '.join(report.notebooks))}}})" if report.notebooks else "")
        + (f" on {hardware}" if hardware else "") + where + "."
    ]
    hours = t.duration_s / 3600
    energy = _tex_range(energy_range(t))
    if abs(t.facility_energy_j - t.energy_j) > 1e-9 and t.energy_j > 0:
        energy += f" ({format_energy(t.facility_energy_j)} at the facility, with a PUE of {t.facility_energy_j / t.energy_j:.2f})"
    s = f"A cumulative of {num(hours)} hours of computation used {energy}"
    if f.zones:
        s += f", emitting an estimated {_tex_range(mass_range(t))} CO$_2$e"
        if f.unpriced:
            s += f" for the {t.cells - f.unpriced} of {t.cells} cells whose grid intensity was known"
    else:
        s += "; emissions were not estimated, no grid carbon intensity being available"
    sentences.append(s + ".")
    if t.idle_spans and t.idle_energy_j > 0:
        idle = f"Between cells, the kernel's devices drew a further {format_energy(t.idle_energy_j)} over {num(t.idle_duration_s / 3600)} hours"
        if t.idle_emissions_g:
            idle += f" ({_tex_mass(t.idle_emissions_g)})"
        sentences.append(idle + ", not counted above.")
    alt = alternative(report)
    if alt:
        name = tex_escape(alt.name or "a cleaner region")
        src = f", {tex_escape(alt.source)}" if alt.source else ""
        sentences.append(
            rf"Had it run in \emph{{{name}}} ({alt.g_per_kwh:.0f} gCO$_2$e/kWh{src}), "
            rf"it would have emitted {_tex_mass(alt.grams)} ({alt.percent:.0f}\% {alt.direction})."
        )
    by_method: dict[str, list[str]] = {}
    for c in report.components:
        m = t.method.get(c)
        if m:
            by_method.setdefault(m, []).append(tex_escape(COMPONENT_NAMES.get(c, c)))
    how = [f"{tex_escape(METHOD_TEXT.get(m, m))} for the {_tex_list(cs)}" for m, cs in by_method.items()]
    sentences.append(
        f"Estimations were made with {tool}" + (f"; energy was {_tex_list(how)}" if how else "") + "."
    )
    return " ".join(sentences)
