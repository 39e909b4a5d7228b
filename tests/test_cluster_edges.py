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
    name = "fake"

    def __init__(self, answers, pushed=None, pending=False):
        self.answers, self._pushed, self._pending = answers, pushed or {}, pending
        self.installed, self.windows = 0, []

    def find_client(self):
        return "client"

    def install(self, client):
        self.installed += 1

    def reports(self, client, start_s, end_s, timeout_s):
        self.windows.append((start_s, end_s))
        if isinstance(self.answers, Exception):
            raise self.answers
        return self.answers

    def pushed(self):
        return self._pushed

    def pending(self, client):
        return self._pending


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
    backend = FakeBackend(TimeoutError())
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock(), timeout_s=2)
    part = meter.end(meter.begin())
    assert part["energy_j"] == 0 and not part["complete"] and "did not answer within 2 s" in part["note"]


def test_a_worker_lost_mid_cell_keeps_what_it_pushed():
    history = EnergyHistory()
    history.add(1000.0, {"cpu": 0.0})
    history.add(1001.5, {"cpu": 15.0})  # pushed, then lost
    pushed = {"gone": {"time_s": 1001.5, "host": "h", "pid": 9, "intensity": PL, "method": {}, "history": history}}
    backend = FakeBackend({"w1": answer(5.0)}, pushed=pushed)
    meter = ClusterMeter(backends=lambda: [backend], clock=Clock())
    part = meter.end(meter.begin())  # window 1001 .. 1002
    gone = next(w for w in part["workers"] if w["node"] == "gone")
    assert gone["status"] == "reported" and gone["energy_j"] == pytest.approx(5.0) and gone["zone"] == "PL"
    assert part["energy_j"] == pytest.approx(10.0)


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
