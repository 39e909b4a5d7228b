"""How the JSON and CSV exports spell their values: the standard library's bytes, always.

A faster writer (orjson, which reads ledger lines: ``ledger.py``) would spell numbers its
own way (``0.000026`` where ``repr`` writes ``2.6e-05``, and ``1e16`` or ``1e+16`` by its
version) and save about a fifth of a report's time. Exports stay byte for byte what they
were whatever is installed, so that the same ledger gives the same file on every machine
and a diff between two versions shows only real changes. What is kept cheap here: one
encoder built once, no check for cycles (records are trees), and a record's fields encoded
with the figures derived from it without copying them.
"""

from __future__ import annotations

import csv
import json
import math
from types import SimpleNamespace

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


def _stdlib(obj) -> str:
    try:
        return _JSON.encode(obj)
    except ValueError:
        return _JSON.encode(_clean(obj))


def encode(obj) -> str:
    """``obj`` (dicts, lists, plain values, dataclass instances as their fields) as JSON on
    one line; NaN and infinities as null."""
    if hasattr(obj, "__dataclass_fields__"):
        obj = {name: getattr(obj, name) for name in obj.__dataclass_fields__}
    return _stdlib(obj)


def encode_with(obj, extra: dict) -> str:
    """``obj``'s object (a dict or a dataclass instance) with the keys of ``extra`` after its
    own: a record's fields and the figures derived from it."""
    fields = {name: getattr(obj, name) for name in obj.__dataclass_fields__} if hasattr(obj, "__dataclass_fields__") else dict(obj)
    fields.update(extra)
    return _stdlib(fields)


#: What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(row: list) -> list:
    """A row whose text cells start with no formula character (a leading apostrophe added:
    :func:`~jupyter_carbon.report.tabular.csv_text`)."""
    return [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]


class CsvRows:
    """Rows of the CSV export, written through ``write`` after the header row ``columns``,
    by :mod:`csv`; text that a spreadsheet would take for a formula gets its apostrophe."""

    def __init__(self, write, columns):
        self._csv = csv.writer(SimpleNamespace(write=write), lineterminator="\n")
        self._csv.writerow(columns)

    def write(self, row: list) -> None:
        self._csv.writerow(safe_text(row))
