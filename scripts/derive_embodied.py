"""Embodied emissions: what making a GPU, a CPU and a GB of memory emitted.

Part of ``derive_data.py``: it writes ``embodied.csv`` from Green Algorithms v3's embodied
model (``greenalgorithms-hardware_impacts.csv`` and ``greenalgorithms-Draft_LCA_TDP_gpu.csv``
in ``data-sources/``, CC BY 4.0), by that model's own formulas:

- a GPU: die area × ``gpu_die_impact_gwp`` + ``gpu_base_impact_gwp`` (the whole card) +
  its memory GB / ``ram_density`` × ``ram_die_impact_gwp``;
- a CPU: die area × ``cpu_die_impact_gwp`` + ``cpu_base_impact_gwp``; the table's default
  die (``default_CPu_die_area``, 11 cm²) for the central figure, and the smallest and largest
  dies in the draft CPU table (Core i3-9100, 1.26 cm²; EPYC 9654, 12.61 cm²) for the bounds;
- a GB of memory: one default strip (``ram_default_strip_size`` GB, its die area by
  ``ram_density``) × ``ram_die_impact_gwp`` + ``ram_base_impact_gwp``, per GB.

Each row keeps its low and high figure (the same where the source gives one value) and its
source and year. The server around the parts (motherboard, power supply, casing) is not in
these rows: the package does not charge it.
"""

from __future__ import annotations

import csv
from pathlib import Path

EMBODIED_FIELDS = ["kind", "name", "grams", "low_g", "high_g", "die_area_cm2", "memory_gb", "source", "year"]
SOURCE = "Green Algorithms v3 embodied model (CC BY 4.0)"
YEAR = 2025
#: The smallest and largest CPU dies in Green Algorithms' draft CPU table, in cm².
CPU_DIE_RANGE = (1.26, 12.61)


