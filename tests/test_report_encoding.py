"""``report/encoding.py``: the exports' JSON and CSV are the standard library's bytes, with
NaN as null and formula text made safe, whatever else is installed."""

from __future__ import annotations

import csv
import io
import json
import math

from jupyter_carbon.report import encoding
from jupyter_carbon.report.encoding import CsvRows

COLUMNS = [f"c{i}" for i in range(10)]
ROW = [1, 2, "abc", 0.1, 2.6e-05, 1e16, None, None, "", 7]


def written(rows) -> str:
    out = io.StringIO()
    w = CsvRows(out.write, COLUMNS)
    for row in rows:
        w.write(list(row))
    return out.getvalue()


def test_csv_is_the_csv_modules_bytes_with_numbers_as_repr_spells_them():
    plain = io.StringIO()
    csv.writer(plain, lineterminator="\n").writerows([COLUMNS, ROW])
    assert written([ROW]) == plain.getvalue()
    assert written([ROW]).splitlines()[1] == "1,2,abc,0.1,2.6e-05,1e+16,,,,7"


def test_formula_text_gets_its_apostrophe_and_numbers_do_not():
    row = [6, None, "x", "=HYPERLINK(1)", 1.0, -1.5, "-1", "@SUM", "+x", "\tx"]
    line = written([row]).splitlines()[1]
    assert next(csv.reader(io.StringIO(line))) == ["6", "", "x", "'=HYPERLINK(1)", "1.0", "-1.5", "'-1", "'@SUM", "'+x", "'\tx"]


def test_json_is_the_standard_librarys_with_nan_as_null():
    record = {"a": 2.6e-05, "b": [1, None], "c": "é", "d": math.nan, "e": 2**70}
    assert encoding.encode(record) == '{"a": 2.6e-05, "b": [1, null], "c": "é", "d": null, "e": 1180591620717411303424}'
    assert encoding.encode({"a": 1.5}) == json.dumps({"a": 1.5})
