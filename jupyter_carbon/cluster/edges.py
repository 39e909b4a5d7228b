"""A cell's edges on the cluster: the window a cell is charged for, and its cluster part.

Starting a cell costs one read of the wall clock: no network, no import. At the cell's end,
if the user has imported a cluster library and has a client (the first time one is seen,
the per-node meter is installed and every node asked): nodes that neither began nor ended
work in the window cost nothing; nodes idle again are charged from the readings they pushed
as their work ended; only nodes still busy, or every node while the client's futures run,
are asked with one call. A node asked shifts the kernel's edges by its own clock's offset,
measured as the question arrives (see :meth:`~.node.NodeMeter.report`).

Work still running when a cell ends (futures not yet done) goes to the next cell: that
cell's window then starts where this one ended instead of at its own start.

No process is charged twice. A node in the kernel's own process (a threads-only local
cluster) is left to the kernel's part and listed as ``in-kernel``. A node that is a child
of the kernel (a ``LocalCluster``'s worker processes) is taken out of the kernel's process
tree when first seen, and charged through its own report from then on; for the cell in
which it is first seen, the kernel's tree counted it, so it is listed ``in-kernel`` there.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import NamedTuple

from .. import clocks
from ..units import plural
from .base import Backend, cluster_part, loaded_backends, missing_node, priced_node

log = logging.getLogger("jupyter_carbon")


class CellWindow(NamedTuple):
    """Where a cell's cluster window starts, on the kernel's wall clock."""

    start_s: float
    carried: bool = False
    """The window starts at the previous cell's end: that cell left work running."""


