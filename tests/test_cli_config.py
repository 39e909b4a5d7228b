"""The command line reads the same configuration as a kernel: the IPython profile's files."""

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient
from runs import environment, kernel_env

from jupyter_carbon import cli
from jupyter_carbon.config import load_settings
from jupyter_carbon.ledger import Ledger
from jupyter_carbon.records import CellRecord


@pytest.fixture
def profile(tmp_path, monkeypatch):
    """An IPython profile whose ipython_config.py the test writes."""
    ipython_dir = tmp_path / "ipython"
    folder = ipython_dir / "profile_default"
    folder.mkdir(parents=True)
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    monkeypatch.delenv("JUPYTER_CARBON_REGION", raising=False)

    def write(name, text):
        (folder / name).write_text(text, encoding="utf-8")

    return write


def cpu_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith("cpu "))


def test_devices_honours_the_profile_like_a_kernel(profile, tmp_path, capsys):
    profile("ipython_config.py", "c.CarbonMeter.cpu_tdp_w = 200\nc.CarbonMeter.enable_rapl = False\n")
    assert cli.main(["devices", "--json"]) == 0
    (cpu,) = [d for d in json.loads(capsys.readouterr().out)["devices"] if d["component"] == "cpu"]
    assert "200 W TDP of configured (CarbonMeter.cpu_tdp_w)" in cpu["detail"]
    assert cli.main(["devices"]) == 0
    from_cli = cpu_line(capsys.readouterr().out)

    # A real kernel started with the same IPYTHONDIR reads the same file.
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ("%load_ext jupyter_carbon", "%carbon devices")])
    env = {**kernel_env(tmp_path), "IPYTHONDIR": os.environ["IPYTHONDIR"]}
    with environment(env):
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    from_kernel = cpu_line(nb.cells[1].outputs[0]["text"])
    assert from_kernel == from_cli


def test_estimate_uses_the_configured_region_and_pue(profile, capsys):
    profile("ipython_config.py", "c.CarbonMeter.region = 'SE'\nc.CarbonMeter.pue = 1.25\n")
    assert cli.main(["estimate", "--power", "100", "--hours", "1", "--json"]) == 0
    intensity = json.loads(capsys.readouterr().out)["intensity"]
    assert (intensity["zone"], intensity["chosen_by"], intensity["pue"]) == ("SE", "config", 1.25)
    # An explicit --region still wins.
    assert cli.main(["estimate", "--power", "100", "--hours", "1", "--region", "FR", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intensity"]["zone"] == "FR"


def test_report_latest_looks_in_the_configured_ledger_folder(profile, tmp_path, capsys):
    folder = tmp_path / "my-ledgers"
    profile("ipython_kernel_config.py", f"c.CarbonMeter.ledger_dir = {str(folder)!r}\n")
    ledger = Ledger(folder / "s1.jsonl", {"session_id": "s1", "started_at": "2026-11-22T00:00:00+00:00"})
    ledger.append(CellRecord(
        session_id="s1", index=1, execution_count=1, cell_id=None, source="configured_cell = 1",
        started_at="2026-11-22T00:00:00+00:00", ended_at="2026-11-22T00:00:01+00:00", duration_s=1.0,
        status="ok", error=None, energy_j=36.0, by_component={"cpu": 36.0}, method={"cpu": "estimated"},
        device_energy_j=36.0, device_by_component={"cpu": 36.0}, pue=1.0, facility_energy_j=36.0,
        emissions_g=None, intensity=None,
    ))  # fmt: skip
    ledger.close()
    assert cli.main(["report", "latest"]) == 0
    assert "configured_cell = 1" in capsys.readouterr().out


def test_json_overrides_py_and_kernel_config_overrides_both(profile):
    profile("ipython_config.py", "c.CarbonMeter.sample_interval = 1.0\nc.CarbonMeter.region = 'FR'\n")
    profile("ipython_config.json", json.dumps({"CarbonMeter": {"sample_interval": 2.0}}))
    profile("ipython_kernel_config.py", "c.CarbonMeter.region = 'DE'\n")
    settings = load_settings()
    assert (settings.sample_interval, settings.region) == (2.0, "DE")