def impacts(sources: Path) -> dict[str, float]:
    """``hardware_impacts.csv`` as variable -> value (the rows whose value is a number)."""
    values = {}
    with open(sources / "greenalgorithms-hardware_impacts.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                values[row["variable"]] = float(row["value"])
            except (TypeError, ValueError):
                continue
    return values


def gpu_grams(h: dict[str, float], die_cm2: float, memory_gb: float) -> float:
    return die_cm2 * h["gpu_die_impact_gwp"] + h["gpu_base_impact_gwp"] + memory_gb / h["ram_density"] * h["ram_die_impact_gwp"]


def cpu_grams(h: dict[str, float], die_cm2: float) -> float:
    return die_cm2 * h["cpu_die_impact_gwp"] + h["cpu_base_impact_gwp"]


def embodied_rows(sources: Path) -> list[dict[str, object]]:
    h = impacts(sources)
    strip = h["ram_default_strip_size"]
    per_gb = (strip / h["ram_density"] * h["ram_die_impact_gwp"] + h["ram_base_impact_gwp"]) / strip
    die = h["default_CPu_die_area"]
    rows: list[dict[str, object]] = [
        dict(kind="cpu", name="Any", grams=cpu_grams(h, die), low_g=cpu_grams(h, CPU_DIE_RANGE[0]),
             high_g=cpu_grams(h, CPU_DIE_RANGE[1]), die_area_cm2=die, memory_gb="", source=SOURCE, year=YEAR),
        dict(kind="memory", name="per GB", grams=per_gb, low_g=per_gb, high_g=per_gb, die_area_cm2="",
             memory_gb=1.0, source=SOURCE, year=YEAR),
    ]  # fmt: skip
    gpus = {}
    with open(sources / "greenalgorithms-Draft_LCA_TDP_gpu.csv", encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()[1:]  # the first row is an annotation row
    for row in csv.DictReader(lines):
        try:
            area, memory = float(row["die_area"]), float(row["memory"])
        except (TypeError, ValueError):
            continue  # the rows without a die area are the power table's, not the embodied model's
        gpus[row["model"].strip()] = (area, memory)
    for name, (area, memory) in sorted(gpus.items()):
        grams = gpu_grams(h, area, memory)
        rows.append(dict(kind="gpu", name=name, grams=grams, low_g=grams, high_g=grams, die_area_cm2=area,
                         memory_gb=memory, source=SOURCE, year=YEAR))  # fmt: skip
    for row in rows:
        for k in ("grams", "low_g", "high_g"):
            row[k] = round(float(row[k]), 1)
    return rows


EMBODIED_INSTANCE_FIELDS = ["provider", "instance", "vcpus", "host_vcpus", "host_kg", "host_low_kg", "host_high_kg", "gpus_kg", "source", "year"]
CCF_SOURCE = "Cloud Carbon Footprint embodied coefficients per instance type (Apache-2.0)"
CCF_YEAR = 2026


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _vcpus(sources: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(provider, instance type lower-cased) -> (its vCPUs, the largest type of its family's
    vCPUs: the whole host, as Cloud Carbon Footprint shares a host's embodied emissions out)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    aws = [(r["Instance Type"].strip(), int(float(r["vCPUs"]))) for r in _read(sources / "ccf" / "aws-instances-latest-2026.csv") if r["vCPUs"]]
    largest: dict[str, int] = {}
    for name, n in aws:
        largest[name.split(".")[0]] = max(largest.get(name.split(".")[0], 0), n)
    for name, n in aws:
        found[("aws", name.lower())] = (n, largest[name.split(".")[0]])
    gcp = [(r["Instance Type"].strip(), int(float(r["Instance vCPU"]))) for r in _read(sources / "ccf" / "gcp-instances-latest-2026.csv") if r["Instance vCPU"]]
    for name, n in gcp:
        found[("gcp", name.lower())] = (n, 0)  # the host: the largest of its family, below
    for r in _read(sources / "ccf" / "azure-instances.csv"):
        name = "Standard_" + r["Virtual Machine"].strip().replace(" ", "_")
        try:
            found.setdefault(("azure", name.lower()), (int(float(r["Instance vCPUs"])), int(float(r["Platform vCPUs (highest vCPU possible)"]))))
        except ValueError:
            continue
    return found


def embodied_instance_rows(sources: Path) -> list[dict[str, object]]:
    """Per cloud instance type: its vCPUs, its host's vCPUs and what making the host emitted
    (kgCO2e, Cloud Carbon Footprint's ``total``: a 1000 kg base server plus its extra memory,
    storage and CPUs), without the GPUs (``gpus_kg``), which the package charges by the
    card. Where the source lists a type once per CPU generation it may run on, the central
    figure is their mean and the bounds their least and greatest."""
    vcpus = _vcpus(sources)
    gcp_family: dict[str, str] = {}
    totals: dict[tuple[str, str], list[tuple[float, float]]] = {}
    names: dict[tuple[str, str], str] = {}
    for provider in ("aws", "gcp", "azure"):
        for r in _read(sources / "ccf" / f"coefficients-{provider}-embodied.csv"):
            name = r["type"].strip()
            if provider == "azure":
                name = "Standard_" + name.replace(" ", "_")
            key = (provider, name.lower())
            names[key] = name
            if provider == "gcp":
                gcp_family[name.lower()] = r["family"].strip()
            gpus = float(r["additional_gpus"] or 0)
            totals.setdefault(key, []).append((float(r["total"]) - gpus, gpus))
    largest_gcp: dict[str, int] = {}
    for name, family in gcp_family.items():
        if ("gcp", name) in vcpus:
            largest_gcp[family] = max(largest_gcp.get(family, 0), vcpus[("gcp", name)][0])
    rows = []
    for key, values in sorted(totals.items()):
        n, host = vcpus.get(key, (0, 0))
        if key[0] == "gcp":
            host = largest_gcp.get(gcp_family[key[1]], 0)
        if not n or host < n:
            continue  # no vCPU count for it: its share of the host is unknown
        server = [v[0] for v in values]
        rows.append(dict(provider=key[0], instance=names[key], vcpus=n, host_vcpus=host,
                         host_kg=round(sum(server) / len(server), 2), host_low_kg=round(min(server), 2),
                         host_high_kg=round(max(server), 2), gpus_kg=round(max(v[1] for v in values), 2),
                         source=CCF_SOURCE, year=CCF_YEAR))  # fmt: skip
    return rows
