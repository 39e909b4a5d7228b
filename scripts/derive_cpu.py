"""CPU power per logical CPU by microarchitecture, and the cloud instance types' CPUs.

Part of ``derive_data.py``. From Cloud Carbon Footprint's coefficients (``data-sources/ccf/``,
Apache-2.0) it writes:

- ``cpu_architectures.csv``: per microarchitecture, the watts a server draws per logical
  CPU at full load and at active idle (the mean over the SPECpower_ssj2008 results of its
  CPUs, by CCF's method and lists, recomputed from CCF's copy of the results; CCF's own
  ``Max Watts`` beside it as ``ccf_w_max``), and the spread of those results
  (``w_low``/``w_high``: the 10th and 90th percentiles of each result's full-load watts
  over its hardware threads, recomputed here from CCF's copy of the SPECpower results);
- ``cpu_parts.csv``: model numbers -> microarchitecture (CCF's lists, plus the parts made
  for one cloud, named from the providers' instance pages);
- ``cloud_instances.csv``: instance type -> vCPUs and the CPU it runs on (AWS, GCP, Azure).

Known weaknesses are carried in each row's ``note``: CCF's Graviton rows copy EPYC 2nd
Gen's coefficients (a placeholder, not a measurement) and EPYC 5th Gen rests on few results.
"""

from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

CCF = "Cloud Carbon Footprint ccf-coefficients (Apache-2.0), from SPECpower_ssj2008"
CCF_URL = "https://github.com/cloud-carbon-footprint/ccf-coefficients"
SPEC_MEAN = "SPECpower_ssj2008 results (CCF's 2026-03-09 copy, Apache-2.0), mean per hardware thread by CCF's method"

ARCH_FIELDS = [
    "architecture", "vendor", "w_idle", "w_max", "w_low", "w_high", "results", "years", "ccf_w_max",
    "tdp_low", "tdp_high", "source", "note",
]
PART_FIELDS = ["part", "architecture", "source"]
INSTANCE_FIELDS = ["provider", "instance", "vcpus", "cpu", "architecture"]

#: CCF's model lists, by file, and the microarchitecture each names (as its coefficients do).
ARCH_LISTS = {
    "intel-sandybridge.csv": "Sandy Bridge", "intel-ivybridge.csv": "Ivy Bridge", "intel-haswell.csv": "Haswell",
    "intel-broadwell.csv": "Broadwell", "intel-skylake.csv": "Skylake", "intel-skylake-server.csv": "Skylake",
    "intel-skylake-client.csv": "Skylake", "intel-cascadelake.csv": "Cascade Lake",
    "intel-coffeelake.csv": "Coffee Lake", "intel-icelake.csv": "Ice Lake",
    "intel-sapphirerapids.csv": "Sapphire Rapids", "intel-emeraldrapids.csv": "Emerald Rapids",
    "intel-graniterapids.csv": "Granite Rapids", "amd-epyc-gen1.csv": "EPYC 1st Gen",
    "amd-epyc-gen2.csv": "EPYC 2nd Gen", "amd-epyc-gen3.csv": "EPYC 3rd Gen", "amd-epyc-gen4.csv": "EPYC 4th Gen",
    "amd-epyc-gen5.csv": "EPYC 5th Gen", "amd-neoverse-n1.csv": "Neoverse N1",
}  # fmt: skip

VENDORS = {"EPYC": "AMD", "Neoverse": "Arm", "Graviton": "Arm", "Apple": "Apple"}

#: Arm designs CCF has no SPECpower results for: the coefficients of the nearest measured
#: design, named, with a wide spread (see NOTES). Graviton2 is a Neoverse N1, as is Ampere
#: Altra, whose SPECpower results are measured; Graviton3/3E (Neoverse V1), Graviton4,
#: Google Axion and NVIDIA Grace (Neoverse V2), Azure Cobalt 100 (Neoverse N2) have none.
ARM_STAND_INS = {"Neoverse V1": "Neoverse N1", "Neoverse V2": "Neoverse N1", "Neoverse N2": "Neoverse N1"}
#: The factor by which a stand-in's spread is widened each way: a different core design.
STAND_IN_WIDEN = 2.0

NOTES = {
    "EPYC 5th Gen": "CCF's own coefficient rested on few SPECpower results; its parts range from 24 to 384 threads, so the spread is wide",
    "Neoverse N1": "Ampere Altra SPECpower results; CCF's own Graviton2 row copies EPYC 2nd Gen (a placeholder) and is not used",
    "Neoverse V1": "no SPECpower result: Neoverse N1's figures stand in, spread widened 2x each way",
    "Neoverse V2": "no SPECpower result: Neoverse N1's figures stand in, spread widened 2x each way",
    "Neoverse N2": "no SPECpower result: Neoverse N1's figures stand in, spread widened 2x each way",
}

