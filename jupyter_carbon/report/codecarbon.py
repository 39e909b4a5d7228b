"""CodeCarbon's ``emissions.csv``: the run row many model repositories publish.

The columns are CodeCarbon's own (``codecarbon.output_methods.emissions_data.EmissionsData``,
3.x), in its units: seconds, kg CO2e, kWh, watts. One row for the session, or one per cell
(``per_cell``). Columns this tool cannot know (water, coordinates, utilisation) are left
empty rather than guessed; ``tracking_mode`` is ``process``: energy is what this kernel's
processes were charged.
"""

from __future__ import annotations

from ..carbon.intensity import JOULES_PER_KWH
from ..carbon.places import lookup_key
from ..carbon.zones import zones
from ..records import CellRecord, Totals
from .encoding import CsvRows
from .model import Report, Write, totals_of

#: CodeCarbon 3.3's EmissionsData fields, in order (codecarbon/output_methods/emissions_data.py).
COLUMNS = (
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate",
    "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed",
    "water_consumed", "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region", "os",
    "python_version", "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude",
    "latitude", "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
)  # fmt: skip

#: Our components under CodeCarbon's names.
_COMPONENTS = {"cpu": "cpu", "gpu": "gpu", "memory": "ram"}


def _place(zone: str | None) -> dict:
    """Country, region and cloud columns for a zone key (``FR``, ``US-CAL-CISO``, ``aws:eu-west-3``)."""
    place = lookup_key(zone) if zone else None
    if place is None:
        return {}
    grid = place.zone
    country = zones().get(grid.country, grid)
    out = {"country_name": country.name, "country_iso_code": country.alpha3 or grid.alpha3, "on_cloud": "N"}
    if grid.kind == "subnational":
        out["region"] = grid.name
    if hasattr(place, "provider"):
        out.update(cloud_provider=place.provider, cloud_region=place.region, on_cloud="Y")
    return out


def _row(project: str, run_id: str, experiment: str, records: list[CellRecord], totals: Totals) -> dict:
    """One row for ``records``, whose sums are ``totals``."""
    duration, it_j, grams = totals.duration_s, totals.energy_j, totals.emissions_g
    row = {
        "timestamp": records[-1].ended_at if records else "",
        "project_name": project,
        "run_id": run_id,
        "experiment_id": experiment,
        "duration": duration,
        "emissions": grams / 1000.0,
        "emissions_rate": grams / 1000.0 / duration if duration > 0 else 0.0,
        "energy_consumed": it_j / JOULES_PER_KWH,
        "tracking_mode": "process",
        "pue": totals.facility_energy_j / it_j if it_j > 0 else (records[0].pue if records else ""),
    }
    for ours, theirs in _COMPONENTS.items():
        joules = totals.by_component.get(ours, 0.0)
        row[f"{theirs}_energy"] = joules / JOULES_PER_KWH
        row[f"{theirs}_power"] = joules / duration if duration > 0 else 0.0
    zones = {(r.intensity or {}).get("zone") for r in records if r.intensity}
    if len(zones) == 1:
        row.update(_place(zones.pop()))
    return row


def write_codecarbon(report: Report, write: Write, *, per_cell: bool = False) -> None:
    """CodeCarbon's header and one row for the session, or one row per cell."""
    project = ", ".join(report.notebooks) or "jupyter-carbon"
    session = report.session_id or ""
    if per_cell:
        rows = [_row(project, f"{session}#{r.index}", session, [r], totals_of([r])) for r in report.records]
    else:
        rows = [_row(project, session, "", report.records, report.totals)]
    out = CsvRows(write, COLUMNS)
    for row in rows:
        out.write([row.get(c, "") for c in COLUMNS])
