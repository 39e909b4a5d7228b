"""The Ray backend's edges without a cluster: which cells ask the nodes, and the submission
count's wrapper leaves every call as it was."""

from __future__ import annotations

import pytest

pytest.importorskip("ray")

from jupyter_carbon.cluster import ray as ray_backend  # noqa: E402
from jupyter_carbon.cluster.edges import ClusterMeter  # noqa: E402

pytestmark = pytest.mark.ray  # with the Ray tests: where Ray is installed


class Submitter:
    def _remote(self, *args, **kwargs):
        if kwargs.get("fail"):
            raise ValueError("refused")
        return ("sent", args, kwargs)


def test_the_wrapped_submission_goes_through_unchanged_and_is_counted_once():
    count = ray_backend._Submissions()
    count.wrap(Submitter)
    count.wrap(Submitter)  # a second kernel start, or a reload: wrapped once
    assert Submitter()._remote(1, x=2) == ("sent", (1,), {"x": 2})
    with pytest.raises(ValueError, match="refused"):
        Submitter()._remote(fail=True)
    assert count.count == 2


class FakeConnection:
    job_id = "01000000"
    running = False

    @staticmethod
    def submitted():
        return ray_backend.SUBMISSIONS.count

    def pending(self):
        return self.running


class FakeRay(ray_backend.RayBackend):
    """The backend with its network calls replaced: which nodes it asks, and when."""

    def __init__(self):
        super().__init__()
        self.connection = FakeConnection()
        self.asked: list[list[str] | None] = []
        self.node_lookups = 0

    def find_client(self):
        return self.connection

    def _start_agents(self, *, fresh):
        self.node_lookups += 1
        for node in ("a", "b"):
            self._agents.setdefault(node, object())

    def _wait_ready(self):
        pass

    def reports(self, client, start_s, end_s, timeout_s, workers=None):
        self.asked.append(workers)
        self._submitted = ray_backend.SUBMISSIONS.count
        names = sorted(self._agents) if workers is None else workers
        return {n: {"host": "elsewhere", "pid": 1, "by_component": {"cpu": 1.0}, "intensity": {"zone": "FR", "g_per_kwh": 50}} for n in names}


def test_only_cells_that_submit_or_leave_work_running_ask_the_nodes():
    backend = FakeRay()
    clock = iter(range(100, 200))
    meter = ClusterMeter(backends=lambda: [backend], clock=lambda: float(next(clock)))
    first = meter.end(meter.begin())  # the first cell with a connection: the agents start, every node asked
    assert first["nodes"] == 2 and not first["complete"] and backend.asked == [None]
    assert meter.end(meter.begin()) is None and len(backend.asked) == 1  # nothing submitted: no round trip
    lookups = backend.node_lookups
    ray_backend.SUBMISSIONS.add()  # a cell's `f.remote()`
    part = meter.end(meter.begin())
    assert part["nodes"] == 2 and part["complete"] and backend.asked[-1] == ["a", "b"]
    assert backend.node_lookups == lookups + 1  # nodes that joined are looked for only then
    assert meter.end(meter.begin()) is None  # the agents' own calls are not the user's work
    backend.connection.running = True  # a cell that leaves its tasks running: asked, and carried on
    assert meter.end(meter.begin())["nodes"] == 2
    backend.connection.running = False
    carried = meter.end(meter.begin())
    assert carried["carried"] and carried["nodes"] == 2


def test_a_node_whose_agent_started_in_this_cell_is_listed_as_not_counted():
    backend = FakeRay()
    backend._agents = {"a": object()}
    backend._fresh = {"a"}
    answers = backend._ask("report", (0.0, 1.0, 1.0), 1.0, None)
    assert answers == {"a": "its meter started at this cell's end: its work in this cell is not counted"}
    assert not backend._fresh


def test_without_a_connection_the_backend_finds_no_client():
    import ray

    assert not ray.is_initialized()
    assert ray_backend.RayBackend().find_client() is None


def test_a_node_agent_meters_its_parents_tree_and_reports_the_parents_pid(tmp_path):
    """On a node the agent's parent is the raylet: the agent meters the raylet's whole tree
    (every task's worker process) and reports the raylet's PID, by which a kernel that
    started Ray itself takes that tree out of its own."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, os, time\nfrom jupyter_carbon.cluster.ray import CarbonNodeAgent\n"
            "agent = CarbonNodeAgent()\nt0 = time.time()\nend = time.process_time() + 0.5\n"
            "while time.process_time() < end: pass\n"
            "print(json.dumps({'report': agent.report(t0, time.time(), time.time()), 'tree': sorted(agent.node.meter.tree.pids())}))")  # fmt: skip
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path), "JUPYTER_CARBON_REGION": "PL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["report"]["pid"] == os.getpid() and os.getpid() in out["tree"]
    assert out["report"]["intensity"]["zone"] == "PL"
    assert out["report"]["by_component"]["cpu"] > 0  # the agent's own busy loop, a child of this tree's root