#: Parts made for one cloud, which CCF's model lists lack: the provider names the family on
#: its instance pages (AWS instance types, GCP CPU platforms, Azure sizes).
CLOUD_PARTS = {
    "EPYC 7571": "EPYC 1st Gen", "EPYC 7R32": "EPYC 2nd Gen", "EPYC 7B12": "EPYC 2nd Gen",
    "EPYC 7R13": "EPYC 3rd Gen", "EPYC 7B13": "EPYC 3rd Gen", "EPYC 9R14": "EPYC 4th Gen",
    "EPYC 9B14": "EPYC 4th Gen", "EPYC 9R45": "EPYC 5th Gen", "EPYC 9B45": "EPYC 5th Gen",
    "Platinum 8124M": "Skylake", "Platinum 8151": "Skylake", "Platinum 8175M": "Skylake",
    "Platinum 8176M": "Skylake", "Platinum 8173M": "Skylake", "Platinum 8171M": "Skylake",
    "Platinum 8259CL": "Cascade Lake", "Platinum 8275CL": "Cascade Lake", "Platinum 8252C": "Cascade Lake",
    "Platinum 8273CL": "Cascade Lake", "Platinum 8272CL": "Cascade Lake", "Gold 6253CL": "Cascade Lake",
    "Platinum 8259L": "Cascade Lake", "Platinum 8375C": "Ice Lake", "Platinum 8373C": "Ice Lake",
    "Platinum 8370C": "Ice Lake", "Platinum 8481C": "Sapphire Rapids", "Platinum 8488C": "Sapphire Rapids",
    "Platinum 8581C": "Emerald Rapids", "E5-2686 v4": "Broadwell", "E5-2666 v3": "Haswell",
    "E5-2676 v3": "Haswell", "E5-2673 v4": "Broadwell", "E5-2673 v3": "Haswell",
    "Graviton2": "Neoverse N1", "Graviton3": "Neoverse V1", "Graviton3E": "Neoverse V1",
    "Graviton4": "Neoverse V2", "Axion": "Neoverse V2", "Grace": "Neoverse V2", "Cobalt 100": "Neoverse N2",
}  # fmt: skip
CLOUD_PARTS_SOURCE = "cloud provider's instance pages"

#: AWS's "Platform CPU Name" texts that name a family rather than a model number.
AWS_FAMILY_NAMES = {
    "Intel Xeon Ice Lake": "Ice Lake", "Intel Xeon Granite Rapids": "Granite Rapids",
    "Intel Xeon Sapphire Rapids": "Sapphire Rapids", "Intel Emerald Rapids": "Emerald Rapids",
    "Intel Xeon Emerald Rapids": "Emerald Rapids", "Intel Broadwell E5-2686 v4": "Broadwell",
    "Intel Skylake P-8175": "Skylake", "Intel Cascade Lake P-8259CL": "Cascade Lake",
    "Intel Xeon Cascade Lake": "Cascade Lake", "Intel Haswell E7 8880v3": "Haswell",
    "Intel Xeon E7-8880 v3": "Haswell", "Annapurna Labs Graviton": "Neoverse N1",
    "AWS Graviton2 Processor": "Neoverse N1", "AWS Graviton3 Processor": "Neoverse V1",
    "AWS Graviton3E Processor": "Neoverse V1", "AWS Graviton4 Processor": "Neoverse V2",
    "Nvidia Grace CPU": "Neoverse V2",
}  # fmt: skip


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*\+?", text.lower().replace("®", " ").replace("™", " "))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def part_rows(sources: Path) -> list[dict[str, object]]:
    rows: dict[str, dict[str, object]] = {}
    for filename, arch in ARCH_LISTS.items():
        for line in (sources / "ccf" / filename).read_text(encoding="utf-8").splitlines():
            part = " ".join(line.split())
            if part and any(ch.isdigit() for ch in part):
                rows.setdefault(part.lower(), dict(part=part, architecture=arch, source=f"CCF {filename}"))
    for part, arch in CLOUD_PARTS.items():
        rows.setdefault(part.lower(), dict(part=part, architecture=arch, source=CLOUD_PARTS_SOURCE))
    return sorted(rows.values(), key=lambda r: (r["architecture"], r["part"].lower()))


