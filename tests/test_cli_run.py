"""``jupyter carbon run`` and ``jupyter carbon report``: real kernels, real notebook files."""

from __future__ import annotations

import json
import os
import re
import threading
import time

import nbformat
import pytest

from runs import cli, environment, fingerprint, kernel_env, write_notebook

from jupyter_carbon.cli.commands.report import resolve_format
from jupyter_carbon.cli.errors import UsageError
from jupyter_carbon.footprint import METADATA_KEY, footprint
from jupyter_carbon.records import CellRecord

CELLS = [
    ("markdown", "# A notebook"),
    ("code", "x = sum(i * i for i in range(200_000))\nx"),
    ("code", "print('hello from the notebook')"),
    ("markdown", "Some prose between cells."),
    ("code", "y = x + 1"),
]


# -- one successful run, looked at from several sides -------------------------------------------
@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    notebook = write_notebook(tmp / "analysis.ipynb", CELLS)
    before = fingerprint(notebook)
    with environment(kernel_env(tmp)):
        code, out, err = cli("run", notebook, "--output", tmp / "report.json", "--save-executed", tmp / "executed.ipynb", "--pue", "1.2")
    return {
        "tmp": tmp, "notebook": notebook, "before": before, "code": code, "out": out, "err": err,
        "report": json.loads((tmp / "report.json").read_text()), "executed": nbformat.read(str(tmp / "executed.ipynb"), as_version=4),
    }  # fmt: skip



@pytest.mark.slow
def test_run_exits_zero_and_reports_every_code_cell(good_run):
    assert good_run["code"] == 0, good_run["err"]
    records = good_run["report"]["cells"]
    assert [r["source"] for r in records] == ["x = sum(i * i for i in range(200_000))", "print('hello from the notebook')", "y = x + 1"]
    assert all(r["status"] == "ok" and r["energy_j"] > 0 for r in records)
    assert {r["intensity"]["zone"] for r in records} == {"FR"}
    assert {r["pue"] for r in records} == {1.2}
    code_cells = [c for c in nbformat.read(str(good_run["notebook"]), as_version=4).cells if c.cell_type == "code"]
    assert [r["cell_id"] for r in records] == [c.id for c in code_cells]


@pytest.mark.slow
def test_progress_goes_to_stderr_one_line_per_code_cell(good_run):
    err_lines = good_run["err"].splitlines()
    progress = [line for line in err_lines if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in progress] == ["[1/3]", "[2/3]", "[3/3]"]
    assert "so far" in progress[0] and "([1] cell 2: " in progress[0] and "([3] cell 5: " in progress[2]
    assert any("metering every cell" in line for line in err_lines)
    assert "[1/3]" not in good_run["out"]


@pytest.mark.slow
def test_stdout_has_the_per_cell_table_and_the_totals(good_run):
    out = good_run["out"]
    assert out.splitlines()[0].split() == ["cell", "energy", "CO2e", "embodied", "time", "how", "source"]
    table_rows = [" ".join(line.split()[:3]) for line in out.splitlines()[1:4]]
    assert table_rows == ["[1] cell 2", "[2] cell 3", "[3] cell 5"]  # notebook positions: markdown cells are not run
    assert "3 cells" in out and "Emissions:" in out and "PUE 1.20" in out


@pytest.mark.slow
def test_every_view_names_a_cell_alike_by_its_execution_count_and_place(good_run):
    from jupyter_carbon.ledger import read_ledger
    from jupyter_carbon.report import Report
    from jupyter_carbon.report.summary import Summary

    names = ["[1] cell 2", "[2] cell 3", "[3] cell 5"]
    cells = good_run["report"]["cells"]
    assert [(c["execution_count"], c["cell_position"], c["cell"]) for c in cells] == [(1, 2, names[0]), (2, 3, names[1]), (3, 5, names[2])]
    # The kernel's own ledger carries the place too, so a later report names the cells alike.
    [ledger] = [line.split("ledger ", 1)[1] for line in good_run["err"].splitlines() if line.startswith("jupyter-carbon: ledger ")]
    report = Report.from_ledger(read_ledger(ledger))
    tmp = good_run["tmp"]
    with environment(kernel_env(tmp)):
        for fmt in ("html", "md", "csv"):
            code, _, err = cli("report", ledger, "--output", tmp / f"again.{fmt}")
            assert code == 0, err
            text = (tmp / f"again.{fmt}").read_text()
            assert all(name in text for name in names), (fmt, text)
            assert not re.search(r"#[23]\b", text), "the session's order is not a cell's name"
    shown = [Summary(report)._repr_html_(), repr(Summary(report))]
    assert all(name in view for name in names for view in shown)
    assert not any(re.search(r"#[23]\b", view) for view in shown)


