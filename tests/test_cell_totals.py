"""One total per cell (kernel + cluster) that every view leads with, and the SCI per unit.

``tests/fixtures/cell_totals.json`` holds the footprints Python writes for the cells below and
the footer the lab draws from each (``labextension/test/celltotals.spec.ts`` checks the
footer against the same file): so the ``%%carbon`` line, the footer, the per-cell table of
``jupyter carbon run``, the JSON and the CSV are checked to say the same total.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
from pathlib import Path

import pytest
from fakes import FakeClock, run_cell
from test_report import record

from jupyter_carbon.carbon.context import CarbonContext
from jupyter_carbon.cli.runner import cell_table
from jupyter_carbon.cluster.base import cluster_part, priced_node
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.footprint import footprint
from jupyter_carbon.meter import Meter
from jupyter_carbon.records import cell_sci, cell_total, costliest
from jupyter_carbon.report import Report
from jupyter_carbon.report.formats import render
from jupyter_carbon.report.model import totals_of
from jupyter_carbon.report.prose import energy_range
from jupyter_carbon.report.text import summary_text
from jupyter_carbon.session import Session
from jupyter_carbon.text import cell_line, energy_text, named_parts, status_line
from jupyter_carbon.units import cell_label, format_energy, format_mass

CASES = json.loads((Path(__file__).parent / "fixtures" / "cell_totals.json").read_text(encoding="utf-8"))


def dask_work_cell(index=2):
    """The Dask demo's work cell: 0.13 mWh in the kernel, 3 Wh on two workers."""
    nodes = [
        priced_node("tcp://10.0.0.1:1", {"host": "a", "pid": 1, "by_component": {"cpu": 7200.0}, "method": {"cpu": "measured"},
                                         "intensity": {"zone": "FR", "g_per_kwh": 30.0, "pue": 1.1}}, "answered"),
        priced_node("tcp://10.0.0.2:1", {"host": "b", "pid": 2, "by_component": {"cpu": 3600.0}, "method": {"cpu": "estimated"},
                                         "intensity": {"zone": "PL", "g_per_kwh": 600.0, "pue": 1.0}}, "answered"),
    ]  # fmt: skip
    return dataclasses.replace(record(index, 0.468), cluster=cluster_part("dask", nodes))


def made_cell():
    """A cell with an embodied part and a declared unit, no cluster."""
    return dataclasses.replace(
        record(1, 36.0),
        embodied={"emissions_g": 0.0004, "low_g": 0.0003, "high_g": 0.0012, "by_component": {"gpu": 0.0004}, "lifetime_years": 5.0},
        functional_unit={"quantity": 1000.0, "unit": "samples", "declared_by": "cell"},
    )


def test_the_fixture_holds_the_footprints_python_writes():
    assert [case[0] for case in CASES["cells"]] == [json.loads(json.dumps(footprint(r))) for r in (dask_work_cell(), made_cell())]


def test_the_dask_work_cell_leads_with_kernel_plus_cluster_in_every_view():
    cell, small = dask_work_cell(), record(1, 5.0)
    total = cell_total(cell)
    assert total.energy_j == pytest.approx(0.468 + 10800.0)
    assert total.emissions_g == pytest.approx(cell.emissions_g + cell.cluster["emissions_g"])
    energy, mass = format_energy(total.energy_j), format_mass(total.emissions_g)
    # the %%carbon line
    assert cell_line(cell).startswith(f"carbon: total {energy} → {mass} CO2e in ")
    assert f"= kernel {energy_text(cell.to_dict())} (" in cell_line(cell)  # the kernel's part with its bounds
    # the lab footer (the fixture's text, which jest checks the footer draws)
    assert CASES["cells"][0][3].startswith(f"carbon: total {energy} · {mass} CO2e · ")
    # the per-cell table of `jupyter carbon run`: its energy and CO2e columns are the total
    head, _, row = cell_table([small, cell]).splitlines()
    assert head.split()[:5] == ["cell", "energy", "CO2e", "kernel", "cluster"]
    assert re.search(rf"\s{re.escape(energy)}\s+{re.escape(mass)}\s+{re.escape(format_energy(0.468))}\s+{re.escape(format_energy(10800.0))}\s", row), row
    # JSON and CSV
    report = Report([small, cell], totals_of([small, cell]), "sess-1", None, [], None, [])
    cells = json.loads(render(report, "json"))["cells"]
    assert cells[1]["total_energy_j"] == pytest.approx(total.energy_j) and cells[1]["energy_j"] == pytest.approx(0.468)
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert float(rows[1]["total_energy_j"]) == pytest.approx(total.energy_j)
    assert float(rows[1]["total_emissions_g"]) == pytest.approx(total.emissions_g)
    # the costliest cells rank by the total: the Dask cell's kernel part is the smaller
    assert costliest([small, cell], 1) == [cell]
    # the summary and the status line lead with the session's total
    t = report.totals
    assert f"Energy: {format_energy(t.total_energy_j)} = kernel {energy_range(t)}" in summary_text(report)  # the kernel's part with its bounds
    assert f"total {format_energy(t.total_energy_j)}" in status_line(t, enabled=True, intensity=None)
    for fmt in ("md", "html"):
        assert format_energy(t.total_energy_j) in render(report, fmt)