def arch_of(text: str, parts: list[dict[str, object]]) -> str | None:
    """The microarchitecture of a CPU description: the longest listed part all of whose words
    it holds (so 'Platinum 8259CL' wins over a bare '8259')."""
    have = set(words(text))
    versions = {w for w in have if re.fullmatch(r"v\d", w)}  # "E3-1230 v6" is not "E3-1230"
    best = None
    for row in parts:
        need = words(str(row["part"]))
        if need and set(need) <= have and versions <= set(need) and (best is None or len(need) > best[0]):
            best = (len(need), row["architecture"])
    if best is None:
        best = next(((0, a) for name, a in AWS_FAMILY_NAMES.items() if name.lower() == text.strip().lower()), None)
    return best[1] if best else None


def _spec_per_thread(sources: Path, parts) -> dict[str, list[tuple[float, float, int]]]:
    """Each SPECpower result's (full-load W, idle W) per hardware thread, and its year, by microarchitecture."""
    found: dict[str, list[tuple[float, float, int]]] = {}
    for row in read_csv(sources / "ccf" / "SPECpower-2026-03-09.csv"):
        arch = arch_of(row["CPU Description"], parts)
        try:
            full, idle, threads = float(row["avg. watts @ 100%"]), float(row["avg. watts @ active idle"]), int(row["Total Threads"])
        except ValueError:
            continue
        if arch and threads > 0:
            found.setdefault(arch, []).append((full / threads, idle / threads, int(row["Published"][-4:])))
    return found


def _ccf_coefficients(sources: Path) -> dict[str, tuple[float, float]]:
    coefficients: dict[str, tuple[float, float]] = {}
    for provider in ("aws", "azure", "gcp"):  # AWS's file covers most; the others fill gaps
        for row in read_csv(sources / "ccf" / f"coefficients-{provider}-use.csv"):
            if not row["Architecture"].startswith("Graviton"):  # placeholders: see ARM_STAND_INS
                coefficients.setdefault(row["Architecture"], (float(row["Min Watts"]), float(row["Max Watts"])))
    return coefficients


def _note(arch: str, w_max: float, ccf: tuple[float, float] | None) -> str:
    notes = [NOTES[arch]] if arch in NOTES else []
    if ccf is not None and abs(ccf[1] / w_max - 1) > 0.25:
        notes.append(f"CCF's published coefficient ({ccf[1]:.3g} W) differs from the mean of the results by over 25 %")
    return "; ".join(notes)


def arch_rows(sources: Path, hardware: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per microarchitecture; ``tdp_low``/``tdp_high`` are the 10th and 90th
    percentiles of its parts' TDP ÷ threads (the hardware table's), the data sheets' view."""
    parts = part_rows(sources)
    tdps = _tdp_per_thread(hardware, parts)
    results = _spec_per_thread(sources, parts)
    coefficients = _ccf_coefficients(sources)
    rows = {}
    for arch in sorted(set(coefficients) | set(results)):
        got = results.get(arch, [])
        full = sorted(r[0] for r in got)
        if full:
            w_idle, w_max = statistics.mean(r[1] for r in got), statistics.mean(full)
            source = SPEC_MEAN
        elif arch in coefficients:
            w_idle, w_max = coefficients[arch]
            source = CCF
        else:
            continue
        if len(full) >= 2:
            deciles = statistics.quantiles(full, n=10, method="inclusive")
            low, high = min(deciles[0], w_max), max(deciles[-1], w_max)
        else:  # one result or none: the figure alone says nothing of its spread
            low, high = w_max / STAND_IN_WIDEN, w_max * STAND_IN_WIDEN
        years = f"{min(r[2] for r in got)}-{max(r[2] for r in got)}" if got else ""
        vendor = next((v for k, v in VENDORS.items() if k in arch), "Intel")
        rows[arch] = dict(architecture=arch, vendor=vendor, w_idle=w_idle, w_max=w_max, w_low=low, w_high=high,
                          results=len(full), years=years, ccf_w_max=coefficients.get(arch, (None, ""))[1],
                          tdp_low=(_deciles(tdps.get(arch, [])) or ("", ""))[0],
                          tdp_high=(_deciles(tdps.get(arch, [])) or ("", ""))[1],
                          source=source, note=_note(arch, w_max, coefficients.get(arch)))
    for arch, stand_in in ARM_STAND_INS.items():
        base, own = rows[stand_in], [r[0] for r in results.get(arch, [])]
        note = NOTES[arch] + (f"; its own {len(own)} result(s) ({', '.join(f'{w:.3g}' for w in own)} W) kept inside the spread" if own else "")
        rows[arch] = dict(base, architecture=arch, w_low=min([base["w_low"] / STAND_IN_WIDEN, *own]),
                          w_high=max([base["w_high"] * STAND_IN_WIDEN, *own]), results=len(own), years="",
                          ccf_w_max="", tdp_low="", tdp_high="", note=note,
                          source=f"stand-in: {stand_in} ({base['source']})")
    rows.update({r["architecture"]: r for r in APPLE_ROWS})
    return sorted(rows.values(), key=lambda r: (r["vendor"], r["architecture"]))


