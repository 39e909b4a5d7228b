"""JSON and CSV: every cell, every field, for machines and spreadsheets."""

from __future__ import annotations

import csv
import json
import math
from types import SimpleNamespace

from .._version import __version__
from ..records import SCHEMA_VERSION, CellRecord, IdleSpan
from ..units import cell_label
from .model import Report, Write

#: Low and high of the energy and emissions (``bounds.py``); empty for records from older ledgers.
BOUNDS_COLUMNS = ("energy_low_j", "energy_high_j", "emissions_low_g", "emissions_high_g")
CSV_COLUMNS = (
    "index", "execution_count", "cell_id", "source", "started_at", "ended_at", "duration_s", "status", "error",
    "energy_j", "gpu_j", "cpu_j", "memory_j", "method_gpu", "method_cpu", "method_memory", "device_energy_j",
    "pue", "facility_energy_j", "emissions_g", "g_per_kwh", "zone", "intensity_source", "intensity_year", "signal",
    "notebook", "cell_position", "cell", "cluster_energy_j", "cluster_emissions_g", "cluster_workers", "cluster_zones", "cluster_detail",
    *BOUNDS_COLUMNS,
)  # fmt: skip
CLUSTER_DETAIL = ("node", "host", "status", "energy_j", "zone", "g_per_kwh", "pue", "emissions_g")
"""Per worker, in the ``cluster_detail`` column (a JSON list): what it was charged and where."""



_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def _clean(value):
    """NaN and infinities become null: they are not JSON, and mean "unknown" here anyway."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _encode(obj) -> str:
    try:
        return _JSON.encode(obj)
    except ValueError:
        return _JSON.encode(_clean(obj))


_RECORD_FIELDS = tuple(CellRecord.__dataclass_fields__)


def write_json(report: Report, write: Write) -> None:
    """The whole session, one cell per line so that a large export diffs and greps well."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"jupyter-carbon {__version__}",
        "session": {
            "session_id": report.session_id, "started_at": report.started_at, "notebooks": report.notebooks, "hardware": report.hardware,
        },  # fmt: skip
        "totals": report.totals.to_dict(),
        "alternative": report.alternative,
        "idle_spans": [span.to_dict() for span in report.idle_spans],
    }
    write(_encode(head)[:-1] + ',\n"cells": [')
    sep = "\n"
    for r in report.records:
        # A shallow dict: the fields are flat values and dicts of them, so asdict's deep copy is waste.
        write(sep + _encode({name: getattr(r, name) for name in _RECORD_FIELDS} | {"cell": cell_label(r)}))
        sep = ",\n"
    write("\n]}\n" if report.records else "]}\n")


# CSV ------------------------------------------------------------------------------------------
def _csv_row(r: CellRecord | IdleSpan) -> list:
    """A cell's row; an idle span's has no index or source, and the status ``idle``."""
    by, method, it = r.by_component, r.method, r.intensity or {}
    cell = isinstance(r, CellRecord)
    return [
        r.index if cell else None, r.execution_count if cell else None, r.cell_id if cell else None,
        r.source if cell else "(between cells)", r.started_at, r.ended_at, r.duration_s,
        r.status if cell else "idle", r.error if cell else None,
        r.energy_j, by.get("gpu"), by.get("cpu"), by.get("memory"),
        method.get("gpu"), method.get("cpu"), method.get("memory"),
        r.device_energy_j, r.pue, r.facility_energy_j, r.emissions_g,
        it.get("g_per_kwh"), it.get("zone"), it.get("source"), it.get("year"), it.get("signal"),
        r.notebook if cell else None, r.cell_position if cell else None, cell_label(r) if cell else None, *_cluster_columns(r.cluster if cell else None),
        *_bounds_columns(r.bounds),
    ]  # fmt: skip


def _bounds_columns(b: dict | None) -> list:
    b = b or {}
    return [*(b.get("energy_j") or (None, None)), *(b.get("emissions_g") or (None, None))]


def _cluster_columns(part: dict | None) -> list:
    if not part:
        return [None] * 5
    detail = [{k: w.get(k) for k in CLUSTER_DETAIL} for w in part.get("workers", [])]
    return [part["energy_j"], part.get("emissions_g"), part.get("nodes"), " ".join(part.get("zones", [])), _encode(detail)]


#: What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """A text cell that a spreadsheet shows as text: one starting like a formula (a cell's
    source ``=HYPERLINK(...)``, an error ``@SUM(...)``) gets a leading apostrophe. Numbers
    are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(report: Report, write: Write) -> None:
    """One row a cell, units in the column names (joules, seconds, grams)."""
    w = csv.writer(SimpleNamespace(write=write), lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.records:
        w.writerow([csv_text(v) for v in _csv_row(r)])
    for span in report.idle_spans:
        w.writerow([csv_text(v) for v in _csv_row(span)])


