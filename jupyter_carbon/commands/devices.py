"""``jupyter carbon devices``: what this machine can meter, how, and how to do better."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="list what this machine can meter and how",
        description="List each energy source of this machine, how its numbers are obtained "
        "(measured, integrated, estimated), and what would give better numbers.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(func=run)


def inventory() -> dict:
    """Open the sources without starting the sampler, and describe them."""
    from ..meter import Meter

    meter = Meter(start=False)
    try:
        devices = [info.__dict__ for info in meter.describe()]
        return {"devices": devices, "notes": list(meter.notes)}
    finally:
        meter.close()


def render(report: dict) -> str:
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


def run(args) -> int:
    report = inventory()
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
