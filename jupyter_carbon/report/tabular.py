"""JSON and CSV: every cell, every field, for machines and spreadsheets."""

from __future__ import annotations

from operator import attrgetter

from .._version import __version__
from ..records import SCHEMA_VERSION, CellRecord, IdleSpan, cell_sci, cell_total
from ..units import cell_label
from .encoding import CsvRows, encode
from .fastspell import csv_numbers
from .model import Report, Write

#: Low and high of the energy and emissions (``bounds.py``); empty for records from older ledgers.
BOUNDS_COLUMNS = ("energy_low_j", "energy_high_j", "emissions_low_g", "emissions_high_g")
CSV_COLUMNS = (
    "index", "execution_count", "cell_id", "source", "started_at", "ended_at", "duration_s", "status", "error",
    "total_energy_j", "total_emissions_g", "energy_j", "gpu_j", "cpu_j", "memory_j", "method_gpu", "method_cpu", "method_memory", "device_energy_j",
    "pue", "facility_energy_j", "emissions_g", "g_per_kwh", "zone", "intensity_source", "intensity_year", "signal",
    "notebook", "cell_position", "cell", "cluster_energy_j", "cluster_emissions_g", "cluster_workers", "cluster_zones", "cluster_detail",
    *BOUNDS_COLUMNS,
    "embodied_g", "embodied_low_g", "embodied_high_g", "functional_unit_r", "functional_unit", "sci_g_per_unit",
)  # fmt: skip
"""``total_*`` is the cell's total, kernel and cluster (:func:`~jupyter_carbon.records.cell_total`),
the figure to quote; ``energy_j`` ... ``emissions_g`` the kernel's part, ``cluster_*`` the
cluster's; ``embodied_*`` and ``sci_g_per_unit`` (with its R) are named parts apart."""
CLUSTER_DETAIL = ("node", "host", "status", "energy_j", "zone", "g_per_kwh", "pue", "emissions_g")
"""Per worker, in the ``cluster_detail`` column (a JSON list): what it was charged and where."""



_RECORD_FIELDS = tuple(CellRecord.__dataclass_fields__)
_record_values = attrgetter(*_RECORD_FIELDS)


def write_json(report: Report, write: Write) -> None:
    """The whole session, one cell per line so that a large export diffs and greps well."""
    write(json_head(json_session(report), report.totals, report.alternative))
    write(json_spans(report.idle_spans))
    write(JSON_CELLS)
    sep = "\n"
    for r in report.records:
        write(sep + json_cell(r))
        sep = ",\n"
    write(json_end(bool(report.records)))


def json_session(report: Report) -> dict:
    return {"session_id": report.session_id, "started_at": report.started_at, "notebooks": report.notebooks, "hardware": report.hardware}


def json_head(session: dict, totals, alternative) -> str:
    """The export's head, open at its list of idle spans (the same bytes as encoding the
    whole head with the list in it): each span is written after it, then :data:`JSON_CELLS`."""
    head = {
        "schema_version": SCHEMA_VERSION, "generator": f"jupyter-carbon {__version__}", "session": session,
        "totals": totals.to_dict(), "alternative": alternative,
    }  # fmt: skip
    return encode(head)[:-1] + ', "idle_spans": ['


def json_spans(spans) -> str:
    return ", ".join(encode(span) for span in spans)


#: What closes the idle spans and opens the cells, one a line.
JSON_CELLS = '],\n"cells": ['


def json_cell(r: CellRecord) -> str:
    """A cell's line: every field of its record and the figures derived from it."""
    total = cell_total(r)
    fields = dict(zip(_RECORD_FIELDS, _record_values(r)))
    fields["cell"], fields["total_energy_j"], fields["total_emissions_g"] = cell_label(r), total.energy_j, total.emissions_g
    fields["sci_g_per_unit"] = cell_sci(r, total) if r.functional_unit else None
    return encode(fields)


def json_end(any_cell: bool) -> str:
    return "\n]}\n" if any_cell else "]}\n"