def test_a_cell_without_cluster_work_reads_as_before():
    cell = record(1, 36.0)
    assert cell_line(cell).startswith(f"carbon: {energy_text(cell.to_dict())} (")
    assert cell_total(cell) == (36.0, cell.facility_energy_j, cell.emissions_g)


def test_the_named_parts_read_the_same_under_the_cell_and_in_the_footer():
    cell = made_cell()
    parts = named_parts(cell.to_dict())
    assert parts.startswith(" · embodied ") and " · SCI " in parts
    assert cell_line(cell).endswith(parts) and CASES["cells"][1][3].endswith(parts)


def test_a_cell_with_a_declared_unit_reports_its_sci_by_hand(tmp_path):
    """SCI = (E × I + M) per R: the cell's operational grams plus its embodied grams, per unit."""
    from test_meter import ScriptedSource

    clock = FakeClock()
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)  # a steady 10 W
    carbon = CarbonContext(CarbonMeter(region="FR", pue=1.2), env={}, timezone="")
    session = Session(meter, carbon, ledger_dir=tmp_path)
    cell = session.begin(source="train()")
    clock.advance(360.0)
    unit = {"quantity": 1000.0, "unit": "samples", "declared_by": "cell"}
    r = session.end(cell, unit=unit)
    session.close()
    carbon.close()
    e_kwh = 10.0 * 360.0 / 3.6e6 * 1.2  # E: energy at the facility
    i = r.intensity["g_per_kwh"]
    m = 0.0  # M: a scripted source names no hardware
    by_hand = (e_kwh * i + m) / 1000.0
    assert footprint(r)["sci_g"] == pytest.approx(by_hand, rel=1e-5)
    assert f"SCI {format_mass(by_hand)} CO2e per unit (R = 1000 samples)" in cell_line(r)
    assert session.totals.sci_g == pytest.approx(by_hand)


