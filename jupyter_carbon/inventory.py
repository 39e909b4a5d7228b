"""What this machine can meter and how: ``jupyter carbon devices`` and ``%carbon devices``.

Both views describe a :class:`~jupyter_carbon.meter.Meter` built from the same settings, so
the kernel and the command line never disagree about a machine.
"""

from __future__ import annotations

from .meter import hardware_labels  # noqa: F401  (the views' one name for it)


def inventory(meter) -> dict:
    """Each source's devices (domain, component, name, method, detail, advice) and the
    notes on what could not be metered."""
    return {"devices": [info.__dict__ for info in meter.describe()], "notes": list(meter.notes)}


def render(report: dict) -> str:
    """The inventory as a table, then what is degraded and what would measure better."""
    lines = ["What this machine can meter:", ""]
    width = max((len(d["name"]) for d in report["devices"]), default=10)
    for d in report["devices"]:
        lines.append(f"  {d['component']:<7} {d['name']:<{width}}  {d['method']:<10}  {d['detail']}")
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