# CSV ------------------------------------------------------------------------------------------
def _csv_row(r: CellRecord | IdleSpan) -> list:
    """A cell's row; an idle span's has no index or source, and the status ``idle``.

    The numbers go by position (``n[i]``) into :data:`CSV_COLUMNS`' order;
    ``tests/test_cell_totals.py::test_every_csv_column_holds_what_its_name_says`` reads a
    row back by column name, so a column added in the wrong place fails there."""
    if not isinstance(r, CellRecord):
        return _span_row(r)
    by, method, it = r.by_component, r.method, r.intensity or _NONE
    total = cell_total(r)
    parts = _named_parts(r, total) if r.embodied or r.functional_unit else _NO_PARTS
    n = csv_numbers((  # spelled together, as csv would (most of a row's time otherwise)
        r.duration_s, total.energy_j, total.emissions_g, r.energy_j, by.get("gpu"), by.get("cpu"), by.get("memory"),
        r.device_energy_j, r.pue, r.facility_energy_j, r.emissions_g, it.get("g_per_kwh"),
        *(_bounds_columns(r.bounds) if r.bounds else _NO_BOUNDS), parts[0], parts[1], parts[2], parts[3], parts[5],
    ))  # fmt: skip
    return [
        r.index, r.execution_count, r.cell_id, r.source, r.started_at, r.ended_at, n[0], r.status, r.error,
        n[1], n[2], n[3], n[4], n[5], n[6],
        method.get("gpu"), method.get("cpu"), method.get("memory"),
        n[7], n[8], n[9], n[10],
        n[11], it.get("zone"), it.get("source"), it.get("year"), it.get("signal"),
        r.notebook, r.cell_position, cell_label(r), *(_cluster_columns(r.cluster) if r.cluster else _NO_CLUSTER),
        n[12], n[13], n[14], n[15], n[16], n[17], n[18], n[19], parts[4], n[20],
    ]  # fmt: skip


def _span_row(r: IdleSpan) -> list:
    by, method, it = r.by_component, r.method, r.intensity or _NONE
    return [
        None, None, None, "(between cells)", r.started_at, r.ended_at, r.duration_s, "idle", None,
        r.energy_j, r.emissions_g, r.energy_j, by.get("gpu"), by.get("cpu"), by.get("memory"),
        method.get("gpu"), method.get("cpu"), method.get("memory"),
        r.device_energy_j, r.pue, r.facility_energy_j, r.emissions_g,
        it.get("g_per_kwh"), it.get("zone"), it.get("source"), it.get("year"), it.get("signal"),
        None, None, None, *_NO_CLUSTER, *_bounds_columns(r.bounds), *_named_parts(r)[:3], None, None, None,
    ]  # fmt: skip


_NONE: dict = {}
_NO_CLUSTER, _NO_BOUNDS, _NO_PARTS = (None,) * 5, (None,) * 4, (None,) * 6


def _bounds_columns(b: dict | None) -> list:
    b = b or {}
    return [*(b.get("energy_j") or (None, None)), *(b.get("emissions_g") or (None, None))]


def _named_parts(r: CellRecord | IdleSpan, total=None) -> list:
    """Embodied grams with bounds; the functional unit and the SCI per unit (cells only;
    ``total``: the cell's, where the caller has it)."""
    e, unit = r.embodied or {}, getattr(r, "functional_unit", None) or {}
    return [e.get("emissions_g"), e.get("low_g"), e.get("high_g"), unit.get("quantity"), unit.get("unit"), cell_sci(r, total) if unit else None]


def _cluster_columns(part: dict) -> list:
    detail = [{k: w.get(k) for k in CLUSTER_DETAIL} for w in part.get("workers", [])]
    return [part["energy_j"], part.get("emissions_g"), part.get("nodes"), " ".join(part.get("zones", [])), encode(detail)]


def write_csv(report: Report, write: Write) -> None:
    """One row a cell, units in the column names (joules, seconds, grams)."""
    rows = csv_writer(write)
    for r in report.records:
        rows.write(csv_row(r))
    for span in report.idle_spans:
        rows.write(csv_row(span))


def csv_writer(write: Write) -> CsvRows:
    """Rows of this export's dialect, the header row written; each row's text is made safe
    for spreadsheets (:func:`~.encoding.safe_text`) as it is written."""
    return CsvRows(write, CSV_COLUMNS)


def csv_row(r: CellRecord | IdleSpan) -> list:
    """A cell's or an idle span's row, its values as they are (:class:`CsvRows` makes its
    text safe)."""
    return _csv_row(r)
