"""``hardware.csv`` against the raw files it is derived from: TDPs, cores, threads, TPUs."""

from __future__ import annotations

import csv
import re

import pytest
from carbon_fakes import read_green_algorithms, source_path

from jupyter_carbon import hardware


def model_key(name: str) -> str:
    return " ".join(w for w in name.lower().split() if w not in ("intel", "amd"))


@pytest.fixture(scope="module")
def cpus():
    return {model_key(hw.name): hw for hw in hardware.table() if hw.kind == "cpu"}


@pytest.fixture(scope="module")
def codecarbon():
    """CodeCarbon's TDPs by model; a model listed twice keeps its higher figure."""
    found: dict[str, float] = {}
    with open(source_path("codecarbon-cpu_power.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                watts = float(row["TDP"])
            except ValueError:
                continue
            if watts > 0:
                key = model_key(" ".join(row["Name"].split()))
                found[key] = max(watts, found.get(key, 0.0))
    return found


@pytest.fixture(scope="module")
def green_cpus():
    return {
        model_key(" ".join(r["model"].split())): r
        for r in read_green_algorithms("greenalgorithms-TDP_cpu.csv")
        if r["TDP"].strip() and r["model"] != "Any"
    }


def test_one_row_per_cpu_model():
    keys = [model_key(hw.name) for hw in hardware.table() if hw.kind == "cpu"]
    assert len(keys) == len(set(keys))


def test_every_cpu_tdp_is_codecarbons_else_green_algorithms(cpus, codecarbon, green_cpus):
    assert set(cpus) == set(codecarbon) | set(green_cpus)
    for key, hw in cpus.items():
        expected = codecarbon[key] if key in codecarbon else float(green_cpus[key]["TDP"])
        assert hw.tdp_w == expected, hw.name


def test_the_sources_conflicts_resolve_to_the_vendors_figures(cpus, green_cpus):
    # Each checked against the vendor's product page: CodeCarbon has the vendor's figure.
    vendor = {"ryzen 9 3900x": 105, "core i3-10300": 65, "core i3-10320": 65, "core i5-10600k": 125,
              "core i7-6700k": 91, "core i9-10900kf": 125}
    for key, watts in vendor.items():
        assert float(green_cpus[key]["TDP"]) != watts  # the sources do disagree here
        assert cpus[key].tdp_w == watts


def test_cores_come_from_green_algorithms_and_threads_from_the_family_rule(cpus, green_cpus):
    two_threads = re.compile(r"\bEPYC\b|\bThreadripper\b|\bXeon (Platinum|Gold|Silver)\b", re.IGNORECASE)
    checked = 0
    for key, row in green_cpus.items():
        hw = cpus[key]
        if "cloud provider" in hw.source:
            continue  # a data sheet's figures, checked below
        assert hw.cores == int(row["n_cores"]), hw.name
        if two_threads.search(hw.name):
            assert hw.threads == 2 * hw.cores, hw.name
            checked += 1
        elif "Xeon Phi" in hw.name:
            assert hw.threads == 4 * hw.cores
        else:
            assert hw.threads is None, hw.name  # Core, Ryzen, older Xeons: no single rule
    assert checked >= 15


def test_cloud_cpus_carry_the_data_sheets_cores_and_threads(cpus):
    sheet = {"xeon platinum 8259cl": (24, 48), "xeon platinum 8175m": (24, 48), "epyc 7r13": (48, 96),
             "epyc 7b12": (64, 128), "xeon platinum 8272cl": (26, 52)}
    for key, (cores, threads) in sheet.items():
        assert (cpus[key].cores, cpus[key].threads) == (cores, threads)
    assert cpus["xeon platinum 8259cl"].tdp_w == 210.0


def test_tpu_power_is_the_measured_average_per_chip():
    tpus = {hw.name: hw for hw in hardware.table() if hw.kind == "tpu"}
    with open(source_path("mlco2-impact-gpus.csv"), encoding="utf-8") as f:
        mlco2 = {r["name"]: float(r["tdp_watts"]) for r in csv.DictReader(f) if r["type"] == "tpu"}
    # Patterson et al. 2021's measured averages, which the ML CO2 calculator also lists.
    assert tpus["TPU v2"].tdp_w == mlco2["TPUv2 Chip"] == 221.0
    assert tpus["TPU v3"].tdp_w == mlco2["TPUv3 Chip"] == 283.0
    green = {r["model"]: float(r["TDP"]) for r in read_green_algorithms("greenalgorithms-TDP_gpu.csv") if r["TDP"].strip()}
    assert tpus["TPU v4"].tdp_w == green["TPU v4"]


def test_gpu_rows_without_a_form_factor_are_named_for_theirs():
    names = {hw.name for hw in hardware.table() if hw.kind == "gpu"}
    assert "NVIDIA Tesla P100" not in names and "NVIDIA Tesla V100" not in names
    assert {"NVIDIA Tesla P100 PCIe", "NVIDIA Tesla P100 SXM2", "NVIDIA Tesla V100 PCIe", "NVIDIA Tesla V100 SXM2"} <= names


@pytest.mark.parametrize(
    "reported, watts",
    [
        ("NVIDIA H100 80GB HBM3", 700),  # as NVML names the SXM part
        ("NVIDIA A100-SXM4-80GB", 400),
        ("NVIDIA A10G", 300),  # the power limit its driver reports, not the A10's 150 W
        ("NVIDIA B200", 1000),
        ("NVIDIA H200 NVL", 600),
        ("NVIDIA GH200 480GB", 1000),
        ("AMD Instinct MI300X", 750),
        ("AMD Instinct MI250X", 560),
    ],
)
def test_current_accelerators_by_the_names_drivers_report(reported, watts):
    row = hardware.lookup("gpu", reported)
    assert row is not None and row.tdp_w == watts and row.url.startswith("https://")


def _every_row_lookup(kind: str, name: str):
    """What a lookup must find: every row of the table tried (the most specific row whose
    tokens all appear in ``name`` and hold a model number, the first of equals)."""
    wanted, best = set(hardware.tokens(name)), None
    for hw in hardware.table():
        toks = frozenset(hardware.tokens(hw.name))
        if hw.kind == kind and toks <= wanted and any(ch.isdigit() for t in toks for ch in t):
            if best is None or (len(toks), len(hw.name)) > best[:2]:
                best = (len(toks), len(hw.name), hw)
    return best[2] if best else None


REPORTED = ["AMD EPYC 7763 64-Core Processor", "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", "AMD EPYC",
            "Tesla V100-SXM2-16GB", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz"]  # fmt: skip


def test_a_lookup_before_the_table_is_parsed_finds_what_every_row_tried_finds():
    hardware.table.cache_clear()  # a kernel's first lookup reads only the rows naming its model
    try:
        cold = [(kind, name, hardware.lookup(kind, name)) for kind in ("cpu", "gpu") for name in REPORTED]
        assert hardware.table.cache_info().currsize == 0
    finally:
        hardware.table.cache_clear()
    assert [found for _, _, found in cold] == [_every_row_lookup(kind, name) for kind, name, _ in cold]
    assert sum(found is not None for _, _, found in cold) >= 6
    rows = hardware.table()[::25]  # every 25th row: each check tries every row
    mismatched = [hw.name for hw in rows if hardware.lookup(hw.kind, hw.name) != _every_row_lookup(hw.kind, hw.name)]
    assert mismatched == []
