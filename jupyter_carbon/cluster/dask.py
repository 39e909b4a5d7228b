"""The Dask backend: a ``distributed.WorkerPlugin`` meters each worker; the kernel reads them.

Registered from the kernel with ``Client.register_plugin``, :class:`CarbonWorkerPlugin`
opens a :class:`~.node.NodeMeter` on every worker (and on every worker that joins later:
the scheduler keeps the plugin). Each worker pushes its cumulative readings through
``Worker.log_event``: every ``push_every_s``, and at once, with a fresh reading and the
reading from before its work began, when its last running task ends (``idle``), from the
plugin's ``transition`` hook. The kernel subscribes to the topic
(``Client.subscribe_topic``) and stamps each reading with its own clock as it arrives.

Why the edges are reliable: the worker sends its ``idle`` reading on the batched stream
before the message that says the task finished; the scheduler forwards both to the client
in that order, and the client handles them in order. So when a cell has its results, the
kernel already holds the reading that closes the workers' work. A cell whose workers are
all idle at its end is answered from these readings, without a round trip; workers whose
last reading says they are busy are asked with one ``Client.run`` addressed to them only,
and every worker is asked when the client's futures still run.

This module is imported only once the user has imported ``distributed``.
"""

from __future__ import annotations

import logging
import threading

from distributed import WorkerPlugin

from .. import clocks
from .history import EnergyHistory

log = logging.getLogger("jupyter_carbon")

NAME = "jupyter-carbon"
"""The plugin's name on the workers, and the event topic its readings go by."""

RUNNING = frozenset({"executing", "long-running"})
"""A worker's task states in which the task's code runs (``long-running``: it seceded)."""


class CarbonWorkerPlugin(WorkerPlugin):
    """Runs jupyter-carbon's meter on a worker, for as long as the worker lives."""

    idempotent = True  # a second kernel on the same cluster reads the meter already there
    name = NAME

    def __init__(self, push_every_s: float = 1.0):
        self.push_every_s = push_every_s
        self.node = None

    def setup(self, worker) -> None:
        from .node import NodeMeter

        self._worker = worker
        self._last_push = float("-inf")
        self._running = 0
        self._busy_from: tuple[float, dict] | None = None
        self._power_w: dict = {}
        self.node = NodeMeter(on_sample=self._on_sample)

    def _on_sample(self, time_s: float, cumulative: dict, power_w: dict) -> None:
        self._power_w = power_w
        if time_s - self._last_push >= self.push_every_s:
            self._push(time_s, cumulative)

    def transition(self, key, start: str, finish: str, **kwargs) -> None:
        """On the worker's event loop: when its last running task ends, push a fresh reading
        with the one from before its work began (no message as work begins: a message then
        would hold the task's result back by one batch of the worker's stream)."""
        began, ended = finish in RUNNING and start not in RUNNING, start in RUNNING and finish not in RUNNING
        if self.node is None or not (began or ended):
            return
        if began:
            self._running += 1
            if self._running == 1:
                latest = self.node.history.latest()  # idle since: the count as work begins
                self._busy_from = (self.node.clock(), latest[1]) if latest is not None else None
        else:
            self._running = max(0, self._running - 1)
            if self._running == 0:
                self._push(*self.node.sample(), edge="idle")

    def _push(self, time_s: float, cumulative: dict, *, edge: str | None = None) -> None:
        self._last_push = time_s
        node = self.node
        self._worker.log_event(NAME, {
            "worker": self._worker.address, "host": node.host, "pid": node.pid, "time_s": time_s,
            "cumulative": cumulative, "power_w": self._power_w, "method": node.methods(),
            "intensity": node.intensity(), "edge": edge, "running": self._running,
            # until the kernel has it: on every push while the work runs, and on the last
            "busy_from": self._busy_from if self._running or edge == "idle" else None,
        })  # fmt: skip

    def teardown(self, worker) -> None:
        node, self.node = self.node, None
        if node is None:
            return
        try:
            latest = node.history.latest()
            if latest is not None:
                self.node, self._power_w = node, {}
                self._push(latest[0], latest[1], edge="gone")
        finally:
            self.node = None
            node.close()


def _node(dask_worker):
    plugin = dask_worker.plugins.get(NAME)
    if plugin is None or getattr(plugin, "node", None) is None:
        raise RuntimeError("no jupyter-carbon meter on this worker")
    return plugin.node


def report_energy(start_s: float, end_s: float, sent_s: float, dask_worker=None) -> dict:
    """Run on each worker by ``Client.run``: its energy between the kernel's edges."""
    return _node(dask_worker).report(start_s, end_s, sent_s)


