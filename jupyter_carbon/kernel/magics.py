"""``%%carbon`` and ``%carbon``: what a notebook user types.

``%%carbon [-q] [-r ZONE] [-o NAME]`` meters one cell and prints one line after it;
``%carbon [SUBCOMMAND ...]`` shows and steers the session. Both declare their options with
IPython's ``magic_arguments``, so ``%%carbon?``, ``%carbon?`` and ``%carbon SUBCOMMAND
--help``-style mistakes give generated help. Wrong subcommands or values raise IPython's
``UsageError``, which IPython shows as one line, never a traceback.

The magics hold no state: they ask the shell's :class:`~jupyter_carbon.kernel.extension.
CarbonExtension` for everything.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import difflib
import keyword

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser, MagicHelpFormatter, argument, kwds
from IPython.utils.process import arg_split

from ..estimates import Words, with_one_word_help
from ..text import status_line
from ..units import format_intensity
from .lazyparser import lazy_magic_arguments, parser_of


def _usage_name(name: str):
    """Name the magic in its generated help (``%%carbon``, ``%carbon``), not after the method."""

    def name_it(func):
        func.argcmd_name = name
        return func

    return name_it


def split_words(line: str, magic: str) -> list[str]:
    """A magic's line split into words as a shell would (IPython's ``arg_split``, POSIX
    rules): quotes group words and are removed, so ``%carbon region "quebec city"`` gives
    one word ``quebec city``. IPython's own ``parse_argstring`` keeps the quotes in the
    value. UsageError for an unclosed quote."""
    try:
        return arg_split(line, posix=True, strict=True)
    except ValueError as err:  # shlex: no closing quotation
        raise UsageError(f"cannot parse {magic} {line.strip()}: {err}; close the quote or leave it out") from None


def _subparser(name: str, description: str) -> MagicArgumentParser:
    return MagicArgumentParser(prog=f"%carbon {name}", description=description)


NO_ARGUMENTS = "none"
"""A subcommand that takes nothing (any argument is a mistake)."""


def _summary_parser() -> MagicArgumentParser:
    p = _subparser("summary", "The costliest cells and a chart of energy per cell.")
    p.add_argument("--top", type=int, default=10, help="how many of the costliest cells to list")
    p.add_argument("--ledger", metavar="PATH|previous", help="summarise a saved session instead")
    return p


def _export_parser() -> MagicArgumentParser:
    from ..report import FORMATS

    p = _subparser("export", "Write the session report to a file.")
    p.add_argument("path", help="file to write; its suffix picks the format unless --format is given")
    p.add_argument("--format", choices=FORMATS, help=", ".join(FORMATS))
    p.add_argument("--per-cell", action="store_true", help="one row per cell (codecarbon) instead of one for the session")
    p.add_argument("--ledger", metavar="PATH|previous", help="export a saved session instead")
    return p


def _estimate_parser() -> MagicArgumentParser:
    from ..estimates import DESCRIPTION, add_arguments

    p = _subparser("estimate", DESCRIPTION)
    add_arguments(p)
    return p


def _forecast_parser() -> MagicArgumentParser:
    from ..forecasting import DESCRIPTION, add_arguments

    p = _subparser("forecast", DESCRIPTION + " Needs c.CarbonMeter.live_provider; asks it once, for at most live_timeout_s.")
    add_arguments(p)
    return p


#: Each subcommand: what it does, in one line, and the parser of its arguments (built when
#: used); None passes the words as they are.
SUBCOMMANDS = {
    "status": ("the session so far, in one line (the default)", NO_ARGUMENTS),
    "summary": ("the costliest cells and a chart of energy per cell  [--top N] [--ledger PATH|previous]", _summary_parser),
    "export": ("write the session report  PATH [--format json|csv|md|html|latex|codecarbon|model-card] [--per-cell]", _export_parser),
    "region": ("show or set the grid zone or cloud region  [ZONE]", None),
    "pue": ("show or set the facility's power usage effectiveness  [X]", None),
    "unit": ("show or set the functional unit R of the SCI score (gCO2e per unit)  [R UNIT | result UNIT | off]", None),
    "on": ("meter every cell", NO_ARGUMENTS),
    "off": ("stop metering cells (%%carbon cells are still metered)", NO_ARGUMENTS),
    "reset": ("start a new session: totals from zero, a new ledger; the old one stays on disk", NO_ARGUMENTS),
    "devices": ("what this machine can meter, and how", NO_ARGUMENTS),
    "cluster": ("the cluster's workers (Dask) or nodes (Ray): their hosts, hardware and zones", NO_ARGUMENTS),
    "widget": ("show the live meter: power while a cell runs, session energy and CO2e", NO_ARGUMENTS),
    "estimate": ("the emissions calculator, as `jupyter carbon estimate` (see %carbon estimate --help)", _estimate_parser),
    "forecast": ("the grid's intensity for the next hours and the cleanest window  [--hours N] [--length H] [--power W]", _forecast_parser),
    "budget": ("warn once when a running cell's projected CO2e crosses an amount  [500 g|0.5 kg|off]", None),
    "help": ("this list", NO_ARGUMENTS),
}


def subcommand_table() -> str:
    width = max(map(len, SUBCOMMANDS))
    return "\n".join(f"  {name:<{width}}  {text}" for name, (text, _) in SUBCOMMANDS.items())


#: Names ``-o`` must not rebind: IPython's own, whose loss breaks every later cell.
_SHELL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh"})


def check_output_name(name: str) -> None:
    """UsageError unless ``name`` is a plain variable name that no builtin, keyword or
    IPython name owns: ``-o print`` or ``-o __builtins__`` would break every later cell."""
    if not name.isidentifier() or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"-o needs a Python variable name, e.g. -o rec; {name!r} is not one.")
    if hasattr(builtins, name) or name in _SHELL_NAMES or (name.startswith("__") and name.endswith("__")):
        raise UsageError(f"-o {name} would hide a name Python or IPython needs; choose another, e.g. -o rec.")


def cell_options(line: str):
    """The parsed options of a ``%%carbon`` line (without the ``%%carbon``), or UsageError
    naming what is wrong (an unclosed quote, a bad ``-o`` name, an unknown region)."""
    options = parser_of(CarbonMagics.carbon_cell).parse_args(split_words(line, "%%carbon"))
    if options.output is not None:
        check_output_name(options.output)
    if options.unit is not None:
        from ..records import parse_unit

        try:
            options.unit = dict(parse_unit(options.unit), declared_by="cell")
        except ValueError as err:
            raise UsageError(f"-u: {err}") from None
    if options.region:
        from ..carbon import UnknownRegion, find_zone

        try:
            find_zone(options.region)
        except UnknownRegion as err:
            raise UsageError(str(err)) from None
    return options


def merge_options(outer, inner):
    """Two stacked ``%%carbon`` lines as one: the outer line's options win, the inner one
    fills what it left unset, and ``-q`` on either makes the cell quiet."""
    if outer is None:
        return inner
    merged = argparse.Namespace(**vars(outer))
    merged.quiet = outer.quiet or inner.quiet
    for name in ("region", "output"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(inner, name))
    return merged


def run_body(shell, cell: str):
    """Run a cell magic's body as part of the enclosing cell, in the user's namespace.

    Not through ``shell.run_cell``, which catches and shows the body's exception, so the
    enclosing cell would carry on and end ``ok``. Here the exception propagates exactly as
    if the body were the cell, and the value of a last expression is returned (None after
    a trailing ``;``), for IPython to display as the cell's result.
    """
    source = shell.transform_cell(cell)
    tree = shell.transform_ast(shell.compile.ast_parse(source))
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    name = shell.compile.cache(source, shell.execution_count, raw_code=cell)
    exec(shell.compile(tree, name, "exec"), shell.user_global_ns, shell.user_ns)
    if last is None:
        return None
    value = eval(shell.compile(last, name, "eval"), shell.user_global_ns, shell.user_ns)
    return None if shell.displayhook.semicolon_at_end_of_expression(source) else value


@magics_class
class CarbonMagics(Magics):
    """The magics of one shell, bound to its :class:`~jupyter_carbon.kernel.extension.CarbonExtension`."""

    def __init__(self, shell, extension):
        super().__init__(shell)
        self.ext = extension

    @lazy_magic_arguments()
    @kwds(formatter_class=with_one_word_help(MagicHelpFormatter))
    @argument("-q", "--quiet", action="store_true", help="Print nothing after the cell; the record is still kept.")
    @argument(
        "-r", "--region", nargs="+", action=Words, metavar="ZONE",
        help="Grid zone, cloud region or place for this cell's emissions, e.g. FR, CA-QC, aws:eu-north-1, 'São Paulo'.",
    )
    @argument("-o", "--output", metavar="NAME", help="Store the cell's record (a CellRecord) in the variable NAME.")
    @argument("-u", "--unit", nargs=2, metavar=("R", "UNIT"), help="The cell's functional unit for its SCI score (gCO2e per unit), e.g. -u 1000 samples; -u result samples counts what the cell returns.")
    @_usage_name("%carbon")
    @cell_magic("carbon")
    def carbon_cell(self, line: str, cell: str):
        """Meter this cell and print one line after it: energy by component, duration,
        gCO2e, zone and intensity, and whether each figure was measured or estimated.
        The cell runs exactly as it would without the magic.
        """
        # Reached only when the input transformer left the line in place: the options are
        # wrong (cell_options raises UsageError and the cell does not run), or the magic was
        # called programmatically, when the enclosing cell is metered with these options.
        self.ext.use_cell_options(cell_options(line))
        return run_body(self.shell, cell)

    @lazy_magic_arguments()
    @kwds(epilog="subcommands:\n" + subcommand_table())
    @argument("subcommand", nargs="?", default="status", help="what to show or change (default: status)")
    @argument("args", nargs=argparse.REMAINDER, help="the subcommand's arguments")
    @_usage_name("carbon")
    @line_magic("carbon")
    def carbon_line(self, line: str):
        """Energy and carbon of this session's cells: show and steer the session."""
        options = parser_of(CarbonMagics.carbon_line).parse_args(split_words(line, "%carbon"))
        name = options.subcommand
        if name not in SUBCOMMANDS:
            close = difflib.get_close_matches(name, SUBCOMMANDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"%carbon has no subcommand {name!r}.{hint} Subcommands: {', '.join(SUBCOMMANDS)}.")
        parser, args = SUBCOMMANDS[name][1], options.args
        if parser == NO_ARGUMENTS and args:
            raise UsageError(f"%carbon {name} takes no arguments, got {' '.join(args)!r}.")
        if callable(parser):
            args = parser().parse_args(args)
        return getattr(self, f"_{name}")(args)

    # -- subcommands ----------------------------------------------------------------------
    def _status(self, args):
        with self.ext.settings.display_units():
            print(status_line(self.ext.session.totals, enabled=self.ext.enabled, intensity=self.ext.intensity_dict()))
        if self.ext.session.ledger is not None:
            print(f"ledger: {self.ext.session.ledger.path}")

    def _help(self, args):
        print("%carbon SUBCOMMAND — energy and carbon of this session\n")
        print(subcommand_table())
        print("\n%%carbon [-q] [-r ZONE] [-o NAME] at the top of a cell meters it and prints one line after it.")

    def _on(self, args):
        self.ext.enabled = True
        self._status(args)

    def _off(self, args):
        self.ext.enabled = False
        self._status(args)

    def _reset(self, args):
        old = self.ext.session.ledger.path if self.ext.session.ledger else None
        self.ext.session.reset()
        kept = f"; the previous ledger stays at {old}" if old else ""
        print(f"jupyter-carbon: new session {self.ext.session.session_id}{kept}")

    def _region(self, args):
        from ..carbon import UnknownRegion

        note = None
        if args:
            from ..carbon.places import resolve_place

            place = " ".join(args)  # one zone or place: São Paulo, quoted or not
            try:
                note = resolve_place(place).note
                self.ext.carbon.set_region(place)
            except UnknownRegion as err:
                several = "" if len(args) == 1 else "%carbon region takes one zone or place (e.g. CA-QC, \"quebec city\"); "
                raise UsageError(f"{several}{err}") from None
            self.ext.session.announce_totals()
        print(f"jupyter-carbon: {format_intensity(self.ext.intensity_dict())}")
        if note:
            print(f"jupyter-carbon: {note}")

    def _pue(self, args):
        if len(args) > 1:
            raise UsageError(f"%carbon pue takes one number, e.g. %carbon pue 1.1; got {' '.join(args)!r}.")
        if args:
            try:
                self.ext.carbon.set_pue(args[0])  # check_pue says what is wrong, once
            except ValueError as err:
                raise UsageError(str(err)) from None
            self.ext.session.announce_totals()
        intensity = self.ext.intensity_dict() or {}
        print(f"jupyter-carbon: PUE {intensity.get('pue', 1.0):g}")

    def _unit(self, args):
        """``%carbon unit 1000 samples``: each later cell counts as R units of work (SCI =
        (E × I + M) per R) unless it declares its own (``%%carbon -u``); ``off`` stops."""
        from ..records import parse_unit

        session = self.ext.session
        if args == ["off"]:
            session.functional_unit = None
        elif args:
            try:
                session.functional_unit = parse_unit(args)
            except ValueError as err:
                raise UsageError(f"%carbon unit: {err}, or off.") from None
        unit = session.functional_unit
        if not unit:
            said = "no functional unit (%carbon unit 1000 samples sets one)"
        elif unit.get("per_result"):
            said = f"each cell counts as the number of {unit['unit']} it returns (a number, or the length of a list, array or frame)"
        else:
            said = f"each cell counts as {unit['quantity']:g} {unit['unit']}"
        print(f"jupyter-carbon: SCI {said}")

    def _widget(self, args):
        self.ext.show_widget()

    def _devices(self, args):
        from ..inventory import inventory, render

        print(render(inventory(self.ext.meter)))

    def _cluster(self, args):
        from ..text import cluster_table

        print(cluster_table(self.ext.cluster_nodes()))

    def _estimate(self, options):
        from ..estimates import run

        try:
            print(run(options, self.ext.config))
        except ValueError as err:
            raise UsageError(f"%carbon estimate: {err}") from None

    def _forecast(self, options):
        from .charts import forecast_in_cell

        forecast_in_cell(self.ext, options)

    def _budget(self, args):
        from ..projection import parse_mass
        from ..units import format_mass

        projector = self.ext.projector
        if args:
            if [a.lower() for a in args] == ["off"]:
                projector.budget_g = None
            else:
                try:
                    projector.budget_g = parse_mass(" ".join(args))
                except ValueError as err:
                    raise UsageError(f"%carbon budget: {err}, or off.") from None
        if projector.budget_g is None:
            print("jupyter-carbon: no budget; %carbon budget 500 g warns when a running cell's projection crosses 500 g CO2e")
        else:
            print(f"jupyter-carbon: budget {format_mass(projector.budget_g)} CO2e per cell, checked against the projection while a progress bar runs")

    def _report(self, ledger: str | None):
        try:
            return self.ext.report(ledger)
        except (LookupError, OSError) as err:
            raise UsageError(str(err)) from None

    def _summary(self, options):
        from IPython.display import display

        from ..report import Summary

        if options.top < 1:
            raise UsageError(f"--top must be at least 1, got {options.top}.")
        display(Summary(self._report(options.ledger), top=options.top, units=self.ext.settings.units()))

    def _export(self, options):
        from ..report import export

        rep = self._report(options.ledger)
        try:
            written = export(rep, options.path, options.format, per_cell=options.per_cell)
        except ValueError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise UsageError(f"cannot write {options.path}: {err.strerror or err}") from None
        from ..units import plural

        print(f"jupyter-carbon: wrote {written} ({plural(len(rep.records), 'cell')})")
