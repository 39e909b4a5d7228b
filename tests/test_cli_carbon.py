"""``jupyter carbon estimate`` and ``jupyter carbon regions``, through ``cli.main``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_carbon.carbon import find_zone
from jupyter_carbon.cli import main


@pytest.fixture(autouse=True)
def quiet_place(monkeypatch):
    monkeypatch.delenv("JUPYTER_CARBON_REGION", raising=False)


def run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_estimate_reproduces_strubell_facility_energy(capsys):
    data = run_json(capsys, "estimate", "--power", "1415.78", "--hours", "12", "--pue", "1.58", "--intensity", "432.727")
    assert round(data["facility_energy_kwh"], 2) == 26.84
    assert data["intensity"]["pue"] == 1.58 and data["intensity"]["g_per_kwh"] == 432.727
    assert data["emissions_kg"] == pytest.approx(data["facility_energy_kwh"] * 0.432727)


def test_estimate_text_shows_energy_emissions_equivalents_and_savings(capsys):
    assert main(["estimate", "--hardware", "V100 SXM2", "--count", "8", "--hours", "100", "--region", "aws:us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "kWh facility" in out and "kg CO2e" in out
    assert "km driven" in out and "smartphone charges" in out and "tree seedlings" in out
    phone = next(line for line in out.splitlines() if "smartphone charges" in line)
    assert "CO2 only, compared with CO2e" in phone
    assert "(same provider)" in out and "(overall)" in out and "% less" in out


def test_estimate_unknown_region_exits_non_zero_with_suggestions(capsys):
    code = main(["estimate", "--hardware", "V100", "--hours", "100", "--region", "nowhere-land"])
    err = capsys.readouterr().err
    assert code == 2
    assert "nowhere-land" in err and "closest matches" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_estimate_needs_hardware_or_power(capsys):
    with pytest.raises(SystemExit) as info:
        main(["estimate", "--hours", "1"])
    assert info.value.code == 2


def test_estimate_bad_pue_is_a_usage_error(capsys):
    assert main(["estimate", "--power", "100", "--hours", "1", "--pue", "0.9"]) == 2
    assert "PUE must be at least 1.0" in capsys.readouterr().err


def test_regions_quebec_finds_ca_qc(capsys):
    assert main(["regions", "quebec"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("CA-QC ")
    rows = run_json(capsys, "regions", "quebec")
    assert rows[0]["key"] == "CA-QC" and rows[0]["g_per_kwh"] == find_zone("CA-QC").g_per_kwh
    assert rows[0]["year"] == 2025 and "Electricity Maps" in rows[0]["source"]
    assert any(r["type"] == "cloud" and r["zone"] == "CA-QC" for r in rows)


def test_regions_show_pue_with_its_year_and_source(capsys):
    region = find_zone("aws:eu-west-3")
    assert main(["regions", "aws:eu-west-3"]) == 0
    out = capsys.readouterr().out
    assert f"PUE {region.pue:g} ({region.pue_year}, {region.pue_scope}; {region.pue_source})" in out
    assert region.pue_source.startswith("https://")
    rows = run_json(capsys, "regions", "aws:eu-west-3")
    assert rows[0]["pue"] == region.pue and rows[0]["pue_year"] == region.pue_year
    assert rows[0]["pue_source"] == region.pue_source and rows[0]["zone_basis"]


def test_regions_lists_everything_and_fails_clearly_on_nothing(capsys):
    rows = run_json(capsys, "regions")
    assert {r["type"] for r in rows} == {"zone", "cloud"} and len(rows) > 400
    assert main(["regions", "zzzqqq"]) == 2
    assert "unknown region 'zzzqqq'" in capsys.readouterr().err


def console_script() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-carbon")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jupyter-carbon")
    return [found] if found else [sys.executable, "-m", "jupyter_carbon.cli"]


def test_console_script_in_a_subprocess():
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CARBON_REGION"}
    bad = subprocess.run(
        [*console_script(), "estimate", "--hardware", "V100", "--hours", "100", "--region", "nowhere-land"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert bad.returncode != 0
    assert "closest matches" in bad.stderr and "Traceback" not in bad.stderr
    good = subprocess.run(
        [*console_script(), "regions", "quebec", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert good.returncode == 0 and json.loads(good.stdout)[0]["key"] == "CA-QC"
