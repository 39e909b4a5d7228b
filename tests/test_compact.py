"""Records kept compactly: read back equal, field for field and byte for byte in JSON, and small."""

import dataclasses
import json
import random
import tracemalloc

import pytest
from fakes import FakeClock, run_cell
from test_meter import ScriptedSource

from jupyter_carbon.carbon import CarbonContext
from jupyter_carbon.compact import Packed, as_dict
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.meter import Meter
from jupyter_carbon.records import CellRecord, IdleSpan, Totals, cell_total, costliest
from jupyter_carbon.session import CELL_OWN, Session


def line(record) -> str:
    """A record as the ledger writes it."""
    return json.dumps(record.to_dict(), separators=(",", ":"), allow_nan=False)


def rich(i: int, rng: random.Random, **changes) -> CellRecord:
    """A record with every kind of field: cluster part, bounds, embodied part, unit."""
    j = rng.random() * 10**rng.randint(-9, 6)
    fields = dict(
        session_id="20261207T120416Z-1069-17fc15", index=i, execution_count=i + 3, cell_id=f"c-{i}",
        source=f"train(model, {i})", started_at="2026-12-07T12:04:16.656+00:00", ended_at=f"2026-12-07T12:04:{i % 60:02d}.0{i % 100:02d}+00:00",
        duration_s=rng.random(), status="ok", error=None, energy_j=j, by_component={"cpu": j * 0.9, "memory": j * 0.1},
        method={"cpu": "estimated", "memory": "estimated"}, device_energy_j=j * 2, device_by_component={"cpu": j, "memory": j},
        pue=1.2, facility_energy_j=j * 1.2, emissions_g=j * 1e-5,
        intensity={"g_per_kwh": 31.0, "zone": "FR", "year": 2025, "guess": False, "fallback_reason": None},
        magic=bool(i % 2), notebook="work/a.ipynb", below_resolution=["gpu"] if i % 3 else [],
        cluster={"energy_j": j, "facility_energy_j": j, "emissions_g": None, "zones": ["FR"], "workers": [{"node": "tcp://a:1", "energy_j": j, "status": "answered"}], "nodes": 1, "complete": True},
        cell_position=i, source_sha256=f"{i:064x}", bounds={"energy_j": [j * 0.5, j * 2], "by_component": {"cpu": [0.0, -0.0]}, "emissions_g": None},
        embodied={"emissions_g": j, "low_g": j / 3, "by_component": {"cpu": j}, "lifetime_years": 5.0, "parts": {"cpu:model": "per die"}, "year": 2025},
        functional_unit={"quantity": 1000, "unit": "samples", "declared_by": "cell"},
    )  # fmt: skip
    return CellRecord(**{**fields, **changes})


def test_to_dict_is_asdict_without_its_cost_and_shares_nothing():
    record = rich(7, random.Random(1), cluster={"energy_j": 1.0, "facility_energy_j": 1.0, "pair": (1, [2.0])})
    assert record.to_dict() == dataclasses.asdict(record)
    assert list(record.to_dict()) == list(dataclasses.asdict(record))  # the ledger's key order
    copy = record.to_dict()
    copy["by_component"]["cpu"] = -1.0
    copy["bounds"]["energy_j"].append(3.0)
    copy["cluster"]["pair"][1].append(9)
    assert record.to_dict() == dataclasses.asdict(record) and record.by_component["cpu"] != -1.0
    totals = Totals()
    totals.add(record)
    assert totals.to_dict() == dataclasses.asdict(totals) | {k: totals.to_dict()[k] for k in ("total_energy_j", "total_emissions_g", "footprint_g", "sci_g")}


