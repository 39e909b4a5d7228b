"""A kernel's executions as the server sees them on its IOPub channel, in any language.

Every kernel announces ``status: busy`` when it takes an ``execute_request`` and
``status: idle`` when it is done with it, both with the request's header as their parent
(the messaging protocol requires it of every kernel: IPython, IRkernel, bash_kernel, ...),
and publishes ``execute_input`` (its execution count and code) in between. That window, as
the server receives it, is a cell's. This module turns messages into those edges; it opens
no socket and measures nothing, so the rules are testable with plain dictionaries.

A kernel that runs the IPython extension says, at each cell it records itself, with a
``comm_msg`` on the comm id ``jupyter_carbon.metered`` whose parent is that cell's request
(:mod:`jupyter_carbon.kernel.marker`): the execution is then ``metered_by_kernel``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol import MARKER_COMM

#: The message types that matter here; every other IOPub message is ignored unread.
WATCHED = frozenset({"status", "execute_input", "error", "comm_msg"})




@dataclass
class Execution:
    """One ``execute_request`` between the kernel's busy and idle."""

    msg_id: str
    execution_count: int | None = None
    source: str = ""
    status: str = "ok"
    error: str | None = None
    cell_id: str | None = None
    notebook: str | None = None
    metered_by_kernel: bool = False
    """The kernel said it records this execution itself."""


class Executions:
    """Edges of a kernel's executions, from its IOPub messages (``handle``).

    ``on_begin(execution)`` and ``on_end(execution)`` are called at the busy and the idle of
    each execute request.
    Silent executions (``silent: true``, e.g. a frontend's completion helpers) are still
    windows of the kernel's work and are metered like any other: the kernel did that work.
    """

    def __init__(self, on_begin: Callable, on_end: Callable):
        self.on_begin = on_begin
        self.on_end = on_end
        self.current: Execution | None = None

    def handle(self, msg_type: str, parent: dict, content: dict) -> None:
        """One IOPub message: its type, its parent header and its content."""
        if msg_type == "status":
            self._status(content.get("execution_state"), parent)
        else:
            cell = self.current
            if cell is None or parent.get("msg_id") != cell.msg_id:
                return
            if msg_type == "execute_input":
                count = content.get("execution_count")
                cell.execution_count = count if isinstance(count, int) else None
                code = content.get("code")
                cell.source = code if isinstance(code, str) else ""
            elif msg_type == "comm_msg":
                if content.get("comm_id") == MARKER_COMM:
                    cell.metered_by_kernel = True
            elif msg_type == "error":
                name = content.get("ename")
                cell.error = name if isinstance(name, str) else "error"
                cell.status = "interrupted" if cell.error == "KeyboardInterrupt" else "error"

    def _status(self, state, parent: dict) -> None:
        if parent.get("msg_type") != "execute_request":
            return
        msg_id = parent.get("msg_id")
        if state == "busy":
            if self.current is not None:  # the idle of the last one never came (a restart)
                self._end(self.current)
            self.current = Execution(msg_id=msg_id)
            self.on_begin(self.current)
        elif state == "idle" and self.current is not None and self.current.msg_id == msg_id:
            self._end(self.current)

    def _end(self, cell: Execution) -> None:
        self.current = None
        self.on_end(cell)

    def abandon(self) -> Execution | None:
        """Forget the running execution (the kernel died or restarted); returns it."""
        cell, self.current = self.current, None
        return cell
