"""``jupyter carbon run NOTEBOOK``: execute a notebook headless, every cell metered.

For CI, clusters and pipelines: progress goes to stderr, one line per cell; the per-cell
table and the totals go to stdout (to stderr with ``--output -``, which puts the report on
stdout). The notebook file is only read; ``--save-executed PATH`` writes the executed copy,
with each cell's footprint in its metadata (see :mod:`jupyter_carbon.runner`).

Exit codes: 0 every cell ran; 1 a cell failed, ran past ``--timeout`` or the kernel died;
130 Ctrl-C (the first interrupts the running cell, a second stops the kernel); in all three
the report of what ran is still written. 2: bad input, found before any cell runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ...units import cell_label, format_cell


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="execute a notebook with every cell metered, and write its report",
        description="Execute NOTEBOOK headless (nbclient) with every code cell metered, print the "
        "energy and CO2e of each cell and the totals, and write the report. The notebook file "
        "is not modified. Exit code 1 if a cell fails (the report of what ran is still written).",
    )
    p.add_argument("notebook", help="the .ipynb file to run")
    p.add_argument("-o", "--output", metavar="PATH", help="write the report here; the suffix picks the format "
                   "(.html, .json, .csv, .md, .tex); '-' prints it to stdout (give --format)")  # fmt: skip
    p.add_argument("--format", metavar="FORMAT", help="report format: json, csv, md, html, latex, codecarbon, model-card (text: the summary, stdout only)")
    p.add_argument("--per-cell", action="store_true", help="one row per cell (codecarbon) instead of one for the session")
    p.add_argument("--region", metavar="ZONE", help="grid zone, cloud region or place, e.g. FR, quebec, aws:eu-west-3, mumbai")
    p.add_argument("--pue", type=float, metavar="X", help="power usage effectiveness of the facility, at least 1.0")
    p.add_argument("--timeout", type=int, metavar="SECONDS", help="stop a cell that runs longer (default: no limit)")
    p.add_argument("--kernel", metavar="NAME", help="kernel to run it with (default: the notebook's, else python3)")
    p.add_argument("--save-executed", metavar="PATH", help="write the executed notebook, with per-cell footprints in its metadata")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="a papermill parameter (as papermill -p; needs papermill: pip install 'jupyter-carbon[papermill]')")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.add_argument("--when", choices=("now", "cleanest"), default="now",
                   help="'cleanest': wait for the cleanest window of the grid's forecast, then run (needs a forecast provider)")
    p.add_argument("--within", metavar="DURATION", help="with --when cleanest: the run must end within this, e.g. 12h (default 12h)")
    p.add_argument("--length", metavar="DURATION", help="with --when cleanest: how long the run is expected to take, e.g. 90m (default 1h)")
    p.add_argument("--provider", choices=("uk-national-grid", "electricitymaps", "watttime"),
                   help="with --when cleanest: the forecast provider (default: c.CarbonMeter.live_provider)")
    p.set_defaults(func=run)


def _eprint(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def _check_folder(path: str, what: str) -> None:
    from ..errors import UsageError

    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {what} {path}: the folder {folder} does not exist")


def read_notebook(path: str):
    """The notebook at ``path`` as nbformat v4, or a UsageError saying what is wrong."""
    import nbformat

    from ..errors import UsageError

    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"no notebook at {path}" + ("" if file.suffix == ".ipynb" else " (expected an .ipynb file)"))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(f"{path} is not a notebook nbformat can read: {first}") from None


def kernel_name(requested: str | None, nb) -> str:
    """The kernel to use: ``--kernel``, else the notebook's own, else ``python3``; it must exist."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from ..errors import UsageError

    name = requested or (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        hint = "" if requested else " (named in the notebook's metadata)"
        raise UsageError(f"no kernel named {name!r}{hint}; installed kernels: {known}. Choose one with --kernel.") from None
    return name


def parameterize(path: str, pairs: list[list[str]], kernel: str):
    """The notebook at ``path`` as papermill reads it, with its parameters cell injected as
    ``papermill -p`` does (values read as papermill reads them: numbers, booleans, None,
    else text)."""
    from ..errors import UsageError

    try:
        from papermill.cli import _resolve_type
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook
    except ImportError:
        raise UsageError("-p needs papermill: pip install 'jupyter-carbon[papermill]'") from None
    parameters = {name: _resolve_type(value) for name, value in pairs}
    return parameterize_notebook(load_notebook_node(str(Path(path).expanduser())), parameters, kernel_name=kernel)


def _check_input(args) -> str | None:
    """Everything that can be wrong with the input, found before the kernel starts; the
    report's format."""
    from ..errors import UsageError
    from .report import check_per_cell, resolve_format

    fmt = resolve_format(args.output, args.format, stdout_default=None)
    check_per_cell(fmt, args.per_cell)
    if args.output and args.output != "-":
        _check_folder(args.output, "the report")
    if args.save_executed:
        _check_folder(args.save_executed, "the executed notebook")
    if args.region:
        from ...carbon import UnknownRegion, find_zone

        try:
            find_zone(args.region)
        except UnknownRegion as err:
            raise UsageError(str(err)) from None
    if args.pue is not None:
        from ...carbon.intensity import check_pue

        try:
            check_pue(args.pue)
        except ValueError as err:
            raise UsageError(str(err)) from None
    _check_when(args)
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    return fmt


def _check_when(args) -> None:
    """--within, --length and --provider belong to --when cleanest; durations must read."""
    from ...carbon.forecast import parse_duration
    from ..errors import UsageError

    given = [name for name in ("within", "length", "provider") if getattr(args, name, None)]
    if args.when != "cleanest":
        if given:
            raise UsageError(f"--{given[0]} goes with --when cleanest")
        return
    try:
        args.within_td = parse_duration(args.within or "12h")
        args.length_td = parse_duration(args.length or "1h")
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.length_td > args.within_td:
        raise UsageError(f"--length {args.length or '1h'} is longer than --within {args.within or '12h'}")


def wait_for_window(args, clock=None, sleep=None) -> int | None:
    """With --when cleanest, wait for the window (None when it came); 130 on Ctrl-C."""
    from ...config import load_settings
    from ...forecasting import provider_for
    from ..errors import UsageError
    from ..schedule import wait_for_cleanest
    from .forecast import place_and_pue

    settings = load_settings()
    place, pue = place_and_pue(args.region, settings)
    provider = provider_for(settings, args.provider)
    if provider is None:
        from ...carbon.forecasts import which_could

        raise UsageError("--when cleanest needs a forecast provider: --provider NAME, or " + "; or ".join(which_could(place)))
    extra = {k: v for k, v in (("clock", clock), ("sleep", sleep)) if v is not None}
    try:
        wait_for_cleanest(settings, place, provider=provider, within=args.within_td, length=args.length_td, say=_eprint, pue=pue, **extra)
    except KeyboardInterrupt:
        _eprint("jupyter carbon: stopped waiting for the cleanest window; nothing ran.")
        return 130
    return None


def _write_outputs(args, result, fmt: str | None) -> None:
    """The per-cell table and totals, the executed copy and the report, where asked."""
    from ...report import export, render, summary_text
    from ...units import plural
    from .. import runner
    from ..errors import UsageError

    table_out = sys.stderr if args.output == "-" else sys.stdout
    report = result.report()
    if result.records:
        print(runner.cell_table(result.records), file=table_out)
        print(file=table_out)
    # The head of the summary, before its first blank line, is the totals block.
    print(summary_text(report).split("\n\n")[0], file=table_out, flush=True)

    if args.save_executed:
        _eprint(f"jupyter-carbon: wrote the executed notebook to {runner.write_notebook(result.notebook, args.save_executed)}")
    if args.output == "-":
        sys.stdout.write(summary_text(report) + "\n" if fmt == "text" else render(report, fmt, per_cell=args.per_cell))
        sys.stdout.flush()
    elif args.output:
        try:
            written = export(report, args.output, fmt, per_cell=args.per_cell)
        except (OSError, ValueError) as err:
            raise UsageError(f"cannot write the report {args.output}: {getattr(err, 'strerror', None) or err}") from None
        _eprint(f"jupyter-carbon: wrote {written} ({plural(len(report.records), 'cell')})")
    if result.unmetered:
        _eprint(
            f"jupyter-carbon: {plural(result.unmetered, 'code cell')} ran without a record (metering switched off "
            "with %carbon off, or jupyter_carbon unloaded); the report leaves them out"
        )
    if result.session.get("ledger"):
        _eprint(f"jupyter-carbon: ledger {result.session['ledger']}")


def _stopped_cell(result) -> str:
    """The cell that stopped the run, named as the table and the reports name it."""
    number = result.failure.cell_number
    record = next((r for r in reversed(result.records) if r.cell_position == number), None)
    return cell_label(record) if record is not None else format_cell(None, number)


def _exit_code(args, result) -> int:
    """0 every cell ran; 130 interrupted; 1 a cell failed, timed out or the kernel died."""
    if result.failure is None:
        return 0
    f, cell = result.failure, _stopped_cell(result)
    from ...units import plural

    covered = f"The figures cover the {plural(len(result.records), 'cell')} metered up to and including it."
    if result.interrupted:
        _eprint(f"jupyter carbon: interrupted in {cell}. {covered}")
        return 130
    _eprint(f.message.rstrip())
    if f.ename == "KeyboardInterrupt" and args.timeout:
        _eprint(f"jupyter carbon: {cell} ran longer than --timeout {args.timeout} s and was stopped. {covered}")
    else:
        _eprint(f"jupyter carbon: {cell} failed ({f.ename}: {f.evalue}); the run stopped there. {covered}")
    return 1


def run(args) -> int:
    from .. import runner
    from ..errors import UsageError

    fmt = _check_input(args)
    nb = read_notebook(args.notebook)
    kernel = kernel_name(args.kernel, nb)
    if args.parameter:
        nb = parameterize(args.notebook, args.parameter, kernel)
    if args.when == "cleanest" and (stopped := wait_for_window(args)) is not None:
        return stopped

    def progress(n, of, number, record, totals):
        _eprint(runner.progress_line(n, of, number, record, totals))

    try:
        result = runner.run_notebook(
            nb, kernel_name=kernel, cwd=Path(args.notebook).expanduser().resolve().parent, region=args.region,
            pue=args.pue, timeout=args.timeout, progress=None if args.quiet else progress,
            started=None if args.quiet else lambda session: _eprint(session["banner"]),
            notebook=args.notebook,
        )  # fmt: skip
    except runner.RunError as err:
        raise UsageError(str(err)) from None
    _write_outputs(args, result, fmt)
    return _exit_code(args, result)
