"""Embodied emissions: the hardware's manufacturing, spread over its lifetime, charged to cells."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fakes import FakeGpu, FakeNvml, FakeTree, run_cell

from jupyter_carbon.carbon.context import CarbonContext
from jupyter_carbon.carbon.embodied import HOURS_PER_YEAR, EmbodiedModel, amortised, gpu_part
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.energy.base import MEASURED, DeviceInfo, DomainPower, DomainReading
from jupyter_carbon.energy.nvml import NvmlSource
from jupyter_carbon.meter import Meter
from jupyter_carbon.records import CellRecord
from jupyter_carbon.session import Session

SOURCES = Path(__file__).resolve().parent.parent / "data-sources"
OURS = 4242


def impacts() -> dict[str, float]:
    """Green Algorithms' constants, read from the raw file (not from our derived table)."""
    with open(SOURCES / "greenalgorithms-hardware_impacts.csv", encoding="utf-8", newline="") as f:
        return {row["variable"]: float(row["value"]) for row in csv.DictReader(f) if row["variable"].endswith(("_gwp", "density"))}


class Cpu:
    """A CPU package the kernel has to itself, drawing a steady 50 W."""

    name = "cpu"

    def __init__(self, clock):
        self.clock, self.t0 = clock, clock()

    def read(self, now):
        j = 50.0 * (now - self.t0)
        return [DomainReading("cpu:package-0", "cpu", MEASURED, j, j)]

    def sample(self, now):
        return [DomainPower("cpu:package-0", "cpu", 50.0, 50.0)]

    def describe(self):
        return [DeviceInfo("cpu:package-0", "cpu", "Test CPU 9000", MEASURED)]

    def close(self):
        pass


@pytest.fixture
def machine(tmp_path, clock):
    """One A100 SXM4 80 GB that the kernel holds, one CPU package, no memory domain."""
    gpu = FakeGpu(name="NVIDIA A100-SXM4-80GB", power_w=300.0, processes=[OURS])
    meter = Meter([NvmlSource(FakeTree(), clock(), nvml=FakeNvml([gpu], clock), env={}), Cpu(clock)], clock=clock, start=False)
    carbon = CarbonContext(CarbonMeter(region="FR"), env={}, timezone="")
    session = Session(meter, carbon, ledger_dir=tmp_path, hardware_lifetime_years=5.0)
    yield session
    session.close()
    carbon.close()


def test_a_one_hour_cell_is_charged_the_gpus_manufacturing_over_its_lifetime(machine, clock):
    h = impacts()
    # Green Algorithms v3: die area × die impact + the card's base impact + memory by area; the
    # A100 SXM4 80 GB's die is 8.26 cm² with 80 GB (Draft_LCA_TDP_gpu.csv).
    gpu_g = 8.26 * h["gpu_die_impact_gwp"] + h["gpu_base_impact_gwp"] + 80 / h["ram_density"] * h["ram_die_impact_gwp"]
    cpu_g = 11 * h["cpu_die_impact_gwp"] + h["cpu_base_impact_gwp"]  # the source's default die, 11 cm²
    lifetime_h = 5 * 365.25 * 24
    record = run_cell(machine, clock, 3600.0)
    embodied = record.embodied
    assert embodied["by_component"]["gpu"] == pytest.approx(gpu_g * 1 / lifetime_h, rel=1e-3)
    assert embodied["by_component"]["cpu"] == pytest.approx(cpu_g * 1 / lifetime_h, rel=1e-3)
    assert embodied["emissions_g"] == pytest.approx((gpu_g + cpu_g) / lifetime_h, rel=1e-3)
    assert embodied["low_g"] < embodied["emissions_g"] < embodied["high_g"]
    assert embodied["parts"]["gpu:0"] == "NVIDIA A100 SXM4 80 GB" and embodied["lifetime_years"] == 5.0
    assert "Green Algorithms" in embodied["source"] and embodied["year"] >= 2025
    assert machine.totals.embodied_g == pytest.approx(embodied["emissions_g"])
    # a named part apart: the cell's operational emissions do not include it
    assert record.emissions_g == pytest.approx(record.facility_energy_j / 3.6e6 * record.intensity["g_per_kwh"])


def test_a_gpu_the_kernel_does_not_hold_costs_it_nothing(tmp_path, clock):
    gpu = FakeGpu(name="NVIDIA A100-SXM4-80GB", power_w=300.0, processes=[999])  # another process's
    meter = Meter([NvmlSource(FakeTree(), clock(), nvml=FakeNvml([gpu], clock), env={}), Cpu(clock)], clock=clock, start=False)
    session = Session(meter, None, ledger_dir=tmp_path)
    record = run_cell(session, clock, 60.0)
    session.close()
    assert set(record.embodied["by_component"]) == {"cpu"}


