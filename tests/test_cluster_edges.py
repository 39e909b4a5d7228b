"""The cluster seam without a cluster: the history's interpolation, and a cell's cluster part
from a fake backend's answers (missing, lost and in-kernel nodes, work left running)."""

from __future__ import annotations

import os
import socket

import pytest

from jupyter_carbon.cluster.base import cluster_part, priced_node
from jupyter_carbon.cluster.edges import ClusterMeter
from jupyter_carbon.cluster.history import EnergyHistory

FR = {"zone": "FR", "g_per_kwh": 30.0, "pue": 1.2}
PL = {"zone": "PL", "g_per_kwh": 600.0, "pue": 1.0}


def test_history_interpolates_between_samples_and_clamps_to_its_span():
    h = EnergyHistory()
    for t, j in ((10.0, 0.0), (11.0, 10.0), (12.0, 30.0)):
        h.add(t, {"cpu": j})
    assert h.between(10.5, 11.5) == ({"cpu": pytest.approx(15.0)}, pytest.approx(1.0))
    # A node that joined at 10 and was last read at 12: counted for the time it was there.
    assert h.between(5.0, 20.0) == ({"cpu": 30.0}, 2.0)
    with pytest.raises(ValueError, match="ends after it starts"):
        h.between(2.0, 1.0)


def test_a_full_history_thins_its_old_samples_and_keeps_its_whole_span():
    h = EnergyHistory(max_samples=8)
    for t in range(100):
        h.add(float(t), {"cpu": 2.0 * t})  # 2 W
    assert len(h._times) <= 8 and h.span[0] < 60 and h.span[1] == 99.0
    assert h.between(h.span[0], 99.0)[0]["cpu"] == pytest.approx(2.0 * (99.0 - h.span[0]))


def test_each_node_is_priced_by_its_own_zone_and_pue():
    fr = priced_node("a", {"host": "h1", "by_component": {"cpu": 3.6e6}, "intensity": FR}, "answered")
    pl = priced_node("b", {"host": "h2", "by_component": {"cpu": 3.6e6}, "intensity": PL}, "answered")
    assert fr["emissions_g"] == pytest.approx(1.2 * 30.0) and pl["emissions_g"] == pytest.approx(600.0)
    part = cluster_part("dask", [fr, pl])
    assert part["emissions_g"] == pytest.approx(636.0) and part["zones"] == ["FR", "PL"] and part["hosts"] == 2


class FakeBackend:
    """A cluster whose ``running`` workers are busy at every cell's end (asked each time);
    ``edges`` are pushed busy/idle readings: worker -> (busy now, kernel time it arrived)."""

    name = "fake"

    def __init__(self, answers, pushed=None, pending=False, running=None, edges=None, first=False):
        self.answers, self._pushed, self._pending = answers, pushed or {}, pending
        names = running if running is not None else (answers if isinstance(answers, dict) else ())
        self.edges = {w: (True, float("inf")) for w in names} | (edges or {})  # busy since this cell
        self.first, self.installed, self.windows, self.asked = first, 0, [], []
        self.alive, self.forgotten = None, []  # None: the cluster cannot say which workers it has

    def find_client(self):
        return "client"

    def install(self, client):
        self.installed += 1
        first, self.first = self.first, False
        return first

    def activity(self):
        return dict(self.edges)

    def reports(self, client, start_s, end_s, timeout_s, workers=None):
        self.windows.append((start_s, end_s))
        self.asked.append(workers)
        if isinstance(self.answers, Exception):
            raise self.answers
        return {w: a for w, a in self.answers.items() if workers is None or w in workers}

    def pushed(self):
        return self._pushed

    def pending(self, client):
        return self._pending

    def workers(self, client):
        return None if self.alive is None else set(self.alive)

    def forget(self, nodes):
        self.forgotten.extend(sorted(nodes))
        for node in nodes:
            self.edges.pop(node, None)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        self.now += 1.0
        return self.now


def answer(joules, intensity=FR, host="remote", pid=1):
    return {"host": host, "pid": pid, "by_component": {"cpu": joules}, "method": {"cpu": "measured"}, "intensity": intensity}


