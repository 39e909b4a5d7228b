"""The export formats: one registry of name, file extension, media type and writer.

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
from . import codecarbon, html, latex, markdown, modelcard, tabular
from .model import Report, Write


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    """The suffix a new file of this format gets (a download's name, for one)."""
    mimetype: str
    write: Callable[..., None]
    """``write(report, write_text)``; with ``per_cell``, also ``per_cell=True``."""
    picks: tuple[str, ...] = ()
    """File suffixes that pick this format when none is named."""
    aliases: tuple[str, ...] = ()
    per_cell: bool = False
    """Whether it can write one row per cell instead of one per session."""


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", ".json", "application/json", tabular.write_json, (".json",)),
        Format("csv", ".csv", "text/csv", tabular.write_csv, (".csv",)),
        Format("md", ".md", "text/markdown", markdown.write_md, (".md", ".markdown"), ("markdown",)),
        Format("html", ".html", "text/html", html.write_html, (".html", ".htm"), ("htm",)),
        Format("latex", ".tex", "application/x-tex", latex.write_latex, (".tex", ".latex"), ("tex",)),
        Format("codecarbon", ".csv", "text/csv", codecarbon.write_codecarbon, aliases=("emissions.csv",), per_cell=True),
        Format("model-card", ".md", "text/markdown", modelcard.write_model_card, aliases=("modelcard", "hf")),
    )
}

FORMATS = tuple(REGISTRY)
SUFFIXES = {suffix: f.name for f in REGISTRY.values() for suffix in f.picks}
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


def _writer(fmt: str, per_cell: bool) -> Callable[[Report, Write], None]:
    spec = REGISTRY[normalise(fmt)]
    if not per_cell:
        return spec.write
    if not spec.per_cell:
        per_cell_formats = ", ".join(f.name for f in REGISTRY.values() if f.per_cell)
        raise ValueError(f"one row per cell is for {per_cell_formats}, not {spec.name}")
    return lambda report, write: spec.write(report, write, per_cell=True)


def render(report: Report, fmt: str, *, per_cell: bool = False) -> str:
    """The report as text in one of :data:`FORMATS` (``per_cell``: a row per cell, where
    the format has rows)."""
    parts: list[str] = []
    _writer(fmt, per_cell)(report, parts.append)
    return "".join(parts)


def export(report: Report, path: str | os.PathLike, fmt: str | None = None, *, per_cell: bool = False) -> Path:
    """Write the report to ``path``, the format taken from ``fmt`` or else the file's suffix.

    Readers never see half a report, and a failure leaves any earlier file as it was. The
    folder must exist (a typo in it should not silently create a tree). A file replaced
    keeps its permissions; a new one is readable by all (0644), as reports are meant to be
    shared.
    """
    path = Path(path).expanduser()
    write = _writer(fmt if fmt is not None else format_of(path), per_cell)
    return write_file(path, lambda text: write(report, text))


def write_file(path: str | os.PathLike, produce: Callable[[Write], object]) -> Path:
    """Write what ``produce(write)`` writes to ``path`` as :func:`export` does: atomically,
    into a folder that must exist, keeping a replaced file's permissions."""
    path = Path(path).expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    return atomic_write(path, lambda f: produce(f.write), newline="", fsync=True)
