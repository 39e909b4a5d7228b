"""One-line texts: the line under a ``%%carbon`` cell and the session's status line.

Shown in the notebook, the terminal and by ``jupyter carbon``; the figures are formatted by
:mod:`jupyter_carbon.units`.
"""

from __future__ import annotations

from .units import format_duration, format_energy, format_intensity, format_mass, plural


def _components(by_component: dict, method: dict, coarse=()) -> str:
    """``gpu 1.2 Wh measured, cpu ...``; a component in ``coarse`` (its counter updates less
    often than the cell lasted) says so instead of showing a figure it cannot stand behind."""
    return ", ".join(
        f"{c} below the counter's resolution" if c in coarse else f"{c} {format_energy(j)} {method.get(c, '')}".rstrip()
        for c, j in by_component.items()
    )


def cell_line(record) -> str:
    """One line under a ``%%carbon`` cell: energy by component, time, emissions, zone."""
    r = record.to_dict() if hasattr(record, "to_dict") else record
    status = "" if r["status"] == "ok" else f" [{r['status']}]"
    pue = f" × PUE {r['pue']:g}" if r.get("pue", 1.0) != 1.0 else ""
    return (
        f"carbon: {format_energy(r['energy_j'])} ({_components(r['by_component'], r['method'], r.get('below_resolution', ()))}) "
        f"in {format_duration(r['duration_s'])}{pue} → {format_mass(r['emissions_g'])} CO2e; "
        f"{format_intensity(r.get('intensity'))}{status}"
    )


def status_line(totals, *, enabled: bool, intensity: dict | None) -> str:
    """The session so far, in one line."""
    t = totals.to_dict() if hasattr(totals, "to_dict") else totals
    state = "on" if enabled else "off"
    body = (
        f"{format_energy(t['energy_j'])} ({_components(t['by_component'], t['method'])}), "
        f"{format_mass(t['emissions_g'])} CO2e over {format_duration(t['duration_s'])}"
        if t["cells"]
        else "nothing metered yet"
    )
    if t.get("idle_energy_j"):
        body += f" · between cells {format_energy(t['idle_energy_j'])} over {format_duration(t['idle_duration_s'])}"
    return f"jupyter-carbon: metering {state}; {plural(t['cells'], 'cell')}: {body}; {format_intensity(intensity)}"
