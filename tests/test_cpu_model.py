"""Watts per busy logical CPU for the estimate: from the physical part, on bare metal and in VMs."""

import json
import os
import subprocess
import sys
import time

import pytest
from fakes import FakeSystem, FakeTree, fake_topology

from jupyter_carbon import hardware
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.energy.model import CpuModel, ModelSource
from jupyter_carbon.energy.topology import CpuTopology
from jupyter_carbon.meter import Meter, measure


class FakePsutil:
    def __init__(self, logical: int, cores: int):
        self.logical, self.cores = logical, cores

    def cpu_count(self, logical=True):
        return self.logical if logical else self.cores


def cpuinfo(tmp_path, brand: str, sockets: int, per_socket: int, hypervisor: bool):
    flags = "fpu sse2 ht" + (" hypervisor" if hypervisor else "")
    blocks = [
        f"processor\t: {i}\nmodel name\t: {brand}\nphysical id\t: {i // per_socket}\nflags\t\t: {flags}\n"
        for i in range(sockets * per_socket)
    ]
    path = tmp_path / "cpuinfo"
    path.write_text("\n".join(blocks))
    return path


def test_topology_reads_brand_sockets_smt_and_hypervisor(tmp_path, powercap):
    path = cpuinfo(tmp_path, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 2, 40, hypervisor=False)
    t = CpuTopology.read(path, tmp_path / "no-powercap", FakePsutil(80, 40))
    assert (t.brand, t.logical_cpus, t.sockets, t.threads_per_core, t.virtual) == (
        "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 80, 2, 2, False,
    )
    vm = CpuTopology.read(cpuinfo(tmp_path, "AMD EPYC", 1, 2, hypervisor=True), tmp_path / "none", FakePsutil(2, 1))
    assert (vm.brand, vm.sockets, vm.threads_per_core, vm.virtual) == ("AMD EPYC", 1, 2, True)


def test_two_sockets_known_model_is_tdp_times_two_over_logical_cpus(tmp_path, powercap):
    # Two package zones in the powercap tree (readable or not, they count the sockets).
    powercap.add_zone("intel-rapl:0", "package-0")
    powercap.add_zone("intel-rapl:1", "package-1")
    path = cpuinfo(tmp_path, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 1, 80, hypervisor=False)
    t = CpuTopology.read(path, powercap.root, FakePsutil(80, 40))
    assert t.sockets == 2
    m = CpuModel(t)
    assert m.tdp_w == 150.0
    assert m.w_per_cpu_second == pytest.approx(150.0 * 2 / 80)
    assert m.figures()["sockets"] == 2 and m.figures()["virtual_machine"] is False


def test_in_a_vm_the_package_threads_come_from_the_table_not_the_vcpus():
    vm = fake_topology("AMD EPYC", 2, threads_per_core=2, virtual=True)
    m = CpuModel(vm, model="Xeon Platinum 8259CL")
    assert m.w_per_cpu_second == pytest.approx(210.0 / 48)  # not 210 / 2
    f = m.figures()
    assert (f["tdp_w"], f["package_logical_cpus"], f["logical_cpus"], f["virtual_machine"]) == (210.0, 48, 2, True)
    assert f["model_origin"] == "configured (CarbonMeter.cpu_model)"
    assert "VM" in m.basis and "48" in m.basis


def test_in_a_vm_cores_without_threads_use_the_smt_the_vm_shows():
    row = hardware.lookup("cpu", "Core i7-10700")
    assert row.cores == 8 and row.threads is None  # the Core family has no single SMT rule
    m = CpuModel(fake_topology("Intel Core i7-10700", 4, threads_per_core=2, virtual=True))
    assert m.w_per_cpu_second == pytest.approx(row.tdp_w / 16)


def test_bare_metal_divides_by_what_it_sees_and_tdp_override_is_per_package():
    m = CpuModel(fake_topology("Mystery CPU", 4, sockets=2), tdp_w=120.0)
    assert m.w_per_cpu_second == pytest.approx(120.0 * 2 / 4)
    assert "configured (CarbonMeter.cpu_tdp_w)" in m.basis


def test_unknown_cpu_is_the_per_core_default_shared_by_threads_and_says_how_to_fix():
    smt = CpuModel(fake_topology("AMD EPYC", 2, threads_per_core=2, virtual=True))
    assert smt.w_per_cpu_second == pytest.approx(hardware.DEFAULT_CPU_W_PER_CORE / 2)
    assert "was not found in the hardware table" in smt.basis and "c.CarbonMeter.cpu_model" in smt.advice
    no_smt = CpuModel(fake_topology("AMD EPYC", 2, threads_per_core=1))
    assert no_smt.w_per_cpu_second == pytest.approx(hardware.DEFAULT_CPU_W_PER_CORE)


