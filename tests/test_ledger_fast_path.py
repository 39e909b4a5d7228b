"""The quick check of a ledger line (``records._common``) and orjson's reading of it never
accept what the full check refuses: a line they do not pass gets the full check, and its
error, as before.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from jupyter_carbon import ledger as ledger_module
from jupyter_carbon import records
from jupyter_carbon.records import CellRecord

GOLDEN = Path(__file__).parent / "fixtures" / "report_golden"


def good() -> dict:
    """A record of the current shape with bounds and embodied parts, as a ledger holds it."""
    for line in (GOLDEN / "rich.jsonl").read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data.get("type") == "cell" and data.get("bounds") and data.get("intensity") and tuple(data) == records._FIELD_ORDER:
            return data
    raise AssertionError("the fixture holds no current record")


def verdict(data: dict):
    """What ``from_dict`` says: the record, or its ValueError's text."""
    try:
        return CellRecord.from_dict(data)
    except ValueError as err:
        return str(err)


def full_check(data: dict):
    """What the full check alone says."""
    saved = records._common
    records._common = lambda d: False
    try:
        return verdict(data)
    finally:
        records._common = saved


def test_the_usual_line_takes_the_quick_path_and_gives_the_same_record():
    data = good()
    assert records._common(data)
    assert CellRecord.from_dict(data) == full_check(data)


ODD = [None, -1.0, -0.5, 0, 1, True, False, "x", "", [], {}, math.nan, math.inf, 10**400, 2024.0, [1.0, 0.5], {"gpu": -1.0}]


@pytest.mark.parametrize("field", records._FIELD_ORDER)
def test_a_wrong_value_anywhere_is_never_passed_by_the_quick_check(field):
    """Every field set to every odd value: whatever the quick check passes, the full check
    passes too, and to the same record."""
    for value in ODD:
        data = good()
        data[field] = value
        full = full_check(data)
        if records._common(data):
            assert isinstance(full, CellRecord), (field, value, full)
        assert verdict(data) == full, (field, value)


@pytest.mark.parametrize("part", ["by_component", "device_by_component", "method", "intensity", "bounds", "embodied"])
def test_a_wrong_value_inside_a_part_is_never_passed(part):
    base = good()
    if not isinstance(base.get(part), dict):
        pytest.skip(f"the fixture's record has no {part}")
    for key in list(base[part]):
        for value in ODD:
            data = good()
            data[part] = {**data[part], key: value}
            full = full_check(data)
            if records._common(data):
                assert isinstance(full, CellRecord), (part, key, value)
            assert verdict(data) == full, (part, key, value)


def test_a_remembered_intensity_does_not_pass_one_that_differs_only_in_type():
    """1 == True and 2024 == 2024.0 in Python: a remembered valid intensity must not vouch
    for one whose ``guess`` is 0 or whose ``year`` is a float (the full check refuses both)."""
    data = good()
    data["intensity"] = {**data["intensity"], "guess": False, "year": 2024}
    assert records._common(data)  # remembered
    for key, value in (("guess", 0), ("year", 2024.0)):
        odd = good()
        odd["intensity"] = {**data["intensity"], key: value}
        assert not records._common(odd), key
        assert "intensity" in full_check(odd)


def test_a_line_of_another_order_or_an_older_ledger_takes_the_full_check():
    data = good()
    reordered = dict(reversed(list(data.items())))
    assert not records._common(reordered)
    assert CellRecord.from_dict(reordered) == CellRecord.from_dict(data)
    older = {k: v for k, v in data.items() if k not in ("bounds", "embodied", "functional_unit", "source_sha256", "cell_position")}
    assert not records._common(older)
    assert CellRecord.from_dict(older).bounds is None


def test_lines_that_orjson_refuses_are_read_as_json_reads_them(tmp_path, caplog):
    """NaN (which json reads and the record's check refuses), an index past 64 bits (which
    json reads and the check takes) and a torn line: the same verdicts either way."""
    pytest.importorskip("orjson")
    data = good()
    nan_line = json.dumps({**data, "energy_j": "NAN"}).replace('"NAN"', "NaN")
    big_line = json.dumps({**data, "index": 2**70})
    lines = [json.dumps({"type": "session", "session_id": "s"}), json.dumps(data), nan_line, big_line, json.dumps(data)[:50]]
    path = tmp_path / "l.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = ledger_module.read_ledger(path)
    ledger_module._fast_loads.cache_clear()
    try:
        import unittest.mock

        with unittest.mock.patch.object(ledger_module, "_fast_loads", lambda: None):
            slow = ledger_module.read_ledger(path)
    finally:
        ledger_module._fast_loads.cache_clear()
    assert fast.skipped == slow.skipped == [3, 5]
    assert fast.records == slow.records and [r.index for r in fast.records] == [data["index"], 2**70]
    warned = [m for m in caplog.messages if "unreadable" in m]
    assert len(warned) == 2 and warned[0] == warned[1]  # the same first error, in the same words
