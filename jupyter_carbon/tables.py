"""The bundled data tables (``jupyter_carbon/data/*.csv``), read from the installed package.

The tables are derived by ``scripts/derive_data.py``; ``data/README.md`` gives their sources.
Each reader caches its own typed view, so a table is parsed once per process, on first use.
"""

from __future__ import annotations

import csv
import re
from importlib import resources


def _bytes(name: str) -> bytes:
    """The bundled table ``name`` as bytes, its line ends ``\n``."""
    data = (resources.files("jupyter_carbon") / "data" / name).read_bytes()
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def _text(name: str) -> str:
    """The bundled table ``name`` as text, its line ends ``\n``. (Decoded whole: a text-mode
    read, decoding and translating line ends piece by piece, took four times as long, a
    tenth of a kernel's start for the places table.)"""
    return _bytes(name).decode("utf-8")


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
    comma), parsed, in the table's order: found by searching the bytes for each prefix after
    a line end, decoding only the lines found (the places table is 3 MB: decoding it whole
    took a kernel's start 2 ms)."""
    data = _bytes(name)
    starts = set()
    for prefix in prefixes:
        needle = b"\n" + prefix.encode("utf-8")
        at = data.find(needle)
        while at != -1:
            starts.add(at + 1)
            at = data.find(needle, at + 1)
    return _parse(data, starts)


def rows_containing(name: str, text: str) -> list[dict[str, str]]:
    """The rows of the table ``name`` whose line contains ``text`` (e.g. ``",FR,subnational,"``),
    parsed, in the table's order: a superset for a caller that then checks the parsed
    fields, without parsing the whole table."""
    data = _bytes(name)
    needle = text.encode("utf-8")
    header_end = data.find(b"\n")
    starts = set()
    at = data.find(needle, header_end + 1)
    while at != -1:
        starts.add(data.rfind(b"\n", 0, at) + 1)
        at = data.find(needle, at + 1)
    return _parse(data, starts)


def _parse(data: bytes, starts) -> list[dict[str, str]]:
    """The lines of ``data`` that begin at ``starts``, parsed under its header line."""
    header = data[: data.index(b"\n")].decode("utf-8")
    found = []
    for start in sorted(starts):
        end = data.find(b"\n", start)
        found.append((data[start:] if end == -1 else data[start:end]).decode("utf-8"))
    return list(csv.DictReader([header, *found]))


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of the bundled table ``name`` (e.g. ``"zones.csv"``), as dicts of strings."""
    return list(csv.DictReader(raw_lines(name)))