@pytest.mark.slow
def test_the_users_notebook_is_not_modified(good_run):
    assert fingerprint(good_run["notebook"]) == good_run["before"]


@pytest.mark.slow
def test_executed_copy_carries_footprints_and_no_setup_cell(good_run):
    nb = good_run["executed"]
    assert len(nb.cells) == len(CELLS)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]  # the hidden setup took no count
    assert code[1].outputs[0]["text"] == "hello from the notebook\n"
    assert not any("metering every cell" in json.dumps(c.outputs) for c in code)
    reported = {r["index"]: r for r in good_run["report"]["cells"]}
    for cell in code:
        meta = cell.metadata[METADATA_KEY]
        record = reported[meta["index"]]
        assert meta["energy_j"] == pytest.approx(record["energy_j"], rel=1e-5)
        assert meta["zone"] == "FR" and meta["status"] == "ok" and meta["pue"] == 1.2
        assert set(meta["by_component"]) == set(meta["method"]) and meta["duration_s"] >= 0
    assert all(METADATA_KEY not in c.metadata for c in nb.cells if c.cell_type == "markdown")
    totals = nb.metadata[METADATA_KEY]
    assert totals["cells"] == 3 and totals["status"] == "ok"
    assert totals["energy_j"] == pytest.approx(sum(r["energy_j"] for r in reported.values()), rel=1e-5)


@pytest.mark.slow
def test_report_latest_rerenders_the_same_session(good_run):
    tmp = good_run["tmp"]
    with environment(kernel_env(tmp)):
        code, out, _ = cli("report", "latest", "--format", "json")
        assert code == 0
        again = json.loads(out)
        session_id = again["session"]["session_id"]
        assert session_id == good_run["report"]["session"]["session_id"]
        assert [r["energy_j"] for r in again["cells"]] == [r["energy_j"] for r in good_run["report"]["cells"]]

        code, out, _ = cli("report", "previous")
        assert code == 0 and out.startswith(f"jupyter-carbon session {session_id}: 3 cells")

        code, _, err = cli("report", session_id, "--output", tmp / "again.tex")
        assert code == 0 and "wrote" in err and "3 cells" in err
        assert "\\" in (tmp / "again.tex").read_text()


