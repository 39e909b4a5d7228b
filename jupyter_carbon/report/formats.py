"""The export formats: one registry of name, file suffixes, media type and writer.

:func:`render` turns a report into text; :func:`export` writes it to a file atomically
(a temporary file renamed over the target), so a failure never leaves half a report or
destroys the previous one. A new format is one writer module and one entry here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write
from . import html, latex, markdown, tabular
from .model import Report, Write


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]
    """File suffixes that pick this format, the first the one to give a new file."""
    mimetype: str
    write: Callable[[Report, Write], None]
    aliases: tuple[str, ...] = ()


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", (".json",), "application/json", tabular.write_json),
        Format("csv", (".csv",), "text/csv", tabular.write_csv),
        Format("md", (".md", ".markdown"), "text/markdown", markdown.write_md, ("markdown",)),
        Format("html", (".html", ".htm"), "text/html", html.write_html, ("htm",)),
        Format("latex", (".tex", ".latex"), "application/x-tex", latex.write_latex, ("tex",)),
    )
}

FORMATS = tuple(REGISTRY)
SUFFIXES = {suffix: f.name for f in REGISTRY.values() for suffix in f.suffixes}
_ALIASES = {alias: f.name for f in REGISTRY.values() for alias in f.aliases}


def normalise(fmt: str) -> str:
    """The registered name of ``fmt`` (``markdown`` -> ``md``, ``.tex`` -> ``latex``), or
    ValueError naming the formats."""
    key = str(fmt).lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in REGISTRY:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return key


def format_of(path: str | os.PathLike) -> str:
    """The format a file's suffix picks, or ValueError listing the suffixes."""
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        valid = ", ".join(f"{s} ({f})" for s, f in SUFFIXES.items())
        raise ValueError(
            f"cannot tell the report format from {path.name!r}; use one of the suffixes {valid} "
            f"or give a format ({', '.join(FORMATS)})"
        )
    return fmt


def render(report: Report, fmt: str) -> str:
    """The report as text in one of :data:`FORMATS`."""
    parts: list[str] = []
    REGISTRY[normalise(fmt)].write(report, parts.append)
    return "".join(parts)


def export(report: Report, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write the report to ``path``, the format taken from ``fmt`` or else the file's suffix.

    Readers never see half a report, and a failure leaves any earlier file as it was. The
    folder must exist (a typo in it should not silently create a tree). A file replaced
    keeps its permissions; a new one is readable by all (0644), as reports are meant to be
    shared.
    """
    path = Path(path).expanduser()
    write = REGISTRY[normalise(fmt if fmt is not None else format_of(path))].write
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    return atomic_write(path, lambda f: write(report, f.write), newline="", fsync=True)
