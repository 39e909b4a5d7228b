"""The demo notebooks in ``notebooks/`` run to the end, headless, on a machine without a GPU."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from test_cli_carbon import console_script
from runs import cli, environment, fingerprint, kernel_env

from jupyter_carbon.footprint import METADATA_KEY

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

pytestmark = pytest.mark.slow


def code_cells(path: Path) -> int:
    return sum(1 for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code" and c.source.strip())


def test_quickstart_runs_headless_with_the_readme_command(tmp_path):
    notebook = NOTEBOOKS / "quickstart.ipynb"
    before = fingerprint(notebook)
    env = {**os.environ, **kernel_env(tmp_path)}
    done = subprocess.run(
        [*console_script(), "run", str(notebook), "--output", str(tmp_path / "quickstart-report.html")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    n = code_cells(notebook)
    assert f"[{n}/{n}]" in done.stderr and "Traceback" not in done.stderr
    assert f"{n} cells" in done.stdout and "Emissions:" in done.stdout
    html = (tmp_path / "quickstart-report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "France" in html
    assert fingerprint(notebook) == before

    # The ledger the run left behind renders again, and every cell ran cleanly.
    with environment(kernel_env(tmp_path)):
        code, out, _ = cli("report", "latest", "--format", "json")
    assert code == 0
    cells = json.loads(out)["cells"]
    assert len(cells) == n and {c["status"] for c in cells} == {"ok"}
    assert max(cells, key=lambda c: c["energy_j"])["source"].startswith("# About a second of pure-Python arithmetic")
    assert {c["intensity"]["zone"] for c in cells} == {"FR", "SE"}  # the last cell is priced in Sweden


def test_gpu_training_runs_to_the_end_without_a_gpu(tmp_path):
    with environment(kernel_env(tmp_path)):
        code, _, err = cli("run", NOTEBOOKS / "gpu-training.ipynb", "--save-executed", tmp_path / "executed.ipynb")
    assert code == 0, err
    nb = nbformat.read(str(tmp_path / "executed.ipynb"), as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "final loss" in text
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "PyTorch is not installed" in text
    training = next(c for c in nb.cells if c.source.startswith("%%carbon -o training"))
    assert training.metadata[METADATA_KEY]["status"] == "ok" and training.metadata[METADATA_KEY]["energy_j"] > 0


def test_notebooks_are_stored_without_outputs():
    """Outputs belong to the run, not to the repository: a diff shows only what changed in the code."""
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def run_demo(name: str, tmp_path, extra_env: dict | None = None, timeout: int = 300, skip_if=()) -> list[dict]:
    """Run ``notebooks/NAME`` with ``jupyter carbon run`` and return its cells' records;
    skip when it failed with one of the texts in ``skip_if``."""
    notebook = NOTEBOOKS / name
    env = {**os.environ, **kernel_env(tmp_path), **(extra_env or {})}
    done = subprocess.run([*console_script(), "run", str(notebook)], capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0 and any(sign in done.stderr for sign in skip_if):
        pytest.skip(f"{name} could not start what it needs on this machine: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr
    n = code_cells(notebook)
    assert f"[{n}/{n}]" in done.stderr and "Traceback" not in done.stderr
    with environment(kernel_env(tmp_path)):
        code, out, _ = cli("report", "latest", "--format", "json")
    assert code == 0
    return json.loads(out)["cells"]


def test_the_dask_demo_runs_headless_and_charges_the_workers(tmp_path):
    pytest.importorskip("distributed")
    cells = run_demo("dask.ipynb", tmp_path)
    busy = next(c for c in cells if c["source"].startswith("def busy"))
    assert busy["cluster"]["nodes"] == 2 and busy["cluster"]["complete"]
    assert busy["cluster"]["energy_j"] > 4 * busy["energy_j"]  # the work ran on the workers
    idle = next(c for c in cells if c["source"].startswith("sum(range(1000))"))
    assert idle["cluster"] is None  # it sent no task: no cluster part, no round trip


@pytest.mark.ray
def test_the_ray_demo_runs_headless_and_charges_the_node(tmp_path):
    pytest.importorskip("ray")
    # Ray on the loopback address only, no token file in the home directory, no usage report;
    # its temp dir short (Unix socket paths).
    from ray_cluster import ONE_HOST, START_TIMED_OUT

    ray_env = {**ONE_HOST, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
               "RAY_TMPDIR": tempfile.mkdtemp(prefix="jc-ray-", dir="/tmp")}  # fmt: skip
    cells = run_demo("ray.ipynb", tmp_path, ray_env, timeout=600, skip_if=START_TIMED_OUT)
    started = next(c for c in cells if c["source"].startswith("import ray"))
    assert {n["status"] for n in started["cluster"]["workers"]} == {"in-kernel"}  # the kernel counted Ray's start
    busy = next(c for c in cells if c["source"].startswith("@ray.remote"))
    assert busy["cluster"]["nodes"] == 1 and busy["cluster"]["complete"], busy["cluster"]
    assert busy["cluster"]["energy_j"] > 4 * busy["energy_j"]  # the work ran on the node
    idle = next(c for c in cells if c["source"].startswith("sum(range(1000))"))
    assert idle["cluster"] is None  # it sent no task: no cluster part, no round trip
