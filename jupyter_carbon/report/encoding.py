"""How the JSON and CSV exports spell their values: the standard library's bytes, always.

Exports stay byte for byte what ``json`` and ``csv`` write, whatever is installed, so that
the same ledger gives the same file on every machine and a diff between two versions shows
only real changes. orjson writes them where it is installed, ten times faster at spelling
floats, its text then brought to the standard library's (:mod:`.fastspell`); what orjson
will not write, the standard library does: one encoder built once, no check for cycles
(records are trees).
"""

from __future__ import annotations

import csv
import json
import math
from types import SimpleNamespace

from . import fastspell

_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False, check_circular=False)  # records are trees


def _clean(value):
    """NaN and infinities become null: they are not JSON, and mean "unknown" here anyway."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _text(obj) -> str:
    fast = fastspell.json_text(obj)
    if fast is not None:
        return fast
    try:
        return _JSON.encode(obj)
    except ValueError:
        return _JSON.encode(_clean(obj))


def encode(obj) -> str:
    """``obj`` (dicts, lists, plain values, dataclass instances as their fields) as JSON on
    one line; NaN and infinities as null."""
    if hasattr(obj, "__dataclass_fields__"):
        obj = {name: getattr(obj, name) for name in obj.__dataclass_fields__}
    return _text(obj)


#: What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(row: list) -> list:
    """A row whose text cells a spreadsheet shows as text: one starting like a formula (a
    cell's source ``=HYPERLINK(...)``, an error ``@SUM(...)``) gets a leading apostrophe.
    Numbers are left as they are."""
    return [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]


class CsvRows:
    """Rows of the CSV export, written through ``write`` after the header row ``columns``,
    by :mod:`csv`; text that a spreadsheet would take for a formula gets its apostrophe."""

    def __init__(self, write, columns):
        self._csv = csv.writer(SimpleNamespace(write=write), lineterminator="\n")
        self._csv.writerow(columns)

    def write(self, row: list) -> None:
        self._csv.writerow(safe_text(row))