#: Apple M-series: Apple publishes no TDP and SPECpower has no Mac. Reviewers measured the
#: CPU package under all-core load at about 15-20 W for the 8 cores of an M1 and 34-43 W for
#: the 10 of an M1 Max (AnandTech's M1 and M1 Max reviews, 2020 and 2021): about 2-2.5 W and
#: 3.4-4.3 W per core. Later chips of each tier are taken alike, with a wider spread.
APPLE_SOURCE = "reviewers' CPU package power under all-core load (AnandTech: M1 2020, M1 Max 2021)"
APPLE_ROWS = [
    dict(architecture="Apple M-series", vendor="Apple", w_idle=0.05, w_max=2.3, w_low=1.5, w_high=3.5, results=0,
         years="", ccf_w_max="", tdp_low="", tdp_high="", source=APPLE_SOURCE,
         note="approximate: no SPECpower result; zeus-apple-silicon measures a Mac's CPU instead"),
    dict(architecture="Apple M-series Pro/Max/Ultra", vendor="Apple", w_idle=0.05, w_max=3.8, w_low=2.5, w_high=5.0,
         results=0, years="", ccf_w_max="", tdp_low="", tdp_high="", source=APPLE_SOURCE,
         note="approximate: no SPECpower result; zeus-apple-silicon measures a Mac's CPU instead"),
]

#: Ampere Altra and Altra Max (Neoverse N1, one thread per core): TDP from Ampere's product
#: brief, which the open TDP tables lack.
AMPERE_BRIEF = "https://amperecomputing.com/briefs/ampere-altra-family-product-brief"
AMPERE_TDP = {"Q80-30": (210, 80), "Q64-30": (180, 64), "Q32-17": (45, 32), "M128-30": (250, 128)}


def _tdp_per_thread(hardware: list[dict[str, object]], parts) -> dict[str, list[float]]:
    """TDP ÷ threads of every part of a microarchitecture whose threads the hardware table knows."""
    found: dict[str, list[float]] = {}
    for row in hardware:
        if row["kind"] == "cpu" and row["threads"]:
            arch = arch_of(str(row["name"]), parts)
            if arch:
                found.setdefault(arch, []).append(float(row["tdp_w"]) / int(row["threads"]))
    for part, (tdp, threads) in AMPERE_TDP.items():
        found.setdefault("Neoverse N1", []).append(tdp / threads)
    return found


def _deciles(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:
        return (values[0], values[0]) if values else None
    d = statistics.quantiles(sorted(values), n=10, method="inclusive")
    return d[0], d[-1]


def instance_rows(sources: Path) -> list[dict[str, object]]:
    parts = part_rows(sources)
    rows: dict[tuple[str, str], dict[str, object]] = {}

    def put(provider, instance, vcpus, cpu, arch):
        instance = instance.strip()
        if instance and vcpus and (provider, instance.lower()) not in rows:
            rows[(provider, instance.lower())] = dict(provider=provider, instance=instance, vcpus=int(float(vcpus)),
                                                     cpu=cpu.strip(), architecture=arch or "")

    for row in read_csv(sources / "ccf" / "aws-instances-latest-2026.csv"):
        cpu = row["Platform CPU Name"]
        put("aws", row["Instance Type"], row["vCPUs"], cpu, arch_of(cpu, parts))
    for row in read_csv(sources / "ccf" / "gcp-instances-latest-2026.csv"):
        cpu = row["CPU Name"]
        arch = arch_of(cpu, parts) or (row["Microarchitecture"] if row["Microarchitecture"] in ARCH_LISTS.values() else None)
        put("gcp", row["Instance Type"], row["Instance vCPU"], cpu, arch)
    for row in read_csv(sources / "ccf" / "azure-instances.csv"):
        arch = row["Microarchitecture"] if row["Microarchitecture"] in ARCH_LISTS.values() else None
        name = "Standard_" + row["Virtual Machine"].strip().replace(" ", "_")
        put("azure", name, row["Instance vCPUs"], "", arch)
    return sorted(rows.values(), key=lambda r: (r["provider"], r["instance"].lower()))
