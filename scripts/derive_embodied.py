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