class ClusterMeter:
    """The kernel's view of the cluster nodes its cells use."""

    def __init__(self, *, tree=None, timeout_s: float = 5.0, clock: Callable[[], float] = clocks.wall,
                 backends: Callable[[], list[Backend]] = loaded_backends):
        """``tree``: the kernel's :class:`~jupyter_carbon.energy.process.ProcessTree`, from
        which the kernel's own worker processes are taken out."""
        self.tree = tree
        self.timeout_s = timeout_s
        self.clock = clock
        self._backends = backends
        self._carry_from: float | None = None
        self._taken_out: set[tuple[str, int]] = set()
        self._host = socket.gethostname()

    def begin(self) -> CellWindow:
        now = self.clock()
        carry, self._carry_from = self._carry_from, None
        return CellWindow(carry, True) if carry is not None and carry < now else CellWindow(now)

    def client(self) -> tuple[Backend, object] | tuple[None, None]:
        """The first backend with a live client; (None, None) if the user has none."""
        for backend in self._backends():
            client = backend.find_client()
            if client is not None:
                return backend, client
        return None, None

    def nodes(self) -> dict[str, dict | str]:
        """Per node: its host, hardware and zone, or why it cannot say; {} without a client.
        Starts the nodes' meter if it is not there yet."""
        backend, client = self.client()
        if backend is None:
            return {}
        backend.install(client)
        return backend.describe(client, self.timeout_s)

    def end(self, window: CellWindow | None) -> dict | None:
        """The cell's cluster part, or None when the kernel has no client. Never raises."""
        if window is None:
            return None
        try:
            backend, client = self.client()
        except Exception as err:
            log.warning("jupyter-carbon: could not look for a cluster client (%s)", err)
            return None
        if backend is None:
            return None
        try:
            return self._measure(backend, client, window)
        except Exception as err:
            log.exception("jupyter-carbon: the cluster part of this cell failed")
            return cluster_part(backend.name, [], notes=[f"the cluster part could not be measured ({type(err).__name__}: {err})"])

    def _measure(self, backend: Backend, client, window: CellWindow) -> dict | None:
        notes: list[str] = []
        try:
            first = backend.install(client)
        except Exception as err:
            first = False
            notes.append(f"the meter could not start on every worker ({type(err).__name__}: {err})")
        end_s = self.clock()
        pending = self._pending(backend, client, end_s)
        activity = backend.activity()
        running = {w for w, (busy, _) in activity.items() if busy}
        touched = {w for w, (_, at) in activity.items() if at >= window.start_s}
        if not (first or notes or touched or pending or window.carried):
            return None  # no worker began or ended work in this cell: no round trip
        ask = None if first or notes or pending or window.carried else sorted(running)
        gone = self._gone(backend, client, ask) if ask else set()
        ask = [w for w in ask if w not in gone] if ask else ask
        answers: dict[str, dict | str] = {}
        if ask is None or ask:
            try:
                answers = backend.reports(client, window.start_s, end_s, self.timeout_s, workers=ask)
            except Exception as err:
                notes.append(f"the workers did not answer within {self.timeout_s:g} s ({type(err).__name__})")
        nodes = [self._node(name, answer, "answered") for name, answer in sorted(answers.items())]
        if first:
            notes += self._metered_from_now(nodes)
        pushed = backend.pushed()
        for name in sorted(touched - running - set(answers)):
            if name in pushed:
                nodes.append(self._node(name, self._from_pushed(pushed[name], window.start_s, end_s), "pushed"))
        nodes += self._lost(pushed, (set(ask or ()) - set(answers)) | gone, window.start_s, end_s)
        return cluster_part(backend.name, nodes, notes=notes, carried=window.carried)

    @staticmethod
    def _gone(backend: Backend, client, busy: list[str]) -> set[str]:
        """Nodes that pushed no end to their work because they died: those among ``busy``
        the cluster no longer has, forgotten from now on. Asked only when some node is to be
        asked anyway (one round trip to the scheduler, against a time-out per dead node)."""
        workers = getattr(backend, "workers", None)  # a backend that cannot list its nodes
        if workers is None:
            return set()
        try:
            alive = workers(client)
        except Exception:
            log.exception("jupyter-carbon: could not ask the cluster which workers it has")
            return set()
        if alive is None:
            return set()
        gone = set(busy) - alive
        if gone:
            backend.forget(gone)
        return gone

    def _pending(self, backend: Backend, client, end_s: float) -> bool:
        """Whether the client's work still runs; if so, the next cell's window starts now."""
        try:
            pending = bool(backend.pending(client))
        except Exception:
            log.exception("jupyter-carbon: could not tell whether cluster work is still running")
            return False
        if pending:
            self._carry_from = end_s
        return pending

    @staticmethod
    def _metered_from_now(nodes: list[dict]) -> list[str]:
        """The cell in which the nodes' meter started: what they did before is unknown, except
        on nodes the kernel's own process tree counted."""
        partial = [n for n in nodes if n["status"] == "answered"]
        if not partial:
            return []
        return [f"partial: metering began on {plural(len(partial), 'worker')} at this cell's end, so their work in this cell is not counted"]

    @staticmethod
    def _from_pushed(msg: dict, start_s: float, end_s: float) -> dict:
        by_component, covered = msg["history"].between(start_s, end_s)
        return {**msg, "by_component": by_component, "covered_s": covered}

    def _node(self, name: str, answer: dict | str, status: str) -> dict:
        if isinstance(answer, str):
            return missing_node(name, answer)
        if answer.get("host") == self._host and self._in_kernel(answer.get("pid")):
            return priced_node(name, {**answer, "by_component": {}}, "in-kernel")
        return priced_node(name, answer, status)

    def power(self) -> dict | None:
        """The cluster's power now, from the readings its nodes pushed (no network):
        ``{"watts": total, "workers": count}``, or None until a node has pushed one. Never raises."""
        try:
            for backend in self._backends():
                by_node = backend.power_w()
                if by_node:
                    return {"watts": sum(by_node.values()), "workers": len(by_node)}
        except Exception:
            log.exception("jupyter-carbon: could not read the cluster's power")
        return None

    def use_tree(self, tree) -> None:
        """The kernel's meter was rebuilt with new settings: its new process tree leaves out
        the kernel's worker processes that are charged through their own reports already.
        Call before the new meter's first reading, so that what they used is in its baseline."""
        self.tree = tree
        exclude = getattr(tree, "exclude", None)
        if exclude is None:
            return
        for host, pid in sorted(self._taken_out):
            if host == self._host:
                exclude(pid)

    def _in_kernel(self, pid) -> bool:
        """Whether the kernel's own part has this node's process, now or in this cell."""
        if pid == os.getpid():
            return True
        if self.tree is None or (self._host, pid) in self._taken_out:
            return False
        self._taken_out.add((self._host, pid))
        exclude = getattr(self.tree, "exclude", None)
        return bool(exclude is not None and exclude(pid))

    def _lost(self, pushed: dict[str, dict], unanswered: set[str], start_s: float, end_s: float) -> list[dict]:
        """Nodes asked that did not answer but pushed readings within the window: those."""
        lost = []
        for name in sorted(unanswered):
            msg = pushed.get(name)
            if msg is None or float(msg.get("received_s", msg["time_s"])) < start_s:
                continue
            report = {**self._from_pushed(msg, start_s, end_s),
                      "error": "lost before the cell ended: its last pushed readings are counted"}
            lost.append(priced_node(name, report, "reported"))
        return lost
