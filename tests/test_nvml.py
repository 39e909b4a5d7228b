"""NVIDIA GPUs through a fake pynvml: counters, power-only GPUs, visibility, sharing, errors."""

import logging

import pytest
from fakes import FakeGpu, FakeMig, FakeNvml, FakeProcFs, NVMLError

from jupyter_carbon.energy.base import INTEGRATED, MEASURED, SourceUnavailable
from jupyter_carbon.energy.nvml import NvmlSource, visible_indices

OURS = 4242


def gpus(n=2, **kw):
    return [FakeGpu(uuid=f"GPU-{i}abc{i}-0000", **kw) for i in range(n)]


def open_source(nvml, clock, tree, visible=None, *, procfs, **kw):
    return NvmlSource(tree, clock(), nvml=nvml, cuda_visible_devices=visible, env={}, proc_root=procfs.proc, dev_root=procfs.dev, **kw)


@pytest.fixture
def procfs(tmp_path):
    """This PID namespace: the kernel, its children and the other jobs the tests name."""
    return FakeProcFs(tmp_path, pids=(OURS, 5001, 5002, 999, 777, 778))


def energy(src, clock):
    return {r.domain: r for r in src.read(clock())}


def test_energy_counter_gpu_is_measured_exactly(clock, tree, procfs):
    devices = gpus(1, power_w=250.0, processes=[OURS])
    nvml = FakeNvml(devices, clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(4.0)
    devices[0].power_w = 400.0
    clock.advance(1.0)
    end = energy(src, clock)["gpu:0"]
    assert end.method == MEASURED
    assert end.device_energy_j - start.device_energy_j == pytest.approx(1400.0)
    assert end.energy_j - start.energy_j == pytest.approx(1400.0)


def test_power_only_gpu_is_integrated_by_the_sampler(clock, tree, procfs):
    devices = gpus(1, has_counter=False, power_w=120.0, processes=[OURS])
    nvml = FakeNvml(devices, clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    truth = 0.0
    for watts in (120.0, 300.0, 300.0, 80.0, 250.0):
        devices[0].power_w = watts
        src.sample(clock())  # the sampler reads the new power at the tick
        clock.advance(0.5)
        truth += watts * 0.5
    end = energy(src, clock)["gpu:0"]
    assert end.method == INTEGRATED
    assert end.energy_j - start.energy_j == pytest.approx(truth)


def test_only_gpus_with_a_context_of_ours_are_charged(clock, tree, procfs):
    devices = gpus(2, power_w=200.0)
    devices[0].processes = [OURS]
    devices[1].processes = [999]  # someone else's job
    nvml = FakeNvml(devices, clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    start = energy(src, clock)
    clock.advance(10.0)
    end = energy(src, clock)
    assert end["gpu:0"].energy_j - start["gpu:0"].energy_j == pytest.approx(2000.0)
    assert end["gpu:1"].energy_j - start["gpu:1"].energy_j == 0.0
    assert end["gpu:1"].device_energy_j - start["gpu:1"].device_energy_j == pytest.approx(2000.0)
    assert tree.rescans >= 1  # an unknown PID may be a new child: the tree is walked again


def test_a_context_opened_later_starts_charging_at_the_next_tick(clock, tree, procfs):
    devices = gpus(1, power_w=100.0)
    src = open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(5.0)
    devices[0].processes = [OURS]  # the notebook imports torch and touches the GPU
    src.sample(clock())
    clock.advance(5.0)
    assert energy(src, clock)["gpu:0"].energy_j - start.energy_j == pytest.approx(500.0)


def test_children_contexts_count_as_ours(clock, procfs):
    from fakes import FakeTree

    tree = FakeTree(pids=(OURS, 5001, 5002))
    devices = gpus(1, power_w=100.0, processes=[5002])
    src = open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(1.0)
    assert energy(src, clock)["gpu:0"].energy_j - start.energy_j == pytest.approx(100.0)


def test_shared_gpu_is_split_by_sm_utilisation(clock, tree, procfs):
    devices = gpus(1, power_w=300.0, processes=[OURS, 777])
    devices[0].sm_util = {OURS: 60, 777: 20}
    src = open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(2.0)
    end = energy(src, clock)["gpu:0"]
    assert end.energy_j - start.energy_j == pytest.approx(0.75 * 600.0)
    assert end.device_energy_j - start.device_energy_j == pytest.approx(600.0)


@pytest.mark.parametrize("supported", [True, False])
def test_shared_gpu_without_samples_is_split_evenly(clock, tree, supported, procfs):
    devices = gpus(1, power_w=300.0, processes=[OURS, 777, 778], util_supported=supported)
    src = open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(3.0)
    assert energy(src, clock)["gpu:0"].energy_j - start.energy_j == pytest.approx(300.0)


def test_attribution_all_charges_every_visible_gpu(clock, tree, procfs):
    devices = gpus(2, power_w=50.0, processes=[1, 2])  # host PIDs, as inside a container
    src = open_source(FakeNvml(devices, clock), clock, tree, attribution="all", procfs=procfs)
    start = energy(src, clock)
    clock.advance(2.0)
    end = energy(src, clock)
    assert sum(end[d].energy_j - start[d].energy_j for d in end) == pytest.approx(200.0)


@pytest.mark.parametrize(
    "visible, expected",
    [
        (None, [0, 1, 2, 3]),
        ("", []),
        ("2", [2]),
        ("3,1", [3, 1]),
        ("1,7,2", [1]),  # CUDA stops at the first invalid entry
        ("GPU-2abc2", [2]),  # UUID prefix
        ("GPU-0abc0-0000,GPU-3", [0, 3]),
        ("GPU-", []),  # ambiguous prefix
        ("MIG-1234", []),  # no such MIG instance
        ("MIG-aaaa,1", ["MIG-aaaa", 1]),
        ("0,0", [0]),
    ],
)
def test_cuda_visible_devices(clock, visible, expected):
    devices = gpus(4)
    devices[2].migs = [FakeMig("MIG-aaaa", 3)]
    nvml = FakeNvml(devices, clock)
    assert visible_indices(nvml, 4, visible) == expected


def test_cuda_visible_devices_selects_domains(clock, tree, procfs):
    devices = gpus(3, processes=[OURS])
    src = open_source(FakeNvml(devices, clock), clock, tree, visible="2,0", procfs=procfs)
    assert sorted(energy(src, clock)) == ["gpu:0", "gpu:2"]


def test_no_visible_gpu_is_unavailable(clock, tree, procfs):
    nvml = FakeNvml(gpus(2), clock)
    with pytest.raises(SourceUnavailable, match="no NVIDIA GPU"):
        open_source(nvml, clock, tree, visible="", procfs=procfs)
    assert nvml.initialised == 0  # NVML shut down again


def test_missing_library_is_unavailable(clock, tree, procfs):
    with pytest.raises(SourceUnavailable, match="NVML is not available"):
        open_source(FakeNvml(gpus(1), clock, available=False), clock, tree, procfs=procfs)


def test_a_lost_gpu_is_dropped_after_lasting_failures_and_the_others_go_on(clock, tree, caplog, procfs):
    devices = gpus(2, power_w=100.0, processes=[OURS])
    src = open_source(FakeNvml(devices, clock), clock, tree, drop_after_s=5.0, procfs=procfs)
    start = energy(src, clock)
    clock.advance(1.0)
    src.sample(clock())  # the sampler's reading is the last good one
    good = energy(src, clock)["gpu:1"].energy_j
    devices[1].lost = True
    clock.advance(0.5)  # energy the lost GPU drew after its last good reading cannot be known
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        for _ in range(8):
            clock.advance(1.0)
            src.sample(clock())
            after = energy(src, clock)
    warnings = [r.getMessage() for r in caplog.records if "GPU 1" in r.getMessage()]
    assert len(warnings) == 1 and "failed reads over" in warnings[0] and "kept" in warnings[0]
    assert after["gpu:0"].energy_j - start["gpu:0"].energy_j == pytest.approx(950.0)
    assert after["gpu:1"].energy_j == pytest.approx(good)
    assert src.gpus[1].lost is not None
    assert "stopped after" in next(i.detail for i in src.describe() if i.domain == "gpu:1")


def test_a_transient_error_is_retried_and_loses_nothing(clock, tree, caplog, procfs):
    devices = gpus(2, power_w=100.0, processes=[OURS])
    nvml = FakeNvml(devices, clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    start = energy(src, clock)
    nvml.fail["nvmlDeviceGetTotalEnergyConsumption"] = NVMLError(999)
    clock.advance(1.0)
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        mid = energy(src, clock)  # the first GPU's read raises: its last reading stands
        clock.advance(1.0)
        src.sample(clock())
        end = energy(src, clock)
    assert mid["gpu:0"].energy_j == start["gpu:0"].energy_j
    for d in ("gpu:0", "gpu:1"):
        assert end[d].energy_j - start[d].energy_j == pytest.approx(200.0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(g.lost is None for g in src.gpus)
    assert "1 failed reads retried" in next(i.detail for i in src.describe() if i.domain == "gpu:0")


def test_a_power_only_gpu_keeps_integrating_through_a_failed_power_read(clock, tree, procfs):
    devices = gpus(1, has_counter=False, power_w=200.0, processes=[OURS])
    nvml = FakeNvml(devices, clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(1.0)
    nvml.fail["nvmlDeviceGetPowerUsage"] = NVMLError(999)
    src.sample(clock())  # fails: the last power holds
    clock.advance(1.0)
    src.sample(clock())
    clock.advance(1.0)
    assert energy(src, clock)["gpu:0"].energy_j - start.energy_j == pytest.approx(600.0)


def test_gpu_reset_zeroing_the_counter_is_not_negative(clock, tree, procfs):
    devices = gpus(1, power_w=100.0, processes=[OURS])
    src = open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)
    start = energy(src, clock)["gpu:0"]
    clock.advance(1.0)
    energy(src, clock)
    devices[0].energy_mj = 0.0  # driver reset
    clock.advance(1.0)
    end = energy(src, clock)["gpu:0"]
    assert end.energy_j - start.energy_j == pytest.approx(100.0)  # the step across the reset is lost, no more


def test_close_shuts_nvml_down(clock, tree, procfs):
    nvml = FakeNvml(gpus(1, processes=[OURS]), clock)
    src = open_source(nvml, clock, tree, procfs=procfs)
    assert nvml.initialised == 1
    src.close()
    src.close()
    assert nvml.initialised == 0


def test_a_cell_shorter_than_the_counter_update_is_below_resolution_not_zero(clock, tree, procfs):
    from jupyter_carbon.meter import Meter
    from jupyter_carbon.text import cell_line

    devices = gpus(1, power_w=300.0, processes=[OURS])
    meter = Meter([open_source(FakeNvml(devices, clock), clock, tree, procfs=procfs)], clock=clock, start=False)
    with_counter = meter.measure()
    clock.advance(0.03)  # 30 ms: NVML's counter may not have moved
    short = with_counter.close()
    assert short.below_resolution == ("gpu",)
    assert short.to_dict()["below_resolution"] == ["gpu"]
    record = {
        "energy_j": 0.0, "by_component": {"gpu": 0.0}, "method": {"gpu": "measured"}, "duration_s": 0.03,
        "status": "ok", "emissions_g": None, "below_resolution": list(short.below_resolution),
    }
    assert "gpu below the counter's resolution" in cell_line(record)
    with_counter = meter.measure()
    clock.advance(0.5)
    long = with_counter.close()
    assert long.below_resolution == () and long.by_component["gpu"] == pytest.approx(150.0)
    from fakes import run_cell

    from jupyter_carbon.session import Session

    session = Session(meter, persist=False)
    assert run_cell(session, clock, 0.03).below_resolution == ["gpu"]
    assert run_cell(session, clock, 2.0).below_resolution == []
