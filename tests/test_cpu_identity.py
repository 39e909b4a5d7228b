"""Knowing the CPU part without being told, and the watts per busy vCPU it implies.

Each case reproduces what a machine offers (its /proc/cpuinfo, DMI product name, macOS
brand string) in a fake tree. The band each case is checked against is the part's own:
its data sheet's TDP ÷ threads and SPECpower's full-load watts per thread, written out here
with where each number comes from, so that the model cannot be checked against itself.
"""

import functools

import pytest
from fakes import FakeSystem, FakeTree

from jupyter_carbon.energy.model import CpuModel, ModelSource
from jupyter_carbon.energy.topology import CpuTopology
from jupyter_carbon.meter import Meter


class FakePsutil:
    def __init__(self, logical: int, cores: int):
        self.logical, self.cores = logical, cores

    def cpu_count(self, logical=True):
        return self.logical if logical else self.cores


def machine(tmp_path, fields: dict, *, vcpus=2, smt=2, dmi="", sysctl=""):
    """A fake tree: /proc/cpuinfo with ``vcpus`` processors of ``fields``, a DMI folder."""
    blocks = ["".join(f"{k}\t: {v}\n" for k, v in {"processor": i, **fields}.items()) for i in range(vcpus)]
    (tmp_path / "cpuinfo").write_text("\n".join(blocks))
    dmi_root = tmp_path / "dmi"
    dmi_root.mkdir(exist_ok=True)
    if dmi:
        (dmi_root / "product_name").write_text(dmi + "\n")
    return CpuTopology.read(
        tmp_path / "cpuinfo", tmp_path / "no-powercap", FakePsutil(vcpus, max(1, vcpus // smt)),
        dmi_root=dmi_root, sysctl_brand=sysctl,
    )  # fmt: skip


VM_FLAGS = "fpu sse2 ht avx2 hypervisor"

#: (case, cpuinfo fields, DMI, sysctl, SMT, how it is known, the part's band in W per thread).
CASES = [
    (
        "GCP N1 / Colab: generic name, Broadwell by family/model",
        {"vendor_id": "GenuineIntel", "cpu family": 6, "model": 79, "stepping": 0,
         "model name": "Intel(R) Xeon(R) CPU @ 2.20GHz", "flags": VM_FLAGS}, "", "", 2, "family/model",
        # Xeon E5-2699 v4 (GCP's 2.2 GHz Broadwell): 145 W / 44 threads (Intel ARK);
        # SPECpower Broadwell servers: 3.69 W per thread at full load (17 results).
        (145 / 44, 3.69),
    ),
    (
        "'Intel(R) Xeon(R) Processor': Sapphire Rapids by family/model",
        {"vendor_id": "GenuineIntel", "cpu family": 6, "model": 143, "stepping": 8,
         "model name": "Intel(R) Xeon(R) Processor", "flags": VM_FLAGS + " amx_tile"}, "", "", 2, "family/model",
        # Xeon Platinum 8481C (GCP C3): 350 W / 112 threads; SPECpower Sapphire Rapids: 4.03 W.
        (350 / 112, 4.03),
    ),
    (
        "'AMD EPYC' (GCP N2D, this machine): EPYC 3rd Gen by family/model",
        {"vendor_id": "AuthenticAMD", "cpu family": 25, "model": 1, "stepping": 1, "model name": "AMD EPYC",
         "flags": VM_FLAGS}, "", "", 2, "family/model",
        # EPYC 7B13 (Milan, 64 cores): 240 W / 128 threads; SPECpower Milan: 1.96 W.
        (240 / 128, 1.96),
    ),
    (
        "AWS m5.large: the instance type in DMI names the Xeon Platinum 8175M",
        {"vendor_id": "GenuineIntel", "flags": VM_FLAGS}, "m5.large", "", 2, "DMI",
        # Xeon Platinum 8175M: 240 W / 48 threads (AWS); SPECpower Skylake: 4.13 W.
        (4.13, 240 / 48),
    ),
    (
        "AWS Graviton2: Neoverse N1 by CPU part, no model name",
        {"CPU implementer": "0x41", "CPU architecture": 8, "CPU part": "0xd0c", "Features": "fp asimd"}, "", "", 1,
        "CPU part",
        # SPECpower Ampere Altra (Neoverse N1): 1.706 W per core (mean of 7); the same N1 cores' data sheet
        # (Altra Q64-30: 180 W / 64 cores; AWS publishes none for Graviton2): 2.81 W.
        (1.706, 180 / 64),
    ),
    (
        "Ampere Altra: Neoverse N1 by CPU part (Altra and Altra Max share it)",
        {"CPU implementer": "0x41", "CPU architecture": 8, "CPU part": "0xd0c"}, "", "", 1, "CPU part",
        # The part number cannot tell an Altra Max M128-30 (SPECpower 150 W / 128 cores, the
        # family's lowest per core) from an Altra Q80-30 (data sheet 210 W / 80 cores).
        (150 / 128, 210 / 80),
    ),
    (
        "Apple M1 Max: the macOS brand string",
        {}, "", "Apple M1 Max", 1, "sysctl",
        # AnandTech's M1 Max review: 34-43 W CPU package over 10 cores, all-core load.
        (3.4, 4.3),
    ),
    (
        "Apple M1: the macOS brand string",
        {}, "", "Apple M1", 1, "sysctl",
        # AnandTech's M1 review: about 15-20 W CPU package over 8 cores.
        (15 / 8, 20 / 8),
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_part_is_known_and_its_watts_per_vcpu_lie_in_its_band(tmp_path, case):
    _, fields, dmi, sysctl, smt, how, (low, high) = case
    topology = machine(tmp_path, fields, smt=smt, dmi=dmi, sysctl=sysctl)
    m = CpuModel(topology)
    assert m.identity.how == how, m.identity
    assert low * 0.999 <= m.w_per_cpu_second <= high * 1.001, (m.w_per_cpu_second, m.basis)
    centre = (low + high) / 2
    assert m.w_low < centre < m.w_high, (m.w_low, m.w_high, m.band.basis)
    assert "DEFAULT" not in m.basis and how in m.basis + m.identity.how


@pytest.mark.parametrize("case", CASES[:1] + CASES[3:5], ids=["broadwell", "m5.large", "graviton2"])
def test_the_records_bounds_hold_the_bands_centre(tmp_path, case, clock):
    _, fields, dmi, sysctl, smt, _, (low, high) = case
    topology = machine(tmp_path, fields, smt=smt, dmi=dmi, sysctl=sysctl)
    tree = FakeTree()
    src = ModelSource(tree, clock(), memory=False, system=FakeSystem(logical_cpus=2), topology=topology)
    meter = Meter([src], clock=clock, start=False)
    from jupyter_carbon.measurement import Measurement

    start = meter.snapshot()
    tree.cpu += 10.0  # ten busy vCPU-seconds
    clock.advance(10.0)
    m = Measurement.between(start, meter.snapshot())
    lo_j, hi_j = m.bounds_by_component["cpu"]
    assert lo_j < 10 * (low + high) / 2 < hi_j
    assert lo_j < m.by_component["cpu"] < hi_j


def test_graviton3_has_no_measurement_and_its_wide_bounds_say_so(tmp_path):
    m = CpuModel(machine(tmp_path, {"CPU implementer": "0x41", "CPU part": "0xd40"}, smt=1))
    assert m.identity.architecture == "Neoverse V1" and m.identity.how == "CPU part"
    assert m.w_high / m.w_low > 5 and "no SPECpower result" in m.band.basis


def test_an_unknown_part_is_the_loud_default_with_wide_bounds_that_say_why(tmp_path):
    fields = {"vendor_id": "GenuineIntel", "cpu family": 6, "model": 250, "model name": "Mystery CPU", "flags": VM_FLAGS}
    src = ModelSource(FakeTree(), 0.0, memory=False, system=FakeSystem(2), topology=machine(tmp_path, fields))
    m = src.cpu_model
    assert m.identity.how == "unknown" and m.method == "default"
    assert m.w_per_cpu_second == pytest.approx(6.0)  # 12 W per core over 2 threads
    assert m.w_low <= 0.5 and m.w_high >= 12.0 and "unknown part" in m.band.basis
    [info] = src.describe()
    assert "DEFAULT, NOT THIS PART'S" in info.detail and "family 6, model 250" in info.detail
    assert "0.5-12 W" in info.detail and "c.CarbonMeter.cpu_model" in info.advice


def test_a_named_apple_chip_is_not_the_m1s_table_row(tmp_path):
    m = CpuModel(machine(tmp_path, {}, smt=1), model="Apple M1 Max")
    assert m.identity.how == "configured" and m.arch.name == "Apple M-series Pro/Max/Ultra"
    assert 3.4 <= m.w_per_cpu_second <= 4.3 and m.tdp_w is None


def test_metadata_instance_type_names_the_part(tmp_path):
    topology = machine(tmp_path, {"vendor_id": "GenuineIntel", "model name": "Intel(R) Xeon(R) CPU", "flags": VM_FLAGS})
    m = CpuModel(topology, instance_type="n2d-standard-4")
    assert (m.identity.how, m.identity.architecture) == ("metadata", "EPYC 2nd Gen")
    assert "n2d-standard-4" in m.identity.evidence


def test_a_part_the_table_knows_exactly_keeps_tdp_over_threads(tmp_path):
    fields = {"vendor_id": "GenuineIntel", "cpu family": 6, "model": 85, "stepping": 7,
              "model name": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "flags": VM_FLAGS}  # fmt: skip
    m = CpuModel(machine(tmp_path, fields))
    assert m.method == "tdp" and m.w_per_cpu_second == pytest.approx(210 / 48)
    assert m.arch.name == "Cascade Lake" and m.w_low < 4.077 < m.w_high  # SPECpower's figure inside


def test_cascade_lake_and_skylake_share_a_model_number_and_differ_by_stepping():
    from jupyter_carbon.energy.cpuid import from_x86

    base = {"vendor_id": "GenuineIntel", "cpu family": "6", "model": "85"}
    assert from_x86({**base, "stepping": "4"}).architecture == "Skylake"
    assert from_x86({**base, "stepping": "7"}).architecture == "Cascade Lake"
    assert from_x86({**base, "stepping": "4", "flags": "avx512_vnni"}).architecture == "Cascade Lake"
    assert from_x86({"vendor_id": "GenuineIntel", "cpu family": "6", "model": "999"}) is None


def test_devices_says_the_part_how_it_knew_the_watts_bounds_and_what_would_help(tmp_path):
    from jupyter_carbon.inventory import inventory, render

    topology = machine(tmp_path, CASES[0][1])  # GCP N1's generic name

    class OneSource:
        notes = ()

        def describe(self):
            src = ModelSource(FakeTree(), 0.0, system=FakeSystem(2), topology=topology)
            return src.describe()

    report = inventory(OneSource())
    cpu, memory = report["devices"]
    f = cpu["figures"]
    assert (f["architecture"], f["identified_by"], f["method"]) == ("Broadwell", "family/model", "specpower")
    assert f["w_low"] < f["w_per_logical_cpu"] < f["w_high"] and "c.CarbonMeter.cpu_model" in f["advice"]
    assert "half to twice" in memory["bounds"]
    text = render(report)
    assert "part: Broadwell (Intel), known by family/model: GenuineIntel, family 6, model 79" in text
    assert "3.69 W per busy vCPU, bounds 2.77-5.43 W (method: specpower)" in text
    assert "how sure: Broadwell: SPECpower" in text and "For better numbers:" in text


def test_the_instance_type_from_cloud_metadata_identifies_an_unknown_part(tmp_path):
    fields = {"vendor_id": "GenuineIntel", "model name": "Intel(R) Xeon(R) CPU", "flags": VM_FLAGS}
    found = []
    src = ModelSource(FakeTree(), 0.0, memory=False, system=FakeSystem(2), topology=machine(tmp_path, fields))
    src.use_instance_hint(lambda: found[0] if found else None)
    assert src.cpu_model.method == "default"
    src.sample(1.0)  # metadata has not answered yet
    assert src.cpu_model.method == "default"
    found.append("m5.large")
    src.sample(2.0)
    assert (src.cpu_model.identity.how, src.cpu_model.identity.architecture) == ("metadata", "Skylake")
    assert src.cpu_model.w_per_cpu_second == pytest.approx(240 / 48)  # the 8175M's TDP ÷ threads
    assert src.read(3.0)[0].band == (src.cpu_model.band.low, src.cpu_model.band.high)


def test_the_metadata_probe_names_the_instance_type():
    from carbon_fakes import FakeServer

    from jupyter_carbon.carbon.metadata import CloudProbe

    routes = {
        "/latest/meta-data/placement/region": (200, "eu-west-3", 0),
        "/latest/meta-data/instance-type": (200, "c6i.xlarge", 0),
    }
    with FakeServer(routes) as fake:
        probe = CloudProbe(fake.url, 1.0)
        probe.done.wait(5)
    assert probe.region.key == "aws:eu-west-3" and probe.instance_type == "c6i.xlarge"


@functools.lru_cache(maxsize=1)
def _every_part():
    from jupyter_carbon import cpu_power
    from jupyter_carbon.tables import read_table

    return [(frozenset(cpu_power._words(r["part"])), r["part"], r["architecture"]) for r in read_table("cpu_parts.csv")]


def _exhaustive(model_name):
    """The lookup as a scan of every row: what the prefiltered one must agree with."""
    from jupyter_carbon import cpu_power

    have = set(cpu_power._words(model_name))
    versions = {w for w in have if w[0] == "v" and w[1:].isdigit() and len(w) == 2}
    best = None
    for need, part, arch in _every_part():
        if need and need <= have and versions <= need and (best is None or len(need) > best[0]):
            best = (len(need), part, arch)
    return (best[1], best[2]) if best else None


def test_the_prefiltered_part_lookup_finds_what_a_scan_of_every_row_finds():
    from jupyter_carbon import cpu_power

    names = [f"Intel(R) Xeon(R) {part} CPU @ 2.50GHz" for _, part, _ in _every_part()[::3]]
    names += [f"AMD {part} 64-Core Processor" for _, part, _ in _every_part()[::7]]
    names += ["Intel(R) Xeon(R) CPU @ 2.20GHz", "AMD EPYC", "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz",
              "Intel(R) Xeon(R) CPU E5-2670 v2 @ 2.50GHz", "AMD EPYC 7601, Dell SKU [338-BNCG]", "Neoverse-N1", "NVIDIA Grace", "Google Axion", ""]  # fmt: skip
    found = {n: (cpu_power.part_architecture(n), _exhaustive(n)) for n in names}
    assert [(n, ours, scan) for n, (ours, scan) in found.items() if ours != scan] == []
    assert sum(1 for ours, _ in found.values() if ours) > 500  # the names do name parts
