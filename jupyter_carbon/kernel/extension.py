"""The IPython extension: meter every cell through IPython's run-cell events.

``%load_ext jupyter_carbon`` creates one :class:`CarbonExtension` per shell. It listens to
``pre_run_cell`` and ``post_run_cell``, which fire once per cell the user runs (unlike
``pre_execute``, which also fires for comm and widget traffic, and unlike silent
executions, which fire neither). A cell that runs another cell (``run_cell`` inside a cell)
fires the events again, nested; only the outermost pair is metered, so nothing is counted
twice.

The extension is the one service every kernel view (magics, comm, widget, headless hooks)
calls: the session, the zone, the hardware, reports. The views never reach into each other.
"""

from __future__ import annotations

import logging
import os

from ..config import CarbonMeter
from ..footprint import source_sha256
from .cellmagic import options_of, show_cell_line, strip_cell_magic, without_magic_line
from .identity import kernel_identity, notebook_path
from .live_settings import LiveSettings

log = logging.getLogger("jupyter_carbon")


class CarbonExtension:
    """Per-shell state: the meter, the carbon context, the session ledger and the hooks."""

    def __init__(self, shell, *, meter=None, carbon=None, session=None):
        from ..meter import Meter
        from ..session import Session

        self.shell = shell
        # parent=shell: c.CarbonMeter.* in ipython_config.py / ipython_kernel_config.py apply.
        self.config = CarbonMeter(parent=shell)
        self.meter = meter or Meter(config=self.config)
        if carbon is None:
            from ..carbon import CarbonContext

            carbon = CarbonContext(self.config)
        self.carbon = carbon
        self._hint_instance()
        if session is None:
            from ..gpusync import synchronise

            sync = synchronise if self.config.sync_gpu else None
            session = Session(
                self.meter, self.carbon, ledger_dir=self.config.ledger_dir or None, persist=self.config.persist,
                sync=sync, idle=self.config.record_idle, identity=kernel_identity(), cluster=self.cluster_meter(),
                hardware_lifetime_years=self.config.hardware_lifetime_years,
            )
        self.session = session
        from .progress import Projector

        self.projector = Projector(self.session, self.carbon)
        self.projector.on_budget = over_budget
        self.settings = LiveSettings(self)
        self.enabled = True
        self._depth = 0
        self._cell = None
        self._cell_options = None
        self._failed_once = False
        self.channel = None
        self.widgets: list = []
        self.notebook_path: str | None = None
        """The notebook, when the process running it says (``jupyter carbon run``, papermill)."""
        self.next_cell: tuple[str | None, int | None] | None = None
        """The id and notebook position of the next cell, when the process running the
        notebook says (``jupyter carbon run``): its execute requests carry neither."""
        self.magics = None

    # -- lifetime -------------------------------------------------------------------------
    def register(self) -> None:
        events = self.shell.events
        events.register("pre_run_cell", self.pre_run_cell)
        events.register("post_run_cell", self.post_run_cell)
        self.settings.attach()
        cleanup = self.shell.input_transformers_cleanup
        if strip_cell_magic not in cleanup:
            cleanup.append(strip_cell_magic)
        from .comm import FrontendChannel

        try:
            channel = FrontendChannel(self)
            channel.register()
            self.channel = channel
        except Exception:
            log.exception("jupyter-carbon: no channel to the frontend; the status bar will not update")

    def unregister(self) -> None:
        self.settings.detach()
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
        self.projector.close()
        for meter_widget in self.widgets:
            meter_widget.close()
        for part in (self.session, self.carbon, self.meter):
            try:
                part.close()
            except Exception:
                log.exception("jupyter-carbon: error while closing %s", type(part).__name__)

    def cluster_meter(self):
        """The cells' cluster part (:mod:`jupyter_carbon.cluster`), unless switched off."""
        from ..cluster.edges import ClusterMeter

        return ClusterMeter(tree=getattr(self.meter, "tree", None), timeout_s=self.config.cluster_timeout_s) if self.config.cluster else None

    def cluster_nodes(self) -> dict:
        """Per worker of the kernel's cluster client: host, hardware and zone (``%carbon cluster``)."""
        return self.session.cluster.nodes() if self.session.cluster is not None else {}

    # -- what the views ask -----------------------------------------------------------------
    def banner(self) -> str:
        """One line: what is metered, how, and the zone with how it was chosen."""
        from ..units import format_intensity

        methods: dict[str, str] = {}
        for info in self.meter.describe():
            methods.setdefault(info.component, info.method)
        parts = [f"{component} {method}" for component, method in methods.items()]
        intensity = self.intensity_dict()
        hint = ""
        if intensity is None:
            zone = "no carbon intensity"
        else:
            zone = format_intensity(intensity)
            if intensity.get("guess"):
                hint = " Set the zone with `%carbon region ZONE` (e.g. CA-QC, FR, aws:eu-west-3);"
        note = f" {self.carbon.note}" if self.carbon.note else ""
        return (
            f"jupyter-carbon: metering every cell ({', '.join(parts) or 'nothing metered'}); {zone}.{note}{hint} "
            "`%carbon help` for more."
        )

    def intensity_dict(self) -> dict | None:
        """The intensity in force now, as the records carry it; None if none can be had."""
        try:
            return self.carbon.current().to_dict()
        except Exception:
            return None

    def hardware_labels(self) -> list[str]:
        from ..inventory import hardware_labels

        return hardware_labels(self.meter)

    def cleaner_alternative(self) -> dict | None:
        """The cleanest cloud region (of the same provider, if this is a cloud region), for
        the reports' "had this run in X" sentence; None if it is no cleaner than here."""
        from ..carbon.calculator import cleaner_alternative

        try:
            return cleaner_alternative(self.carbon.place, self.carbon.current().g_per_kwh)
        except Exception:
            return None

    def report(self, ledger: str | None = None):
        """The report of this session, or of a saved one (a path or ``previous``).
        Raises LookupError or OSError saying why a saved one cannot be read."""
        from ..ledger import previous_ledger, read_ledger
        from ..report import Report

        alternative = self.cleaner_alternative()
        if ledger is None:
            return Report.from_session(self.session, hardware=self.hardware_labels(), alternative=alternative)
        if ledger == "previous":
            session = self.session
            own = session.previous_ledger_path  # this kernel's session before %carbon reset
            earlier = own if own is not None and own.is_file() else previous_ledger(
                session.ledger_dir,
                current=session.ledger.path if session.ledger else None,
                identity={"pid": os.getpid(), **session.identity},
            )
            if earlier is None:
                raise LookupError("no previous session of this kernel on disk; %carbon summary shows this session.")
            ledger = str(earlier)
        try:
            contents = read_ledger(ledger)
        except OSError as err:
            raise OSError(f"cannot read the ledger {ledger}: {err.strerror or err}") from None
        return Report.from_ledger(contents, alternative=alternative)  # its hardware is the header's

    def show_widget(self):
        """Display a live meter of this session under the current cell."""
        from IPython.display import display

        from .widget import CarbonWidget

        meter_widget = CarbonWidget(self.session, self.carbon, units=self.settings.units, projector=self.projector)
        self.widgets.append(meter_widget)
        display(meter_widget)
        return meter_widget

    def notebook(self) -> str | None:
        """The notebook this kernel runs (see :func:`.identity.notebook_path`), as text every
        report can write (a file name that is not UTF-8 gets escapes)."""
        from ..units import printable

        path = self.notebook_path or notebook_path(self.shell.user_ns.get("__vsc_ipynb_file__"))
        return printable(path) if isinstance(path, str) else None

    def reopen_meter(self) -> None:
        """A new meter from the settings as they are now, for the next cells."""
        from ..meter import Meter

        old, self.meter = self.meter, Meter(config=self.config)
        self._hint_instance()
        self.session.use_meter(self.meter)
        old.close()

    def _hint_instance(self) -> None:
        """With cloud metadata on, the instance type it names identifies the CPU part."""
        if self.config.cloud_metadata and hasattr(self.carbon, "instance_type") and hasattr(self.meter, "use_instance_hint"):
            self.meter.use_instance_hint(self.carbon.instance_type)

    def use_cell_options(self, options) -> None:
        """``%%carbon`` called programmatically inside a metered cell: meter that cell with
        these options, added to those of the cell's own ``%%carbon`` lines."""
        from .magics import merge_options

        if self._cell is not None:
            self._cell_options = merge_options(self._cell_options, options)

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
            self.settings.before_cell()
            raw = getattr(info, "raw_cell", "") or ""
            try:
                options = options_of(raw)
            except Exception:
                options = None  # the cell magic itself reports the mistake; metered as a plain cell
            self._cell_options = options
            if not self.enabled and options is None:
                self._cell = None
                self.session.skip_idle()
                return
            self.session.notebook = self.notebook()
            announced_id, position = self.next_cell or (None, None)
            self.next_cell = None
            self._cell = self.session.begin(
                execution_count=self.shell.execution_count,
                cell_id=getattr(info, "cell_id", None) or announced_id,
                source=without_magic_line(raw) if options is not None else raw,
                magic=options is not None,
                cell_position=position,
                source_sha256=source_sha256(raw),
            )
        except Exception:
            self._cell = None
            self._report_failure("pre_run_cell")

    def post_run_cell(self, result) -> None:
        """Close the cell's record. An interrupt landing here (Ctrl-C as the cell ends) does
        not escape: IPython would show it as a traceback in the user's cell. The record is
        then finished as ``interrupted``, if it was not written yet."""
        self._depth = max(0, self._depth - 1)
        if self._depth > 0 or self._cell is None:
            return
        cell, options, self._cell, self._cell_options = self._cell, self._cell_options, None, None
        try:
            self._end_cell(cell, options, result)
        except KeyboardInterrupt:
            self._end_interrupted(cell)
        except Exception:
            self._report_failure("post_run_cell")

    def _end_cell(self, cell, options, result) -> None:
        status, error = cell_status(result)
        cell.execution_count = getattr(result, "execution_count", None) or cell.execution_count
        intensity = None
        if options is not None and options.region:
            intensity = self.carbon.intensity_for(options.region)
        unit, unit_note = self._unit_for(options, result, status)
        record = self.session.end(cell, status=status, error=error, intensity=intensity, unit=unit)
        if options is not None:
            if options.output:
                self.shell.user_ns[options.output] = record
            if not options.quiet:
                from ..text import cell_line

                outcome = f" · {self.projector.outcome}" if self.projector.outcome else ""
                outcome += f" · {unit_note}" if unit_note else ""
                with self.settings.display_units():
                    show_cell_line(cell_line(record) + outcome)

    def _unit_for(self, options, result, status: str) -> tuple[dict | None, str]:
        """The cell's functional unit: its own ``-u``, else the session's; a ``result`` unit
        takes R from the value the cell returned (a note says why where it cannot)."""
        spec = (options.unit if options is not None else None) or self.session.functional_unit
        if not spec or not spec.get("per_result"):
            return (options.unit if options is not None else None), ""
        if status != "ok":  # a failed cell returned nothing to count
            return None, ""
        from ..sums import unit_from_result

        return unit_from_result(spec, getattr(result, "result", None))

    def _end_interrupted(self, cell) -> None:
        try:
            if not cell.ended:
                self.session.end(cell, status="interrupted", error="KeyboardInterrupt")
        except BaseException as err:  # a second Ctrl-C: give up on this record, quietly
            log.warning("jupyter-carbon: the cell's record was lost to an interrupt (%s)", type(err).__name__)


