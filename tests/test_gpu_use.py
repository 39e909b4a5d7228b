"""Which GPUs the kernel uses where PIDs cannot be trusted (containers), and MIG instances."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fakes import FakeGpu, FakeMig, FakeNvml, FakeProcFs

from jupyter_carbon.energy.nvml import NvmlSource

OURS = 4242
HOST_PIDS = (2_000_001, 2_000_002, 2_000_003)  # what NVML reports inside a container


def gpus(n=2, **kw):
    return [FakeGpu(uuid=f"GPU-{i}abc{i}-0000", **kw) for i in range(n)]


def open_source(devices, clock, tree, procfs, visible=None, **kw):
    nvml = FakeNvml(devices, clock)
    return NvmlSource(tree, clock(), nvml=nvml, cuda_visible_devices=visible, env={}, proc_root=procfs.proc, dev_root=procfs.dev, **kw)


def charged(src, clock, seconds=2.0):
    start = {r.domain: r for r in src.read(clock())}
    clock.advance(seconds)
    end = {r.domain: r for r in src.read(clock())}
    return {d: end[d].energy_j - start[d].energy_j for d in end}


def detail(src, domain):
    return next(i.detail for i in src.describe() if i.domain == domain)


@pytest.fixture
def procfs(tmp_path):
    return FakeProcFs(tmp_path, pids=(OURS, 999))


def test_in_a_foreign_pid_namespace_the_gpu_the_kernel_opened_is_charged(clock, tree, procfs):
    devices = gpus(2, power_w=100.0)
    devices[0].processes = [HOST_PIDS[0]]  # the kernel's context, under its host PID
    devices[1].processes = [HOST_PIDS[1]]  # another container's job
    procfs.hold(OURS, "nvidia0")
    src = open_source(devices, clock, tree, procfs)
    got = charged(src, clock)
    assert got["gpu:0"] == pytest.approx(200.0)  # not 0 J
    assert got["gpu:1"] == 0.0
    assert src.foreign_pids
    assert "holds /dev/nvidia0 open; the only context on it" in detail(src, "gpu:0")
    assert "another PID namespace" in detail(src, "gpu:0")
    assert "not used by this kernel" in detail(src, "gpu:1")


def test_a_shared_device_in_a_foreign_namespace_is_split_by_contexts(clock, tree, procfs):
    devices = gpus(1, power_w=300.0, processes=list(HOST_PIDS))
    procfs.hold(OURS, "nvidia0")
    src = open_source(devices, clock, tree, procfs)
    assert charged(src, clock)["gpu:0"] == pytest.approx(600.0 / 3)
    assert "1 of 3 contexts, split evenly" in detail(src, "gpu:0")


def test_children_holding_the_device_count_as_more_contexts(clock, procfs):
    from fakes import FakeTree

    tree = FakeTree(pids=(OURS, 5001))
    devices = gpus(1, power_w=300.0, processes=list(HOST_PIDS))
    procfs.hold(OURS, "nvidia0")
    procfs.hold(5001, "nvidia0")  # a DataLoader worker with its own context
    src = open_source(devices, clock, tree, procfs)
    assert charged(src, clock)["gpu:0"] == pytest.approx(600.0 * 2 / 3)


def test_a_driver_that_lists_no_processes_leaves_the_device_files_to_decide(clock, tree, procfs):
    devices = gpus(2, power_w=100.0)
    procfs.hold(OURS, "nvidia1")
    src = open_source(devices, clock, tree, procfs)
    got = charged(src, clock)
    assert got == {"gpu:0": 0.0, "gpu:1": pytest.approx(200.0)}
    assert "the driver lists no processes" in detail(src, "gpu:1")


def test_a_held_file_alone_does_not_charge_a_gpu_without_our_context(clock, tree, procfs):
    # CUDA opens every visible GPU's file at start; NVML in this namespace says where the
    # kernel's context is: GPU 1 is someone else's, GPU 2 nobody's.
    devices = gpus(3, power_w=100.0)
    devices[0].processes = [OURS]
    devices[1].processes = [999]
    for minor in range(3):
        procfs.hold(OURS, f"nvidia{minor}")
    src = open_source(devices, clock, tree, procfs)
    got = charged(src, clock)
    assert got["gpu:0"] == pytest.approx(200.0)
    assert got["gpu:1"] == 0.0 and got["gpu:2"] == 0.0
    assert not src.foreign_pids
    assert "the driver lists this kernel's processes" in detail(src, "gpu:0")


def test_device_files_are_matched_by_minor_number_not_index(clock, tree, procfs):
    devices = gpus(2, power_w=100.0)
    devices[0].minor, devices[1].minor = 3, 1
    devices[0].processes, devices[1].processes = [HOST_PIDS[0]], [HOST_PIDS[1]]
    procfs.hold(OURS, "nvidia1")
    src = open_source(devices, clock, tree, procfs)
    got = charged(src, clock)
    assert got["gpu:0"] == 0.0 and got["gpu:1"] == pytest.approx(200.0)


def test_attribution_all_still_overrides(clock, tree, procfs):
    devices = gpus(2, power_w=100.0, processes=[HOST_PIDS[0]])
    src = open_source(devices, clock, tree, procfs, attribution="all")
    assert charged(src, clock) == {"gpu:0": pytest.approx(200.0), "gpu:1": pytest.approx(200.0)}
    assert "gpu_attribution = 'all'" in detail(src, "gpu:0")


def test_a_mig_instance_is_charged_its_slices_of_the_parent(clock, tree, procfs):
    devices = gpus(2, power_w=700.0)
    devices[1].migs = [FakeMig("MIG-aaaa-1111", 3, processes=[OURS]), FakeMig("MIG-bbbb-2222", 4, processes=[999])]
    src = open_source(devices, clock, tree, procfs, visible="MIG-aaaa-1111")
    [gpu] = src.gpus
    start = {r.domain: r for r in src.read(clock())}
    clock.advance(1.0)
    end = {r.domain: r for r in src.read(clock())}
    domain = gpu.domain
    assert domain.startswith("gpu:1:MIG-")
    assert end[domain].device_energy_j - start[domain].device_energy_j == pytest.approx(700.0 * 3 / 7)
    assert end[domain].energy_j - start[domain].energy_j == pytest.approx(300.0)
    assert end[domain].method == "measured"
    assert "MIG instance: 3 of 7 slices of GPU 1" in detail(src, domain)
    assert src.sample(clock())[0].device_power_w == pytest.approx(300.0)


def test_a_mig_instance_of_a_power_only_gpu_integrates_its_part(clock, tree, procfs):
    devices = gpus(1, power_w=350.0, has_counter=False, max_mig_devices=7)
    devices[0].migs = [FakeMig("MIG-cccc", 2, processes=[OURS])]
    src = open_source(devices, clock, tree, procfs, visible="MIG-cccc")
    assert list(charged(src, clock).values()) == [pytest.approx(2 * 350.0 * 2 / 7)]


def _unshare_works() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "true"],
            capture_output=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


CHILD = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {tests!r})
    from fakes import FakeClock, FakeGpu, FakeNvml
    from jupyter_carbon.energy.nvml import NvmlSource
    from jupyter_carbon.energy.process import ProcessTree

    dev = {dev!r}
    held = open(os.path.join(dev, "nvidia0"), "rb")  # as CUDA holds /dev/nvidia0
    clock = FakeClock()
    # NVML answers with PIDs of the namespace outside: the test runner's and its parent's.
    devices = [FakeGpu(uuid="GPU-0", power_w=100.0, processes=[{host_a}]),
               FakeGpu(uuid="GPU-1", power_w=100.0, processes=[{host_b}])]
    src = NvmlSource(ProcessTree(), clock(), nvml=FakeNvml(devices, clock), env={{}}, dev_root=dev)
    start = {{r.domain: r.energy_j for r in src.read(clock())}}
    clock.advance(2.0)
    end = {{r.domain: r.energy_j for r in src.read(clock())}}
    print(json.dumps({{"pid": os.getpid(), "charged": {{d: end[d] - start[d] for d in end}},
                      "foreign": src.foreign_pids, "details": [i.detail for i in src.describe()]}}))
    """
)


