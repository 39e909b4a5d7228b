"""The Ray backend: one detached actor per node meters that node; the kernel asks them.

:class:`CarbonNodeAgent` is a Ray actor pinned to one node (``NodeAffinitySchedulingStrategy``,
``soft=False``, no CPU reserved), named per node in its own namespace and ``detached``, so a
second kernel on the same cluster reads the agent already there. It opens a
:class:`~.node.NodeMeter` over the node's raylet and everything the raylet starts (its task
and actor worker processes, its agents): on a Ray node, every task runs in a child of the
raylet, so the raylet's process tree is that node's work.

Ray has no hook like Dask's ``transition`` to push a reading as a node's work ends, and its
driver keeps no count of the tasks it submitted that Python can read, so the edge comes from
the kernel's side: once a client is seen, the submission methods of remote functions and
actor methods (``RemoteFunction._remote``, ``ActorMethod._remote``, which every ``.remote()``
call goes through) are wrapped to add one to a counter and call through unchanged; the
driver's core worker says which of its tasks still run (``get_pending_children_task_ids``,
no network). A cell that submitted nothing and leaves nothing running asks nothing and
costs a counter read; a cell that submitted tasks asks every node's agent once (one actor
call each, in parallel) for its energy between the cell's edges, and looks for nodes that
joined since (one ``ray.nodes()``). No node pushes anything, so the cluster has no live
power here, and a node lost before it answered is missing.

What the signal misses: work submitted by tasks on the cluster (nested tasks) counts only
through the cell that submitted their parent, so nested work that outlives its parent is
not seen. This module is imported only once the user has imported ``ray``.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time

import ray

log = logging.getLogger("jupyter_carbon")

NAMESPACE = "jupyter-carbon"
"""The Ray namespace the node agents live in, each named ``node-<node id>``."""


class CarbonNodeAgent:
    """Runs jupyter-carbon's meter on one Ray node, for as long as the node lives."""

    def __init__(self):
        from ..energy.process import ProcessTree
        from .node import NodeMeter

        # This actor's parent is the node's raylet: its tree holds every task the node runs.
        tree = ProcessTree(os.getppid())
        for pid in _ray_agents(tree.pid):
            tree.exclude(pid)
        self.node = NodeMeter(tree=tree)

    def ready(self) -> bool:
        return True

    def report(self, start_s: float, end_s: float, sent_s: float) -> dict:
        return self.node.report(start_s, end_s, sent_s)

    def describe(self) -> dict:
        return self.node.describe()


class _Submissions:
    """How many ``.remote()`` calls this process has made since the count began."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def wrap(self, cls) -> None:
        """Wrap ``cls._remote`` once (its behaviour unchanged: the call goes through as made)."""
        method = cls.__dict__.get("_remote")
        if method is None or getattr(method, "_jupyter_carbon_counted", False):
            return

        @functools.wraps(method)
        def counted(*args, **kwargs):
            self.add()
            return method(*args, **kwargs)

        counted._jupyter_carbon_counted = True
        cls._remote = counted


SUBMISSIONS = _Submissions()


def count_submissions() -> None:
    from ray.actor import ActorMethod
    from ray.remote_function import RemoteFunction

    for cls in (RemoteFunction, ActorMethod):
        SUBMISSIONS.wrap(cls)


AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")
"""The processes a raylet starts beside its workers: Ray's own monitoring and environment
set-up, running whether or not any cell uses the node, so no cell's work (as a Dask
cluster's scheduler and dashboard are no cell's work)."""


def _ray_agents(raylet: int) -> list[int]:
    import psutil

    found = []
    for child in psutil.Process(raylet).children():
        try:
            if any(" ".join(child.cmdline()).startswith(name) for name in AGENTS):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def _agent_name(node_id: str) -> str:
    return f"node-{node_id}"


def _why(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class RayConnection:
    """The driver's connection to a cluster, as found in this kernel (one per job)."""

    def __init__(self, worker):
        self.worker = worker
        self.job_id = worker.current_job_id.hex()

    @staticmethod
    def submitted() -> int:
        """Tasks and actor calls this driver has submitted since the count began."""
        return SUBMISSIONS.count

    def pending(self) -> bool:
        """Whether tasks this driver submitted (normal or actor) still run."""
        core = self.worker.core_worker
        return bool(core.get_pending_children_task_ids(core.get_current_task_id()))


