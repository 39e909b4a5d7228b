"""A session whose idle span before a cell waits for the cell's end to know whose it is.

An IPython kernel may meter itself: it then records its cells and the time between them,
and says so on IOPub at each cell it records, after the cell began. The server, metering it
from outside, learns only at a cell's end whether the cell (and so the time before it) was
the kernel's. :class:`HeldIdleSession` holds the idle span a cell opened with
(``begin(hold_idle=True)``): :meth:`~HeldIdleSession.end` records it, the cell being the
server's; :meth:`~HeldIdleSession.discard` drops it, the kernel having recorded both.
"""

from __future__ import annotations

from ..session import Session


class HeldIdleSession(Session):
    """A :class:`~jupyter_carbon.session.Session` that can hold a cell's idle span."""

    _held: tuple | None = None

    def begin(self, *, hold_idle: bool = False, **kwargs):
        if not hold_idle:
            return super().begin(**kwargs)
        edge, self._last_edge = self._last_edge, None  # the base records no span without an edge
        cell = super().begin(**kwargs)
        self._held = (edge, cell.start, cell.index, cell.started_at) if edge is not None else None
        return cell

    def end(self, cell, **kwargs):
        held, self._held = self._held, None
        if held is not None:  # the cell is ours: so is the time before it
            self._last_edge = held[0]
            self._end_idle(held[1], held[2], ended_at=held[3])
        return super().end(cell, **kwargs)

    def discard(self, cell) -> None:
        self._held = None
        super().discard(cell)

    def skip_idle(self) -> None:
        self._held = None
        super().skip_idle()
