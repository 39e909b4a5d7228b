"""``jupyter carbon``: the command line (``main``), its subcommands (``commands/``), and the
host half of ``jupyter carbon run`` (``runner``). Nothing here imports the kernel side."""

from .main import main

__all__ = ["main"]
