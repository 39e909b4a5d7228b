"""Short human-readable figures: the line under a ``%%carbon`` cell, the status line.

Units inside the project are joules and grams; people read watt-hours and grams, scaled
so a small cell does not show as "0.000 Wh" (the scaling rules live in ``report``).
"""

from __future__ import annotations

from .report import format_duration, format_energy, format_mass


def format_intensity(intensity: dict | None) -> str:
    """"zone CA-QC 32 g/kWh (Electricity Maps 2025, config)", with live or guess noted."""
    if not intensity:
        return "no carbon intensity"
    how = intensity.get("chosen_by", "")
    if intensity.get("guess"):
        how = f"guessed from {how}" if how and how != "default" else "world average, no zone set"
    source = intensity.get("source", "")
    year = intensity.get("year")
    if year and str(year) not in source:
        source = f"{source} {year}".strip()
    signal = " marginal" if intensity.get("signal") == "marginal" else ""
    live = " live" if intensity.get("live") else ""
    details = "; ".join(p for p in (source, how) if p)
    return f"zone {intensity.get('zone', '?')} {intensity.get('g_per_kwh', 0):.4g} g/kWh{signal}{live} ({details})"


def _components(by_component: dict, method: dict) -> str:
    return ", ".join(f"{c} {format_energy(j)} {method.get(c, '')}".rstrip() for c, j in by_component.items())


def cell_line(record) -> str:
    """One line under a ``%%carbon`` cell: energy by component, time, emissions, zone."""
    r = record.to_dict() if hasattr(record, "to_dict") else record
    status = "" if r["status"] == "ok" else f" [{r['status']}]"
    pue = f" × PUE {r['pue']:g}" if r.get("pue", 1.0) != 1.0 else ""
    return (
        f"carbon: {format_energy(r['energy_j'])} ({_components(r['by_component'], r['method'])}) "
        f"in {format_duration(r['duration_s'])}{pue} → {format_mass(r['emissions_g'])} CO2e; "
        f"{format_intensity(r.get('intensity'))}{status}"
    )


def status_line(totals, *, enabled: bool, intensity: dict | None) -> str:
    """The session so far, in one line."""
    t = totals.to_dict() if hasattr(totals, "to_dict") else totals
    state = "on" if enabled else "off"
    cells = f"{t['cells']} cell{'s' if t['cells'] != 1 else ''}"
    body = (
        f"{format_energy(t['energy_j'])} ({_components(t['by_component'], t['method'])}), "
        f"{format_mass(t['emissions_g'])} CO2e over {format_duration(t['duration_s'])}"
        if t["cells"]
        else "nothing metered yet"
    )
    return f"jupyter-carbon: metering {state}; {cells}: {body}; {format_intensity(intensity)}"
