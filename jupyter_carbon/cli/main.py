"""``jupyter carbon`` (console script ``jupyter-carbon``): the command-line front door.

Each subcommand lives in its own module under ``jupyter_carbon.cli.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function taking the
parsed arguments and returning an exit code. Modules load only when the CLI runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .._version import __version__
from .errors import UsageError

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = ["run", "report", "devices", "estimate", "forecast", "regions", "enable"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter carbon",
        description="Energy and carbon cost of notebook work. Settings come from the IPython "
        "profile's configuration (c.CarbonMeter.* in ipython_config.py or ipython_kernel_config.py), "
        "as in a kernel.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-carbon {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as err:
        print(f"jupyter carbon: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
