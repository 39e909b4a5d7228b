"""AMD GPUs through a fake amdsmi: the accumulator, power-only GPUs, processes, render nodes."""

import logging

import pytest
from fakes import AmdSmiLibraryException, FakeAmdGpu, FakeAmdSmi, FakeProcFs

from jupyter_carbon.energy.amd import AmdSource, visible_amd
from jupyter_carbon.energy.base import INTEGRATED, MEASURED, SourceUnavailable

OURS = 4242


def gpus(n=2, **kw):
    return [FakeAmdGpu(uuid=f"{i}a1ff74a1-0000", render_minor=128 + i, **kw) for i in range(n)]


@pytest.fixture
def procfs(tmp_path):
    return FakeProcFs(tmp_path, pids=(OURS, 999))


def open_source(smi, clock, tree, procfs, visible=None, **kw):
    return AmdSource(tree, clock(), amdsmi=smi, visible=visible, env={}, proc_root=procfs.proc, dev_root=procfs.dev, **kw)


def charged(src, clock, seconds=2.0):
    start = {r.domain: r for r in src.read(clock())}
    clock.advance(seconds)
    end = {r.domain: r for r in src.read(clock())}
    return {d: (end[d].energy_j - start[d].energy_j, end[d].device_energy_j - start[d].device_energy_j, end[d].method) for d in end}


@pytest.mark.parametrize("old_api", [False, True])
def test_the_energy_accumulator_is_measured_and_only_our_gpu_charged(clock, tree, procfs, old_api):
    devices = gpus(2, power_w=500.0, old_api=old_api)
    devices[0].processes = [OURS]
    devices[1].processes = [999]
    src = open_source(FakeAmdSmi(devices, clock), clock, tree, procfs)
    got = charged(src, clock)
    assert got["gpu:0"] == (pytest.approx(1000.0, rel=1e-6), pytest.approx(1000.0, rel=1e-6), MEASURED)
    assert got["gpu:1"][0] == 0.0 and got["gpu:1"][1] == pytest.approx(1000.0, rel=1e-6)
    assert [i.name for i in src.describe()][0].startswith("AMD Instinct MI300X")


def test_a_gpu_without_the_accumulator_integrates_socket_power(clock, tree, procfs):
    devices = gpus(1, has_counter=False, power_w=300.0, processes=[OURS])
    smi = FakeAmdSmi(devices, clock)
    src = open_source(smi, clock, tree, procfs)
    start = src.read(clock())[0]
    for watts in (300.0, 120.0):
        devices[0].power_w = watts
        src.sample(clock())
        clock.advance(1.0)
    end = src.read(clock())[0]
    assert end.method == INTEGRATED
    assert end.energy_j - start.energy_j == pytest.approx(420.0)


def test_a_shared_gpu_is_split_by_graphics_engine_time(clock, tree, procfs):
    devices = gpus(1, power_w=300.0, processes=[OURS, 999], gfx_busy={OURS: 0.6, 999: 0.2})
    src = open_source(FakeAmdSmi(devices, clock), clock, tree, procfs)  # first look: even split
    start = src.read(clock())[0]
    clock.advance(1.0)
    src.sample(clock())  # 0.6 s of 0.8 s of engine time was ours
    clock.advance(2.0)
    end = src.read(clock())[0]
    assert end.energy_j - start.energy_j == pytest.approx(300.0 * 0.5 + 600.0 * 0.75, rel=1e-6)


def test_a_shared_gpu_without_engine_time_is_split_evenly(clock, tree, procfs):
    devices = gpus(1, power_w=300.0, processes=[OURS, 999], old_api=True)
    src = open_source(FakeAmdSmi(devices, clock), clock, tree, procfs)
    src.sample(clock())
    assert charged(src, clock)["gpu:0"][0] == pytest.approx(300.0, rel=1e-6)


