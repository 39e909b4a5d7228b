"""Summaries and exports of a session: what it cost, cell by cell, and how each number was got.

A :class:`Report` gathers a session's records once; :func:`summary_text` and
:class:`Summary` show it, :func:`render` and :func:`export` turn it into one of the
registered :data:`FORMATS` (JSON, CSV, Markdown, HTML, a LaTeX paragraph). User text (cell
sources, zone and hardware names) is escaped by each format's own rules. Everything here is
standard library and one pass over the records.

Rooms: ``model`` (the report and its facts), ``prose`` (sentences all formats share),
``formats`` (the registry, render, export), one module per format, ``chart`` (bars and line).
"""

from .formats import FORMATS, SUFFIXES, export, normalise, render
from .summary import Summary
from .latex import latex_paragraph, tex_escape
from .model import NotALedger, Report
from .text import summary_text

__all__ = ["FORMATS", "SUFFIXES", "Report", "Summary", "export", "latex_paragraph", "normalise", "render", "summary_text", "tex_escape"]
