"""``report/encoding.py``: orjson's quick CSV line is the line the csv module writes, and
JSON written by orjson holds what the standard library's holds."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from jupyter_carbon.report import encoding
from jupyter_carbon.report.encoding import CsvRows

orjson = pytest.importorskip("orjson")

ROWS = [
    [1, 2, "abc", 0.1, 2.6e-05, 1e16, None, None, "", 7],
    [None, None, None, "(between cells)", "2026-11-22T04:00:00.000+00:00", 3.5, "idle", None, 12.0, None],
    [3, None, "x", "a, b", 1.0, None, "ok", None, None, None],  # a comma: quoted
    [4, None, "x", 'say "hi"', 1.0, None, "ok", None, None, None],  # a quote: doubled
    [5, None, "x", "two\nlines", 1.0, None, "ok", None, None, None],  # a newline
    [6, None, "x", "=HYPERLINK(1)", 1.0, None, "-1", "@SUM", "+x", "\tx"],  # formulas: an apostrophe
    [7, None, "x", "été ünïcode ✓", 1.0, None, "null", "true", "false", "[1]"],  # text that looks like JSON
    [8, None, "x", "back\\slash", -1.5, math.nan, math.inf, True, [1, 2], {"a": 1}],  # none of it plain
    [9, None, "x", "ctrl\x01char", 10**30, 2**70, 0, -0.0, 1.5, None],
    [None, None, None, None, None, None, None, None, None, None],
]
COLUMNS = [f"c{i}" for i in range(10)]


def written(rows, quick: bool) -> str:
    out = io.StringIO()
    w = CsvRows(out.write, COLUMNS)
    if not quick:
        w._fast_line = lambda row, orjson: None
    for row in rows:
        w.write(list(row))
    return out.getvalue()


@pytest.mark.parametrize("row", ROWS, ids=range(len(ROWS)))
def test_the_quick_line_is_the_csv_modules_line(row):
    assert written([row], quick=True) == written([row], quick=False)


def test_numbers_are_orjsons_and_parse_to_the_same_floats():
    text = written([ROWS[0]], quick=True)
    assert text.splitlines()[1] == "1,2,abc,0.1,0.000026,1e16,,,,7" or "1e+16" in text  # orjson's spelling, by its version
    row = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert [float(row[3]), float(row[4]), float(row[5])] == [0.1, 2.6e-05, 1e16]


def test_formula_text_gets_its_apostrophe_and_numbers_do_not():
    line = written([ROWS[5]], quick=True).splitlines()[1]
    assert next(csv.reader(io.StringIO(line))) == ["6", "", "x", "'=HYPERLINK(1)", "1.0", "", "'-1", "'@SUM", "'+x", "'\tx"]


def test_without_orjson_the_bytes_are_the_standard_librarys(monkeypatch):
    monkeypatch.setattr(encoding, "fast", lambda: None)
    out = io.StringIO()
    w = CsvRows(out.write, COLUMNS)
    w.write(list(ROWS[0]))
    plain = io.StringIO()
    csv.writer(plain, lineterminator="\n").writerows([COLUMNS, ROWS[0]])
    assert out.getvalue() == plain.getvalue()  # 2.6e-05 and 1e+16, as repr writes them
    record = {"a": 2.6e-05, "b": [1, None], "c": "é", "d": math.nan}
    assert encoding.encode(record) == '{"a": 2.6e-05, "b": [1, null], "c": "é", "d": null}'


@pytest.mark.parametrize(
    "value",
    [{"a": 2.6e-05, "b": [1, None], "c": "é", "d": math.nan}, {"big": 2**70}, {"k": "\ud800"}, {}, [1.5, {"x": None}]],
    ids=["plain", "big-int", "lone-surrogate", "empty", "list"],
)
def test_json_holds_the_same_values_either_way(value, monkeypatch):
    quick = encoding.encode(value)
    monkeypatch.setattr(encoding, "fast", lambda: None)
    slow = encoding.encode(value)
    if "\ud800" in json.dumps(value, ensure_ascii=False):  # no UTF-8 for it: both write it as the standard library does
        assert quick == slow
    else:
        assert json.loads(quick) == json.loads(slow)


def test_encode_with_puts_the_extra_keys_after_the_objects_own():
    assert json.loads(encoding.encode_with({"a": 1}, {"b": 2.5})) == {"a": 1, "b": 2.5}
    assert list(json.loads(encoding.encode_with({"a": 1}, {"b": 2}))) == ["a", "b"]
    assert json.loads(encoding.encode_with({}, {"b": 2})) == {"b": 2}
    assert json.loads(encoding.encode_with({"a": 1}, {})) == {"a": 1}
