"""A cell's edges on the cluster: the window a cell is charged for, and its cluster part.

Starting a cell costs one read of the wall clock: no network, no import. At the cell's end,
if the user has imported a cluster library and has a client, one call asks every node for
its energy in the window (installing the per-node meter first, the first time a client is
seen). Nodes are matched by wall clock; each node shifts the kernel's edges by its own
clock's offset, measured as the question arrives (see :meth:`~.node.NodeMeter.report`).

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
import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import Backend, cluster_part, loaded_backends, missing_node, priced_node

log = logging.getLogger("jupyter_carbon")


@dataclass(frozen=True)
class CellWindow:
    """Where a cell's cluster window starts, on the kernel's wall clock."""

    start_s: float
    carried: bool = False
    """The window starts at the previous cell's end: that cell left work running."""


class ClusterMeter:
    """The kernel's view of the cluster nodes its cells use."""

    def __init__(self, *, tree=None, timeout_s: float = 5.0, clock: Callable[[], float] = time.time,
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

    def _measure(self, backend: Backend, client, window: CellWindow) -> dict:
        notes: list[str] = []
        try:
            backend.install(client)
        except Exception as err:
            notes.append(f"the meter could not start on every worker ({type(err).__name__}: {err})")
        end_s = self.clock()
        try:
            answers = backend.reports(client, window.start_s, end_s, self.timeout_s)
        except Exception as err:
            answers = {}
            notes.append(f"the workers did not answer within {self.timeout_s:g} s ({type(err).__name__})")
        nodes = [self._node(name, answer) for name, answer in sorted(answers.items())]
        nodes += self._lost(backend, set(answers), window.start_s, end_s)
        try:
            if backend.pending(client):
                self._carry_from = end_s
        except Exception:
            log.exception("jupyter-carbon: could not tell whether cluster work is still running")
        return cluster_part(backend.name, nodes, notes=notes, carried=window.carried)

    def _node(self, name: str, answer: dict | str) -> dict:
        if isinstance(answer, str):
            return missing_node(name, answer)
        if answer.get("host") == self._host and self._in_kernel(answer.get("pid")):
            return priced_node(name, {**answer, "by_component": {}}, "in-kernel")
        return priced_node(name, answer, "answered")

    def _in_kernel(self, pid) -> bool:
        """Whether the kernel's own part has this node's process, now or in this cell."""
        if pid == os.getpid():
            return True
        if self.tree is None or (self._host, pid) in self._taken_out:
            return False
        self._taken_out.add((self._host, pid))
        exclude = getattr(self.tree, "exclude", None)
        return bool(exclude is not None and exclude(pid))

    def _lost(self, backend: Backend, answered: set[str], start_s: float, end_s: float) -> list[dict]:
        """Nodes that pushed readings within the window but did not answer: what they pushed."""
        lost = []
        for name, msg in backend.pushed().items():
            if name in answered or float(msg["time_s"]) < start_s:
                continue
            by_component, covered = msg["history"].between(start_s, end_s)
            report = {**msg, "by_component": by_component, "covered_s": covered,
                      "error": "lost before the cell ended: its last pushed readings are counted"}
            lost.append(priced_node(name, report, "reported"))
        return lost
