"""The summary a notebook shows: HTML with a chart in a notebook, text in a terminal."""

from __future__ import annotations

from .html import CSS, body_html
from .model import Report
from .text import summary_text


class Summary:
    """A session summary that shows itself: HTML with a chart in a notebook, text in a terminal."""

    def __init__(self, report: Report, top: int = 10):
        self.report = report
        self.top = top

    def _repr_html_(self) -> str:
        return f"<style>{CSS}</style>" + body_html(self.report, self.top)

    def __repr__(self) -> str:
        return summary_text(self.report, self.top)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(summary_text(self.report, self.top))
