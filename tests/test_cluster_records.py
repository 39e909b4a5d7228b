"""The cluster part in records, the ledger, the texts and the exports; old records still read."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from test_report import record

from jupyter_carbon.cluster.base import cluster_part, priced_node
from jupyter_carbon.footprint import footprint
from jupyter_carbon.ledger import Ledger, read_ledger
from jupyter_carbon.records import CellRecord
from jupyter_carbon.report import Report
from jupyter_carbon.report.formats import render
from jupyter_carbon.report.model import totals_of
from jupyter_carbon.text import cell_line, cluster_power_text, cluster_text


def part():
    nodes = [
        priced_node("tcp://10.0.0.1:1", {"host": "a", "pid": 1, "by_component": {"cpu": 7200.0}, "method": {"cpu": "measured"},
                                         "intensity": {"zone": "FR", "g_per_kwh": 30.0, "pue": 1.1}}, "answered"),
        priced_node("tcp://10.0.0.2:1", {"host": "b", "pid": 2, "by_component": {"cpu": 3600.0}, "method": {"cpu": "estimated"},
                                         "intensity": {"zone": "PL", "g_per_kwh": 600.0, "pue": 1.0}}, "answered"),
        priced_node("tcp://10.0.0.3:1", {"error": "no jupyter-carbon meter on this worker"}, "missing"),
    ]  # fmt: skip
    return cluster_part("dask", nodes)


def with_cluster(index, energy_j):
    return dataclasses.replace(record(index, energy_j), cluster=part())


def test_a_record_with_a_cluster_part_goes_through_the_ledger_and_old_records_still_read(tmp_path):
    path = tmp_path / "s.jsonl"
    ledger = Ledger(path, {"session_id": "sess-1"})
    old = record(1, 10.0).to_dict()
    old.pop("cluster")  # a ledger written before records had a cluster part
    ledger.append(CellRecord.from_dict(old))
    ledger.append(with_cluster(2, 20.0))
    ledger.close()
    back = read_ledger(path)
    assert [r.cluster for r in back.records] == [None, part()]
    assert back.totals.cluster_cells == 1 and back.totals.cluster_energy_j == pytest.approx(10800.0)
    assert back.totals.cluster_emissions_g == pytest.approx(7920 / 3.6e6 * 30 + 3600 / 3.6e6 * 600)


def test_a_cluster_part_of_the_wrong_shape_is_refused_by_name():
    bad = with_cluster(1, 1.0).to_dict()
    bad["cluster"] = {"energy_j": -1, "facility_energy_j": 0}
    with pytest.raises(ValueError, match="field cluster"):
        CellRecord.from_dict(bad)


def test_the_cell_line_names_the_cluster_part_and_what_is_missing():
    line = cell_line(with_cluster(1, 1.0))
    assert "cluster 3.0 Wh on 2 workers in 2 zones" in line
    assert "incomplete: tcp://10.0.0.3:1: no jupyter-carbon meter on this worker" in line


def test_exports_carry_each_workers_detail():
    records = [record(1, 5.0), with_cluster(2, 20.0)]
    report = Report(records, totals_of(records), "sess-1", "2026-11-22T04:00:00Z", [], None, [])
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows[0]["cluster_detail"] == "" and float(rows[1]["cluster_energy_j"]) == pytest.approx(10800.0)
    detail = json.loads(rows[1]["cluster_detail"])
    assert [(w["host"], w["zone"], w["status"]) for w in detail] == [("a", "FR", "answered"), ("b", "PL", "answered"), (None, None, "missing")]
    cells = json.loads(render(report, "json"))["cells"]
    assert cells[1]["cluster"]["workers"][1]["emissions_g"] == pytest.approx(0.6)
    for name in ("md", "html"):
        assert "on 2 workers (2 hosts) in 2 zones (FR, PL)" in render(report, name)


def test_the_footprint_gains_the_cluster_sums_only_when_there_is_a_cluster_part():
    assert "cluster" not in footprint(record(1, 1.0))
    assert footprint(with_cluster(1, 1.0))["cluster"] == {
        "energy_j": 10800.0, "emissions_g": pytest.approx(0.666, rel=1e-3), "workers": 2, "zones": ["FR", "PL"], "complete": False,
        "note": "tcp://10.0.0.3:1: no jupyter-carbon meter on this worker", "carried": False,
    }  # fmt: skip


def test_the_totals_name_the_workers_and_zones_charged_over_the_cells():
    one_zone = cluster_part("dask", part()["workers"][:1])
    records = [record(1, 5.0), with_cluster(2, 20.0), dataclasses.replace(record(3, 1.0), cluster=one_zone)]
    t = totals_of(records)
    assert t.cluster_nodes == ["tcp://10.0.0.1:1", "tcp://10.0.0.2:1"] and t.cluster_zones == ["FR", "PL"]
    assert totals_of([record(1, 5.0)]).to_dict()["cluster_nodes"] == []


TEXTS = json.loads((Path(__file__).parent / "fixtures" / "cluster_texts.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("part, energy_unit, mass_unit, text", TEXTS["cell"])
def test_the_cluster_text_reads_as_the_lab_footer_reads_it(part, energy_unit, mass_unit, text):
    assert cluster_text(part, energy_unit, mass_unit) == text


@pytest.mark.parametrize("power, text", TEXTS["power"])
def test_the_cluster_power_reads_as_the_lab_status_bar_reads_it(power, text):
    assert cluster_power_text(power) == text


def test_the_cluster_part_follows_the_units_the_kernels_views_use():
    """In a kernel whose user chose Wh and g, the cluster part of the ``%%carbon`` line is
    in Wh and g like the kernel's own part, not in the automatic units."""
    from jupyter_carbon.units import display_units

    # 0.1 Wh and 0.03 g: above a thousandth of each fixed unit, below which a figure is said
    # in the unit that reads (0.30 mg, not 0.0003 g), as in auto.
    fr = {"host": "a", "pid": 1, "by_component": {"cpu": 360.0}, "method": {"cpu": "estimated"},
          "intensity": {"zone": "FR", "g_per_kwh": 300.0, "pue": 1.0}}  # fmt: skip
    with display_units("Wh", "g"):
        text = cluster_text(cluster_part("dask", [priced_node("tcp://a:1", fr, "answered")]))
    assert text == "cluster 0.10 Wh on 1 worker in FR → 0.030 g CO2e", text


def test_a_cluster_part_that_charged_no_worker_is_not_a_cluster_cell_in_the_totals():
    """The cell that starts a LocalCluster has a complete part with no worker charged (its
    workers are the kernel's children, in the kernel's own figures): the totals' "over N
    cells" must not count it, as its line and footer say nothing of the cluster."""
    nothing = cluster_part("dask", [])
    charged = part()
    totals = totals_of([dataclasses.replace(record(1, 10.0), cluster=nothing), dataclasses.replace(record(2, 10.0), cluster=charged)])
    assert cluster_text(nothing) == ""
    assert totals.cluster_cells == 1
