"""Run a whole notebook headless with every cell metered: the host half of ``jupyter carbon run``.

The user's file is read once and executed as an in-memory copy by nbclient, so it is never
written unless the caller saves the executed copy elsewhere (or, explicitly, over it).
Metering is injected without a visible cell: once the kernel is up, one *silent* request
loads the extension (silent requests fire no ``pre_run_cell``/``post_run_cell`` events and
take no execution count, so the setup is neither metered nor shown). After each code cell
another silent request reads that cell's record back from the kernel's session through
``user_expressions``, which works whether or not the kernel keeps a ledger on disk. The
kernel half is :mod:`jupyter_carbon.kernel.headless`, called by name in those requests.

Each executed code cell gets its footprint (:mod:`jupyter_carbon.footprint`) in its
metadata, and the notebook the run's totals.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write
from ..footprint import METADATA_KEY, footprint, notebook_totals
from ..records import CellRecord, IdleSpan, Totals
from ..report import Report
from ..units import cell_label, clip, format_cell, format_duration, format_energy, format_mass


#: The kernel half, named in the silent requests (a string: the host never imports it).
KERNEL_MODULE = "jupyter_carbon.kernel.headless"


class RunError(Exception):
    """The run could not start or the kernel could not be metered (not a failing cell)."""


def call(function: str, *args) -> str:
    """A user expression calling ``function`` of the kernel half without touching the
    namespace: the shell is IPython's own, not whatever the notebook named ``get_ipython``."""
    arguments = ", ".join(["__import__('IPython').get_ipython()", *map(repr, args)])
    return f"__import__({KERNEL_MODULE!r}, fromlist=['_']).{function}({arguments})"


# -- the run ------------------------------------------------------------------------------------
@dataclass
class CellFailure:
    """The cell that stopped the run, and why."""

    cell_number: int
    """1-based position in the notebook, as a person counts cells."""
    ename: str
    evalue: str
    message: str
    """nbclient's text: the cell's source and the traceback."""


@dataclass
class RunResult:
    notebook: object
    """The executed copy (nbformat NotebookNode), footprints in its metadata."""
    records: list[CellRecord]
    session: dict = field(default_factory=dict)
    """What :func:`~jupyter_carbon.kernel.headless.kernel_setup` said: banner, session_id, started_at, ledger, hardware, alternative."""
    failure: CellFailure | None = None
    interrupted: bool = False
    """Stopped by Ctrl-C."""
    totals: Totals = field(default_factory=Totals)
    idle_spans: list[IdleSpan] = field(default_factory=list)
    """Energy between cells (a held GPU), apart from the cells."""
    unmetered: int = 0
    """Code cells that ran and left no record (``%carbon off``, the extension unloaded)."""

    @property
    def ok(self) -> bool:
        return self.failure is None

    def report(self) -> Report:
        return Report(
            self.records, self.totals, self.session.get("session_id"), self.session.get("started_at"),
            list(self.session.get("hardware") or []), self.session.get("alternative"), list(self.idle_spans),
        )  # fmt: skip


Progress = Callable[[int, int, int, CellRecord | None, Totals], None]
"""``progress(n, of, cell_number, record, totals)`` after each code cell."""