def test_without_a_cluster_library_a_cell_has_no_cluster_part():
    meter = ClusterMeter(backends=lambda: [])
    assert meter.end(meter.begin()) is None


def test_a_worker_that_cannot_answer_makes_the_part_incomplete_and_says_why():
    backend = FakeBackend({"w1": answer(5.0), "w2": "ModuleNotFoundError: No module named 'jupyter_carbon'"})
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())
    assert part["energy_j"] == 5.0 and part["nodes"] == 1 and not part["complete"]
    assert "w2: ModuleNotFoundError" in part["note"]
    assert [w["status"] for w in part["workers"]] == ["answered", "missing"]


def test_a_timeout_keeps_the_cell_and_says_the_cluster_part_is_missing():
    backend = FakeBackend(TimeoutError(), running=["w1"])
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock(), timeout_s=2)
    part = meter.end(meter.begin())
    assert part["energy_j"] == 0 and not part["complete"] and "did not answer within 2 s" in part["note"]


def test_a_worker_lost_mid_cell_keeps_what_it_pushed():
    history = EnergyHistory()
    history.add(1000.0, {"cpu": 0.0})
    history.add(1001.5, {"cpu": 15.0})  # pushed, then lost
    pushed = {"gone": {"time_s": 1001.5, "host": "h", "pid": 9, "intensity": PL, "method": {}, "history": history}}
    backend = FakeBackend({"w1": answer(5.0)}, pushed=pushed, running=["w1", "gone"])
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())  # window 1001 .. 1002
    gone = next(w for w in part["workers"] if w["node"] == "gone")
    assert gone["status"] == "reported" and gone["energy_j"] == pytest.approx(5.0) and gone["zone"] == "PL"
    assert part["energy_j"] == pytest.approx(10.0)


class KilledWorkerBackend(FakeBackend):
    """Asking a dead worker waits for the whole time-out, as ``Client.run`` does."""

    def reports(self, client, start_s, end_s, timeout_s, workers=None):
        if workers is None or "dead" in workers:
            self.asked.append(workers)
            raise TimeoutError("callback timed out")
        return super().reports(client, start_s, end_s, timeout_s, workers)


def test_a_worker_killed_while_busy_is_forgotten_once_the_scheduler_says_it_is_gone():
    """Issue 23: a worker killed mid-task pushes no idle reading; it stayed 'busy' for ever,
    and every later cell asked it, waited the time-out and was marked incomplete."""
    backend = KilledWorkerBackend({"w1": answer(2.0)}, running=["w1", "dead"])
    backend.alive = {"w1"}
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    parts = [meter.end(meter.begin()) for _ in range(2)]
    assert backend.asked == [["w1"], ["w1"]] and backend.forgotten == ["dead"]
    assert all(p["complete"] and p["energy_j"] == pytest.approx(2.0) and not p.get("note") for p in parts), parts


def test_workers_the_cluster_cannot_list_are_still_asked():
    backend = FakeBackend({"w1": answer(2.0)}, running=["w1"])
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    assert meter.end(meter.begin())["complete"] and backend.asked == [["w1"]] and backend.forgotten == []


def test_work_left_running_goes_to_the_next_cell():
    backend = FakeBackend({"w1": answer(1.0)}, pending=True)
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    meter.end(meter.begin())
    backend._pending = False
    window = meter.begin()
    part = meter.end(window)
    assert window.carried and part["carried"]
    assert backend.windows[1][0] == backend.windows[0][1]  # starts where the last cell ended
    assert not meter.begin().carried


def test_a_worker_in_the_kernels_own_process_is_left_to_the_kernels_part():
    backend = FakeBackend({"w1": answer(7.0, host=socket.gethostname(), pid=os.getpid())})
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())
    assert part["workers"][0]["status"] == "in-kernel" and part["energy_j"] == 0


def pushed_work(history_points, intensity=FR, host="remote", pid=3):
    history = EnergyHistory()
    for t, j in history_points:
        history.add(t, {"cpu": j})
    return {"time_s": history_points[-1][0], "host": host, "pid": pid, "intensity": intensity,
            "method": {"cpu": "measured"}, "history": history}