def describe_worker(dask_worker=None) -> dict:
    """Run on each worker by ``Client.run``: its hardware, zone and threads."""
    info = _node(dask_worker).describe()
    info["nthreads"] = dask_worker.state.nthreads
    return info


def _why(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class DaskBackend:
    """The kernel's side: find the client, install the plugin, read the workers."""

    name = "dask"

    def __init__(self, push_every_s: float = 1.0, max_samples: int = 256):
        self.push_every_s = push_every_s
        self.max_samples = max_samples
        self._installed: set[int] = set()
        self._pushed: dict[str, dict] = {}
        self._histories: dict[str, EnergyHistory] = {}
        self._edges: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def find_client(self):
        from distributed import Client

        try:
            client = Client.current()
        except ValueError:  # no client in this process
            return None
        return client if client.status == "running" else None

    def install(self, client) -> bool:
        if id(client) in self._installed:
            return False
        self._installed.add(id(client))
        client.subscribe_topic(NAME, self._on_event)
        client.register_plugin(CarbonWorkerPlugin(self.push_every_s), name=NAME)
        return True

    def _on_event(self, event) -> None:
        """A worker's pushed reading (``(scheduler time, message)``), on the client's loop:
        kept stamped with the kernel's clock as it arrives, so no host's clock matters. The
        reading from before a worker's work began is placed its work's duration earlier."""
        try:
            _, msg = event
            worker, received = msg["worker"], clocks.wall()
            with self._lock:
                self._pushed[worker] = dict(msg, received_s=received)
                history = self._histories.setdefault(worker, EnergyHistory(self.max_samples))
                last_end = self._edges.get(worker, (False, float("-inf")))[1]
                self._edges[worker] = (msg.get("running", 0) > 0, received if msg.get("edge") == "idle" else last_end)
            if msg.get("busy_from"):
                began_s, before = msg["busy_from"]
                history.add(received - max(0.0, float(msg["time_s"]) - float(began_s)), before)
            history.add(received, msg["cumulative"])
        except Exception:
            log.exception("jupyter-carbon: an unreadable reading from a worker was ignored")

    def pushed(self) -> dict[str, dict]:
        with self._lock:
            return {w: dict(msg, history=self._histories[w]) for w, msg in self._pushed.items()}

    def activity(self) -> dict[str, tuple[bool, float]]:
        with self._lock:
            return dict(self._edges)

    def reports(self, client, start_s: float, end_s: float, timeout_s: float, workers=None) -> dict[str, dict | str]:
        answers = client.run(report_energy, start_s, end_s, clocks.wall(), workers=workers, on_error="return",
                             callback_timeout=timeout_s)  # fmt: skip
        return {w: (_why(a) if isinstance(a, BaseException) else a) for w, a in answers.items()}

    def describe(self, client, timeout_s: float) -> dict[str, dict | str]:
        answers = client.run(describe_worker, on_error="return", callback_timeout=timeout_s)
        return {w: (_why(a) if isinstance(a, BaseException) else a) for w, a in answers.items()}

    def workers(self, client) -> set[str] | None:
        """The workers the scheduler has now: a worker killed while busy pushes no last
        reading, and would be taken for busy (and asked, until the time-out) for ever."""
        if getattr(client, "asynchronous", False):
            return None  # its scheduler_info() is a cache without the workers
        try:
            info = client.scheduler_info(n_workers=-1)
        except TypeError:  # a distributed without n_workers lists them all
            info = client.scheduler_info()
        workers = info.get("workers") if isinstance(info, dict) or hasattr(info, "get") else None
        return set(workers) if workers is not None else None

    def forget(self, nodes) -> None:
        with self._lock:
            for worker in nodes:
                self._edges.pop(worker, None)
                if worker in self._pushed:
                    self._pushed[worker] = dict(self._pushed[worker], edge="gone", running=0)

    def pending(self, client) -> bool:
        return any(state.status == "pending" for state in list(client.futures.values()))

    def power_w(self) -> dict[str, float]:
        """Each live worker's power at its last push, in watts."""
        with self._lock:
            return {w: sum((m.get("power_w") or {}).values()) for w, m in self._pushed.items() if m.get("edge") != "gone"}


_backend: DaskBackend | None = None


def backend() -> DaskBackend:
    """The kernel's one Dask backend (it remembers which clients have the plugin)."""
    global _backend
    if _backend is None:
        _backend = DaskBackend()
    return _backend
