"""The IPython extension: meter every cell through IPython's run-cell events.

``%load_ext jupyter_carbon`` creates one :class:`CarbonExtension` per shell. It listens to
``pre_run_cell`` and ``post_run_cell``, which fire once per cell the user runs (unlike
``pre_execute``, which also fires for comm and widget traffic, and unlike silent
executions, which fire neither). A cell that runs another cell (``run_cell`` inside a cell)
fires the events again, nested; only the outermost pair is metered, so nothing is counted
twice.

``%%carbon`` is handled by an input transformer that removes the magic's line, so the
cell runs exactly as it would without it (same namespace, output, last value, exception
and traceback); the hooks read the options from the raw cell and print one line after it.
"""

from __future__ import annotations

import logging
import re
import shlex

from .config import CarbonMeter

log = logging.getLogger("jupyter_carbon")

CELL_MAGIC = re.compile(r"^%%carbon(\s|$)")


class CarbonExtension:
    """Per-shell state: the meter, the carbon context, the session ledger and the hooks."""

    def __init__(self, shell, *, meter=None, carbon=None, session=None):
        from .meter import Meter
        from .session import Session

        self.shell = shell
        # parent=shell: c.CarbonMeter.* in ipython_config.py / ipython_kernel_config.py apply.
        self.config = CarbonMeter(parent=shell)
        self.meter = meter or Meter(config=self.config)
        if carbon is None:
            from .carbon import CarbonContext

            carbon = CarbonContext(self.config)
        self.carbon = carbon
        self.session = session or Session(self.meter, self.carbon, ledger_dir=self.config.ledger_dir or None, persist=self.config.persist)
        self.enabled = True
        self._depth = 0
        self._cell = None
        self._cell_options = None
        self._failed_once = False
        self.channel = None
        self.widgets: list = []

    # -- lifetime -------------------------------------------------------------------------
    def register(self) -> None:
        events = self.shell.events
        events.register("pre_run_cell", self.pre_run_cell)
        events.register("post_run_cell", self.post_run_cell)
        cleanup = self.shell.input_transformers_cleanup
        if strip_cell_magic not in cleanup:
            cleanup.append(strip_cell_magic)
        from .frontend import FrontendChannel

        try:
            channel = FrontendChannel(self)
            channel.register()
            self.channel = channel
        except Exception:
            log.exception("jupyter-carbon: no channel to the frontend; the status bar will not update")

    def unregister(self) -> None:
        events = self.shell.events
        for name, hook in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                events.unregister(name, hook)
            except ValueError:
                pass
        cleanup = self.shell.input_transformers_cleanup
        if strip_cell_magic in cleanup:
            cleanup.remove(strip_cell_magic)
        if self.channel is not None:
            self.channel.close()
            self.channel = None

    def close(self) -> None:
        self.unregister()
        for meter_widget in self.widgets:
            meter_widget.close()
        for part in (self.session, self.carbon, self.meter):
            try:
                part.close()
            except Exception:
                log.exception("jupyter-carbon: error while closing %s", type(part).__name__)

    def banner(self) -> str:
        """One line: what is metered, how, and the zone with how it was chosen."""
        from .text import format_intensity

        parts = []
        methods: dict[str, str] = {}
        for info in self.meter.describe():
            methods.setdefault(info.component, info.method)
        for component, method in methods.items():
            parts.append(f"{component} {method}")
        hint = ""
        try:
            intensity = self.carbon.current()
            zone = format_intensity(intensity.to_dict())
            if intensity.guess:
                hint = " Set the zone with `%carbon region ZONE` (e.g. CA-QC, FR, aws:eu-west-3);"
        except Exception:
            zone = "no carbon intensity"
        return f"jupyter-carbon: metering every cell ({', '.join(parts) or 'nothing metered'}); {zone}.{hint} `%carbon help` for more."

    def cleaner_alternative(self) -> dict | None:
        """The cleanest cloud region (of the same provider, if this is a cloud region), for
        the reports' "had this run in X" sentence; None if it is no cleaner than here."""
        from .carbon.calculator import cleanest_regions

        try:
            place = self.carbon.place
            _, region = cleanest_regions(place)[0]
            if region.g_per_kwh >= self.carbon.current().g_per_kwh:
                return None
        except Exception:
            return None
        return {"zone": region.key, "zone_name": region.name, "g_per_kwh": region.g_per_kwh, "source": region.source, "year": region.year}

    # -- hooks ----------------------------------------------------------------------------
    def _report_failure(self, where: str) -> None:
        if not self._failed_once:
            self._failed_once = True
            log.exception("jupyter-carbon: metering failed in %s; the cell is unaffected", where)

    def pre_run_cell(self, info) -> None:
        self._depth += 1
        if self._depth > 1:
            return
        try:
            raw = getattr(info, "raw_cell", "") or ""
            try:
                options = cell_magic_options(raw)
            except Exception:
                options = None  # the cell magic itself reports the mistake; metered as a plain cell
            self._cell_options = options
            if not self.enabled and options is None:
                self._cell = None
                return
            self._cell = self.session.begin(
                execution_count=self.shell.execution_count,
                cell_id=getattr(info, "cell_id", None),
                source=_without_magic_line(raw) if options is not None else raw,
                magic=options is not None,
            )
        except Exception:
            self._cell = None
            self._report_failure("pre_run_cell")

    def post_run_cell(self, result) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth > 0 or self._cell is None:
            return
        cell, options, self._cell, self._cell_options = self._cell, self._cell_options, None, None
        try:
            status, error = cell_status(result)
            cell.execution_count = getattr(result, "execution_count", None) or cell.execution_count
            intensity = None
            if options is not None and options.region:
                intensity = self.carbon.intensity_for(options.region)
            record = self.session.end(cell, status=status, error=error, intensity=intensity)
            if options is not None:
                if options.output:
                    self.shell.user_ns[options.output] = record
                if not options.quiet:
                    from .text import cell_line

                    print(cell_line(record))
        except Exception:
            self._report_failure("post_run_cell")