def _expression_value(content: dict, name: str):
    """The JSON value a kernel-side function of this module returned, or RunError."""
    value = content.get("user_expressions", {}).get(name, {})
    if value.get("status") != "ok":
        raise RunError(f"{value.get('ename', 'error')}: {value.get('evalue', 'no value')}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


class CellMetering:
    """Meters the code cells an nbclient ``NotebookClient`` runs, whoever drives it
    (``jupyter carbon run``, the papermill engine).

    Attached to the client's hooks: once the kernel is up, a silent request loads the
    extension; after each code cell another reads the cell's record back, and the cell gets
    its footprint. Each of these also names the next code cell to the kernel (its id and
    place in the notebook), so the kernel's own ledger carries them. :meth:`finish` puts the run's totals in the notebook's metadata.
    """

    def __init__(self, client, *, region=None, pue=None, notebook=None, startup_timeout=60, progress=None, started=None):
        self.client = client
        self.nb = client.nb
        self.region, self.pue, self.notebook = region, pue, notebook
        self.startup_timeout = startup_timeout
        self.progress, self.started = progress, started
        skip = getattr(client, "skip_cells_with_tag", None)
        self.code_cells = [  # the cells nbclient runs
            i for i, c in enumerate(self.nb.cells)
            if c.cell_type == "code" and c.source.strip() and skip not in c.get("metadata", {}).get("tags", [])
        ]  # fmt: skip
        self.position = {cell_index: n for n, cell_index in enumerate(self.code_cells, 1)}
        self.result = RunResult(self.nb, [])
        self.session_id = ""
        self.seen = 0
        self.seen_idle = 0
        self.last_cell = 0
        client.on_notebook_start = self.on_notebook_start
        client.on_cell_executed = self.on_cell_executed
        for cell in self.nb.cells:  # footprints saved by an earlier run describe that run, not this one
            cell.metadata.pop(METADATA_KEY, None)

    async def ask(self, expressions: dict) -> dict:
        """The reply to a silent request that evaluates ``expressions`` in the kernel."""
        for _ in range(20):
            reply = await self.client.kc.execute_interactive(
                "", silent=True, store_history=False, user_expressions=expressions,
                timeout=self.startup_timeout, output_hook=lambda msg: None,
            )  # fmt: skip
            content = reply["content"]
            # Right after a failing cell the kernel aborts requests for a moment.
            if content.get("status") != "aborted":
                return content
            await asyncio.sleep(0.1)
        raise RunError("the kernel kept refusing requests after a failing cell")

    async def on_notebook_start(self, notebook) -> None:
        content = await self.ask({"setup": call("kernel_setup", self.region, self.pue, self.notebook), **self._announce(-1)})
        try:
            self.result.session = _expression_value(content, "setup")
        except RunError as err:
            # Raised before nbclient's clean-up is armed: stop the client and the kernel here.
            self.client.kc.stop_channels()
            await self.client.km.shutdown_kernel(now=True)
            raise RunError(
                f"the kernel {self.client.kernel_name!r} could not load jupyter_carbon ({err}); install jupyter-carbon "
                "in that kernel's environment or choose another kernel (--kernel)"
            ) from None
        self.session_id = self.result.session["session_id"]
        if self.started is not None:
            self.started(self.result.session)

    def _announce(self, after: int) -> dict:
        """The user expression that tells the kernel which code cell comes after the cell at
        ``after`` (its id and place in the notebook), sent with the request already made
        between two cells: nbclient's execute requests carry neither."""
        following = next((i for i in self.code_cells if i > after), None)
        if following is None:
            return {}
        return {"next": call("kernel_next_cell", self.nb.cells[following].get("id"), following + 1)}

    async def on_cell_executed(self, cell, cell_index, execute_reply) -> None:
        content = await self.ask({"records": call("kernel_records", self.session_id, self.seen, self.seen_idle), **self._announce(cell_index)})
        answer = _expression_value(content, "records")
        if answer["session_id"] != self.session_id:
            self.session_id, self.seen, self.seen_idle = answer["session_id"], 0, 0
            self.result.session["ledger"] = answer.get("ledger")
        records = [CellRecord.from_dict(r) for r in answer["records"]]
        self.seen += len(records)
        for span in map(IdleSpan.from_dict, answer.get("idle_spans", ())):
            self.seen_idle += 1
            self.result.idle_spans.append(span)
            self.result.totals.add_idle(span)
        number = self.last_cell = cell_index + 1
        for record in records:
            # A kernel with an older jupyter_carbon was not told the cell: fill it in here.
            record.cell_id = record.cell_id or cell.get("id")
            record.cell_position = record.cell_position or number
            self.result.records.append(record)
            self.result.totals.add(record)
        if records:
            cell.metadata[METADATA_KEY] = footprint(records[-1])
        else:
            self.result.unmetered += 1
        if self.progress is not None:
            last = records[-1] if records else None
            self.progress(self.position[cell_index], len(self.code_cells), number, last, self.result.totals)

    def finish(self) -> RunResult:
        """Put the run's totals in the notebook's metadata; the result of the run."""
        result = self.result
        self.nb.metadata[METADATA_KEY] = notebook_totals(result.totals, session_id=result.session.get("session_id"), ok=result.ok)
        return result


class NotebookRun(CellMetering):
    """One execution of a notebook by nbclient for ``jupyter carbon run``: metered cells,
    Ctrl-C that keeps the running cell's record, and the cell that stopped the run."""

    def __init__(self, nb, *, kernel_name: str, cwd, timeout, startup_timeout, **metering):
        from nbclient import NotebookClient

        client = NotebookClient(
            nb,
            kernel_name=kernel_name,
            timeout=timeout,
            startup_timeout=startup_timeout,
            interrupt_on_timeout=True,
            resources={"metadata": {"path": str(cwd)}},
        )
        super().__init__(client, startup_timeout=startup_timeout, **metering)
        self.interrupts = 0

    async def on_notebook_start(self, notebook) -> None:
        await super().on_notebook_start(notebook)
        self._take_over_ctrl_c()

    def _take_over_ctrl_c(self) -> None:
        # nbclient's own handler shuts the kernel down at once, losing the running cell's
        # record. As in Jupyter, the first Ctrl-C interrupts the cell (which ends the run
        # with its record kept); a second one, for a cell that ignores it, stops the kernel.
        def on_sigint():
            self.interrupts += 1
            if self.interrupts == 1:
                asyncio.ensure_future(self.client.km.interrupt_kernel())
            else:
                asyncio.ensure_future(self.client.km.shutdown_kernel(now=True))

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_sigint)

    def execute(self) -> RunResult:
        from nbclient.exceptions import CellExecutionError, DeadKernelError

        result = self.result
        try:
            self.client.execute()
        except CellExecutionError as err:
            result.failure = CellFailure(self.last_cell, err.ename, err.evalue, strip_ansi(str(err)))
        except DeadKernelError as err:
            next_cell = next((i + 1 for i in self.code_cells if i + 1 > self.last_cell), 0)
            result.failure = CellFailure(next_cell, "DeadKernelError", str(err), f"the kernel died while running cell {next_cell}")
        result.interrupted = self.interrupts > 0
        return self.finish()


