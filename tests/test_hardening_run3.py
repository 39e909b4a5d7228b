"""Regression tests of issue 23 (point 11) for ``jupyter carbon run``: a notebook that rebinds
``get_ipython``, a notebook whose file name is not UTF-8."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from runs import environment, kernel_env, write_notebook

from jupyter_carbon.cli import main


def strict_cli(*argv) -> tuple[int, str, str]:
    """The command with stdout and stderr as a UTF-8 terminal has them (no surrogates pass)."""
    out, err = io.BytesIO(), io.BytesIO()
    out_text = io.TextIOWrapper(out, encoding="utf-8", errors="strict")
    err_text = io.TextIOWrapper(err, encoding="utf-8", errors="strict")
    with contextlib.redirect_stdout(out_text), contextlib.redirect_stderr(err_text):
        code = main([str(a) for a in argv])
        out_text.flush()
        err_text.flush()
    return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.slow
def test_a_notebook_that_rebinds_get_ipython_keeps_every_cell(tmp_path):
    cells = [("code", "a = 1"), ("code", "get_ipython = lambda: None"), ("code", "b = 2"), ("code", "c = 3")]
    notebook = write_notebook(tmp_path / "rebinds.ipynb", cells)
    with environment(kernel_env(tmp_path)):
        code, out, err = strict_cli("run", notebook, "--output", tmp_path / "report.json")
    assert code == 0, err
    sources = [r["source"] for r in json.loads((tmp_path / "report.json").read_text())["cells"]]
    assert sources == ["a = 1", "get_ipython = lambda: None", "b = 2", "c = 3"]
    assert "not metered" not in err and "without a record" not in err


@pytest.mark.slow
def test_a_notebook_whose_name_is_not_utf8_keeps_its_report(tmp_path):
    name = os.fsdecode(b"caf\xe9 r\xe9sum\xe9.ipynb")
    notebook = write_notebook(Path(os.fsdecode(os.fsencode(tmp_path))) / name, [("code", "a = 1"), ("code", "b = 2")])
    with environment(kernel_env(tmp_path)):
        code, out, err = strict_cli("run", notebook, "--output", tmp_path / "report.md")
    assert code == 0, err
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "xe9 r" in report and "a = 1" in report and "b = 2" in report
    assert "caf\\xe9" in out


@pytest.mark.slow
def test_cells_left_without_a_record_are_counted(tmp_path):
    cells = [("code", "a = 1"), ("code", "%carbon off"), ("code", "b = 2")]
    notebook = write_notebook(tmp_path / "off.ipynb", cells)
    with environment(kernel_env(tmp_path)):
        code, out, err = strict_cli("run", notebook)
    assert code == 0, err
    assert "1 code cell ran without a record" in err
