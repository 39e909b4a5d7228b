"""Apple Silicon through zeus-apple-silicon, against a fake of its API (AppleEnergyMonitor,
``get_cumulative_energy()`` -> AppleEnergyMetrics with cumulative millijoules, None where the
chip reports nothing). No Mac has run this; the fake mirrors the library's bindings."""

import types

import pytest
from fakes import FakeClock, FakeSystem, FakeTree

from jupyter_carbon.energy.apple import AppleSource
from jupyter_carbon.energy.base import SourceUnavailable
from jupyter_carbon.meter import Meter


class Metrics:
    def __init__(self, cpu=None, dram=None, gpu=None, gpu_sram=None, ane=None):
        self.cpu_total_mj, self.dram_mj, self.gpu_mj, self.gpu_sram_mj, self.ane_mj = cpu, dram, gpu, gpu_sram, ane
        self.efficiency_cores_mj = self.performance_cores_mj = None


def fake_module(state: dict, fail: Exception | None = None):
    class AppleEnergyMonitor:
        def __init__(self):
            if fail:
                raise fail

        def get_cumulative_energy(self):
            return Metrics(**state)

    return types.SimpleNamespace(AppleEnergyMonitor=AppleEnergyMonitor)


def test_counters_are_charged_by_the_trees_share_of_cpu_capacity():
    clock, tree, system = FakeClock(), FakeTree(cpu_seconds=0.0), FakeSystem(logical_cpus=10)
    state = {"cpu": 1_000_000, "dram": 50_000, "gpu": 7_000, "ane": None}
    src = AppleSource(tree, clock(), system=system, module=fake_module(state))
    meter = Meter([src], clock=clock, start=False)
    start = meter.snapshot()
    clock.advance(1.0)
    tree.cpu += 5.0  # five of ten CPUs busy for the second: half the capacity
    state.update(cpu=1_020_000, dram=51_000, gpu=9_000)  # 20 J CPU, 1 J DRAM, 2 J GPU
    meter.tick()
    clock.advance(1.0)
    tree.cpu += 5.0
    state.update(cpu=1_040_000, dram=52_000, gpu=11_000)
    m = __import__("jupyter_carbon.measurement", fromlist=["Measurement"]).Measurement.between(start, meter.snapshot())
    assert m.method == {"gpu": "measured", "cpu": "measured", "memory": "measured"}
    assert m.device_by_component == {"gpu": pytest.approx(4.0), "cpu": pytest.approx(40.0), "memory": pytest.approx(2.0)}
    # The first second at the opening share (1.0), the second at the measured 0.5.
    assert m.by_component["cpu"] == pytest.approx(20.0 + 10.0)
    assert m.bounds_by_component["cpu"] == [pytest.approx(30.0 * 0.95), pytest.approx(30.0 * 1.05)]
    [cpu] = [d for d in src.describe() if d.component == "cpu"]
    assert "IOReport" in cpu.detail and cpu.method == "measured"


def test_an_older_release_names_the_cpu_counter_cpu_mj():
    module = fake_module({})
    module.AppleEnergyMonitor.get_cumulative_energy = lambda self: types.SimpleNamespace(cpu_mj=5000, dram_mj=None, gpu_mj=None)
    src = AppleSource(FakeTree(), 0.0, system=FakeSystem(4), module=module)
    assert [c.domain for c in src.channels] == ["cpu:apple"]


def test_no_counters_is_a_clear_reason_not_a_source():
    with pytest.raises(SourceUnavailable, match="IOReport energy counters unavailable"):
        AppleSource(FakeTree(), 0.0, module=fake_module({}, fail=RuntimeError("no subscription")))
    with pytest.raises(SourceUnavailable, match="no CPU, DRAM or GPU energy channel"):
        AppleSource(FakeTree(), 0.0, module=fake_module({}))
