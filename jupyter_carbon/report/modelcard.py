"""A Hugging Face model card's ``co2_eq_emissions`` metadata, and one sentence of prose.

The YAML block goes in the card's front matter; its keys are the ones the Hub reads:
``emissions`` (grams CO2e), ``source``, ``training_type``, ``geographical_location``,
``hardware_used``. ``training_type`` (pre-training, fine-tuning, ...) is for the author to
say: it is written empty with a comment. Strings are double-quoted JSON, which is YAML.
"""

from __future__ import annotations

import json
import math

from .._version import __version__
from ..units import format_energy, format_mass, plural
from .model import Report, Write
from .prose import COMPONENT_NAMES


def _how(report: Report) -> str:
    methods = ", ".join(f"{COMPONENT_NAMES.get(c, c)} {report.totals.method[c]}" for c in report.components if c in report.totals.method)
    sources = ", ".join(dict.fromkeys(s for z in report.facts.zones for s in z.sources))
    parts = [f"jupyter-carbon {__version__}", methods, f"grid intensity: {sources}" if sources else ""]
    return "; ".join(p for p in parts if p)


def _where(report: Report) -> str:
    return ", ".join(z.label for z in report.facts.zones) or "unknown"


def _grams(g: float) -> float:
    """Grams to three decimals, or to three significant figures where that is finer: a small
    notebook's 0.0029 mg is 2.9e-06, not 0.0."""
    if g <= 0 or not math.isfinite(g):
        return 0.0 if g == 0 else g
    return round(g, max(3, 2 - math.floor(math.log10(g))))


def write_model_card(report: Report, write: Write) -> None:
    t = report.totals
    grams = _grams(t.emissions_g) if report.facts.zones else None
    fields = {
        "emissions": grams,
        "source": _how(report),
        "training_type": "",
        "geographical_location": _where(report),
        "hardware_used": ", ".join(report.hardware) or "not recorded",
    }
    lines = ["---", "co2_eq_emissions:"]
    for key, value in fields.items():
        comment = "  # pre-training, fine-tuning, ...: say which" if key == "training_type" else ""
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}{comment}")
    lines.append("---")
    named = f" in {', '.join(report.notebooks)}" if report.notebooks else ""
    session = f" (session {report.session_id})" if report.session_id else ""
    if grams is None:
        prose = (
            f"The {plural(t.cells, 'metered cell')}{named} used {format_energy(t.energy_j)}; no grid intensity was known, "
            f"so emissions were not estimated{session}."
        )
    else:
        prose = (
            f"The {plural(t.cells, 'metered cell')}{named} used {format_energy(t.energy_j)} "
            f"({format_energy(t.facility_energy_j)} at the facility) and emitted an estimated "
            f"{format_mass(t.emissions_g)} CO2e on the grid of {_where(report)}, as measured by jupyter-carbon {__version__}{session}."
        )
    write("\n".join(lines) + "\n\n" + prose + "\n")