def test_the_lifetime_setting_scales_the_charge_and_a_wrong_one_says_what_is_right(machine, clock):
    machine.hardware_lifetime_years = 2.5
    record = run_cell(machine, clock, 3600.0)
    five = EmbodiedModel.from_devices(machine.meter.describe(), lifetime_years=5.0, memory_gb=0)
    assert record.embodied["emissions_g"] == pytest.approx(2 * five.charge(record_domains(machine, clock), 3600.0)["emissions_g"], rel=1e-3)
    with pytest.raises(ValueError, match="hardware_lifetime_years must be a number of years above 0"):
        EmbodiedModel({}, 0)
    with pytest.raises(Exception, match="hardware_lifetime_years"):
        CarbonMeter(hardware_lifetime_years=-1)


def record_domains(session, clock):
    from jupyter_carbon.measurement import Measurement

    start = session.meter.snapshot(fresh=True)
    clock.advance(3600.0)
    return Measurement.between(start, session.meter.snapshot(fresh=True)).domains


def test_gpu_names_find_their_row_or_say_they_stand_in():
    assert gpu_part("NVIDIA A100-SXM4-80GB (GPU-1234)").name == "NVIDIA A100 SXM4 80 GB"
    assert gpu_part("Tesla V100-SXM2-16GB").exact
    near = gpu_part("NVIDIA H100 80GB HBM3")  # the SXM part: the table has only the PCIe card
    assert near.name == "NVIDIA H100 PCIe" and not near.exact
    assert not gpu_part("Intel Arc A770").exact


def test_old_records_without_an_embodied_part_still_read():
    old = {"session_id": "s", "index": 1, "energy_j": 1.0, "status": "ok", "execution_count": None, "cell_id": None,
           "source": "x", "started_at": "", "ended_at": "", "duration_s": 1.0, "error": None, "by_component": {},
           "method": {}, "device_energy_j": 1.0, "device_by_component": {}, "pue": 1.0, "facility_energy_j": 1.0,
           "emissions_g": None, "intensity": None}  # fmt: skip
    record = CellRecord.from_dict(old)
    assert record.embodied is None and record.functional_unit is None
    with pytest.raises(ValueError, match="field embodied"):
        CellRecord.from_dict(old | {"embodied": {"emissions_g": -1}})


# BLOOM: "Estimating the Carbon Footprint of BLOOM, a 176B Parameter Language Model" (Luccioni,
# Viguier, Ligozat 2022; JMLR 2023), section on embodied emissions: an HPE Apollo 6500 Gen10
# Plus server without its GPUs, 2500 kg CO2e; an A100 GPU, 150 kg; 6 years of service at 85 %
# use; 1,082,990 GPU-hours of training on servers of 8 GPUs. Their result: 11.2 t (7.57 t for
# the servers, 3.64 t for the GPUs).
BLOOM_GPU_HOURS = 1_082_990
BLOOM_GPUS_PER_SERVER = 8


def test_blooms_embodied_emissions_are_reproduced_from_the_papers_inputs():
    lifetime_h = 6 * HOURS_PER_YEAR * 0.85
    gpus = amortised(150_000.0, BLOOM_GPU_HOURS * 3600.0, lifetime_h)
    servers = amortised(2_500_000.0, BLOOM_GPU_HOURS / BLOOM_GPUS_PER_SERVER * 3600.0, lifetime_h)
    assert gpus / 1e6 == pytest.approx(3.64, rel=0.05)
    assert servers / 1e6 == pytest.approx(7.57, rel=0.05)
    assert (gpus + servers) / 1e6 == pytest.approx(11.2, rel=0.05)


def test_what_the_bundled_data_gives_for_bloom_and_why_it_is_less():
    """The same run priced with our table and the default 5-year lifetime: each GPU held whole,
    each server's two CPUs and 512 GB of memory used whole. It is about half the paper's,
    because the server's chassis, motherboard and power supply are not in our figures (the
    paper's 2500 kg per server holds them), and Green Algorithms' A100 is 137 kg, not 150."""
    devices = [DeviceInfo(f"gpu:{i}", "gpu", "NVIDIA A100-SXM4-80GB", MEASURED) for i in range(BLOOM_GPUS_PER_SERVER)]
    devices += [DeviceInfo("cpu:package-0", "cpu", "AMD EPYC", MEASURED), DeviceInfo("cpu:package-1", "cpu", "AMD EPYC", MEASURED),
                DeviceInfo("memory:model", "memory", "resident memory", MEASURED)]  # fmt: skip
    server = EmbodiedModel.from_devices(devices, lifetime_years=5.0, memory_gb=512)

    class Used:
        energy_j = device_energy_j = 1.0

    server_hours = BLOOM_GPU_HOURS / BLOOM_GPUS_PER_SERVER
    charged = server.charge({d.domain: Used for d in devices}, server_hours * 3600.0)
    tonnes = charged["emissions_g"] / 1e6
    assert charged["by_component"]["gpu"] / 1e6 == pytest.approx(3.39, rel=0.01)
    assert 5.0 < tonnes < 6.5  # about 5.7 t against the paper's 11.2 t
    assert charged["low_g"] / 1e6 < 11.2 < charged["high_g"] / 1e6


