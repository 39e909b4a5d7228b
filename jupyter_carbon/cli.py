"""``jupyter carbon`` (console script ``jupyter-carbon``): the command-line front door.

Each subcommand lives in its own module under ``jupyter_carbon.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function taking the
parsed arguments and returning an exit code. Modules load only when the CLI runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ._version import __version__

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = ["run", "report", "devices", "estimate", "regions", "enable"]


class UsageError(Exception):
    """Bad input on the command line: printed as one line, exit code 2, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter carbon",
        description="Energy and carbon cost of notebook work.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-carbon {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"jupyter_carbon.commands.{name}").register(subparsers)
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


if __name__ == "__main__":
    # Under ``python -m`` this file runs as ``__main__``; the subcommands raise the
    # ``UsageError`` of ``jupyter_carbon.cli``, so run that module's ``main``.
    from jupyter_carbon.cli import main as _main

    sys.exit(_main())
