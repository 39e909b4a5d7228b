"""The meter: snapshots and their subtraction, source failures, the sampler thread, listeners."""

import logging
import sys
import threading
import time

import pytest
from fakes import FakeGpu, FakeNvml, FakeTree, fake_topology

from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.energy.base import ESTIMATED, INTEGRATED, MEASURED, DomainPower, DomainReading
from jupyter_carbon.energy.model import ModelSource
from jupyter_carbon.energy.nvml import NvmlSource
from jupyter_carbon.energy.rapl import RaplSource
from jupyter_carbon.energy.sources import discover_sources
from jupyter_carbon.meter import Measurement, Meter, measure

OURS = 4242


class ScriptedSource:
    """A source that counts a steady 10 W and raises when told to."""

    name = "scripted"

    def __init__(self, clock, fail_after_reads=None):
        self.clock = clock
        self.t0 = clock()
        self.reads = 0
        self.fail_after_reads = fail_after_reads
        self.closed = False

    def read(self, now):
        self.reads += 1
        if self.fail_after_reads is not None and self.reads > self.fail_after_reads:
            raise RuntimeError("sensor gone")
        j = 10.0 * (now - self.t0)
        return [DomainReading("cpu:scripted", "cpu", MEASURED, j, j)]

    def sample(self, now):
        return [DomainPower("cpu:scripted", "cpu", 10.0, 10.0)]

    def describe(self):
        return []

    def close(self):
        self.closed = True


def full_machine(clock, tree, system, powercap):
    """One H100 with a counter, one old GPU without, two RAPL zones, memory from the model."""
    devices = [FakeGpu(power_w=300.0, processes=[OURS]), FakeGpu(uuid="GPU-1", has_counter=False, power_w=50.0, processes=[OURS])]
    nvml = FakeNvml(devices, clock)
    powercap.add_zone("intel-rapl:0", "package-0", power_w=100.0)
    sources = [
        NvmlSource(tree, clock(), nvml=nvml, env={}),
        RaplSource(tree, clock(), root=powercap.root, system=system),
        ModelSource(tree, clock(), cpu=False, memory=True, memory_w_per_gb=0.5, system=system, topology=fake_topology()),
    ]
    return Meter(sources, clock=clock, start=False, tree=tree), devices


def test_measurement_is_a_subtraction_of_snapshots(clock, tree, system, powercap):
    meter, _ = full_machine(clock, tree, system, powercap)
    clock.advance(1.0)
    system.busy += 4.0
    tree.cpu += 4.0  # the kernel keeps all four logical CPUs busy: it gets the whole package
    refreshes = tree.refreshes
    meter.tick()
    assert tree.refreshes == refreshes + 1  # one walk of the process tree per tick, for all sources
    a = meter.snapshot()
    clock.advance(2.0)
    b = meter.snapshot()
    m = Measurement.between(a, b)
    assert m.duration_s == pytest.approx(2.0)
    assert m.by_component["gpu"] == pytest.approx(2 * 300.0 + 2 * 50.0)
    assert m.by_component["cpu"] == pytest.approx(200.0)
    assert m.by_component["memory"] == pytest.approx(2.0 * 2 * 0.5)  # 2 GB resident at 0.5 W/GB
    assert m.energy_j == pytest.approx(sum(m.by_component.values()))
    assert m.method == {"gpu": INTEGRATED, "cpu": MEASURED, "memory": ESTIMATED}
    assert list(m.by_component) == ["gpu", "cpu", "memory"]
    d = m.to_dict()
    assert d["by_domain"]["gpu:0"]["method"] == MEASURED
    assert d["energy_j"] == pytest.approx(m.energy_j)
    # computed once and kept: later reads are the same objects; the figures never change
    assert m.domains is m.domains and m.by_component is m.by_component and m.below_resolution is m.below_resolution
    with pytest.raises(AttributeError, match="never changes"):
        m.domains = {}
    assert type(m).domains.__doc__ and "per domain" in type(m).domains.__doc__.lower()
    meter.close()


def test_open_measurement_reads_live_and_closes_with_measure(clock):
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    with measure(meter) as m:
        clock.advance(1.0)
        assert m.energy_j == pytest.approx(10.0)
        clock.advance(2.0)
    clock.advance(5.0)  # after the block, the figure no longer moves
    assert m.energy_j == pytest.approx(30.0)
    assert m.duration_s == pytest.approx(3.0)
    assert m.method == {"cpu": MEASURED}
    assert "closed" in repr(m)


