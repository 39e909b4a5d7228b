"""``report/fastspell.py``: orjson's text brought to the standard library's bytes, or nothing.

Whatever it returns must be what ``json.dumps(..., ensure_ascii=False)`` or the csv module
would have written, for floats of every magnitude, every character, escapes and nesting;
what it cannot vouch for it leaves to the standard library (None, or the values back).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import struct

import pytest

from jupyter_carbon.cli.main import main
from jupyter_carbon.report import fastspell

pytest.importorskip("orjson")


def random_floats(n: int, seed: int = 7) -> list[float]:
    """Finite floats of every magnitude: random bit patterns, and log-normal figures like a
    record's (joules, grams, seconds), half of them negative."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        if len(out) % 2:
            v = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        else:
            v = rng.lognormvariate(0, 12) * rng.choice((1, -1))
        if math.isfinite(v):
            out.append(v)
    return out


def edges() -> list[float]:
    """Where the standard library changes notation, and the ends of the floats."""
    values = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, 2**53, 2**53 + 2.0]
    for bound in (1e-4, 1e-5, 1e-6, 1e-7, 1e15, 1e16, 1e17):
        values += [bound, math.nextafter(bound, 0.0), math.nextafter(bound, math.inf)]
    return values + [-v for v in values]


def test_floats_of_every_magnitude_are_spelled_as_json_and_repr_spell_them():
    values = edges() + random_floats(60_000)
    for i in range(0, len(values), 40):
        chunk = values[i : i + 40]
        assert fastspell.json_text(chunk) == json.dumps(chunk)
        positive = tuple(abs(v) for v in chunk)
        assert fastspell.csv_numbers(positive) == [repr(v) for v in positive]


def test_every_character_and_escape_is_written_as_json_writes_it():
    text = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000, 7))) + "😀\U0010ffff"
    nasty = ['"', "\\", '\\"', '\\\\"', '":', ", ", "\x00\x01\x02", 'a": 1e-7', "0.00001", "1e16", "\n  ", "{[", ""]
    obj = {text: text, "list": nasty, "keys": {k: k for k in nasty}, "n": [1e-7, {"\\": 2.6e-05}], "e": {}, "l": [[]]}
    assert fastspell.json_text(obj) == json.dumps(obj, ensure_ascii=False)


def test_integers_booleans_null_and_nan_are_written_as_the_exports_write_them():
    obj = {"i": [0, -1, 2**63 - 1, -(2**63), 10**17], "b": [True, False, None], "nan": [math.nan, math.inf, -math.inf]}
    # NaN and infinities: null, as encoding.encode writes them (the standard library refuses them)
    assert fastspell.json_text(obj) == json.dumps(obj).replace("NaN", "null").replace("-Infinity", "null").replace("Infinity", "null")


@dataclasses.dataclass
class Point:
    x: float


class Mapping(dict):
    pass


@pytest.mark.parametrize(
    "obj", ["\ud800", {"big": 2**70}, {1: "a"}, {"p": Point(1.0)}, Mapping(a=1), {"s": {1, 2}}], ids=repr
)
def test_what_orjson_cannot_vouch_for_is_left_to_the_standard_library(obj):
    assert fastspell.json_text(obj) is None


@pytest.mark.parametrize(
    "values", [(1.0, math.nan), (1.0, math.inf), (-1.5, 2.0), (2.0, -0.0), (True, 1.0), ("1.0", 2.0), (2**70, 1.0)], ids=repr
)
def test_csv_numbers_csv_would_spell_otherwise_are_given_back_as_they_are(values):
    assert fastspell.csv_numbers(values) is values


def test_csv_numbers_none_is_empty_and_integers_are_str():
    assert fastspell.csv_numbers((None, 3, 2.6e-05, None, 1e16, 0.5)) == ["", "3", "2.6e-05", "", "1e+16", "0.5"]


def test_an_orjson_that_spelled_a_hard_float_otherwise_is_not_used():
    import orjson

    assert fastspell._agrees(orjson.dumps)
    assert not fastspell._agrees(lambda obj: orjson.dumps(obj).replace(b"0.3", b"0.30000000000000004"))
    assert not fastspell._agrees(lambda obj: orjson.dumps(obj).replace(b"e", b"E"))


def cell(i: int, rng: random.Random) -> dict:
    """A record of the current shape, its figures of every magnitude, its text nasty."""
    e = rng.choice([rng.lognormvariate(0, 8), rng.uniform(0, 1e-6), 0.0, 1e17 * rng.random()])
    g = e * 1.2 / 3.6e6 * 381.0
    source = rng.choice(['df = pd.read_csv("a,b.csv", sep=":")', "x\\y", "=1+1", "-x", "plain", "é 😀 \t", '"', "1e-7"])
    return {
        "session_id": "s", "index": i, "execution_count": i, "cell_id": f"{i:08x}-3e5-cell", "source": source,
        "started_at": "2026-11-22T04:00:00.000+00:00", "ended_at": "2026-11-22T04:00:02.000+00:00",
        "duration_s": rng.lognormvariate(-3, 4), "status": "ok", "error": None, "energy_j": e,
        "by_component": {"gpu": e * 0.7, "cpu": e * 0.3}, "method": {"gpu": "measured", "cpu": "estimated"},
        "device_energy_j": e * 2, "device_by_component": {"gpu": e, "cpu": e}, "pue": 1.2, "facility_energy_j": e * 1.2,
        "emissions_g": g, "intensity": {"g_per_kwh": 381.0, "zone": "DE", "source": "Ember", "year": 2024},
        "magic": False, "notebook": "a/b é.ipynb", "below_resolution": [], "cluster": None, "cell_position": i,
        "source_sha256": "ab3e5" * 12 + "0e1f", "bounds": {"energy_j": [e * 0.9, e * 1.1], "emissions_g": [g * 0.5, g * 2]},
        "embodied": {"emissions_g": g / 7, "low_g": g / 9, "high_g": g / 5, "by_component": {"gpu": g / 7}},
        "functional_unit": {"quantity": 1000.0, "unit": "samples"} if i % 3 else None, "type": "cell",
    }  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_report_is_the_same_bytes_with_orjson_writing_and_without(tmp_path, monkeypatch, fmt):
    rng = random.Random(3)
    ledger = tmp_path / "s.jsonl"
    lines = [json.dumps({"type": "session", "schema_version": 1, "session_id": "s"})]
    lines += [json.dumps(cell(i, rng), separators=(",", ":")) for i in range(1, 401)]
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["report", str(ledger), "--format", fmt, "-o", str(tmp_path / f"fast.{fmt}")]) == 0
    monkeypatch.setattr(fastspell, "_dumps", lambda: None)
    assert main(["report", str(ledger), "--format", fmt, "-o", str(tmp_path / f"stdlib.{fmt}")]) == 0
    fast, stdlib = (tmp_path / f"fast.{fmt}").read_bytes(), (tmp_path / f"stdlib.{fmt}").read_bytes()
    assert stdlib.count(b"e-0") > 100 and stdlib.count(b"e+1") > 10  # both notations, many times
    assert fast == stdlib
