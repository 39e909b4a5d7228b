"""A ledger line written by orjson is the standard library's line, byte for byte."""

import json
import math
import random
import struct

import pytest
from test_compact import rich

from jupyter_carbon import jsonline
from jupyter_carbon.ledger import Ledger, read_ledger
from jupyter_carbon.records import CellRecord

pytest.importorskip("orjson")


def stdlib(obj) -> bytes:
    """What the ledger wrote before orjson: the standard library's compact, ASCII line."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("ascii")


def test_orjson_is_used_where_installed():
    assert jsonline._tools() is not None


def floats(n: int, seed: int) -> list[float]:
    """Floats of every magnitude and digit count: random bit patterns, short decimals, and
    the neighbours of the places where ``repr`` changes notation."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append(struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0])
        out.append(round(rng.random(), rng.randint(1, 17)) * 10.0 ** rng.randint(-30, 30))
        out.append(rng.random() * 10.0 ** rng.randint(-9, 6))  # a cell's joules and grams
    for edge in (1e-4, 1e-5, 1e16, 1e-7, 1e-10, 1e-100):
        x = edge
        for _ in range(5):
            out += [x, -x]
            x = math.nextafter(x, 0.0)
        x = edge
        for _ in range(5):
            out += [x, -x]
            x = math.nextafter(x, math.inf)
    return [x for x in out if math.isfinite(x)]


@pytest.mark.parametrize("seed", range(4))
def test_floats_of_every_magnitude_are_spelled_as_repr_spells_them(seed):
    values = floats(2000, seed)
    for chunk in range(0, len(values), 50):  # one number orjson cannot respell sends only its line to json
        obj = {"energy_j": values[chunk : chunk + 50], "bounds": {"x": values[chunk : chunk + 2]}}
        assert jsonline.line(obj) == stdlib(obj)


def test_the_fast_path_writes_the_usual_record_itself(monkeypatch):
    record = rich(3, random.Random(5), emissions_g=3.8e-9, duration_s=5.5e-05)
    obj = record.to_dict()
    assert jsonline._fast_line(obj, *jsonline._tools()) == stdlib(obj)


@pytest.mark.parametrize(
    "text",
    ["Île-de-France", "naïve 😀 café", "tab\tnew\nline \x01 \x7f del", 'quote " and \\ backslash', "1e-5, 0.00001, 2e16]", "x:1e5,y:0.00005}", "e-5"],
)
def test_strings_are_escaped_as_json_escapes_them_and_never_respelled(text):
    obj = {"source": text, "zone_name": text, "energy_j": 1e-7, "small": 5.5e-05, "n": [text, 1e-9]}
    assert jsonline.line(obj) == stdlib(obj)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_as_before(bad):
    with pytest.raises(ValueError):
        jsonline.line({"energy_j": 1.0, "by_component": {"cpu": bad}})


@pytest.mark.parametrize("odd", [2**70, (1.0, 2e-9), True, None, -0.0, 10**16, {"k": [None, False]}])
def test_what_orjson_refuses_or_writes_otherwise_goes_to_json(odd):
    obj = {"cluster": odd, "emissions_g": 2e-9}
    assert jsonline.line(obj) == stdlib(obj)


def test_without_orjson_the_standard_library_writes(monkeypatch):
    monkeypatch.setattr(jsonline, "_tools", lambda: None)
    obj = rich(1, random.Random(2)).to_dict()
    assert jsonline.line(obj) == stdlib(obj)


def test_a_ledger_holds_the_standard_librarys_lines_and_reads_back(tmp_path):
    rng = random.Random(9)
    records = [rich(i, rng) for i in range(1, 200)]
    ledger = Ledger(tmp_path / "s.jsonl", {"session_id": "s"})
    for record in records:
        ledger.append(record)
    ledger.close()
    lines = (tmp_path / "s.jsonl").read_bytes().splitlines()
    assert lines[1:] == [stdlib(r.to_dict()) for r in records]
    assert read_ledger(tmp_path / "s.jsonl").records == records


def test_a_record_with_nan_is_kept_in_memory_and_reported_not_written_as_null(tmp_path):
    ledger = Ledger(tmp_path / "s.jsonl", {"session_id": "s"})
    bad = rich(1, random.Random(3), energy_j=math.nan)
    with pytest.raises(ValueError):
        ledger.append(bad)
    ledger.append(rich(2, random.Random(3)))
    ledger.close()
    text = (tmp_path / "s.jsonl").read_text()
    assert "null,\"by_component\"" not in text and len(text.splitlines()) == 2
    assert [r.index for r in read_ledger(tmp_path / "s.jsonl").records] == [2]


def test_a_record_reads_back_from_its_line():
    record = rich(4, random.Random(4))
    assert CellRecord.from_dict(json.loads(jsonline.line(record.to_dict()))) == record
