"""Every figure carries its bounds: records, totals, old ledgers, and the bands themselves."""

import json

import pytest
from fakes import FakeClock, run_cell
from test_meter import ScriptedSource

from jupyter_carbon import bounds
from jupyter_carbon.carbon import CarbonContext
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.ledger import read_ledger
from jupyter_carbon.meter import Meter
from jupyter_carbon.records import CellRecord, Totals
from jupyter_carbon.session import Session


@pytest.fixture
def session(tmp_path):
    clock = FakeClock()
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)  # a steady 10 W, measured
    carbon = CarbonContext(CarbonMeter(region="FR"), env={}, timezone="")
    s = Session(meter, carbon, ledger_dir=tmp_path)
    s.test_clock = clock
    yield s
    s.close()
    carbon.close()


def test_a_measured_cell_carries_the_counters_band_and_its_emissions(session):
    record = run_cell(session, session.test_clock, 36.0)
    low, high = record.bounds["energy_j"]
    assert (low, high) == (pytest.approx(360.0 * 0.95), pytest.approx(360.0 * 1.05))
    assert record.bounds["by_component"]["cpu"] == [pytest.approx(low), pytest.approx(high)]
    g_low, g_high = record.bounds["emissions_g"]
    assert g_low == pytest.approx(record.emissions_g * 0.95) and g_high == pytest.approx(record.emissions_g * 1.05)
    assert read_ledger(session.ledger.path).records[0].bounds == record.bounds


def test_totals_sum_the_bounds_and_count_an_old_record_as_its_figure(session):
    records = [run_cell(session, session.test_clock, s) for s in (1.0, 2.0)]
    t = session.totals
    assert t.energy_bounds_j == [pytest.approx(sum(r.bounds["energy_j"][i] for r in records)) for i in (0, 1)]
    old = CellRecord.from_dict({k: v for k, v in records[0].to_dict().items() if k != "bounds"})
    assert old.bounds is None
    before = list(t.energy_bounds_j)
    t.add(old)
    assert t.energy_bounds_j == [pytest.approx(before[0] + old.energy_j), pytest.approx(before[1] + old.energy_j)]


def test_an_old_ledger_without_bounds_still_reads(session, tmp_path):
    run_cell(session, session.test_clock, 1.0)
    path = session.ledger.path
    lines = path.read_text().splitlines()
    stripped = []
    for line in lines:
        data = json.loads(line)
        data.pop("bounds", None)
        stripped.append(json.dumps(data))
    path.write_text("\n".join(stripped) + "\n")
    [record] = read_ledger(path).records
    assert record.bounds is None and record.energy_j > 0


@pytest.mark.parametrize("bad", [{"energy_j": [2.0, 1.0], "by_component": {}}, {"energy_j": "x"}, [1, 2]])
def test_malformed_bounds_are_a_clear_error_not_a_record(session, bad):
    data = run_cell(session, session.test_clock, 1.0).to_dict()
    data["bounds"] = bad
    with pytest.raises(ValueError, match="bounds"):
        CellRecord.from_dict(data)


def test_each_method_has_its_band():
    assert bounds.reading_band("cpu", "measured", None) == (0.95, 1.05)
    assert bounds.reading_band("gpu", "measured", None) == (0.95, 1.05)
    assert bounds.reading_band("gpu", "integrated", None) == (0.85, 1.15)
    assert bounds.reading_band("memory", "estimated", None) == (0.5, 2.0)
    assert bounds.reading_band("cpu", "estimated", (0.7, 1.4)) == (0.7, 1.4)


# -- the views format what the records carry ---------------------------------------------------
def _estimated_record():
    from test_report import record

    r = record(1, 4320.0)  # gpu measured, cpu and memory estimated; 1.2 Wh
    r.bounds = {"energy_j": [2880.0, 6840.0], "by_component": {"cpu": [1000.0, 3000.0]}, "emissions_g": [0.48, 1.14]}
    return r


def test_the_cell_line_shows_the_bounds_and_marks_an_estimate():
    from jupyter_carbon.text import cell_line

    line = cell_line(_estimated_record())
    assert line.startswith("carbon: ≈1.2 Wh (0.80–1.9 Wh) (")
    assert "→ ≈720 mg (480–1140 mg) CO2e" in line


def test_a_measured_cell_has_no_estimate_mark(session):
    from jupyter_carbon.text import cell_line

    line = cell_line(run_cell(session, session.test_clock, 36.0))
    assert "≈" not in line and line.startswith("carbon: 100 mWh (95–105 mWh) (cpu 100 mWh measured)")


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("md", "≈1.2 Wh (0.80–1.9 Wh)"),
        ("html", "≈1.2 Wh (0.80–1.9 Wh)"),
        ("latex", r"$\approx$1.2 Wh (0.80--1.9 Wh)"),
    ],
)
def test_each_export_shows_the_bounds(fmt, expected):
    from test_report import make_report, render

    text = render(make_report([_estimated_record()]), fmt)
    assert expected in text


def test_csv_and_json_carry_the_bounds_as_numbers():
    import csv
    import io

    from test_report import make_report, render

    report = make_report([_estimated_record()])
    [row] = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert (float(row["energy_low_j"]), float(row["energy_high_j"])) == (2880.0, 6840.0)
    assert (float(row["emissions_low_g"]), float(row["emissions_high_g"])) == (0.48, 1.14)
    data = json.loads(render(report, "json"))
    assert data["cells"][0]["bounds"]["energy_j"] == [2880.0, 6840.0]
    assert data["totals"]["energy_bounds_j"] == [2880.0, 6840.0]
