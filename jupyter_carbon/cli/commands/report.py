"""``jupyter carbon report LEDGER``: render a saved session ledger in any report format.

LEDGER is a ledger file, a session id (a file name in the ledger folder, with or without
``.jsonl``), or ``latest``/``previous``: the newest ledger on disk (outside a kernel there
is no current session, so the two mean the same). Without ``--output`` the report goes to
stdout, as the plain-text summary unless ``--format`` asks for another.
"""

from __future__ import annotations

import sys
from pathlib import Path

NEWEST = ("latest", "previous")


def register(subparsers) -> None:
    from ...report import FORMATS

    p = subparsers.add_parser(
        "report",
        help="render a saved session ledger (summary, json, csv, md, html, latex)",
        description="Render a session ledger written by the extension or by `jupyter carbon run`. "
        "LEDGER is a .jsonl path, a session id, or 'latest' (also 'previous'): the newest ledger on disk.",
    )
    p.add_argument("ledger", metavar="LEDGER", help="ledger file, session id, or latest/previous")
    p.add_argument("-o", "--output", metavar="PATH", help="write here (the suffix picks the format) instead of stdout")
    p.add_argument("--format", metavar="FORMAT", help=f"text (stdout only), {', '.join(FORMATS)}")
    p.add_argument("--top", type=int, default=10, metavar="N", help="costliest cells in the text summary (default 10)")
    p.add_argument("--per-cell", action="store_true", help="one row per cell (codecarbon) instead of one for the session")
    p.add_argument("--ledger-dir", metavar="DIR", help="where ledgers are kept (default: c.CarbonMeter.ledger_dir, else JUPYTER_DATA_DIR/carbon/ledgers)")
    p.set_defaults(func=run)


def resolve_format(output: str | None, fmt: str | None, *, stdout_default: str | None) -> str | None:
    """The export format from ``--format``, else ``--output``'s suffix, else the stdout default.

    Returns ``"text"`` for the plain summary, None when nothing will be written, and raises
    UsageError naming the formats and suffixes when neither says which.
    """
    from ..errors import UsageError
    from ...report import FORMATS, SUFFIXES, normalise

    if fmt is not None:
        if fmt.lower() == "text":
            if output and output != "-":
                raise UsageError("the text summary is for stdout; give a file one of the formats " + ", ".join(FORMATS))
            return "text"
        try:
            return normalise(fmt)
        except ValueError as err:
            raise UsageError(str(err)) from None
    if output is None:
        return stdout_default
    if output == "-":
        if stdout_default is None:
            raise UsageError(f"--output - needs --format ({', '.join(FORMATS)})")
        return stdout_default
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"cannot tell the report format from {Path(output).name!r}; use a suffix "
            f"({', '.join(SUFFIXES)}) or --format ({', '.join(FORMATS)})"
        )
    return SUFFIXES[suffix]


def check_per_cell(fmt: str | None, per_cell: bool) -> None:
    """``--per-cell`` only with a format that has a row per cell."""
    from ...report.formats import REGISTRY
    from ..errors import UsageError

    if per_cell and (fmt not in REGISTRY or not REGISTRY[fmt].per_cell):
        names = ", ".join(f.name for f in REGISTRY.values() if f.per_cell)
        raise UsageError(f"--per-cell goes with --format {names}")


def find_ledger(query: str, directory: str | None) -> Path:
    """The ledger file ``query`` names (see the module docstring)."""
    from ..errors import UsageError
    from ...config import load_settings
    from ...ledger import default_ledger_dir, list_ledgers

    configured = None if directory else load_settings(uses=("ledger_dir",)).ledger_dir
    folder = Path(directory or configured).expanduser() if (directory or configured) else default_ledger_dir()
    if query.lower() in NEWEST:
        try:
            ledgers = list_ledgers(folder)
        except OSError as err:  # a folder others could have planted ledgers in
            raise UsageError(str(err)) from None
        if not ledgers:
            raise UsageError(f"no session ledger in {folder}; run a notebook with %load_ext jupyter_carbon or `jupyter carbon run` first")
        return ledgers[-1]
    path = Path(query).expanduser()
    if path.is_file():
        return path
    for candidate in (folder / query, folder / f"{query}.jsonl"):
        if candidate.is_file():
            return candidate
    raise UsageError(f"no ledger {query!r}: not a file, nor a session in {folder}; 'latest' is the newest session there")


def alternative_for(zones) -> dict | None:
    """The cleanest cloud region, if cleaner than the zone most of the cells ran in
    (``zones``: a :class:`~jupyter_carbon.report.stream.Zones` of the cells)."""
    from ...carbon import find_zone
    from ...carbon.calculator import cleaner_alternative

    most = zones.most_cells()
    if most is None or most[1] is None:
        return None
    try:
        return cleaner_alternative(find_zone(most[0]), most[1])
    except Exception:
        return None


def run(args) -> int:
    from ..errors import UsageError
    from ...report import NotALedger, Report, export, render, summary_text
    from ...report.stream import STREAMED, Zones
    from ...units import plural
    from ...ledger import read_ledger

    fmt = resolve_format(args.output, args.format, stdout_default="text")
    check_per_cell(fmt, args.per_cell)
    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    path = find_ledger(args.ledger, args.ledger_dir)
    if fmt in STREAMED:
        return stream(args, fmt, path)
    try:
        contents = read_ledger(path)
    except OSError as err:
        raise UsageError(f"cannot read the ledger {path}: {err.strerror or err}") from None
    try:
        report = Report.from_ledger(contents, alternative=alternative_for(Zones.of(contents.records)))
    except NotALedger as err:
        raise UsageError(str(err)) from None
    if args.output and args.output != "-":
        try:
            written = export(report, args.output, fmt, per_cell=args.per_cell)
        except (OSError, ValueError) as err:
            raise UsageError(f"cannot write {args.output}: {getattr(err, 'strerror', None) or err}") from None
        print(f"jupyter-carbon: wrote {written} ({plural(len(report.records), 'cell')} from {path.name})", file=sys.stderr)
        return 0
    if fmt == "text":
        print(summary_text(report, top=args.top))
    else:
        sys.stdout.write(render(report, fmt, per_cell=args.per_cell))
    return 0


def stream(args, fmt: str, path: Path) -> int:
    """A JSON or CSV report written as the ledger is read (``report/stream.py``): a
    session of any length in little memory."""
    from ..errors import UsageError
    from ...ledger import LedgerLines, open_regular
    from ...report import NotALedger
    from ...report.formats import write_file
    from ...report.stream import stream_csv, stream_json
    from ...units import plural

    try:
        open_regular(path).close()
    except OSError as err:
        raise UsageError(f"cannot read the ledger {path}: {err.strerror or err}") from None
    lines, gathered = LedgerLines(path), []

    def produce(write):
        if fmt == "csv":
            gathered.append(stream_csv(lines, write))
        else:
            gathered.append(stream_json(lines, write, alternative_for))

    to_file = args.output and args.output != "-"
    try:
        if not to_file:
            produce(sys.stdout.write)
            return 0
        written = write_file(args.output, produce)
    except NotALedger as err:
        raise UsageError(str(err)) from None
    except (OSError, ValueError) as err:
        if isinstance(err, BrokenPipeError) or not to_file:
            raise
        raise UsageError(f"cannot write {args.output}: {getattr(err, 'strerror', None) or err}") from None
    print(f"jupyter-carbon: wrote {written} ({plural(gathered[0].count, 'cell')} from {path.name})", file=sys.stderr)
    return 0
