"""The Dask backend: a ``distributed.WorkerPlugin`` meters each worker; the kernel reads them.

Registered from the kernel with ``Client.register_plugin``, :class:`CarbonWorkerPlugin`
opens a :class:`~.node.NodeMeter` on every worker (and on every worker that joins later:
the scheduler keeps the plugin). Each worker pushes its cumulative readings every
``push_every_s`` through ``Worker.log_event``; the kernel subscribes to the topic
(``Client.subscribe_topic``) and keeps them, so a worker lost mid-cell keeps what it
reported. At a cell's end one ``Client.run`` asks every worker at once for the energy
between the cell's edges.

This module is imported only once the user has imported ``distributed``.
"""

from __future__ import annotations

import logging
import threading
import time

from distributed import WorkerPlugin

from .history import EnergyHistory

log = logging.getLogger("jupyter_carbon")

NAME = "jupyter-carbon"
"""The plugin's name on the workers, and the event topic its readings go by."""


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
        self.node = NodeMeter(on_sample=self._push)

    def _push(self, time_s: float, cumulative: dict, power_w: dict, *, force: bool = False) -> None:
        if not force and time_s - self._last_push < self.push_every_s:
            return
        self._last_push = time_s
        node = self.node
        self._worker.log_event(NAME, {
            "worker": self._worker.address, "host": node.host, "pid": node.pid, "time_s": time_s,
            "cumulative": cumulative, "power_w": power_w, "method": node.methods(), "intensity": node.intensity(),
        })  # fmt: skip

    def teardown(self, worker) -> None:
        node, self.node = self.node, None
        if node is None:
            return
        try:
            latest = node.history.latest()
            if latest is not None:
                self.node = node
                self._push(latest[0], latest[1], {}, force=True)
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
        self._lock = threading.Lock()

    def find_client(self):
        from distributed import Client

        try:
            client = Client.current()
        except ValueError:  # no client in this process
            return None
        return client if client.status == "running" else None

    def install(self, client) -> None:
        if id(client) in self._installed:
            return
        self._installed.add(id(client))
        client.subscribe_topic(NAME, self._on_event)
        client.register_plugin(CarbonWorkerPlugin(self.push_every_s), name=NAME)

    def _on_event(self, event) -> None:
        """A worker's pushed reading (``(scheduler time, message)``), on the client's loop."""
        try:
            _, msg = event
            worker = msg["worker"]
            with self._lock:
                self._pushed[worker] = msg
                history = self._histories.setdefault(worker, EnergyHistory(self.max_samples))
            history.add(float(msg["time_s"]), msg["cumulative"])
        except Exception:
            log.exception("jupyter-carbon: an unreadable reading from a worker was ignored")

    def pushed(self) -> dict[str, dict]:
        with self._lock:
            return {w: dict(msg, history=self._histories[w]) for w, msg in self._pushed.items()}

    def reports(self, client, start_s: float, end_s: float, timeout_s: float) -> dict[str, dict | str]:
        answers = client.run(report_energy, start_s, end_s, time.time(), on_error="return", callback_timeout=timeout_s)
        return {w: (_why(a) if isinstance(a, BaseException) else a) for w, a in answers.items()}

    def describe(self, client, timeout_s: float) -> dict[str, dict | str]:
        answers = client.run(describe_worker, on_error="return", callback_timeout=timeout_s)
        return {w: (_why(a) if isinstance(a, BaseException) else a) for w, a in answers.items()}

    def pending(self, client) -> bool:
        return any(state.status == "pending" for state in list(client.futures.values()))

    def power_w(self) -> dict[str, float]:
        """Each worker's power at its last push, in watts."""
        with self._lock:
            return {w: sum((msg.get("power_w") or {}).values()) for w, msg in self._pushed.items()}


_backend: DaskBackend | None = None


def backend() -> DaskBackend:
    """The kernel's one Dask backend (it remembers which clients have the plugin)."""
    global _backend
    if _backend is None:
        _backend = DaskBackend()
    return _backend
