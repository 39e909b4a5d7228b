"""Short human-readable figures: the line under a ``%%carbon`` cell, the status line.

Units inside the project are joules and grams; people read watt-hours and grams, scaled
so a small cell does not show as "0.000 Wh".
"""

from __future__ import annotations


def format_energy(joules: float) -> str:
    """Watt-hours with a prefix that keeps two or three significant figures."""
    wh = joules / 3600.0
    for scale, unit in ((1e3, "kWh"), (1.0, "Wh"), (1e-3, "mWh")):
        if abs(wh) >= scale:
            return f"{wh / scale:.3g} {unit}"
    return f"{wh * 1e6:.3g} µWh" if wh else "0 Wh"


def format_mass(grams: float | None) -> str:
    """Grams of CO2e: mg, g, kg or t."""
    if grams is None:
        return "n/a"
    for scale, unit in ((1e6, "t"), (1e3, "kg"), (1.0, "g")):
        if abs(grams) >= scale:
            return f"{grams / scale:.3g} {unit}"
    return f"{grams * 1e3:.3g} mg" if grams else "0 g"


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


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