class RayBackend:
    """The kernel's side: find the connection, start the node agents, read them."""

    name = "ray"

    start_timeout_s = 60.0
    """How long the first cell's end waits for the agents to start (each is a new worker
    process on its node that imports Ray and the meter): their first answer tells which
    node is the kernel's own child, so it is worth waiting for."""

    def __init__(self):
        self._job: str | None = None
        self._agents: dict[str, object] = {}
        self._cpus: dict[str, float | None] = {}
        self._fresh: set[str] = set()
        self._submitted = 0

    def find_client(self):
        worker = getattr(getattr(ray, "_private", None), "worker", None)
        worker = getattr(worker, "global_worker", None)
        if worker is None or not getattr(worker, "connected", False) or getattr(worker, "core_worker", None) is None:
            return None  # not initialised, or a Ray Client (ray://) connection
        return RayConnection(worker)

    def install(self, client) -> bool:
        if client.job_id == self._job:
            return False
        self._job, self._agents, self._fresh = client.job_id, {}, set()
        count_submissions()
        self._start_agents(fresh=False)
        self._wait_ready()
        return True

    def _wait_ready(self) -> None:
        pings = [agent.ready.remote() for agent in self._agents.values()]
        if pings:
            ray.wait(pings, num_returns=len(pings), timeout=self.start_timeout_s)

    def _start_agents(self, *, fresh: bool) -> None:
        """An agent on every live node that has none yet (``get_if_exists``: another kernel's
        agent is reused)."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        alive = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}
        for gone in set(self._agents) - set(alive):
            self._agents.pop(gone, None)
        agent = ray.remote(CarbonNodeAgent)
        for node_id, info in sorted(alive.items()):
            if node_id in self._agents:
                continue
            self._agents[node_id] = agent.options(
                name=_agent_name(node_id), namespace=NAMESPACE, lifetime="detached", get_if_exists=True,
                num_cpus=0, max_concurrency=4,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
            ).remote()  # fmt: skip
            self._cpus[node_id] = (info.get("Resources") or {}).get("CPU")
            if fresh:
                self._fresh.add(node_id)

    def activity(self) -> dict[str, tuple[bool, float]]:
        """Every node counts as busy now when the driver submitted tasks since the last look
        (no network otherwise), and nodes that joined since get their agent. Nodes push no
        edges: a node not busy has none."""
        client = self.find_client()
        if client is None:
            return {}
        submitted = client.submitted()
        if submitted == self._submitted:
            return {node: (False, float("-inf")) for node in self._agents}
        self._submitted = submitted
        self._start_agents(fresh=True)
        now = time.time()
        return {node: (True, now) for node in self._agents}

    def pending(self, client) -> bool:
        return client.pending()

    def _ask(self, method: str, args: tuple, timeout_s: float, nodes) -> dict[str, dict | str]:
        names = sorted(self._agents) if nodes is None else [n for n in nodes if n in self._agents]
        refs = {}
        for node in names:
            if node in self._fresh:
                continue
            refs[node] = getattr(self._agents[node], method).remote(*args() if callable(args) else args)
        ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout_s) if refs else ([], [])
        ready = set(ready)
        answers: dict[str, dict | str] = {}
        for node, ref in refs.items():
            if ref not in ready:
                answers[node] = f"no answer within {timeout_s:g} s"
                continue
            try:
                answers[node] = ray.get(ref)
            except Exception as err:
                answers[node] = _why(err)
        for node in sorted(self._fresh & set(names)):
            answers[node] = "its meter started at this cell's end: its work in this cell is not counted"
        self._fresh -= set(names)
        self._submitted = SUBMISSIONS.count  # our own calls to the agents are not the user's work
        return answers

    def reports(self, client, start_s: float, end_s: float, timeout_s: float, workers=None) -> dict[str, dict | str]:
        return self._ask("report", lambda: (start_s, end_s, time.time()), timeout_s, workers)

    def describe(self, client, timeout_s: float) -> dict[str, dict | str]:
        answers = self._ask("describe", (), timeout_s, None)
        for node, info in answers.items():
            if isinstance(info, dict) and self._cpus.get(node) is not None:
                info["nthreads"] = int(self._cpus[node])  # the CPUs Ray schedules tasks on
        return answers

    def pushed(self) -> dict[str, dict]:
        """Ray nodes push nothing: every charge comes from an answer."""
        return {}

    def power_w(self) -> dict[str, float]:
        return {}


_backend: RayBackend | None = None


def backend() -> RayBackend:
    """The kernel's one Ray backend (it remembers which job has the agents)."""
    global _backend
    if _backend is None:
        _backend = RayBackend()
    return _backend
