"""Regression tests of issue 17: each export format escapes what it writes by its own rules."""

import csv
import io

from test_report import make_report, record

from jupyter_carbon.report import render

EVIL_COMPONENT = r"gpu\input{/etc/passwd}|*x*"
EVIL_METHOD = r"\write18{rm -rf ~}|_m_"


def evil_report():
    r = record(1, 100.0, source="=HYPERLINK(\"http://x\",\"y\")")
    r.by_component = {EVIL_COMPONENT: 100.0}
    r.method = {EVIL_COMPONENT: EVIL_METHOD}
    r2 = record(2, 50.0, source="+cmd|' /C calc'!A0")
    r2.error = "@SUM(1+1)"
    r3 = record(3, 10.0, source="-2+3")
    return make_report([r, r2, r3])


def test_latex_escapes_component_names_and_methods():
    tex = render(evil_report(), "latex")
    assert r"\input{" not in tex and r"\write18{" not in tex
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex


def test_markdown_escapes_the_component_table():
    md = render(evil_report(), "md")
    (row,) = [line for line in md.splitlines() if "passwd" in line and line.startswith("|")]
    assert row.count("|") - row.count("\\|") == 5  # four cells: no extra column from the name
    assert "\\*x\\*" in row and "\\_m\\_" in row


def test_csv_cells_never_start_a_formula():
    text = render(evil_report(), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for column, value in row.items():
            assert not value or value[0] not in "=+-@\t\r" or _number(value), (column, value)
    assert rows[0]["source"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows[1]["error"] == "'@SUM(1+1)" and rows[2]["source"] == "'-2+3"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