@pytest.mark.parametrize("old_api", [False, True])
def test_in_a_container_the_render_node_decides(clock, tree, procfs, tmp_path, old_api):
    devices = gpus(2, power_w=200.0, old_api=old_api)
    devices[0].processes = [3_000_001]  # host PIDs
    devices[1].processes = [3_000_002]
    procfs.hold(OURS, "kfd")  # every ROCm process holds it: it says nothing of which GPU
    procfs.hold(OURS, "dri/renderD129")
    sysfs = tmp_path / "sys"
    for i in range(2):  # amdsmi before 6.4 has no enumeration info: sysfs by PCI address
        (sysfs / "bus/pci/devices" / f"0000:{0x23 + i:02x}:00.0" / "drm" / f"renderD{128 + i}").mkdir(parents=True)
    src = open_source(FakeAmdSmi(devices, clock), clock, tree, procfs, sys_root=sysfs)
    got = charged(src, clock)
    assert got["gpu:0"][0] == 0.0
    assert got["gpu:1"][0] == pytest.approx(400.0, rel=1e-6)
    assert "holds /dev/dri/renderD129 open" in next(i.detail for i in src.describe() if i.domain == "gpu:1")


def test_a_transient_error_is_retried_and_a_lasting_one_drops_the_gpu(clock, tree, procfs, caplog):
    devices = gpus(1, power_w=100.0, processes=[OURS])
    smi = FakeAmdSmi(devices, clock)
    src = open_source(smi, clock, tree, procfs, drop_after_s=2.0)
    start = src.read(clock())[0]
    smi.fail["amdsmi_get_energy_count"] = AmdSmiLibraryException(7)  # AMDSMI_STATUS_BUSY, once
    clock.advance(1.0)
    src.read(clock())
    clock.advance(1.0)
    src.sample(clock())
    assert src.read(clock())[0].energy_j - start.energy_j == pytest.approx(200.0, rel=1e-6)
    devices[0].lost = True
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        for _ in range(4):
            clock.advance(1.0)
            src.sample(clock())
    assert src.gpus[0].lost and len(caplog.records) == 1
    assert src.read(clock())[0].energy_j - start.energy_j == pytest.approx(200.0, rel=1e-6)


def test_visible_devices():
    uuids = ["aaaa-1", "bbbb-2", "cccc-3"]
    assert visible_amd(uuids, None) == [0, 1, 2]
    assert visible_amd(uuids, "2,0") == [2, 0]
    assert visible_amd(uuids, "1,9,2") == [1]
    assert visible_amd(uuids, "GPU-bbbb") == [1]
    assert visible_amd(uuids, "") == []


def test_unavailable_library_and_no_gpu_say_why(clock, tree, procfs):
    with pytest.raises(SourceUnavailable, match="AMD SMI is not available"):
        open_source(FakeAmdSmi(gpus(1), clock, available=False), clock, tree, procfs)
    smi = FakeAmdSmi(gpus(1), clock)
    with pytest.raises(SourceUnavailable, match="no AMD GPU"):
        open_source(smi, clock, tree, procfs, visible="")
    assert smi.initialised == 0


def test_amdsmi_is_never_imported_when_absent(clock, tree, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "amdsmi", None)  # import amdsmi raises ImportError
    with pytest.raises(SourceUnavailable, match="not installed"):
        AmdSource(tree, clock(), env={})


def test_discovery_opens_amd_gpus_when_amdsmi_is_installed(clock, tree, monkeypatch):
    import sys

    from jupyter_carbon.config import CarbonMeter
    from jupyter_carbon.energy.sources import discover_sources

    monkeypatch.setitem(sys.modules, "amdsmi", FakeAmdSmi(gpus(1, processes=[OURS]), clock))
    sources, notes = discover_sources(CarbonMeter(enable_nvml=False, enable_rapl=False), now=clock(), tree=tree)
    assert [s.name for s in sources] == ["amdsmi", "model"]
    assert sources[0].describe()[0].method == MEASURED
    for s in sources:
        s.close()