def run_notebook(
    nb,
    *,
    kernel_name: str,
    cwd: str | os.PathLike,
    region: str | None = None,
    pue: float | None = None,
    timeout: int | None = None,
    startup_timeout: int = 60,
    progress: Progress | None = None,
    started: Callable[[dict], None] | None = None,
    notebook: str | None = None,
) -> RunResult:
    """Execute ``nb`` (modified in place) with every code cell metered.

    A failing cell stops the run as it stops nbclient; the result then carries the failure
    and the records of every cell that ran, the failing one included. Raises
    :class:`RunError` when the kernel cannot start or cannot load the extension.
    ``started(session)`` is called once metering is on, with what the kernel's setup said.
    ``notebook`` is the path the records name.
    """
    return NotebookRun(
        nb, kernel_name=kernel_name, cwd=cwd, region=region, pue=pue, timeout=timeout,
        startup_timeout=startup_timeout, progress=progress, started=started, notebook=notebook,
    ).execute()  # fmt: skip


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def write_notebook(nb, path: str | os.PathLike) -> Path:
    """Write atomically: a temporary file beside ``path``, renamed over it once complete."""
    import nbformat

    return atomic_write(Path(path).expanduser(), lambda f: nbformat.write(nb, f), mode=0o644)


# -- text ---------------------------------------------------------------------------------------
def progress_line(n: int, of: int, cell_number: int, record: CellRecord | None, totals: Totals) -> str:
    """``[3/12] 0.42 Wh so far  ([3] cell 5: 0.10 Wh, 1.2 s)  model.fit(x, y)``"""
    head = f"[{n}/{of}] {format_energy(totals.energy_j)} so far"
    if record is None:
        return f"{head}  ({format_cell(None, cell_number)}: not metered)"
    status = "" if record.status == "ok" else f", {record.status}"
    source = f"  {clip(record.source, 60)}" if record.source else ""
    return f"{head}  ({cell_label(record)}: {format_energy(record.energy_j)}, {format_duration(record.duration_s)}{status}){source}"


def cell_table(records: list[CellRecord]) -> str:
    """Every metered cell in notebook order: energy, CO2e, time, how it was measured."""
    rows = [("cell", "energy", "CO2e", "time", "how", "source")]
    for r in records:
        how = ", ".join(f"{c} {m}" for c, m in r.method.items())
        status = "" if r.status == "ok" else f" [{r.status}: {r.error}]" if r.error else f" [{r.status}]"
        rows.append((
            cell_label(r), format_energy(r.energy_j), format_mass(r.emissions_g), format_duration(r.duration_s),
            how, clip(r.source, 48) + status,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = (1, 2, 3)
    return "\n".join(
        "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
        for row in rows
    )