@pytest.mark.slow
def test_report_of_a_ledger_path_as_csv(good_run):
    ledgers = list((good_run["tmp"] / "data" / "carbon" / "ledgers").glob("*.jsonl"))
    code, out, _ = cli("report", ledgers[0], "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("index,") and len(lines) == 1 + 3


# -- failure, timeout, options --------------------------------------------------------------------
@pytest.mark.slow
def test_a_failing_cell_stops_the_run_exits_one_and_still_writes_the_report(tmp_path):
    cells = [("code", "a = 1"), ("code", "print('before')"), ("code", "1 / 0"), ("code", "print('never runs')")]
    notebook = write_notebook(tmp_path / "broken.ipynb", cells)
    before = fingerprint(notebook)
    with environment(kernel_env(tmp_path)):
        code, out, err = cli("run", notebook, "--output", tmp_path / "report.csv", "--save-executed", tmp_path / "out.ipynb")
    assert code == 1
    assert "[3] cell 3 failed (ZeroDivisionError: division by zero)" in err
    assert "[3/4]" in err and "[4/4]" not in err
    rows = (tmp_path / "report.csv").read_text().strip().splitlines()[1:]
    assert [row.split(",")[7] for row in rows] == ["ok", "ok", "error"]
    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert executed.cells[2].metadata[METADATA_KEY]["status"] == "error"
    assert executed.cells[3].outputs == [] and METADATA_KEY not in executed.cells[3].metadata
    assert executed.metadata[METADATA_KEY]["status"] == "error"
    assert "1 failed" in out
    assert fingerprint(notebook) == before


@pytest.mark.slow
def test_timeout_interrupts_the_cell_and_reports_it(tmp_path):
    cells = [("code", "import time"), ("code", "time.sleep(60)"), ("code", "print('never runs')")]
    notebook = write_notebook(tmp_path / "slow.ipynb", cells)
    with environment(kernel_env(tmp_path)):
        code, _, err = cli("run", notebook, "--timeout", "1", "--output", tmp_path / "r.json", "--region", "SE")
    assert code == 1 and "cell 2 ran longer than --timeout 1 s and was stopped" in err
    records = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert [r["status"] for r in records] == ["ok", "interrupted"]
    assert records[1]["duration_s"] < 30
    assert {r["intensity"]["zone"] for r in records} == {"SE"}


@pytest.mark.slow
def test_without_save_executed_nothing_but_the_report_is_written(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", [("code", "open('made-by-the-notebook.txt', 'w').write('x')")])
    before = fingerprint(notebook)
    with environment(kernel_env(tmp_path)):
        code, out, err = cli("run", notebook, "--output", "-", "--format", "md", "--quiet")
    assert code == 0
    assert out.startswith("# Energy and carbon report") and "so far" not in out  # stdout holds the report alone
    assert err.splitlines()[0].split() == ["cell", "energy", "CO2e", "embodied", "time", "how", "source"]
    assert fingerprint(notebook) == before
    # The kernel ran in the notebook's folder, as Jupyter runs it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "made-by-the-notebook.txt", "nb.ipynb"]


# -- usage errors: found before a kernel starts --------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "{tmp}/missing.ipynb"], "no notebook at"),
        (["run", "{nb}", "--output", "{tmp}/report.pdf"], "cannot tell the report format from 'report.pdf'"),
        (["run", "{nb}", "--format", "docx"], "unknown report format 'docx'"),
        (["run", "{nb}", "--region", "atlantis"], "closest matches"),
        (["run", "{nb}", "--pue", "0.8"], "PUE must be at least 1.0"),
        (["run", "{nb}", "--kernel", "no-such-kernel"], "no kernel named 'no-such-kernel'"),
        (["run", "{nb}", "--output", "{tmp}/nowhere/report.html"], "does not exist"),
        (["run", "{nb}", "--output", "-"], "--output - needs --format"),
        (["run", "{tmp}/not-a-notebook.ipynb"], "is not a notebook"),
        (["report", "latest"], "no session ledger in"),
        (["report", "no-such-session"], "no ledger 'no-such-session'"),
    ],
)
def test_usage_errors_exit_two_with_one_line(tmp_path, monkeypatch, argv, message):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    nb = write_notebook(tmp_path / "nb.ipynb", [("code", "1")])
    (tmp_path / "not-a-notebook.ipynb").write_text("{ not json")
    code, out, err = cli(*(a.format(tmp=tmp_path, nb=nb) for a in argv))
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()  # no kernel ran, no ledger was started


# -- pieces ----------------------------------------------------------------------------------------
def test_resolve_format():
    assert resolve_format("r.HTML", None, stdout_default=None) == "html"
    assert resolve_format("paper.tex", None, stdout_default=None) == "latex"
    assert resolve_format("r.txt", "markdown", stdout_default=None) == "md"
    assert resolve_format(None, None, stdout_default="text") == "text"
    assert resolve_format(None, None, stdout_default=None) is None
    assert resolve_format("-", "text", stdout_default=None) == "text"
    with pytest.raises(UsageError, match="the text summary is for stdout"):
        resolve_format("summary.txt", "text", stdout_default=None)


def test_footprint_is_compact_and_json_safe():
    record = CellRecord(
        session_id="s", index=4, execution_count=4, cell_id=None, source="fit()", started_at="t0", ended_at="t1",
        duration_s=1.23456789, status="ok", error=None, energy_j=12.3456789012, by_component={"cpu": 12.3456789012},
        method={"cpu": "measured"}, device_energy_j=20.0, device_by_component={"cpu": 20.0}, pue=1.1,
        facility_energy_j=13.58, emissions_g=0.000123456789, intensity={"zone": "FR", "g_per_kwh": 31.0, "source": "x"},
    )  # fmt: skip
    meta = footprint(record)
    assert meta == {
        "total_energy_j": 12.3457, "total_emissions_g": 0.000123457, "energy_j": 12.3457, "by_component": {"cpu": 12.3457}, "method": {"cpu": "measured"}, "duration_s": 1.23457,
        "emissions_g": 0.000123457, "zone": "FR", "g_per_kwh": 31.0, "pue": 1.1, "status": "ok", "session_id": "s", "index": 4,
        "cell_id": None, "execution_count": 4, "source_sha256": None,
    }  # fmt: skip
    json.dumps(meta, allow_nan=False)


