"""``jupyter carbon devices``: what this machine can meter, how, and how to do better.

The meter is built from the same settings a kernel reads (the IPython profile's
``c.CarbonMeter``), so this and ``%carbon devices`` agree.
"""

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


def run(args) -> int:
    from ...config import METER_SETTINGS, load_settings
    from ...inventory import inventory, render
    from ...meter import Meter

    meter = Meter(config=load_settings(uses=METER_SETTINGS), start=False)  # opens the sources, starts no sampler
    try:
        report = inventory(meter)
    finally:
        meter.close()
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