def test_sci_counts_the_embodied_part_and_the_cluster(tmp_path):
    cell = dataclasses.replace(made_cell(), cluster=dask_work_cell().cluster)
    by_hand = (cell.emissions_g + cell.cluster["emissions_g"] + 0.0004) / 1000.0
    assert footprint(cell)["sci_g"] == pytest.approx(by_hand)
    report = Report([cell], totals_of([cell]), "s", None, [], None, [])
    row = next(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert float(row["sci_g_per_unit"]) == pytest.approx(by_hand) and row["functional_unit"] == "samples"
    assert "SCI: " in summary_text(report) and "per unit (R = 1000 samples)" in render(report, "model-card")


def test_a_session_unit_applies_to_each_later_cell_and_a_cell_may_declare_its_own(tmp_path):
    from test_meter import ScriptedSource

    clock = FakeClock()
    session = Session(Meter([ScriptedSource(clock)], clock=clock, start=False), None, ledger_dir=tmp_path)
    session.functional_unit = {"quantity": 10.0, "unit": "images"}
    first = run_cell(session, clock, 1.0)
    cell = session.begin(source="x")
    own = session.end(cell, unit={"quantity": 5.0, "unit": "images", "declared_by": "cell"})
    session.close()
    assert first.functional_unit == {"quantity": 10.0, "unit": "images", "declared_by": "session"}
    assert own.functional_unit["quantity"] == 5.0 and session.totals.unit_quantity == 15.0


def test_the_cell_magic_takes_a_unit_and_refuses_a_wrong_one_in_one_line():
    from IPython.core.error import UsageError

    from jupyter_carbon.kernel.magics import cell_options

    assert cell_options(" -u 1000 samples").unit == {"quantity": 1000.0, "unit": "samples", "declared_by": "cell"}
    for wrong, said in ((" -u many samples", "'many' is not a number"), (" -u 0 samples", "must be above 0")):
        with pytest.raises(UsageError, match=said):
            cell_options(wrong)


def test_the_html_report_draws_the_split_of_the_footprint():
    cell = dataclasses.replace(made_cell(), cluster=dask_work_cell().cluster)
    page = render(Report([cell], totals_of([cell]), "s", None, [], None, []), "html")
    assert 'aria-label="Footprint by part: ' in page
    for label in ("the kernel's cells (operational)", "the cells' cluster work (operational)", "embodied (hardware manufacturing)"):
        assert html.escape(label) in page


@pytest.mark.parametrize("returned, r", [("512", 512.0), ("[0] * 64", 64.0), ("2.5", 2.5)])
def test_a_result_unit_takes_r_from_what_the_cell_returns(shell, capsys, returned, r):
    shell.run_cell(f"%%carbon -u result samples -o rec\nx = 1\n{returned}")
    rec = shell.user_ns["rec"]
    assert rec.functional_unit == {"quantity": r, "unit": "samples", "declared_by": "return"}
    assert f"(R = {r:g} samples)" in capsys.readouterr().out


@pytest.mark.parametrize("returned, why", [
    ("None", "returned nothing"), ("'abc'", "returned str 'abc', not a count of samples"),
    ("{'a': 1}", "returned dict"), ("0", "returned int 0, not a count"), ("True", "returned bool"),
])
def test_a_result_unit_says_why_a_value_is_not_a_count_and_gives_no_sci(shell, capsys, returned, why):
    shell.run_cell(f"%%carbon -u result samples -o rec\n{returned}")
    out = capsys.readouterr().out
    assert shell.user_ns["rec"].functional_unit is None and "SCI" not in out.replace("no SCI", "")
    assert f"no SCI: the cell {why}" in out


def test_a_session_result_unit_counts_each_cells_own_value_and_keeps_numbers_otherwise(shell, capsys):
    shell.run_line_magic("carbon", "unit result images")
    assert "the number of images it returns" in capsys.readouterr().out
    shell.run_cell("list(range(30))")
    shell.run_cell("y = 2")  # returns nothing: no unit, no error
    shell.run_cell("%%carbon -u 7 images\n3")  # its own number wins over the value
    shell.run_line_magic("carbon", "unit 10 images")
    shell.run_cell("z = 3")
    from jupyter_carbon.kernel.extension import extension_of

    records = extension_of(shell).session.records
    units = [r.functional_unit for r in records[-4:]]
    assert units[0] == {"quantity": 30.0, "unit": "images", "declared_by": "return"}
    assert units[1] is None
    assert units[2] == {"quantity": 7.0, "unit": "images", "declared_by": "cell"}
    assert units[3] == {"quantity": 10.0, "unit": "images", "declared_by": "session"}


def test_every_csv_column_holds_what_its_name_says():
    """The CSV row is built by position (one ``csv_numbers`` call spells a row's numbers
    together): a cell with every part, each figure a different number, read back by column
    name, so a column moved or added in the wrong place fails here."""
    r = dataclasses.replace(
        made_cell(),
        cluster=dask_work_cell().cluster,
        bounds={"energy_j": [30.0, 44.0], "emissions_g": [0.005, 0.0071]},
        notebook="train.ipynb",
        cell_position=7,
    )
    total = cell_total(r)
    expected = {
        "index": r.index, "execution_count": r.execution_count, "cell_id": r.cell_id, "source": r.source,
        "started_at": r.started_at, "ended_at": r.ended_at, "duration_s": r.duration_s, "status": r.status, "error": "",
        "total_energy_j": total.energy_j, "total_emissions_g": total.emissions_g, "energy_j": r.energy_j,
        "gpu_j": r.by_component["gpu"], "cpu_j": r.by_component["cpu"], "memory_j": r.by_component["memory"],
        "method_gpu": "measured", "method_cpu": "estimated", "method_memory": "estimated",
        "device_energy_j": r.device_energy_j, "pue": r.pue, "facility_energy_j": r.facility_energy_j,
        "emissions_g": r.emissions_g, "g_per_kwh": r.intensity["g_per_kwh"], "zone": "DE",
        "intensity_source": r.intensity["source"], "intensity_year": r.intensity["year"], "signal": r.intensity["signal"],
        "notebook": "train.ipynb", "cell_position": 7, "cell": cell_label(r),
        "cluster_energy_j": r.cluster["energy_j"], "cluster_emissions_g": r.cluster["emissions_g"],
        "cluster_workers": r.cluster["nodes"], "cluster_zones": "FR PL",
        "energy_low_j": 30.0, "energy_high_j": 44.0, "emissions_low_g": 0.005, "emissions_high_g": 0.0071,
        "embodied_g": 0.0004, "embodied_low_g": 0.0003, "embodied_high_g": 0.0012,
        "functional_unit_r": 1000.0, "functional_unit": "samples", "sci_g_per_unit": cell_sci(r),
    }  # fmt: skip
    numbers = [v for v in expected.values() if isinstance(v, float)]
    assert len(set(numbers)) == len(numbers)  # each figure tells its column apart
    report = Report([r], totals_of([r]), "sess-1", None, [], None, [])
    [row] = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert set(row) == set(expected) | {"cluster_detail"}
    for column, value in expected.items():
        if isinstance(value, float):
            assert float(row[column]) == pytest.approx(value, rel=1e-12), column
        else:
            assert row[column] == str(value), column
    assert [w["node"] for w in json.loads(row["cluster_detail"])] == [w["node"] for w in r.cluster["workers"]]
