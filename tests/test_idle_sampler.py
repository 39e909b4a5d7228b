"""The sampler sleeps longer while no cell runs and no view listens, and wakes when one does."""

import time

from fakes import FakeClock
from test_meter import ScriptedSource

from jupyter_carbon.meter import IDLE_INTERVAL_S, Meter
from jupyter_carbon.session import Session


class CounterSource(ScriptedSource):
    """A source read from counters alone: nothing to integrate between snapshots."""

    needs_ticks = False


def wait_for(condition, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_who_lets_the_sampler_sleep_deeper():
    clock = FakeClock()
    meter = Meter([CounterSource(clock)], clock=clock, start=False, interval=0.5)
    assert meter.idle_interval == IDLE_INTERVAL_S > meter.interval
    assert not meter._sleeps_deep()  # a bare meter: no owner says nobody wants readings
    meter.demand = lambda: False
    assert meter._sleeps_deep()
    meter.demand = lambda: True
    assert not meter._sleeps_deep()
    integrating = Meter([CounterSource(clock), ScriptedSource(clock)], clock=clock, start=False)
    integrating.demand = lambda: False
    assert not integrating._sleeps_deep()  # a source without needs_ticks=False is ticked as before


def test_a_session_wants_readings_during_a_cell_or_while_a_view_listens(tmp_path):
    clock = FakeClock()
    meter = Meter([CounterSource(clock)], clock=clock, start=False)
    session = Session(meter, None, ledger_dir=tmp_path, persist=False)
    frontends = []
    session.subscribe(lambda e, p: None, wants_power=lambda: bool(frontends))  # a comm without frontends
    session.subscribe(lambda e, p: None, wants_power=lambda: False)  # a running cell's progress only
    assert meter.demand == session.wants_readings and meter._sleeps_deep()
    cell = session.begin(source="x = 1")
    assert not meter._sleeps_deep()
    session.end(cell)
    assert meter._sleeps_deep()
    frontends.append("status bar")
    assert not meter._sleeps_deep()
    frontends.clear()
    unsubscribe = session.subscribe(lambda e, p: None)  # a live meter shown: always
    assert not meter._sleeps_deep()
    unsubscribe()
    assert meter._sleeps_deep()
    session.close()


def test_a_deep_wait_ends_when_readings_are_wanted_again():
    wanted = []
    meter = Meter([CounterSource(time.monotonic)], interval=0.05, start=False)
    meter.idle_interval = 3600.0
    meter.demand = lambda: bool(wanted)
    ticks = []
    meter.subscribe(ticks.append)
    meter.start()
    try:
        assert wait_for(lambda: meter._deep)
        time.sleep(0.3)
        assert ticks == []  # six short intervals went by without a tick
        wanted.append("cell")
        meter.wake()
        assert wait_for(lambda: len(ticks) >= 2)  # an hour's wait cut short, then every interval
    finally:
        meter.close()
    assert not meter.running


def test_an_idle_tick_walks_proc_only_once_a_minute():
    from jupyter_carbon.energy.process import ProcessTree

    clock = FakeClock()
    tree = ProcessTree(clock=clock)
    walks, looks = [], []
    tree._rescan, tree._scan_new = (lambda: walks.append(clock())), (lambda: looks.append(clock()) or True)
    tree._last_scan = clock()
    for _ in range(12):  # a minute of 5 s ticks
        clock.advance(IDLE_INTERVAL_S)
        tree.refresh_idle()
    assert len(looks) == 11 and walks == [clock()]  # new PIDs at each tick, a walk instead at the minute
    tree._scan_new = lambda: False  # PIDs wrapped, or too many new: walk now
    tree.refresh_idle()
    assert len(walks) == 2

    called = []

    class Tree:
        def refresh(self):
            called.append("walk")

        def refresh_idle(self):
            called.append("idle")

    meter = Meter([CounterSource(clock)], clock=clock, start=False, tree=Tree())
    meter.tick()
    meter.tick(idle=True)
    assert called == ["walk", "idle"]