def test_the_gpu_held_between_cells_ages_too_and_counts_in_the_sessions_embodied_part(machine, clock):
    first = run_cell(machine, clock, 60.0)
    clock.advance(3600.0)  # an hour of reading and typing, the GPU still held
    second = run_cell(machine, clock, 60.0)
    span = machine.idle_spans[-1]
    assert span.embodied["by_component"]["gpu"] == pytest.approx(first.embodied["by_component"]["gpu"] * 60, rel=1e-2)
    whole = first.embodied["emissions_g"] + second.embodied["emissions_g"] + sum(s.embodied["emissions_g"] for s in machine.idle_spans)
    assert machine.totals.embodied_g == pytest.approx(whole)


def ccf_host(provider: str, instance: str) -> tuple[float, int, int]:
    """(host kgCO2e without GPUs, the instance's vCPUs, the largest of its family's vCPUs),
    read from Cloud Carbon Footprint's raw files, not from our derived table."""
    with open(SOURCES / "ccf" / f"coefficients-{provider}-embodied.csv", encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["type"] == instance)
    with open(SOURCES / "ccf" / "aws-instances-latest-2026.csv", encoding="utf-8", newline="") as f:
        family = [(r["Instance Type"], int(r["vCPUs"])) for r in csv.DictReader(f) if r["Instance Type"].split(".")[0] == instance.split(".")[0]]
    return float(row["total"]) - float(row["additional_gpus"]), dict(family)[instance], max(n for _, n in family)


def test_on_a_known_cloud_instance_the_hosts_share_stands_in_for_cpu_and_memory(tmp_path):
    """Cloud Carbon Footprint's method: the host's embodied kgCO2e × the instance's vCPUs over
    the host's × time over lifetime; the kernel's share of the instance is its CPU share."""
    kg, vcpus, host_vcpus = ccf_host("aws", "m5.large")
    assert (vcpus, host_vcpus) == (2, 96)
    cpu = DeviceInfo("cpu:model", "cpu", "Intel Xeon Platinum 8175M", MEASURED, figures={"instance_type": "m5.large"})
    memory = DeviceInfo("memory:model", "memory", "resident memory", MEASURED)
    model = EmbodiedModel.from_devices([cpu, memory], lifetime_years=4.0, memory_gb=8)
    from jupyter_carbon.measurement import DomainEnergy

    half = {"cpu:model": DomainEnergy("cpu", MEASURED, 50.0, 100.0), "memory:model": DomainEnergy("memory", MEASURED, 5.0, 5.0)}
    got = model.charge(half, 3600.0)
    by_hand = kg * 1000 * (vcpus / host_vcpus) * 0.5 * 1.0 / (4 * HOURS_PER_YEAR)  # half the instance's CPU, one hour
    assert set(got["by_component"]) == {"server"}
    assert got["by_component"]["server"] == pytest.approx(by_hand, rel=1e-3)
    assert got["low_g"] <= got["emissions_g"] <= got["high_g"]
    assert "Cloud Carbon Footprint" in got["source"] and "m5.large: 2 of its host's 96 vCPUs" in got["parts"]["cpu:model"]
    # an instance type the source does not list keeps Green Algorithms' parts
    cpu_unknown = DeviceInfo("cpu:model", "cpu", "x", MEASURED, figures={"instance_type": "zz9.huge"})
    assert set(EmbodiedModel.from_devices([cpu_unknown, memory], lifetime_years=4.0, memory_gb=8).charge(half, 3600.0)["by_component"]) == {"cpu", "memory"}


def test_a_dmi_instance_type_reaches_the_embodied_model(tmp_path):
    from test_cpu_identity import VM_FLAGS, machine as cpu_machine

    from jupyter_carbon.energy.model import CpuModel

    m = CpuModel(cpu_machine(tmp_path, {"vendor_id": "GenuineIntel", "flags": VM_FLAGS}, smt=2, dmi="m5.large"))
    assert m.figures()["instance_type"] == "m5.large"
