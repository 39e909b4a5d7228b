"""``%%carbon`` and ``%carbon``: what a notebook user types.

``%%carbon [--quiet] [--region ZONE] [-o NAME]`` meters one cell and prints one line after it.
``%carbon [SUBCOMMAND ...]`` shows and steers the session; ``%carbon help`` lists the
subcommands. Wrong subcommands or values raise IPython's ``UsageError``, which IPython shows
as one line, never a traceback.
"""

from __future__ import annotations

import difflib
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser, argument, magic_arguments

from .text import format_intensity, status_line


@magic_arguments()
@argument("-q", "--quiet", action="store_true", help="Print nothing after the cell; the record is still kept.")
@argument("-r", "--region", metavar="ZONE", help="Grid zone or cloud region for this cell's emissions, e.g. FR, CA-QC, aws:eu-north-1.")
@argument("-o", "--output", metavar="NAME", help="Store the cell's record (a CellRecord) in the variable NAME.")
def _cell_options(line, cell):
    """Meter this cell and print its energy, duration and emissions after it."""


def carbon_cell_parser() -> MagicArgumentParser:
    """The parser of ``%%carbon``'s options, shared with the input transformer."""
    return _cell_options.parser


def _validated_region(options):
    if options.region:
        from .carbon import UnknownRegion, find_zone

        try:
            find_zone(options.region)
        except UnknownRegion as err:
            raise UsageError(str(err)) from None
    return options


def _subparser(name: str, description: str) -> MagicArgumentParser:
    return MagicArgumentParser(prog=f"%carbon {name}", description=description, add_help=False)


SUBCOMMANDS = {
    "status": "the session so far, in one line (the default)",
    "summary": "the costliest cells and a chart of energy per cell  [--top N] [--ledger PATH|previous]",
    "export": "write the session report  PATH [--format json|csv|md|html|latex]",
    "region": "show or set the grid zone or cloud region  [ZONE]",
    "pue": "show or set the facility's power usage effectiveness  [X]",
    "on": "meter every cell",
    "off": "stop metering cells (%%carbon cells are still metered)",
    "reset": "start a new session: totals from zero, a new ledger; the old one stays on disk",
    "devices": "what this machine can meter, and how",
    "widget": "show the live meter: power while a cell runs, session energy and CO2e",
    "estimate": "the emissions calculator, as `jupyter carbon estimate` (see %carbon estimate --help)",
    "help": "this list",
}


