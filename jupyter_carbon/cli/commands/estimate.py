"""``jupyter carbon estimate``: energy and emissions of a run before or after it happens."""

from __future__ import annotations


def register(subparsers) -> None:
    from ...estimates import DESCRIPTION, add_arguments

    p = subparsers.add_parser(
        "estimate",
        help="energy and CO2e of a run from hardware, hours and region",
        description=DESCRIPTION,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ...config import load_settings
    from ...estimates import run as estimate
    from ..errors import UsageError

    try:
        print(estimate(args, load_settings(uses=("region", "pue"))))
    except ValueError as err:
        raise UsageError(str(err)) from None
    return 0
