"""Run a whole notebook headless with every cell metered: ``jupyter carbon run``.

The user's file is read once and executed as an in-memory copy by nbclient, so it is never
written unless the caller saves the executed copy elsewhere (or, explicitly, over it).
Metering is injected without a visible cell: once the kernel is up, one *silent* request
loads the extension (silent requests fire no ``pre_run_cell``/``post_run_cell`` events and
take no execution count, so the setup is neither metered nor shown). After each code cell
another silent request reads that cell's record back from the kernel's session through
``user_expressions``, which works whether or not the kernel keeps a ledger on disk.

Each executed code cell gets a compact footprint in its metadata, under the key
``"jupyter_carbon"`` (the JupyterLab extension writes the same key, so a notebook looks the
same whether it ran headless or by hand)::

    {
      "energy_j": 12.5,                    # IT energy charged to the kernel, joules
      "by_component": {"cpu": 10.1, "memory": 2.4},
      "method": {"cpu": "estimated", "memory": "estimated"},   # measured | integrated | estimated
      "duration_s": 1.23,
      "emissions_g": 0.00026,              # gCO2e, IT energy × PUE × intensity; null if unpriced
      "zone": "FR", "g_per_kwh": 44.0, "pue": 1.0,
      "status": "ok",                      # ok | error | interrupted
      "session_id": "20261122T043901Z-1234-ab12cd", "index": 3   # the record in the ledger
    }

The notebook's own metadata gets the same key with the run's totals (``energy_j``,
``emissions_g``, ``duration_s``, ``cells``, ``session_id``, ``status``).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import json
import os
import re
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .report import Report, format_duration, format_energy, format_mass
from .session import CellRecord, Totals

METADATA_KEY = "jupyter_carbon"

#: Significant digits kept in the footprint: finer than any meter, without float noise.
_DIGITS = 6


class RunError(Exception):
    """The run could not start or the kernel could not be metered (not a failing cell)."""


# -- in the kernel ------------------------------------------------------------------------------
# These run inside the notebook's kernel, called from silent ``user_expressions``: they must
# not print, and return JSON text (a string's repr survives the trip back as text/plain).


def kernel_setup(shell, region: str | None = None, pue: float | None = None) -> str:
    """Load the extension in ``shell``, apply the zone and PUE, and describe the session."""
    from .extension import extension_of

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        shell.extension_manager.load_extension("jupyter_carbon")
    ext = extension_of(shell)
    if ext is None:
        raise RuntimeError(f"the jupyter_carbon extension did not load: {printed.getvalue().strip()}")
    if region:
        ext.carbon.set_region(region)
    if pue is not None:
        ext.carbon.set_pue(pue)
    session = ext.session
    return json.dumps({
        "banner": ext.banner(),
        "session_id": session.session_id,
        "started_at": session.started_at,
        "ledger": str(session.ledger.path) if session.ledger is not None else None,
        "hardware": [f"{i.name} ({i.method})" for i in ext.meter.describe()],
        "alternative": ext.cleaner_alternative(),
    })  # fmt: skip


def kernel_records(shell, session_id: str, seen: int) -> str:
    """The records added since the caller had seen ``seen`` of session ``session_id``.

    A cell may start a new session (``%carbon reset``); then every record of the new one is
    new. Returns ``{"session_id", "ledger", "records": [...]}``.
    """
    from .extension import extension_of

    ext = extension_of(shell)
    if ext is None:  # the notebook unloaded the extension
        return json.dumps({"session_id": session_id, "records": []})
    session = ext.session
    start = seen if session.session_id == session_id else 0
    return json.dumps({
        "session_id": session.session_id,
        "ledger": str(session.ledger.path) if session.ledger is not None else None,
        "records": [r.to_dict() for r in session.records[start:]],
    })  # fmt: skip


def _call(function: str, *args) -> str:
    """A user expression calling ``function`` of this module without touching the namespace."""
    arguments = ", ".join(["get_ipython()", *map(repr, args)])
    return f"__import__('jupyter_carbon.runner', fromlist=['_']).{function}({arguments})"


# -- the footprint ------------------------------------------------------------------------------
def _round(x):
    return float(f"{x:.{_DIGITS}g}") if isinstance(x, float) else x


def footprint(record: CellRecord) -> dict:
    """The cell metadata for one record (shape in this module's docstring)."""
    it = record.intensity or {}
    return {
        "energy_j": _round(record.energy_j),
        "by_component": {c: _round(j) for c, j in record.by_component.items()},
        "method": dict(record.method),
        "duration_s": _round(record.duration_s),
        "emissions_g": _round(record.emissions_g),
        "zone": it.get("zone"),
        "g_per_kwh": it.get("g_per_kwh"),
        "pue": record.pue,
        "status": record.status,
        "session_id": record.session_id,
        "index": record.index,
    }


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
    cell_numbers: list[int]
    """For each record, the 1-based position of its cell in the notebook."""
    session: dict = field(default_factory=dict)
    """What :func:`kernel_setup` said: banner, session_id, started_at, ledger, hardware, alternative."""
    failure: CellFailure | None = None
    interrupted: bool = False
    """Stopped by Ctrl-C."""
    totals: Totals = field(default_factory=Totals)

    @property
    def ok(self) -> bool:
        return self.failure is None

    def report(self) -> Report:
        return Report(
            self.records, self.totals, self.session.get("session_id"), self.session.get("started_at"),
            list(self.session.get("hardware") or []), self.session.get("alternative"),
        )  # fmt: skip


Progress = Callable[[int, int, int, CellRecord | None, Totals], None]
"""``progress(n, of, cell_number, record, totals)`` after each code cell."""


def _expression_value(content: dict, name: str):
    """The JSON value a kernel-side function of this module returned, or RunError."""
    value = content.get("user_expressions", {}).get(name, {})
    if value.get("status") != "ok":
        raise RunError(f"{value.get('ename', 'error')}: {value.get('evalue', 'no value')}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


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
) -> RunResult:
    """Execute ``nb`` (modified in place) with every code cell metered.

    A failing cell stops the run as it stops nbclient; the result then carries the failure
    and the records of every cell that ran, the failing one included. Raises
    :class:`RunError` when the kernel cannot start or cannot load the extension.
    ``started(session)`` is called once metering is on, with what :func:`kernel_setup` said.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    position = {cell_index: n for n, cell_index in enumerate(code_cells, 1)}
    result = RunResult(nb, [], [])
    state = {"session_id": "", "seen": 0, "last_cell": 0, "interrupts": 0}
    totals = result.totals
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        startup_timeout=startup_timeout,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(cwd)}},
    )

    async def ask(expressions: dict) -> dict:
        for _ in range(20):
            reply = await client.kc.execute_interactive(
                "", silent=True, store_history=False, user_expressions=expressions,
                timeout=startup_timeout, output_hook=lambda msg: None,
            )  # fmt: skip
            content = reply["content"]
            # Right after a failing cell the kernel aborts requests for a moment.
            if content.get("status") != "aborted":
                return content
            await asyncio.sleep(0.1)
        raise RunError("the kernel kept refusing requests after a failing cell")

    async def on_notebook_start(notebook):
        content = await ask({"setup": _call("kernel_setup", region, pue)})
        try:
            result.session = _expression_value(content, "setup")
        except RunError as err:
            # Raised before nbclient's clean-up is armed: stop the client and the kernel here.
            client.kc.stop_channels()
            await client.km.shutdown_kernel(now=True)
            raise RunError(
                f"the kernel {kernel_name!r} could not load jupyter_carbon ({err}); install jupyter-carbon "
                "in that kernel's environment or choose another with --kernel"
            ) from None
        state["session_id"] = result.session["session_id"]
        _take_over_ctrl_c()
        if started is not None:
            started(result.session)

    def _take_over_ctrl_c():
        # nbclient's own handler shuts the kernel down at once, losing the running cell's
        # record. As in Jupyter, the first Ctrl-C interrupts the cell (which ends the run
        # with its record kept); a second one, for a cell that ignores it, stops the kernel.
        def on_sigint():
            state["interrupts"] += 1
            if state["interrupts"] == 1:
                asyncio.ensure_future(client.km.interrupt_kernel())
            else:
                asyncio.ensure_future(client.km.shutdown_kernel(now=True))

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_sigint)

    async def on_cell_executed(cell, cell_index, execute_reply):
        content = await ask({"records": _call("kernel_records", state["session_id"], state["seen"])})
        answer = _expression_value(content, "records")
        if answer["session_id"] != state["session_id"]:
            state["session_id"], state["seen"] = answer["session_id"], 0
            result.session["ledger"] = answer.get("ledger")
        records = [CellRecord.from_dict(r) for r in answer["records"]]
        state["seen"] += len(records)
        number = state["last_cell"] = cell_index + 1
        for record in records:
            # nbclient does not send the cell's id with the execute request, so the kernel
            # cannot know it; the runner does, and the report and executed copy carry it.
            record.cell_id = record.cell_id or cell.get("id")
            result.records.append(record)
            result.cell_numbers.append(number)
            totals.add(record)
        if records:
            cell.metadata[METADATA_KEY] = footprint(records[-1])
        if progress is not None:
            progress(position[cell_index], len(code_cells), number, records[-1] if records else None, totals)

    for cell in nb.cells:  # footprints saved by an earlier run describe that run, not this one
        cell.metadata.pop(METADATA_KEY, None)
    client.on_notebook_start = on_notebook_start
    client.on_cell_executed = on_cell_executed
    try:
        client.execute()
    except CellExecutionError as err:
        result.failure = CellFailure(state["last_cell"], err.ename, err.evalue, strip_ansi(str(err)))
    except DeadKernelError as err:
        next_cell = next((i + 1 for i in code_cells if i + 1 > state["last_cell"]), 0)
        result.failure = CellFailure(next_cell, "DeadKernelError", str(err), f"the kernel died while running cell {next_cell}")
    result.interrupted = state["interrupts"] > 0
    nb.metadata[METADATA_KEY] = {
        "session_id": result.session.get("session_id"),
        "cells": len(result.records),
        "energy_j": _round(totals.energy_j),
        "emissions_g": _round(totals.emissions_g),
        "duration_s": _round(totals.duration_s),
        "status": "ok" if result.ok else "error",
    }
    return result


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def write_notebook(nb, path: str | os.PathLike) -> Path:
    """Write atomically: a temporary file beside ``path``, renamed over it once complete."""
    import nbformat

    path = Path(path).expanduser()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


# -- text ---------------------------------------------------------------------------------------
def progress_line(n: int, of: int, cell_number: int, record: CellRecord | None, totals: Totals) -> str:
    """``[3/12] 0.42 Wh so far  (cell 5: 0.10 Wh, 1.2 s)  model.fit(x, y)``"""
    head = f"[{n}/{of}] {format_energy(totals.energy_j)} so far"
    if record is None:
        return f"{head}  (cell {cell_number}: not metered)"
    status = "" if record.status == "ok" else f", {record.status}"
    source = f"  {_clip(record.source, 60)}" if record.source else ""
    return f"{head}  (cell {cell_number}: {format_energy(record.energy_j)}, {format_duration(record.duration_s)}{status}){source}"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_table(records: list[CellRecord], cell_numbers: list[int]) -> str:
    """Every metered cell in notebook order: energy, CO2e, time, how it was measured."""
    rows = [("cell", "energy", "CO2e", "time", "how", "source")]
    for number, r in zip(cell_numbers, records):
        how = ", ".join(f"{c} {m}" for c, m in r.method.items())
        status = "" if r.status == "ok" else f" [{r.status}: {r.error}]" if r.error else f" [{r.status}]"
        rows.append((
            str(number), format_energy(r.energy_j), format_mass(r.emissions_g), format_duration(r.duration_s),
            how, _clip(r.source, 48) + status,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = (0, 1, 2, 3)
    return "\n".join(
        "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
        for row in rows
    )

