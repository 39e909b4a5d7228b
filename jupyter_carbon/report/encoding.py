"""How the JSON and CSV exports spell their values: with orjson where it is installed, else
with the standard library, the same values either way.

Writing a number is most of what an export costs: CPython's ``repr`` of a float takes about
a microsecond on a slow core, and a cell's line holds some thirty of them, so a
million-cell report would spend half a minute on digits alone. orjson (a dependency,
imported on first use: a kernel that never exports never loads it) writes them twenty times
faster and JSON without spaces. Its spelling of a number differs from ``repr`` only in
form: ``0.000026`` where ``repr`` writes ``2.6e-05``, ``1e16`` or ``1e+16`` (by its
version) for ``1e+16``; every figure parses back to the same float, and the JSON to the
same document. Without orjson (an installation without its wheel) the bytes are the
standard library's, as they were before it was used.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from types import SimpleNamespace

_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False, check_circular=False)  # records are trees


@functools.cache
def fast():
    """The orjson module, or None where it is not installed (then the standard library writes)."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson


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
    orjson = fast()
    if orjson is not None:
        try:
            return orjson.dumps(obj).decode()
        except (orjson.JSONEncodeError, TypeError):  # an integer past 64 bits, a lone surrogate: the slow way
            pass
    if hasattr(obj, "__dataclass_fields__"):
        obj = {name: getattr(obj, name) for name in obj.__dataclass_fields__}
    return _stdlib(obj)


def encode_with(obj, extra: dict) -> str:
    """``obj``'s object (a dict or a dataclass instance) with the keys of ``extra`` after its
    own: a record's fields and the figures derived from it, without copying the fields."""
    orjson = fast()
    if orjson is not None:
        try:
            head, tail = orjson.dumps(obj), orjson.dumps(extra)
        except (orjson.JSONEncodeError, TypeError):
            pass
        else:
            if head == b"{}" or tail == b"{}":
                return (head if tail == b"{}" else tail).decode()
            return (head[:-1] + b"," + tail[1:]).decode()
    fields = {name: getattr(obj, name) for name in obj.__dataclass_fields__} if hasattr(obj, "__dataclass_fields__") else dict(obj)
    fields.update(extra)
    return _stdlib(fields)


#: What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(row: list) -> list:
    """A row whose text cells start with no formula character (a leading apostrophe added:
    :func:`~jupyter_carbon.report.tabular.csv_text`)."""
    return [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]


def _spelled_safe(row: list, orjson) -> list:
    """:func:`safe_text` of ``row`` with its floats as orjson spells them, all in one call (a
    float's text has no comma); NaN or an infinity left empty, as JSON's null."""
    floats = [v for v in row if type(v) is float]
    texts = iter(orjson.dumps(floats)[1:-1].decode().split(",") if floats else ())
    return [
        (None if (t := next(texts)) == "null" else t) if type(v) is float
        else ("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v
        for v in row
    ]  # fmt: skip


#: The values a row's fast path takes (a bool, a list or a dict goes through :mod:`csv`).
_PLAIN = frozenset((str, int, float, type(None)))


class CsvRows:
    """Rows of the CSV export, written through ``write`` after the header row ``columns``.

    With orjson, a row is encoded as a JSON array in one call; when none of its text needs
    quoting or escaping in CSV (only text, integers, floats and None; no comma, quote,
    backslash, control character or formula's first character in its text, which the
    array's bytes tell: a tab or a return is escaped there), the array is the CSV line once
    its brackets, quotes and nulls are taken out. Any other row goes through :mod:`csv`,
    its floats spelled by orjson, so a file's numbers are spelled one way. Text that a
    spreadsheet would take for a formula gets its apostrophe either way.
    """

    def __init__(self, write, columns):
        self._write = write
        self._csv = csv.writer(SimpleNamespace(write=write), lineterminator="\n")
        self._csv.writerow(columns)
        self._orjson = fast()

    def write(self, row: list) -> None:
        orjson = self._orjson
        if orjson is None:
            self._csv.writerow(safe_text(row))
            return
        line = self._fast_line(row, orjson)
        if line is not None:
            self._write(line)
            return
        self._csv.writerow(_spelled_safe(row, orjson))

    @staticmethod
    def _fast_line(row: list, orjson) -> str | None:
        if not _PLAIN.issuperset(map(type, row)):
            return None
        try:
            text = orjson.dumps(row)
        except (orjson.JSONEncodeError, TypeError):
            return None
        if (
            b"\\" in text or text.count(b",") != len(row) - 1
            or b'"=' in text or b'"+' in text or b'"-' in text or b'"@' in text  # a formula's start: the slow way
        ):  # fmt: skip
            return None
        # ",null," twice: the first pass leaves every other of two nulls in a row.
        text = (b"," + text[1:-1] + b",").replace(b",null,", b",,").replace(b",null,", b",,")
        return text[1:-1].replace(b'"', b"").decode() + "\n"
