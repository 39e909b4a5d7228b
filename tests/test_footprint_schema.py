"""The cell footprint's one shape: ``labextension/src/footprint.schema.json``.

What :func:`jupyter_carbon.footprint.footprint` writes must pass it, and the shared cases
(``tests/fixtures/footprint_cases.json``, also read by the extension's jest tests through
ajv) must get the verdict they are filed under: JupyterLab shows a footprint that fails as
"unreadable footprint", never as figures.
"""

import json
from pathlib import Path

import pytest

from jupyter_carbon.footprint import footprint, source_sha256
from jupyter_carbon.records import CellRecord

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with jupyter_server")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "labextension" / "src" / "footprint.schema.json").read_text(encoding="utf-8"))
CASES = json.loads((Path(__file__).parent / "fixtures" / "footprint_cases.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def test_the_schema_is_a_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["why"])
def test_accepted(case):
    assert not list(VALIDATOR.iter_errors(case["footprint"]))


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["why"])
def test_rejected(case):
    assert list(VALIDATOR.iter_errors(case["footprint"]))


def _record(**overrides) -> CellRecord:
    fields = dict(
        session_id="20261122T043901Z-1234-ab12cd", index=3, execution_count=4, cell_id="a1b2c3", source="x = 1",
        started_at="2026-11-22T04:39:01Z", ended_at="2026-11-22T04:39:02Z", duration_s=1.234567891, status="ok",
        error=None, energy_j=12.5, by_component={"cpu": 10.1, "memory": 2.4}, method={"cpu": "estimated", "memory": "estimated"},
        device_energy_j=20.0, device_by_component={"cpu": 17.0, "memory": 3.0}, pue=1.2, facility_energy_j=15.0,
        emissions_g=0.00026, intensity={"zone": "FR", "g_per_kwh": 44.0}, source_sha256=source_sha256("x = 1\ny = 2"),
    )  # fmt: skip
    fields.update(overrides)
    return CellRecord(**fields)


def test_what_the_kernel_writes_passes():
    written = footprint(_record())
    assert not list(VALIDATOR.iter_errors(written))
    # The run it describes: the cell, its execution count and the hash of all its source.
    assert written["cell_id"] == "a1b2c3" and written["execution_count"] == 4
    assert written["source_sha256"] == source_sha256("x = 1\ny = 2")
    cluster = {"energy_j": 4.2e4, "emissions_g": 3.1, "nodes": 8, "zones": ["FR", "PL"], "complete": True}
    assert not list(VALIDATOR.iter_errors(footprint(_record(cluster=cluster, intensity=None, emissions_g=None, cell_id=None))))


def test_the_kernels_total_bounds_embodied_and_sci_pass():
    # Every field footprint() may add beside the run's: the cell total, the bounds, the
    # embodied part and the SCI per declared unit.
    cluster = {"energy_j": 4.2e4, "emissions_g": 3.1, "nodes": 8, "zones": ["FR"], "complete": True}
    written = footprint(_record(
        cluster=cluster, bounds={"energy_j": [9.8, 16.1], "by_component": {}, "emissions_g": [0.0002, 0.00034]},
        embodied={"emissions_g": 0.0004, "lifetime_years": 5.0},
        functional_unit={"quantity": 1000.0, "unit": "samples", "declared_by": "cell"},
    ))  # fmt: skip
    assert {"total_energy_j", "total_emissions_g", "bounds", "embodied_g", "lifetime_years", "sci_g"} <= set(written)
    assert not list(VALIDATOR.iter_errors(written))
    no_grid = footprint(_record(intensity=None, emissions_g=None, bounds={"energy_j": [9.8, 16.1], "emissions_g": None}))
    assert no_grid["bounds"]["emissions_g"] is None and not list(VALIDATOR.iter_errors(no_grid))


@pytest.mark.parametrize("source, digest", CASES["source_sha256"])
def test_source_hash_is_sha256_of_utf8(source, digest):
    # The browser computes crypto.subtle.digest('SHA-256', new TextEncoder().encode(source)).
    assert source_sha256(source) == digest