@pytest.mark.slow
def test_ctrl_c_interrupts_the_running_cell_and_keeps_its_record(tmp_path):
    import signal
    import subprocess

    from test_cli_carbon import console_script

    cells = [("code", "a = 1"), ("code", "import time\ntime.sleep(60)"), ("code", "print('never runs')")]
    notebook = write_notebook(tmp_path / "long.ipynb", cells)
    proc = subprocess.Popen(
        [*console_script(), "run", str(notebook), "--output", str(tmp_path / "r.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **kernel_env(tmp_path)},
    )  # fmt: skip
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("[1/3]"):
                break
        time.sleep(0.5)  # into the sleeping cell
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, "".join(seen) + rest
    assert "interrupted in [2] cell 2." in rest
    records = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert [r["status"] for r in records] == ["ok", "interrupted"]


@pytest.mark.slow
def test_a_kernel_that_cannot_meter_is_stopped_and_reported(tmp_path):
    import psutil

    from jupyter_carbon.cli.runner import RunError, run_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    with environment(kernel_env(tmp_path)), pytest.raises(RunError, match="could not load jupyter_carbon .*UnknownRegion"):
        run_notebook(nb, kernel_name="python3", cwd=tmp_path, region="atlantis")  # unchecked: the CLI checks it
    time.sleep(0.5)
    assert not [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    assert not [t for t in threading.enumerate() if t.__class__.__module__.startswith("jupyter_client")]


@pytest.mark.slow
def test_cells_that_reset_or_stop_metering_and_stale_footprints(tmp_path):
    cells = [("code", "a = 1"), ("code", "%carbon reset"), ("code", "b = 2"), ("code", "%carbon off"), ("code", "c = 3")]
    notebook = write_notebook(tmp_path / "nb.ipynb", cells)
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells[4].metadata[METADATA_KEY] = {"energy_j": 99.0}  # saved by an earlier run
    nbformat.write(nb, str(notebook))
    with environment(kernel_env(tmp_path)):
        code, out, err = cli("run", notebook, "--save-executed", tmp_path / "out.ipynb")
    assert code == 0, err
    assert "[5/5] " in err and "(cell 5: not metered)" in err
    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    sessions = [c.metadata.get(METADATA_KEY, {}).get("session_id") for c in executed.cells]
    assert sessions[0] != sessions[1] == sessions[2] == sessions[3] and sessions[4] is None
    assert "4 cells" in out
    ledgers = sorted((tmp_path / "data" / "carbon" / "ledgers").glob("*.jsonl"))
    assert err.strip().endswith(f"ledger {tmp_path / 'data' / 'carbon' / 'ledgers' / (sessions[1] + '.jsonl')}")
    assert len(ledgers) == 2


@pytest.mark.slow
def test_a_skipped_cell_does_not_shift_the_places_the_kernel_records(tmp_path):
    cells = [nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_code_cell("b = 2"), nbformat.v4.new_code_cell("c = 3")]
    cells[1].metadata["tags"] = ["skip-execution"]  # nbclient's tag for a cell it does not run
    notebook = tmp_path / "skips.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(notebook))
    with environment(kernel_env(tmp_path)):
        code, _, err = cli("run", notebook, "--output", tmp_path / "r.json")
    assert code == 0, err
    [ledger] = [line.split("ledger ", 1)[1] for line in err.splitlines() if line.startswith("jupyter-carbon: ledger ")]
    from jupyter_carbon.ledger import read_ledger

    kept = [(r.source, r.cell_position, r.cell_id) for r in read_ledger(ledger).records]
    assert kept == [("a = 1", 1, cells[0].id), ("c = 3", 3, cells[2].id)]
