"""The summary a notebook shows: HTML with a chart in a notebook, text in a terminal."""

from __future__ import annotations

from ..units import display_units
from .html import CSS, body_html
from .model import Report
from .text import summary_text


class Summary:
    """A session summary that shows itself: HTML with a chart in a notebook, text in a terminal,
    in the energy and mass ``units`` of the kernel's views (``("auto", "auto")`` by default)."""

    def __init__(self, report: Report, top: int = 10, units: tuple[str, str] = ("auto", "auto")):
        self.report = report
        self.top = top
        self.units = units

    def _repr_html_(self) -> str:
        with display_units(*self.units):
            return f"<style>{CSS}</style>" + body_html(self.report, self.top)

    def __repr__(self) -> str:
        with display_units(*self.units):
            return summary_text(self.report, self.top)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))