@pytest.mark.skipif(not _unshare_works(), reason="this machine does not allow unshare --pid --mount-proc")
def test_a_real_kernel_in_its_own_pid_namespace_is_charged_for_the_gpu_it_opened(tmp_path):
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "nvidia0").write_bytes(b"")
    (dev / "nvidia1").write_bytes(b"")
    code = CHILD.format(tests=str(Path(__file__).parent), dev=str(dev), host_a=os.getpid(), host_b=os.getppid())
    out = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["pid"] == 1  # really in a new PID namespace, with its own /proc
    assert got["foreign"]
    assert got["charged"]["gpu:0"] == pytest.approx(200.0)
    assert got["charged"]["gpu:1"] == 0.0
    assert "holds /dev/nvidia0 open" in got["details"][0]


def test_devices_says_which_signal_decided(clock, tree, procfs):
    from jupyter_carbon.inventory import inventory, render
    from jupyter_carbon.meter import Meter

    devices = gpus(2, power_w=100.0)
    devices[0].processes, devices[1].processes = [HOST_PIDS[0]], [HOST_PIDS[1]]
    procfs.hold(OURS, "nvidia0")
    meter = Meter([open_source(devices, clock, tree, procfs)], clock=clock, start=False)
    text = render(inventory(meter))
    assert "holds /dev/nvidia0 open; the only context on it" in text
    assert "the driver's PIDs are another PID namespace's (a container), so open device files decide" in text
    assert "not used by this kernel: costs it nothing" in text