def cell_status(result) -> tuple[str, str | None]:
    """``ok``, ``error`` or ``interrupted``, and the exception's type name."""
    err = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    if err is None:
        return "ok", None
    if isinstance(err, KeyboardInterrupt):
        return "interrupted", "KeyboardInterrupt"
    return "error", type(err).__name__


# -- loading --------------------------------------------------------------------------------------
_loaded: dict[int, CarbonExtension] = {}


def extension_of(shell) -> CarbonExtension | None:
    """The extension loaded in ``shell``, if any."""
    return _loaded.get(id(shell))


def load_ipython_extension(shell) -> None:
    if id(shell) in _loaded:
        print("jupyter-carbon is already loaded; %reload_ext jupyter_carbon starts afresh.")
        return
    from .magics import CarbonMagics

    ext = CarbonExtension(shell)
    ext.register()
    shell.register_magics(CarbonMagics(shell, ext))
    _loaded[id(shell)] = ext
    print(ext.banner())


def show_widget(shell=None):
    """Display a live meter for ``shell``'s session, loading the extension first if needed."""
    from IPython import get_ipython
    from IPython.display import display

    from .live_meter import CarbonWidget

    shell = shell or get_ipython()
    if shell is None:
        raise RuntimeError("the live meter needs an IPython kernel or shell; use jupyter_carbon.measure() elsewhere")
    if extension_of(shell) is None:
        # Through IPython's manager, so that %unload_ext and %reload_ext know about it.
        shell.extension_manager.load_extension("jupyter_carbon")
    ext = extension_of(shell)
    meter_widget = CarbonWidget(ext.session, ext.carbon)
    ext.widgets.append(meter_widget)
    display(meter_widget)
    return meter_widget


def unload_ipython_extension(shell) -> None:
    ext = _loaded.pop(id(shell), None)
    if ext is None:
        return
    ext.close()
    for kind in ("line", "cell"):
        shell.magics_manager.magics[kind].pop("carbon", None)


# -- %%carbon -------------------------------------------------------------------------------------
def _first_line_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.strip():
            return i
    return None


def _without_magic_line(raw: str) -> str:
    return "".join(strip_cell_magic(raw.splitlines(keepends=True)))


def cell_magic_options(raw: str):
    """The parsed options of a leading ``%%carbon`` line, or None if the cell has none."""
    lines = raw.splitlines()
    i = _first_line_index(lines)
    if i is None or not CELL_MAGIC.match(lines[i]):
        return None
    from .magics import _validated_region, carbon_cell_parser

    return _validated_region(carbon_cell_parser().parse_args(shlex.split(lines[i][len("%%carbon"):])))


def strip_cell_magic(lines: list[str]) -> list[str]:
    """Input transformer: drop a leading ``%%carbon`` line whose options are valid.

    With invalid options the line stays, IPython then calls the registered cell magic, and
    its argument parser reports the mistake without running the cell.
    """
    i = _first_line_index([line.rstrip("\n") for line in lines])
    if i is None or not CELL_MAGIC.match(lines[i]):
        return lines
    try:
        cell_magic_options("".join(lines[i:i + 1]))
    except Exception:
        return lines
    return lines[:i] + lines[i + 1:]
