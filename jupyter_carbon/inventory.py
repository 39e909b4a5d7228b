"""What this machine can meter and how: ``jupyter carbon devices`` and ``%carbon devices``.

Both views describe a :class:`~jupyter_carbon.meter.Meter` built from the same settings, so
the kernel and the command line never disagree about a machine.
"""

from __future__ import annotations

from . import bounds
from .meter import hardware_labels  # noqa: F401  (the views' one name for it)


def inventory(meter) -> dict:
    """Each source's devices (domain, component, name, method, detail, advice, and how sure
    its figures are: ``bounds``) and the notes on what could not be metered."""
    devices = []
    for info in meter.describe():
        d = info.to_dict()
        figures = d.get("figures") or {}
        d["bounds"] = figures.get("bounds_basis") or bounds.method_band(info.component, info.method).basis
        devices.append(d)
    return {"devices": devices, "notes": list(meter.notes)}


def _cpu_lines(d: dict) -> list[str]:
    """The CPU model's part, how it was known and its watts per busy vCPU with bounds."""
    f = d.get("figures") or {}
    if "identified_by" not in f:
        return []
    part, arch = f.get("part"), f.get("architecture")
    named = part if arch and arch in part else f"{part} ({arch or 'design unknown'})"
    return [
        f"          part: {named}, known by {f.get('identified_by')}: {f.get('evidence')}",
        f"          {f['w_per_logical_cpu']:.3g} W per busy vCPU, bounds {f['w_low']:.3g}-{f['w_high']:.3g} W "
        f"(method: {f.get('method')})",
    ]


def render(report: dict) -> str:
    """The inventory as a table, then what is degraded and what would measure better."""
    lines = ["What this machine can meter:", ""]
    width = max((len(d["name"]) for d in report["devices"]), default=10)
    for d in report["devices"]:
        lines.append(f"  {d['component']:<7} {d['name']:<{width}}  {d['method']:<10}  {d['detail']}")
        lines += _cpu_lines(d)
        if d.get("bounds"):
            lines.append(f"          how sure: {d['bounds']}")
    notes = list(report["notes"])
    advice = sorted({d["advice"] for d in report["devices"] if d["advice"]})
    if notes:
        lines += ["", "Not metered or degraded:"] + [f"  - {n}" for n in notes]
    if advice:
        lines += ["", "For better numbers:"] + [f"  - {a}" for a in advice]
    lines += [
        "",
        "measured: an energy counter; integrated: power readings over time; "
        "estimated: rated power × utilisation.",
    ]
    return "\n".join(lines)