def test_device_files_of_real_processes_are_read_from_the_real_proc(tmp_path):
    from jupyter_carbon.energy.devfiles import DeviceFiles

    dev = tmp_path / "dev"
    (dev / "dri").mkdir(parents=True)
    (dev / "nvidia3").write_bytes(b"")
    (dev / "dri" / "renderD130").write_bytes(b"")
    child = subprocess.Popen(
        [sys.executable, "-c", f"import sys, time; a = open({str(dev / 'nvidia3')!r}); b = open({str(dev / 'dri' / 'renderD130')!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        files = DeviceFiles("/proc", dev)
        assert files.held({os.getpid(), child.pid}) == {"nvidia3": 1, "dri/renderD130": 1}
        assert files.unknown({os.getpid(), child.pid, 2**22 + 12345}) == {2**22 + 12345}
    finally:
        child.kill()
        child.wait()


def test_open_files_are_not_read_where_the_drivers_pids_already_decide():
    from jupyter_carbon.energy import gpu_use

    def never():
        raise AssertionError("device files read")

    signals = gpu_use.TickSignals({OURS}, {"gpu:0": {999}, "gpu:1": set()}, set(), never)
    assert gpu_use.by_device_files(frozenset({"nvidia0"}), {999}, signals) is gpu_use.NOT_USED
    assert gpu_use.by_device_files(frozenset({"nvidia1"}), set(), signals) is gpu_use.NOT_USED


def test_a_container_given_a_mig_instance_meters_that_instance(clock, tree, procfs):
    devices = gpus(1, power_w=700.0)
    devices[0].migs = [FakeMig("MIG-aaaa", 1, processes=[HOST_PIDS[0]]), FakeMig("MIG-bbbb", 6, processes=[HOST_PIDS[1]])]
    procfs.hold(OURS, "nvidia0")
    nvml = FakeNvml(devices, clock)
    src = NvmlSource(tree, clock(), nvml=nvml, env={"NVIDIA_VISIBLE_DEVICES": "MIG-aaaa"}, proc_root=procfs.proc, dev_root=procfs.dev)
    [gpu] = src.gpus
    assert gpu.device.part == pytest.approx(1 / 7)
    assert charged(src, clock) == {gpu.domain: pytest.approx(2 * 100.0)}  # its one slice, the only context in it
    plain = NvmlSource(tree, clock(), nvml=nvml, env={"NVIDIA_VISIBLE_DEVICES": "all"}, proc_root=procfs.proc, dev_root=procfs.dev)
    assert [g.domain for g in plain.gpus] == ["gpu:0"]
    assert "MIG mode is on but no instance is named" in detail(plain, "gpu:0")  # never silently