def test_a_cell_that_submitted_no_work_makes_no_round_trip():
    backend = FakeBackend({"w1": answer(5.0)}, running=[], edges={"w1": (False, 10.0)})  # idle since long before
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    assert meter.end(meter.begin()) is None
    assert backend.windows == []


def test_workers_idle_at_the_cells_end_are_charged_from_what_they_pushed_and_only_busy_ones_are_asked():
    clock = Clock()  # the cell runs from 1001 to 1002
    pushed = {"idle": pushed_work([(1000.0, 0.0), (1001.2, 0.0), (1001.8, 12.0)])}  # busy at 1001.2, idle at 1001.8
    backend = FakeBackend({"busy": answer(4.0, PL), "idle": answer(99.0)}, pushed=pushed, running=["busy"],
                          edges={"idle": (False, 1001.8), "other": (False, 900.0)})
    meter = ClusterMeter(backends=lambda: [backend], clock=clock)
    part = meter.end(meter.begin())
    assert backend.asked == [["busy"]]  # neither the idle worker nor one untouched by the cell
    by_node = {w["node"]: w for w in part["workers"]}
    assert set(by_node) == {"busy", "idle"} and by_node["idle"]["status"] == "pushed"
    assert by_node["idle"]["energy_j"] == pytest.approx(12.0) and part["complete"]
    assert part["energy_j"] == pytest.approx(16.0) and part["nodes"] == 2


def test_the_cell_that_starts_the_workers_meter_says_its_cluster_part_is_partial():
    backend = FakeBackend({"w1": answer(0.1), "w2": answer(0.1, pid=2)}, running=[], first=True)
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())
    assert backend.asked == [None]  # every worker, once
    assert not part["complete"] and "partial: metering began on 2 workers at this cell's end" in part["note"]
    assert meter.end(meter.begin()) is None  # the next cell, with no work, is complete and costs nothing


def test_workers_inside_the_kernels_tree_are_fully_counted_in_the_cell_that_starts_their_meter():
    tree = FakeTree(children={4242})
    backend = FakeBackend({"w1": answer(0.1, host=socket.gethostname(), pid=4242)}, running=[], first=True)
    meter = ClusterMeter(tree=tree, backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())
    assert part["workers"][0]["status"] == "in-kernel" and part["complete"] and part["note"] is None


class FakeTree:
    def __init__(self, children):
        self.children, self.excluded = set(children), set()

    def exclude(self, pid):
        if pid not in self.children:
            return False
        self.children.discard(pid)
        self.excluded.add(pid)
        return True


def test_a_new_process_tree_leaves_out_the_workers_the_old_one_did():
    """New settings mid-session build a new meter with a new process tree: the kernel's worker
    processes, already charged through their own reports, must not come back into it."""
    backend = FakeBackend({"w1": answer(1.0, host=socket.gethostname(), pid=4242)})
    old = FakeTree(children={4242})
    meter = ClusterMeter(tree=old, backends=lambda: [backend], clock=Clock())
    meter.end(meter.begin())
    assert old.excluded == {4242}
    new = FakeTree(children={4242})  # a fresh scan finds the worker among the kernel's children
    meter.use_tree(new)
    assert new.excluded == {4242}
    part = meter.end(meter.begin())
    assert part["workers"][0]["status"] == "answered" and part["energy_j"] == 1.0


def test_new_settings_keep_the_kernels_worker_processes_out_of_its_tree(shell):
    """``reopen_meter`` (settings changed mid-session) builds a new process tree: a worker
    process the cluster part already charges must stay out of it."""
    import subprocess
    import sys

    from jupyter_carbon.kernel.extension import extension_of

    ext = extension_of(shell)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ext.meter.tree.refresh_cpu()
        assert ext.session.cluster._in_kernel(worker.pid)  # first seen: taken out of the tree
        assert worker.pid in ext.meter.tree.excluded()
        ext.reopen_meter()
        ext.meter.tree.refresh_cpu()
        assert worker.pid in ext.meter.tree.excluded() and worker.pid not in ext.meter.tree.pids()
    finally:
        worker.kill()
        worker.wait()