def test_in_a_vm_a_model_without_core_count_falls_back_and_says_why():
    row = hardware.lookup("cpu", "Xeon Platinum 8160")
    assert row is not None and row.cores is None
    m = CpuModel(fake_topology("Intel(R) Xeon(R) Platinum 8160 CPU", 2, threads_per_core=2, virtual=True))
    # Not the 12 W-per-core default any more: the part is a Skylake, whose SPECpower
    # figure per thread applies without knowing the package's size.
    assert m.method == "specpower" and m.arch.name == "Skylake"
    assert m.w_per_cpu_second == pytest.approx(m.arch.w_max) and "Platinum 8160" in m.basis
    bare = CpuModel(fake_topology("Mystery Xeon 12345", 2, threads_per_core=2, virtual=True), tdp_w=100.0)
    assert bare.w_per_cpu_second == pytest.approx(100.0 / 2) and "package size is unknown" in bare.basis


def test_model_source_charges_the_derived_watts_per_cpu_second(clock):
    tree, system = FakeTree(), FakeSystem(logical_cpus=2)
    vm = fake_topology("AMD EPYC", 2, threads_per_core=2, virtual=True)
    src = ModelSource(tree, clock(), memory=False, system=system, topology=vm, cpu_model="Xeon Platinum 8259CL")
    meter = Meter([src], clock=clock, start=False)
    a = meter.snapshot()
    tree.cpu += 1.0  # one busy second
    clock.advance(1.0)
    cpu_j = meter.snapshot().readings["cpu:model"].energy_j - a.readings["cpu:model"].energy_j
    assert cpu_j == pytest.approx(210.0 / 48)
    [info] = src.describe()
    assert info.name == "Xeon Platinum 8259CL" and info.figures["w_per_logical_cpu"] == pytest.approx(4.375)


def _profile(tmp_path, **settings):
    folder = tmp_path / "ipython" / "profile_default"
    folder.mkdir(parents=True)
    (folder / "ipython_config.json").write_text(json.dumps({"CarbonMeter": settings}))
    return {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}


def test_devices_json_shows_the_per_cpu_watts_of_the_configured_model(tmp_path):
    env = _profile(tmp_path, cpu_model="Xeon Platinum 8259CL", enable_rapl=False, enable_nvml=False)
    out = subprocess.run([sys.executable, "-m", "jupyter_carbon.cli", "devices", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    [cpu] = [d for d in json.loads(out.stdout)["devices"] if d["domain"] == "cpu:model"]
    f = cpu["figures"]
    assert f["model"] == "Xeon Platinum 8259CL" and f["tdp_w"] == 210.0
    if f["virtual_machine"]:
        assert f["w_per_logical_cpu"] == pytest.approx(210.0 / 48)  # this machine: a 2-vCPU VM
    else:
        assert f["w_per_logical_cpu"] == pytest.approx(210.0 * f["sockets"] / f["logical_cpus"])
    text = subprocess.run([sys.executable, "-m", "jupyter_carbon.cli", "devices"], env=env, capture_output=True, text=True, timeout=60)
    assert f"{f['w_per_logical_cpu']:.3g} W per busy logical CPU" in text.stdout


def test_a_busy_second_costs_the_per_cpu_watts_on_this_machine():
    meter = Meter(config=CarbonMeter(cpu_model="Xeon Platinum 8259CL", enable_rapl=False, enable_nvml=False), start=False)
    try:
        w = meter.describe()[0].figures["w_per_logical_cpu"]
        with measure(meter) as m:
            deadline = time.process_time() + 0.5
            while time.process_time() < deadline:
                pass
        assert m.by_component["cpu"] == pytest.approx(0.5 * w, rel=0.2)
    finally:
        meter.close()


def test_measure_in_a_script_reads_the_profile_as_a_kernel_does(tmp_path):
    # The configured part must set the watts per CPU-second of measure() too (it was
    # ignored: 12 W per core charged where `jupyter carbon devices` said the part's figure).
    env = _profile(tmp_path, cpu_model="Xeon Platinum 8259CL", enable_rapl=False, enable_nvml=False)
    code = (
        "import json, jupyter_carbon\n"
        "with jupyter_carbon.measure() as m:\n"
        "    pass\n"
        "meter = jupyter_carbon.default_meter()\n"
        "[cpu] = [d for d in meter.describe() if d.domain == 'cpu:model']\n"
        "print(json.dumps(cpu.figures))\n"
        "meter.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    f = json.loads(out.stdout)
    assert f["model"] == "Xeon Platinum 8259CL" and f["model_origin"] == "configured (CarbonMeter.cpu_model)"
    assert f["tdp_w"] == 210.0
