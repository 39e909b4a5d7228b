"""Metering a notebook run headless (``jupyter carbon run``): the half inside the kernel.

The runner on the host (:mod:`jupyter_carbon.cli.runner`) calls these, by this module's
name, through silent
``user_expressions``, which fire no cell events and take no execution count, so the setup
is neither metered nor shown. They must not print, and return JSON text (a string's repr
survives the trip back as ``text/plain``).
"""

from __future__ import annotations

import contextlib
import io
import json

from .extension import extension_of


def kernel_setup(shell, region: str | None = None, pue: float | None = None, notebook: str | None = None) -> str:
    """Load the extension in ``shell``, apply the zone, PUE and notebook path, and describe
    the session."""
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
    if notebook:
        ext.notebook_path = notebook
    session = ext.session
    return json.dumps({
        "banner": ext.banner(),
        "session_id": session.session_id,
        "started_at": session.started_at,
        "ledger": str(session.ledger.path) if session.ledger is not None else None,
        "hardware": ext.hardware_labels(),
        "alternative": ext.cleaner_alternative(),
    })  # fmt: skip


def kernel_next_cell(shell, cell_id: str | None, position: int | None) -> str:
    """Say which notebook cell the next execute request runs: its id and its place in the
    notebook (1 = the first cell), which its record then carries."""
    ext = extension_of(shell)
    if ext is not None:
        ext.next_cell = (cell_id, position)
    return json.dumps(ext is not None)


def kernel_records(shell, session_id: str, seen: int, seen_idle: int = 0) -> str:
    """The records and idle spans added since the caller had seen ``seen`` records and
    ``seen_idle`` spans of session ``session_id``.

    A cell may start a new session (``%carbon reset``); then everything of the new one is
    new. Returns ``{"session_id", "ledger", "records": [...], "idle_spans": [...]}``.
    """
    ext = extension_of(shell)
    if ext is None:  # the notebook unloaded the extension
        return json.dumps({"session_id": session_id, "records": [], "idle_spans": []})
    session = ext.session
    same = session.session_id == session_id
    start, start_idle = (seen, seen_idle) if same else (0, 0)
    return json.dumps({
        "session_id": session.session_id,
        "ledger": str(session.ledger.path) if session.ledger is not None else None,
        "records": [r.to_dict() for r in session.records[start:]],
        "idle_spans": [s.to_dict() for s in session.idle_spans[start_idle:]],
    })  # fmt: skip
