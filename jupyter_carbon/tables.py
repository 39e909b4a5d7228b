"""The bundled data tables (``jupyter_carbon/data/*.csv``), read from the installed package.

The tables are derived by ``scripts/derive_data.py``; ``data/README.md`` gives their sources.
Each reader caches its own typed view, so a table is parsed once per process, on first use.
"""

from __future__ import annotations

import csv
import re
from importlib import resources


def raw_lines(name: str) -> list[str]:
    """The lines of the bundled table ``name``, header first, unparsed."""
    return (resources.files("jupyter_carbon") / "data" / name).read_text(encoding="utf-8").splitlines()


def rows_matching(name: str, line_pattern: str, flags: int = 0) -> list[dict[str, str]]:
    """The rows of the table ``name`` whose whole line matches the regular expression
    ``line_pattern``, parsed: for a reader that wants a few rows of a large table (found by
    their text) without parsing, or even splitting, all of it."""
    text = (resources.files("jupyter_carbon") / "data" / name).read_text(encoding="utf-8")
    header = text[: text.index("\n")]
    found = [m.group(0) for m in re.finditer(f"^(?:{line_pattern})$", text, re.MULTILINE | flags)]
    return list(csv.DictReader([header, *(line for line in found if line != header)]))


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of the bundled table ``name`` (e.g. ``"zones.csv"``), as dicts of strings."""
    return list(csv.DictReader(raw_lines(name)))