def test_a_failing_source_is_dropped_once_and_the_rest_go_on(clock, tree, system, powercap, caplog):
    powercap.add_zone("intel-rapl:0", "package-0", power_w=100.0)
    broken = ScriptedSource(clock, fail_after_reads=2)
    rapl = RaplSource(tree, clock(), root=powercap.root, system=system)
    meter = Meter([broken, rapl], clock=clock, start=False, drop_after_s=1.5)
    start = meter.snapshot()  # read 1
    clock.advance(1.0)
    tree.cpu += 4.0
    system.busy += 4.0
    meter.snapshot()  # read 2: broken has counted 10 J
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        for _ in range(3):
            clock.advance(1.0)
            tree.cpu += 4.0  # the kernel keeps all four logical CPUs busy: it is charged the package
            system.busy += 4.0
            end = meter.snapshot()
            meter.tick()
    warnings = [r for r in caplog.records if "scripted" in r.getMessage()]
    assert len(warnings) == 1
    assert broken.closed
    assert "sensor gone" in meter.dropped["scripted"]
    m = Measurement.between(start, end)
    assert m.by_domain["cpu:scripted"] == pytest.approx(10.0)  # kept, frozen at its last reading
    assert m.by_domain["cpu:package-0"] == pytest.approx(400.0)  # the others go on
    assert [s.name for s in meter.sources] == ["rapl"]


def test_a_source_failing_in_the_sampler_is_dropped_too(clock):
    class BadSampler(ScriptedSource):
        def sample(self, now):
            raise OSError("read error")

    good, bad = ScriptedSource(clock), BadSampler(clock)
    bad.name = "bad"
    meter = Meter([good, bad], clock=clock, start=False, drop_after_s=0.0)
    meter.snapshot()
    for _ in range(2):  # retried at the next tick
        reading = meter.tick()
        assert not meter.dropped and len(meter.sources) == 2
    reading = meter.tick()
    assert "bad" in meter.dropped and [s.name for s in meter.sources] == ["scripted"]
    assert "3 failed reads" in meter.dropped["bad"] and "read error" in meter.dropped["bad"]
    assert reading.by_component == {"cpu": 10.0}


def test_sampler_thread_ticks_and_stops_on_close_without_leaking():
    before = {t.ident for t in threading.enumerate()}
    ticks = []
    clock = time.monotonic

    class Counting(ScriptedSource):
        def sample(self, now):
            ticks.append(now)
            return super().sample(now)

    meter = Meter([Counting(clock)], clock=clock, interval=0.02)
    assert meter.running
    deadline = time.monotonic() + 5
    while len(ticks) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(ticks) >= 3
    meter.close()
    meter.close()  # idempotent
    assert not meter.running
    n = len(ticks)
    time.sleep(0.1)
    assert len(ticks) == n  # no tick after close
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.name == "jupyter-carbon-sampler"]
    assert leftover == []


def test_listeners_get_power_and_a_failing_one_is_removed(clock, caplog):
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    seen = []
    unsubscribe = meter.subscribe(seen.append)

    def broken(reading):
        raise ValueError("widget gone")

    meter.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="jupyter_carbon"):
        meter.tick()
        meter.tick()
    assert len(seen) == 2 and seen[0].total_w == pytest.approx(10.0)
    assert len([r for r in caplog.records if "listener" in r.getMessage()]) == 1
    unsubscribe()
    meter.tick()
    assert len(seen) == 2
    assert meter.power() is not None and meter.power().by_component == {"cpu": 10.0}


def test_model_source_charges_tdp_per_cpu_second(clock, tree, system):
    src = ModelSource(tree, clock(), cpu_tdp_w=120.0, memory_w_per_gb=0.4, system=system, topology=fake_topology("x"))
    meter = Meter([src], clock=clock, start=False)
    a = meter.snapshot()
    tree.cpu += 3.0  # three CPU-seconds on a 4-CPU machine at 120 W: 30 W per CPU
    system.busy += 6.0
    clock.advance(2.0)
    meter.tick()
    clock.advance(1.0)
    m = Measurement.between(a, meter.snapshot())
    assert m.by_component["cpu"] == pytest.approx(90.0)
    assert m.method == {"cpu": ESTIMATED, "memory": ESTIMATED}
    assert m.by_component["memory"] == pytest.approx(3.0 * 2 * 0.4)
    # Machine-wide: six busy CPU-seconds over the first two seconds, at that rate for the third.
    assert m.device_by_component["cpu"] == pytest.approx(180.0 + 90.0)
    power = meter.power()
    assert power.by_component["cpu"] == pytest.approx(45.0)