@magics_class
class CarbonMagics(Magics):
    """The magics of one shell, bound to its :class:`~jupyter_carbon.extension.CarbonExtension`."""

    def __init__(self, shell, extension):
        super().__init__(shell)
        self.ext = extension

    @line_cell_magic
    def carbon(self, line: str, cell: str | None = None):
        """Energy and carbon of this session's cells.

        As a cell magic, ``%%carbon [-q] [-r ZONE] [-o NAME]`` meters the cell and prints one
        line after it: energy by component, duration, gCO2e, zone and intensity, and whether
        each figure was measured or estimated. The cell runs exactly as it would without it.

        As a line magic, ``%carbon SUBCOMMAND``; ``%carbon help`` lists the subcommands.
        """
        if cell is not None:
            return self._cell(line, cell)
        try:
            words = shlex.split(line)
        except ValueError as err:
            raise UsageError(f"cannot parse {line!r}: {err}") from None
        name, args = (words[0], words[1:]) if words else ("status", [])
        if name not in SUBCOMMANDS:
            close = difflib.get_close_matches(name, SUBCOMMANDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"%carbon has no subcommand {name!r}.{hint} Subcommands: {', '.join(SUBCOMMANDS)}.")
        return getattr(self, f"_{name}")(args)

    def _cell(self, line: str, cell: str):
        # Reached only when the input transformer left the line in place: the options are
        # wrong (the parser raises UsageError and the cell does not run), or the magic was
        # called programmatically, when the enclosing cell is metered with these options.
        options = _validated_region(_cell_options.parser.parse_argstring(line))
        if self.ext._cell is not None:
            self.ext._cell_options = options
        self.shell.run_cell(cell, store_history=False)

    # -- subcommands ----------------------------------------------------------------------
    def _no_args(self, name: str, args: list[str]) -> None:
        if args:
            raise UsageError(f"%carbon {name} takes no arguments, got {' '.join(args)!r}.")

    def _intensity(self) -> dict | None:
        try:
            return self.ext.carbon.current().to_dict()
        except Exception:
            return None

    def _status(self, args):
        self._no_args("status", args)
        print(status_line(self.ext.session.totals, enabled=self.ext.enabled, intensity=self._intensity()))
        if self.ext.session.ledger is not None:
            print(f"ledger: {self.ext.session.ledger.path}")

    def _help(self, args):
        width = max(map(len, SUBCOMMANDS))
        print("%carbon SUBCOMMAND — energy and carbon of this session\n")
        for name, text in SUBCOMMANDS.items():
            print(f"  {name:<{width}}  {text}")
        print("\n%%carbon [-q] [-r ZONE] [-o NAME] at the top of a cell meters it and prints one line after it.")

    def _on(self, args):
        self._no_args("on", args)
        self.ext.enabled = True
        self._status([])

    def _off(self, args):
        self._no_args("off", args)
        self.ext.enabled = False
        self._status([])

    def _reset(self, args):
        self._no_args("reset", args)
        old = self.ext.session.ledger.path if self.ext.session.ledger else None
        self.ext.session.reset()
        kept = f"; the previous ledger stays at {old}" if old else ""
        print(f"jupyter-carbon: new session {self.ext.session.session_id}{kept}")

    def _region(self, args):
        from .carbon import UnknownRegion

        if len(args) > 1:
            raise UsageError(f"%carbon region takes one zone, e.g. %carbon region CA-QC; got {' '.join(args)!r}.")
        if args:
            try:
                self.ext.carbon.set_region(args[0])
            except UnknownRegion as err:
                raise UsageError(str(err)) from None
            self.ext.session.announce_totals()
        print(f"jupyter-carbon: {format_intensity(self._intensity())}")

    def _pue(self, args):
        if len(args) > 1:
            raise UsageError(f"%carbon pue takes one number, e.g. %carbon pue 1.1; got {' '.join(args)!r}.")
        if args:
            try:
                value = float(args[0])
                self.ext.carbon.set_pue(value)
            except ValueError as err:
                raise UsageError(f"PUE must be a number of at least 1.0, e.g. %carbon pue 1.1 ({err}).") from None
            self.ext.session.announce_totals()
        intensity = self._intensity() or {}
        print(f"jupyter-carbon: PUE {intensity.get('pue', 1.0):g}")

    def _widget(self, args):
        from .extension import show_widget

        self._no_args("widget", args)
        show_widget(self.shell)

    def _devices(self, args):
        from .commands.devices import render

        self._no_args("devices", args)
        meter = self.ext.meter
        print(render({"devices": [i.__dict__ for i in meter.describe()], "notes": list(meter.notes)}))

    def _estimate(self, args):
        from .cli import main

        try:
            code = main(["estimate", *args])
        except SystemExit as exit_:  # argparse reports its own usage errors, then exits
            code = exit_.code
        if code not in (0, None):
            raise UsageError("%carbon estimate: see the message above; %carbon estimate --help lists the options.")

    def _report(self, ledger: str | None = None):
        from .report import Report
        from .session import list_ledgers, read_ledger

        hardware = [f"{i.name} ({i.method})" for i in self.ext.meter.describe()]
        alternative = self.ext.cleaner_alternative()
        if ledger is None:
            return Report.from_session(self.ext.session, hardware=hardware, alternative=alternative)
        if ledger == "previous":
            current = self.ext.session.ledger.path if self.ext.session.ledger else None
            earlier = [p for p in list_ledgers(self.ext.session.ledger_dir) if p != current]
            if not earlier:
                raise UsageError("no previous session ledger on disk; %carbon summary shows this session.")
            ledger = str(earlier[-1])
        try:
            contents = read_ledger(ledger)
        except OSError as err:
            raise UsageError(f"cannot read the ledger {ledger}: {err.strerror or err}") from None
        return Report.from_ledger(contents, hardware=hardware, alternative=alternative)

    def _summary(self, args):
        from IPython.display import display

        from .report import Summary

        parser = _subparser("summary", "The costliest cells and a chart of energy per cell.")
        parser.add_argument("--top", type=int, default=10, help="how many of the costliest cells to list")
        parser.add_argument("--ledger", metavar="PATH|previous", help="summarise a saved session instead")
        options = parser.parse_args(args)
        if options.top < 1:
            raise UsageError(f"--top must be at least 1, got {options.top}.")
        display(Summary(self._report(options.ledger), top=options.top))

    def _export(self, args):
        from . import report

        parser = _subparser("export", "Write the session report to a file.")
        parser.add_argument("path", help="file to write; its suffix picks the format unless --format is given")
        parser.add_argument("--format", choices=report.FORMATS, help="json, csv, md, html or latex")
        parser.add_argument("--ledger", metavar="PATH|previous", help="export a saved session instead")
        options = parser.parse_args(args)
        rep = self._report(options.ledger)
        try:
            written = report.export(rep, options.path, options.format)
        except ValueError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise UsageError(f"cannot write {options.path}: {err.strerror or err}") from None
        print(f"jupyter-carbon: wrote {written} ({len(rep.records)} cells)")
