"""The formats people publish emissions in: CodeCarbon's emissions.csv and a model card."""

import csv
import io
import json

import pytest
from runs import cli
from test_report import make_report, varied_records

from jupyter_carbon.ledger import Ledger
from jupyter_carbon.report import render
from jupyter_carbon.report.codecarbon import COLUMNS


def codecarbon_columns() -> tuple[str, ...]:
    """CodeCarbon's own column list where it is installed (the bench extra), else ours."""
    try:
        import dataclasses

        from codecarbon.output_methods.emissions_data import EmissionsData
    except ImportError:
        return COLUMNS
    return tuple(f.name for f in dataclasses.fields(EmissionsData))


def test_codecarbon_columns_are_codecarbons_own():
    assert COLUMNS == codecarbon_columns()


def test_codecarbon_session_row_in_its_units():
    records = varied_records()
    rows = list(csv.DictReader(io.StringIO(render(make_report(records), "codecarbon"))))
    assert tuple(rows[0]) == codecarbon_columns()
    (row,) = rows
    assert float(row["emissions"]) == pytest.approx(sum(r.emissions_g or 0 for r in records) / 1000)  # kg
    assert float(row["energy_consumed"]) == pytest.approx(sum(r.energy_j for r in records) / 3.6e6)  # kWh
    assert float(row["gpu_energy"]) == pytest.approx(sum(r.by_component["gpu"] for r in records) / 3.6e6)
    assert float(row["ram_energy"]) == pytest.approx(sum(r.by_component["memory"] for r in records) / 3.6e6)
    duration = sum(r.duration_s for r in records)
    assert float(row["duration"]) == pytest.approx(duration)
    assert float(row["cpu_power"]) == pytest.approx(sum(r.by_component["cpu"] for r in records) / duration)  # W
    assert (row["run_id"], row["country_iso_code"], row["country_name"], row["on_cloud"]) == ("sess-1", "DEU", "Germany", "N")
    assert row["tracking_mode"] == "process" and row["water_consumed"] == ""


def test_codecarbon_per_cell_rows_and_a_cloud_region():
    records = varied_records()
    for r in records:
        r.intensity = {**(r.intensity or {}), "zone": "aws:eu-west-3"}
    rows = list(csv.DictReader(io.StringIO(render(make_report(records), "codecarbon", per_cell=True))))
    assert [row["run_id"] for row in rows] == [f"sess-1#{r.index}" for r in records]
    assert float(rows[1]["energy_consumed"]) == pytest.approx(records[1].energy_j / 3.6e6)
    assert (rows[0]["cloud_provider"], rows[0]["cloud_region"], rows[0]["on_cloud"], rows[0]["country_iso_code"]) == ("aws", "eu-west-3", "Y", "FRA")


def test_per_cell_is_refused_for_a_format_without_rows():
    with pytest.raises(ValueError, match="one row per cell is for codecarbon, not md"):
        render(make_report(), "md", per_cell=True)


def test_model_card_block_has_the_hub_keys_in_grams():
    records = varied_records()
    for r in records:
        r.notebook = "train.ipynb"
    text = render(make_report(records, hardware=["NVIDIA H100 (measured)"]), "model-card")
    front, prose = text.split("---\n", 2)[1:]
    fields = dict(line.strip().split(": ", 1) for line in front.splitlines()[1:])
    assert json.loads(fields["emissions"]) == pytest.approx(round(sum(r.emissions_g or 0 for r in records), 3))
    assert json.loads(fields["geographical_location"]) == "Germany (DE)"
    assert json.loads(fields["hardware_used"]) == "NVIDIA H100 (measured)"
    assert json.loads(fields["training_type"].split("  #")[0]) == ""
    assert "jupyter-carbon" in json.loads(fields["source"]) and "Ember & co 2024" in json.loads(fields["source"])
    assert prose.strip().startswith("The 5 metered cells in train.ipynb used") and "CO2e on the grid of Germany (DE)" in prose


@pytest.mark.parametrize("fmt", ["codecarbon", "model-card"])
def test_report_command_writes_both_formats(tmp_path, fmt):
    ledger = Ledger(tmp_path / "s.jsonl", {"session_id": "sess-1"})
    for r in varied_records():
        ledger.append(r)
    ledger.close()
    code, out, err = cli("report", tmp_path / "s.jsonl", "--format", fmt)
    assert code == 0, err
    assert out == render(make_report(varied_records()), fmt)
    code, _, err = cli("report", tmp_path / "s.jsonl", "--format", "md", "--per-cell")
    assert code == 2 and "--per-cell goes with --format codecarbon" in err