def over_budget(text: str) -> None:
    """The budget warning, in the running cell's output (the sampler's thread writes it
    there, as ipykernel routes a thread's output to the cell that runs)."""
    print(text, flush=True)


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
    ext.magics = CarbonMagics(shell, ext)
    shell.register_magics(ext.magics)
    _loaded[id(shell)] = ext
    print(ext.banner())


def show_widget(shell=None):
    """Display a live meter for ``shell``'s session, loading the extension first if needed."""
    from IPython import get_ipython

    shell = shell or get_ipython()
    if shell is None:
        raise RuntimeError("the live meter needs an IPython kernel or shell; use jupyter_carbon.measure() elsewhere")
    if extension_of(shell) is None:
        # Through IPython's manager, so that %unload_ext and %reload_ext know about it.
        shell.extension_manager.load_extension("jupyter_carbon")
    return extension_of(shell).show_widget()


def unload_ipython_extension(shell) -> None:
    ext = _loaded.pop(id(shell), None)
    if ext is None:
        return
    ext.close()
    manager = shell.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("carbon", None)
    # Magics instances stay in these two lists for the shell's life unless taken out, and
    # would keep the extension, its meter and its session (every record) alive.
    magics = getattr(ext, "magics", None)
    if manager.registry.get(type(magics).__name__) is magics:
        del manager.registry[type(magics).__name__]
    if magics in getattr(shell, "configurables", ()):
        shell.configurables.remove(magics)
    ext.magics = None
