"""The bundled data tables (``jupyter_carbon/data/*.csv``), read from the installed package.

The tables are derived by ``scripts/derive_data.py``; ``data/README.md`` gives their sources.
Each reader caches its own typed view, so a table is parsed once per process, on first use.
"""

from __future__ import annotations

import csv
import re
from importlib import resources


def _text(name: str) -> str:
    """The bundled table ``name`` as text, its line ends ``\n``. (Decoded whole: a text-mode
    read, decoding and translating line ends piece by piece, took four times as long, a
    tenth of a kernel's start for the places table.)"""
    text = (resources.files("jupyter_carbon") / "data" / name).read_bytes().decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def raw_lines(name: str) -> list[str]:
    """The lines of the bundled table ``name``, header first, unparsed."""
    return _text(name).splitlines()


def rows_matching(name: str, line_pattern: str, flags: int = 0) -> list[dict[str, str]]:
    """The rows of the table ``name`` whose whole line matches the regular expression
    ``line_pattern``, parsed: for a reader that wants a few rows of a large table (found by
    their text) without parsing all of it. (Each line matched on its own: one expression
    over the whole text, anchored at every line start, took twice as long.)"""
    lines = _text(name).split("\n")
    match = re.compile(line_pattern, flags).fullmatch
    found = [line for line in lines[1:] if line and match(line)]
    return list(csv.DictReader([lines[0], *(line for line in found if line != lines[0])]))


def rows_starting(name: str, prefixes: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of the table ``name`` whose line starts with one of ``prefixes`` (a key and its
    comma), parsed, in the table's order: found by searching the text for each prefix after a
    line end, without splitting it into lines (a tenth of :func:`rows_matching`'s time)."""
    text = _text(name)
    header = text[: text.index("\n")]
    starts = set()
    for prefix in prefixes:
        at = text.find("\n" + prefix)
        while at != -1:
            starts.add(at + 1)
            at = text.find("\n" + prefix, at + 1)
    found = []
    for start in sorted(starts):
        end = text.find("\n", start)
        found.append(text[start:] if end == -1 else text[start:end])
    return list(csv.DictReader([header, *found]))


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of the bundled table ``name`` (e.g. ``"zones.csv"``), as dicts of strings."""
    return list(csv.DictReader(raw_lines(name)))
