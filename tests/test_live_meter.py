"""The ipywidgets live meter, driven by a session over a fake meter."""

import pytest
from fakes import FakeClock, run_cell
from test_meter import ScriptedSource

from jupyter_carbon.kernel.widget import CarbonWidget
from jupyter_carbon.meter import Meter
from jupyter_carbon.session import Session


class FixedCarbon:
    """A carbon context with a fixed 100 g/kWh in zone XX."""

    def current(self):
        from jupyter_carbon.carbon.intensity import Intensity

        return Intensity(100.0, "XX", "Testland", "test", 2025, "average", "config", False, 1.0)

    def emissions_g(self, energy_j, intensity):
        return energy_j / 3.6e6 * intensity.g_per_kwh


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def session(clock, tmp_path):
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)  # a steady 10 W
    s = Session(meter, FixedCarbon(), ledger_dir=tmp_path)
    yield s
    s.close()


def test_traits_follow_the_meter_while_a_cell_runs_and_settle_at_its_end(session, clock):
    w = CarbonWidget(session, clock=clock)
    assert "XX" in w.zone and not w.running
    cell = session.begin(source="train()")
    assert w.running and w.cell_energy_j == 0.0
    clock.advance(3.0)
    session.meter.tick()
    assert w.power_w == {"cpu": 10.0}
    assert w.cell_energy_j == pytest.approx(30.0)
    assert "Running" in w.children[1].value and "cpu 10 W" in w.children[1].value
    clock.advance(1.0)
    record = session.end(cell)
    assert not w.running
    assert w.cell_energy_j == pytest.approx(record.energy_j) == pytest.approx(40.0)
    assert w.session_energy_j == pytest.approx(40.0)
    assert w.session_emissions_g == pytest.approx(record.emissions_g)
    assert "1 cell<" in w.children[0].value or "1 cell " in w.children[0].value
    w.close()


def test_updates_are_throttled(session, clock):
    w = CarbonWidget(session, clock=clock, min_interval=0.5)
    session.begin()
    before = w.updates
    for _ in range(20):  # twenty ticks within one second
        clock.advance(0.05)
        session.meter.tick()
    assert w.updates - before == 2
    w.close()


def test_trace_keeps_the_last_minutes(session, clock):
    w = CarbonWidget(session, clock=clock, history_s=10.0, min_interval=0.0)
    for _ in range(30):
        clock.advance(1.0)
        session.meter.tick()
    assert "<polyline" in w.children[2].value
    assert len(w._trace) == 11  # readings within the last 10 s, both ends included
    w.close()


def test_two_widgets_agree_and_closing_one_releases_its_listener(session, clock):
    a, b = CarbonWidget(session, clock=clock), CarbonWidget(session, clock=clock)
    cell = session.begin()
    clock.advance(2.0)
    session.meter.tick()
    session.end(cell)
    assert (a.session_energy_j, a.cell_energy_j, a.zone) == (b.session_energy_j, b.cell_energy_j, b.zone)
    listeners = len(session._events)
    a.close()
    assert len(session._events) == listeners - 1
    frozen = a.session_energy_j
    run_cell(session, clock, 1.0)
    assert a.session_energy_j == frozen and b.session_energy_j > frozen
    b.close()


def test_reset_brings_the_meter_back_to_zero(session, clock):
    w = CarbonWidget(session, clock=clock)
    run_cell(session, clock, 1.0)
    assert w.session_energy_j > 0
    session.reset()
    assert w.session_energy_j == 0.0
    w.close()


def test_text_only_frontends_get_the_totals_not_the_widget_constructor(session, clock):
    w = CarbonWidget(session, clock=clock)
    run_cell(session, clock, 2.0)
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("jupyter-carbon live meter: session 5.6 mWh, 0.56 mg CO2e")
    assert "1 cell " in bundle["text/plain"] and "XX" in bundle["text/plain"]
    w.close()


def test_the_energy_between_cells_shows_apart(session, clock):
    w = CarbonWidget(session, clock=clock)
    run_cell(session, clock, 1.0)
    assert w.idle_energy_j == 0.0 and "between cells" not in w.children[0].value
    clock.advance(5.0)  # the kernel draws its 10 W while nothing runs
    run_cell(session, clock, 1.0)
    assert w.idle_energy_j == pytest.approx(50.0)
    assert w.session_energy_j == pytest.approx(20.0)  # the cells' alone
    assert "between cells" in w.children[0].value
    w.close()


class PoweredCluster:
    """A cluster backend whose workers have pushed readings (no network)."""

    name = "fake"

    def __init__(self, watts):
        self.watts = watts

    def power_w(self):
        return dict(self.watts)


def test_the_clusters_power_shows_as_its_own_figure_while_a_cell_runs(clock, tmp_path):
    from jupyter_carbon.cluster.edges import ClusterMeter

    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    backend = PoweredCluster({"tcp://a:1": 70.0, "tcp://b:2": 50.0})
    session = Session(meter, FixedCarbon(), ledger_dir=tmp_path, cluster=ClusterMeter(backends=lambda: [backend]))
    w = CarbonWidget(session, clock=clock)
    try:
        session.begin(source="client.gather(futures)")
        clock.advance(3.0)
        session.meter.tick()
        assert w.cluster_power == {"watts": 120.0, "workers": 2}
        assert "cpu 10 W" in w.children[1].value and "cluster 120 W on 2 workers" in w.children[1].value
        backend.watts = {}
        clock.advance(3.0)
        session.meter.tick()
        assert w.cluster_power == {} and "cluster" not in w.children[1].value
    finally:
        w.close()
        session.close()
