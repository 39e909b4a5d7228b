"""The session ledger: records, totals, the JSONL file, reading it back, listeners."""

import json
import logging

import pytest
from fakes import FakeClock, run_cell
from test_meter import ScriptedSource

from jupyter_carbon.carbon import CarbonContext
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.meter import Meter
from jupyter_carbon.ledger import list_ledgers, read_ledger
from jupyter_carbon.records import CellRecord
from jupyter_carbon.session import Session


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def session(tmp_path, clock):
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)  # a steady 10 W
    carbon = CarbonContext(CarbonMeter(region="FR"), env={}, timezone="")
    s = Session(meter, carbon, ledger_dir=tmp_path)
    yield s
    s.close()
    carbon.close()


def test_a_cell_is_measured_priced_and_on_disk_when_it_ends(session, clock):
    record = run_cell(session, clock, 36.0, source="\n\ntrain(model)  # first line\nmore()")
    assert record.energy_j == pytest.approx(360.0)
    assert record.by_component == {"cpu": pytest.approx(360.0)}
    assert record.method == {"cpu": "measured"}
    assert record.source == "train(model)  # first line"
    intensity = record.intensity
    assert intensity["zone"] == "FR" and intensity["chosen_by"] == "config"
    expected_g = 360.0 / 3.6e6 * record.pue * intensity["g_per_kwh"]
    assert record.emissions_g == pytest.approx(expected_g)
    assert record.facility_energy_j == pytest.approx(360.0 * record.pue)
    on_disk = read_ledger(session.ledger.path)  # flushed: readable before the session closes
    assert on_disk.records == [record]
    assert on_disk.header["schema_version"] == 1 and on_disk.header["session_id"] == session.session_id


def test_totals_are_kept_incrementally(session, clock):
    records = [run_cell(session, clock, s) for s in (1.0, 2.0, 3.0)]
    records.append(run_cell(session, clock, 0.5, status="error", error="ZeroDivisionError"))
    t = session.totals
    assert t.cells == 4 and t.errors == 1
    assert t.energy_j == pytest.approx(sum(r.energy_j for r in records))
    assert t.emissions_g == pytest.approx(sum(r.emissions_g for r in records))
    assert t.duration_s == pytest.approx(6.5)
    assert [r.index for r in records] == [1, 2, 3, 4]
    assert read_ledger(session.ledger.path).totals.energy_j == pytest.approx(t.energy_j)


def test_bad_status_is_refused_and_nothing_is_recorded(session, clock):
    cell = session.begin()
    with pytest.raises(ValueError, match="ok, error, interrupted"):
        session.end(cell, status="crashed")
    assert session.totals.cells == 0 and read_ledger(session.ledger.path).records == []


def test_listeners_hear_start_end_totals_and_power(session, clock):
    events = []
    unsubscribe = session.subscribe(lambda event, payload: events.append(event))
    run_cell(session, clock, 1.0)
    session.meter.tick()
    assert events == ["cell_start", "cell_end", "totals", "power"]
    unsubscribe()
    run_cell(session, clock, 1.0)
    assert len(events) == 4


def test_live_energy_of_the_running_cell(session, clock):
    assert session.live_energy_j() == 0.0
    cell = session.begin()
    clock.advance(2.0)
    assert session.live_energy_j() == pytest.approx(20.0)
    session.end(cell)
    assert session.live_energy_j() == 0.0


def test_corrupt_and_torn_lines_are_skipped_with_one_warning(session, clock, caplog):
    good = [run_cell(session, clock, 1.0) for _ in range(3)]
    path = session.ledger.path
    lines = path.read_text().splitlines()
    lines.insert(2, "{not json")
    lines.insert(3, json.dumps({"type": "cell", "index": 9}))  # lacks fields
    lines.append('{"type": "cell", "session_id": "x", "ind')  # torn by a crash mid-write
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        contents = read_ledger(path)
    assert contents.records == good
    assert contents.skipped == [3, 4, 7]
    assert len([r for r in caplog.records if "skipped 3 unreadable" in r.getMessage()]) == 1


def test_reset_starts_a_new_ledger_and_keeps_the_old(session, clock, tmp_path):
    run_cell(session, clock, 1.0)
    old_path, old_id = session.ledger.path, session.session_id
    session.reset()
    assert session.totals.cells == 0 and session.session_id != old_id
    run_cell(session, clock, 2.0)
    # both kept (file times within one clock tick may tie, so no order is asserted)
    assert set(list_ledgers(tmp_path)) == {old_path, session.ledger.path}
    assert session.previous_ledger_path == old_path
    assert len(read_ledger(old_path).records) == 1
    assert read_ledger(session.ledger.path).records[0].index == 1


def test_unwritable_ledger_keeps_totals_in_memory(tmp_path, clock, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        s = Session(meter, None, ledger_dir=blocker / "ledgers")
    assert s.ledger is None and any("cannot write the ledger" in r.getMessage() for r in caplog.records)
    record = run_cell(s, clock, 1.0)
    assert record.emissions_g is None and s.totals.cells == 1


def test_record_from_dict_rejects_what_is_not_a_record():
    with pytest.raises(ValueError, match="lacks"):
        CellRecord.from_dict({"type": "cell"})