def test_model_source_tdp_comes_from_the_table(tree, system):
    known = ModelSource(tree, 0.0, system=system, topology=fake_topology("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 40))
    assert known.cpu_model.tdp_w == 150.0 and "Xeon Gold 6248" in known.cpu_model.basis
    assert known.cpu_model.w_per_cpu_second == pytest.approx(150.0 / 40)


def test_discovery_prefers_counters_and_models_the_rest(powercap, clock):
    powercap.add_zone("intel-rapl:0", "package-0", power_w=50.0)  # no dram zone
    config = CarbonMeter(enable_nvml=False, powercap_root=str(powercap.root))
    sources, notes = discover_sources(config, now=clock(), tree=FakeTree())
    assert [s.name for s in sources] == ["rapl", "model"]
    model = sources[1]
    assert (model.with_cpu, model.with_memory) == (False, True)
    for s in sources:
        s.close()


def test_discovery_without_counters_estimates_and_says_why(tmp_path, clock):
    config = CarbonMeter(enable_nvml=False, powercap_root=str(tmp_path / "absent"))
    sources, notes = discover_sources(config, now=clock(), tree=FakeTree())
    assert [s.name for s in sources] == ["model"]
    assert any("RAPL" in n for n in notes)


def test_measure_on_the_real_machine_charges_cpu_work():
    with measure() as m:
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:
            pass
    assert m.duration_s >= 0.2
    assert m.by_component["cpu"] > 0
    assert set(m.method) >= {"cpu", "memory"}


def test_the_sampler_keeps_the_last_good_reading_fresh(clock):
    flaky = ScriptedSource(clock)
    meter = Meter([flaky], clock=clock, start=False, drop_after_s=0.0)
    start = meter.snapshot()
    for _ in range(3):
        clock.advance(1.0)
        meter.tick()  # no cell ends meanwhile: only the sampler reads
    flaky.fail_after_reads = flaky.reads  # the sensor goes away
    for _ in range(3):
        clock.advance(1.0)
        meter.tick()
    assert "scripted" in meter.dropped
    m = Measurement.between(start, meter.snapshot())
    assert m.by_domain["cpu:scripted"] == pytest.approx(30.0)  # up to the last tick that read it


def rapl_meter(clock, tree, system, powercap, **kw):
    """RAPL package and DRAM on a machine where the kernel is the only busy process, with
    the estimate (10 W per CPU-second, 0.5 W/GB) to fall back on."""
    powercap.add_zone("intel-rapl:0", "package-0", power_w=100.0)
    powercap.add_zone("intel-rapl:0:0", "dram", power_w=10.0)
    rapl = RaplSource(tree, clock(), root=powercap.root, system=system)

    def fallback(components, now):
        return ModelSource(tree, now, cpu="cpu" in components, memory="memory" in components, cpu_tdp_w=40.0, memory_w_per_gb=0.5, system=system, cpu_model="x", topology=fake_topology("x", system.logical_cpus))

    return Meter([rapl], clock=clock, start=False, fallback=fallback, **kw)


def busy_second(clock, tree, system, meter):
    clock.advance(1.0)
    tree.cpu += 1.0
    system.busy += 1.0
    meter.tick()


def test_a_garbled_rapl_read_is_retried_and_loses_nothing(clock, tree, system, powercap, caplog):
    meter = rapl_meter(clock, tree, system, powercap)
    busy_second(clock, tree, system, meter)
    start = meter.snapshot()
    powercap.garble("intel-rapl:0")
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        busy_second(clock, tree, system, meter)  # the tick's reads fail
        stale = meter.snapshot()
        powercap.garble("intel-rapl:0", False)
        busy_second(clock, tree, system, meter)
        end = meter.snapshot()
    assert Measurement.between(start, stale).by_component["cpu"] == 0.0  # the last good reading stood
    m = Measurement.between(start, end)
    # One busy logical CPU of four: a quarter of the package's 100 W and the DRAM's 10 W.
    assert m.by_component == {"cpu": pytest.approx(50.0), "memory": pytest.approx(5.0)}
    assert m.method == {"cpu": MEASURED, "memory": MEASURED}
    assert not meter.dropped and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_rapl_counter_failing_for_long_falls_back_to_the_estimate(clock, tree, system, powercap, caplog):
    meter = rapl_meter(clock, tree, system, powercap, drop_after_s=3.0)
    busy_second(clock, tree, system, meter)
    start = meter.snapshot()
    busy_second(clock, tree, system, meter)  # last good reading: a quarter of 100 J package, 10 J DRAM
    powercap.garble("intel-rapl:0")
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        for _ in range(4):
            busy_second(clock, tree, system, meter)
            assert not meter.dropped or _ >= 2
        for _ in range(2):
            busy_second(clock, tree, system, meter)
        end = meter.snapshot()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "rapl" in warnings[0] and "ValueError" in warnings[0] and "cpu and memory estimated from now on" in warnings[0]
    assert [s.name for s in meter.sources] == ["model"]
    m = Measurement.between(start, end)
    assert m.by_domain["cpu:package-0"] == pytest.approx(25.0)  # what RAPL counted is kept
    assert m.by_domain["memory:package-0-dram"] == pytest.approx(2.5)
    assert m.by_domain["cpu:model"] == pytest.approx(10.0 * 2)  # two busy CPU-seconds since, at 40 W / 4 CPUs
    assert m.by_domain["memory:model"] == pytest.approx(2 * 0.5 * 2.0)  # 2 GB for 2 s
    assert m.method == {"cpu": ESTIMATED, "memory": ESTIMATED}


def test_the_estimate_survives_failed_psutil_reads_and_keeps_what_it_counted(clock, tree, system, caplog):
    import psutil

    class FlakyPsutil:
        """psutil, whose machine-wide memory read fails while ``failing`` is set."""

        failing = False

        def __getattr__(self, name):
            return getattr(psutil, name)

        def virtual_memory(self):
            if self.failing:
                raise psutil.AccessDenied()
            return type("Mem", (), {"used": 4 * 10**9})()

    flaky = FlakyPsutil()
    src = ModelSource(tree, clock(), cpu_tdp_w=40.0, memory_w_per_gb=0.5, system=system, psutil_module=flaky, cpu_model="x", topology=fake_topology("x", system.logical_cpus))
    meter = Meter([src], clock=clock, start=False, drop_after_s=3.0)
    start = meter.snapshot()
    flaky.failing = True
    busy_second(clock, tree, system, meter)  # one failed tick: retried
    flaky.failing = False
    busy_second(clock, tree, system, meter)
    assert not meter.dropped
    m = Measurement.between(start, meter.snapshot())
    assert m.by_component["cpu"] == pytest.approx(20.0)  # two CPU-seconds at 10 W each
    assert m.by_component["memory"] == pytest.approx(2.0 * 2 * 0.5)
    flaky.failing = True
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        for _ in range(5):
            busy_second(clock, tree, system, meter)
    assert "model" in meter.dropped and meter.sources == ()  # no estimate stands in for the estimate
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    kept = Measurement.between(start, meter.snapshot())
    assert kept.by_component == m.by_component  # what it counted up to its last good reading is kept


def test_without_an_nvidia_driver_pynvml_is_not_even_imported(tmp_path, clock, monkeypatch):
    from jupyter_carbon.energy import sources as registry

    assert not registry.nvidia_driver(str(tmp_path)) or not sys.platform.startswith("linux")
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "nvidiactl").touch()
    assert registry.nvidia_driver(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    monkeypatch.setattr(registry, "nvidia_driver", lambda root="/": False)
    config = CarbonMeter(enable_rapl=False, enable_amdsmi=False, enable_apple=False)
    sources, notes = discover_sources(config, now=clock(), tree=FakeTree())
    assert "pynvml" not in sys.modules
    assert [s.name for s in sources] == ["model"]
    assert any("GPU: not metered (NVML is not available: no NVIDIA driver" in n for n in notes)
