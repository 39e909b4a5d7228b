"""``jupyter carbon`` (console script ``jupyter-carbon``): the command-line front door.

Each subcommand lives in its own module under ``jupyter_carbon.cli.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function taking the
parsed arguments and returning an exit code. Modules load only when the CLI runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    """Run one command; the one place its errors become a line and an exit code.

    Bad input and bad configuration (a wrong-typed ``c.CarbonMeter.*``, a syntax error in
    ``ipython_config.py``, broken JSON) print one line and exit 2. A reader that goes away
    (``jupyter carbon report latest | head``) ends the command quietly, as other command-line
    tools do, with the status a process killed by SIGPIPE has (141).
    """
    from ..config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except (UsageError, ConfigError) as err:
        print(f"jupyter carbon: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's own flush at exit does not raise
    again on the closed pipe (the recipe of Python's ``signal`` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (captured): nothing to silence
        pass
