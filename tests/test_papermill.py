"""Footprints wherever notebooks run: papermill's engine and ``jupyter carbon run -p``."""

import json

import nbformat
import pytest
from runs import cli, environment, kernel_env

papermill = pytest.importorskip("papermill", reason="papermill is the optional extra jupyter-carbon[papermill]")

pytestmark = pytest.mark.slow

FOOTPRINT_KEYS = {"total_energy_j", "total_emissions_g", "energy_j", "by_component", "method", "duration_s", "emissions_g", "zone",
                  "g_per_kwh", "pue", "status", "session_id", "index", "cell_id", "execution_count", "source_sha256",
                  "bounds", "embodied_g", "lifetime_years"}  # fmt: skip


def parameterised_notebook(path):
    params = nbformat.v4.new_code_cell("n = 10")
    params.metadata["tags"] = ["parameters"]
    cells = [params, nbformat.v4.new_code_cell("total = sum(i * i for i in range(n))"), nbformat.v4.new_code_cell("print(total)")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_papermill_engine_writes_footprints_and_totals(tmp_path):
    source = parameterised_notebook(tmp_path / "in.ipynb")
    with environment(kernel_env(tmp_path)):
        papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), parameters={"n": 1000}, engine_name="carbon", kernel_name="python3")
    out = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert len(code) == 4  # papermill's injected parameters cell, then the three
    assert code[-1].outputs[0]["text"] == f"{sum(i * i for i in range(1000))}\n"
    footprints = [c.metadata["jupyter_carbon"] for c in code]
    assert [set(f) ^ FOOTPRINT_KEYS for f in footprints] == [set()] * len(footprints)
    assert [f["index"] for f in footprints] == [1, 2, 3, 4]
    assert all(f["status"] == "ok" and f["zone"] == "FR" and f["energy_j"] > 0 for f in footprints)
    totals = out.metadata["jupyter_carbon"]
    assert totals["cells"] == 4 and totals["status"] == "ok"
    assert totals["energy_j"] == pytest.approx(sum(f["energy_j"] for f in footprints), rel=1e-4)
    assert {f["session_id"] for f in footprints} == {totals["session_id"]}


def test_papermill_engine_marks_a_failed_run(tmp_path):
    source = tmp_path / "bad.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1/0"), nbformat.v4.new_code_cell("y = 2")])
    nbformat.write(nb, str(source))
    with environment(kernel_env(tmp_path)), pytest.raises(papermill.PapermillExecutionError):
        papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), engine_name="carbon", kernel_name="python3")
    out = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    code = [c for c in out.cells if c.cell_type == "code"]  # papermill adds a markdown cell naming the error
    assert [c.metadata.get("jupyter_carbon", {}).get("status") for c in code] == ["ok", "error", None]
    assert out.metadata["jupyter_carbon"]["status"] == "error" and out.metadata["jupyter_carbon"]["cells"] == 2


def test_run_takes_papermill_parameters_and_names_the_notebook(tmp_path):
    source = parameterised_notebook(tmp_path / "params.ipynb")
    with environment(kernel_env(tmp_path)):
        code, out, err = cli("run", source, "-p", "n", "3", "--save-executed", tmp_path / "done.ipynb", "--output", tmp_path / "r.json")
    assert code == 0, err
    done = nbformat.read(str(tmp_path / "done.ipynb"), as_version=4)
    assert done.cells[-1].outputs[0]["text"] == "5\n"  # 0 + 1 + 4: n came from -p, as an int
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert {c["notebook"] for c in cells} == {str(source)}


def test_run_with_parameters_but_no_papermill_says_what_to_install(tmp_path, monkeypatch):
    source = parameterised_notebook(tmp_path / "params.ipynb")
    import sys

    for name in [m for m in sys.modules if m == "papermill" or m.startswith("papermill.")] or ["papermill"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    code, _, err = cli("run", source, "-p", "n", "3")
    assert code == 2 and "pip install 'jupyter-carbon[papermill]'" in err