def test_packed_records_read_back_equal_and_byte_for_byte():
    rng = random.Random(27)
    odd = [
        rich(1, rng, started_at="2026-12-07T12:04:16+00:00", source_sha256="NOT-HEX", execution_count=None, cell_id=None),
        rich(2, rng, ended_at="2026-12-07T12:04:16.656123+00:00", source_sha256=None, index=2**70, error="ValueError"),
        rich(3, rng, started_at="1969-12-31T23:59:59.999+00:00", intensity=None, emissions_g=None, cluster=None, embodied=None),
        rich(4, rng, source="", notebook=None, cell_position=None, functional_unit=None, bounds=None),
        rich(5, rng, started_at="2026-02-30T12:04:16.656+00:00", ended_at="0999-01-01T00:00:00.000+00:00"),  # no such day; a 3-digit year
    ]
    records = odd + [rich(i, rng) for i in range(6, 200)]
    store = Packed(CellRecord, CELL_OWN)
    for r in records:
        store.append(r)
    assert len(store) == len(records)
    assert list(store) == records and store[-1] == records[-1] and store[1:3] == records[1:3]
    for got, want in zip(store, records):
        assert line(got) == line(want)
        assert [type(getattr(got, f)) for f in CellRecord.__dataclass_fields__] == [type(getattr(want, f)) for f in CellRecord.__dataclass_fields__]
    assert store[0] is not store[0]  # each read is a fresh record: changing it changes nothing kept
    store[0].by_component["cpu"] = 0.0
    assert store[0] == records[0]
    assert store[-1] is records[-1] and store[len(store) - 1] is records[-1] and list(store)[-1] is records[-1]


def test_idle_spans_pack_too():
    span = IdleSpan(session_id="s", before_cell=3, started_at="2026-12-07T12:04:16.656+00:00", ended_at="2026-12-07T12:05:16.001+00:00",
                    duration_s=60.0, energy_j=12.5, by_component={"gpu": 12.5}, method={"gpu": "measured"}, device_energy_j=40.0,
                    device_by_component={"gpu": 40.0}, pue=1.0, facility_energy_j=12.5, emissions_g=0.1, intensity=None)  # fmt: skip
    store = Packed(IdleSpan, ("before_cell", "started_at", "ended_at"))
    store.append(span)
    assert store[0] == span and line(store[0]) == line(span)


def test_records_of_one_shape_share_it_and_take_under_half_a_kilobyte():
    rng = random.Random(3)
    records = [rich(i, rng, below_resolution=[], ended_at="2026-12-07T12:04:16.656+00:00") for i in range(1, 2001)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = Packed(CellRecord, CELL_OWN)
        for r in records:
            store.append(r)
        per_record = (tracemalloc.get_traced_memory()[0] - before) / len(records)
    finally:
        tracemalloc.stop()
    assert len(store._by_id) == 2  # magic or not: the only field that differs but the own ones and floats
    print(f"{per_record:.0f} bytes a record")
    assert per_record <= 500, f"{per_record:.0f} bytes a record"
    assert sum(len(line(r)) for r in records) / len(records) > 1500  # what they were as text


def test_costliest_of_a_store_is_the_costliest_of_its_records():
    rng = random.Random(5)
    records = [rich(i, rng, cluster=None if i % 4 else {"energy_j": rng.random() * 1e6, "facility_energy_j": 0.0}) for i in range(1, 300)]
    records += [records[10], records[20]]  # ties keep the earlier first, as sorted() does
    store = Packed(CellRecord, CELL_OWN, key=lambda r: cell_total(r).energy_j)
    for r in records:
        store.append(r)
    assert costliest(store, 15) == costliest(list(records), 15)
    assert costliest(store, 1000) == costliest(list(records), 1000)


@pytest.fixture
def session(tmp_path):
    clock = FakeClock()
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    carbon = CarbonContext(CarbonMeter(region="FR"), env={}, timezone="")
    s = Session(meter, carbon, ledger_dir=tmp_path)
    yield s, clock
    s.close()
    carbon.close()


def test_a_sessions_ledger_lines_are_its_records_as_kept(session):
    s, clock = session
    made = [run_cell(s, clock, seconds, source=f"x = {seconds}") for seconds in (1.0, 2.5, 0.25)]
    lines = s.ledger.path.read_text().splitlines()[1:]
    assert lines == [line(r) for r in made] == [line(r) for r in s.records]
    assert list(s.records) == made and isinstance(s.records, Packed)
