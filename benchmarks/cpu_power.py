"""Watts per busy vCPU for public CPU parts: ours beside TDP ÷ threads, SPECpower, CodeCarbon
and Green Algorithms, for a 2-vCPU cloud VM on each part (the machine most notebooks run on).

    python benchmarks/cpu_power.py

Columns, all in W per busy vCPU:
- ours: what ``energy/model.py`` charges, with its bounds and how the part was known;
- TDP/thr: the part's TDP over its hardware threads (bundled hardware table, two threads per
  core where it gives only cores; "-" where it lacks the part);
- SPECpower: full-load watts per hardware thread of its microarchitecture (mean of results);
- CodeCarbon: CodeCarbon 3.x without RAPL charges TDP × load for the whole visible machine,
  the TDP found in its ``cpu_power.csv`` by the model name the machine reports (85 W where
  it finds none), so 2 busy vCPUs cost TDP / 2 each;
- GreenAlg: Green Algorithms' TDP per core (its ``TDP_cpu.csv``, by the part's real name, as a
  person would type it; 12 W for "Any"), which its calculator charges per core: a vCPU
  counted as a core.
Reads only the bundled tables and ``data-sources/`` (CodeCarbon's and Green Algorithms' files).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from common import add_quick, parse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from jupyter_carbon import cpu_power, hardware  # noqa: E402
from jupyter_carbon.energy.model import CpuModel  # noqa: E402
from jupyter_carbon.energy.topology import CpuTopology  # noqa: E402

SOURCES = HERE.parent / "data-sources"
VM = "fpu sse2 ht avx2 hypervisor"
INTEL, AMD = "GenuineIntel", "AuthenticAMD"

#: (label, what /proc/cpuinfo says, the part's name for the other tools, SMT of the VM)
PARTS = [
    ("AWS m5 (Xeon 8259CL)", {"vendor_id": INTEL, "cpu family": "6", "model": "85", "stepping": "7", "model name": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "flags": VM}, "Xeon Platinum 8259CL", 2),
    ("AWS m5 (Xeon 8175M)", {"vendor_id": INTEL, "cpu family": "6", "model": "85", "stepping": "4", "model name": "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz", "flags": VM}, "Xeon Platinum 8175M", 2),
    ("GCP N1 / Colab (Broadwell)", {"vendor_id": INTEL, "cpu family": "6", "model": "79", "stepping": "0", "model name": "Intel(R) Xeon(R) CPU @ 2.20GHz", "flags": VM}, "Xeon E5-2699 v4", 2),
    ("GCP C3 (Xeon 8481C)", {"vendor_id": INTEL, "cpu family": "6", "model": "143", "stepping": "8", "model name": "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", "flags": VM}, "Xeon Platinum 8481C", 2),
    ("Xeon Processor (SPR)", {"vendor_id": INTEL, "cpu family": "6", "model": "143", "stepping": "8", "model name": "Intel(R) Xeon(R) Processor", "flags": VM}, "Xeon Platinum 8480+", 2),
    ("GCP N2D (EPYC 7B13)", {"vendor_id": AMD, "cpu family": "25", "model": "1", "stepping": "1", "model name": "AMD EPYC 7B13", "flags": VM}, "EPYC 7B13", 2),
    ("'AMD EPYC' (Milan VM)", {"vendor_id": AMD, "cpu family": "25", "model": "1", "stepping": "1", "model name": "AMD EPYC", "flags": VM}, "EPYC 7763", 2),
    ("AWS m7a (EPYC 9R14)", {"vendor_id": AMD, "cpu family": "25", "model": "17", "stepping": "1", "model name": "AMD EPYC 9R14", "flags": VM}, "EPYC 9654", 2),
    ("AWS Graviton2", {"CPU implementer": "0x41", "CPU part": "0xd0c"}, "Graviton2", 1),
    ("AWS Graviton3", {"CPU implementer": "0x41", "CPU part": "0xd40"}, "Graviton3", 1),
    ("Ampere Altra Q80-30", {"CPU implementer": "0x41", "CPU part": "0xd0c"}, "Ampere Altra Q80-30", 1),
]  # fmt: skip


def _rows(path: Path, skip: int = 0) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[skip:]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _match(name: str, rows: list[dict[str, str]], key: str) -> dict[str, str] | None:
    """The row whose every word (brand and clock aside) is in ``name``, the longest first."""
    want = set(hardware.tokens(name))
    best = None
    for row in rows:
        toks = set(hardware.tokens(row[key]))
        if toks and any(ch.isdigit() for t in toks for ch in t) and toks <= want and (best is None or len(toks) > best[0]):
            best = (len(toks), row)
    return best[1] if best else None


def codecarbon_w(name: str, vcpus: int, rows) -> tuple[float, str]:
    row = _match(name, rows, "Name")
    tdp = float(row["TDP"]) if row else 85.0
    return tdp / vcpus, f"{tdp:g} W" if row else "85 W default"


def green_algorithms_w(name: str, rows) -> tuple[float, str]:
    row = _match(name, rows, "model")
    if row and row.get("n_cores") and row.get("TDP"):
        return float(row["TDP"]) / float(row["n_cores"]), "TDP/core"
    return 12.0, "'Any'"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_quick(parser)  # always quick: it reads tables
    parse(parser, argv)
    cc = _rows(SOURCES / "codecarbon-cpu_power.csv")
    ga = _rows(SOURCES / "greenalgorithms-TDP_cpu.csv", skip=1)
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    head = f"{'part':<28} {'known by':<13} {'ours (bounds)':<20} {'TDP/thr':>7} {'SPECpower':>9} {'CodeCarbon':>16} {'GreenAlg':>14}"
    print(head)
    print("-" * len(head))
    for label, cpuinfo, name, smt in PARTS:
        fields = {k.lower(): v for k, v in cpuinfo.items()}  # as /proc/cpuinfo is read
        reported = fields.get("model name", "")
        topo = CpuTopology(reported or "unknown CPU", 2, 1, smt, True, fields, "", "")
        m = CpuModel(topo)
        row = hardware.lookup("cpu", name)
        threads = (row.threads or (row.cores * 2 if row.cores else None)) if row else None
        tdp_thr = f"{row.tdp_w / threads:.2f}" if threads else "-"
        arch = m.arch or cpu_power.architecture(m.identity.architecture)
        spec = f"{arch.w_max:.2f}" if arch and arch.results else "-"
        ccw, ccwhy = codecarbon_w(reported, 2, cc)  # CodeCarbon reads the name the machine reports
        gaw, gawhy = green_algorithms_w(name, ga)
        ours = f"{m.w_per_cpu_second:.2f} ({m.w_low:.2f}-{m.w_high:.2f})"
        print(f"{label:<28} {m.identity.how:<13} {ours:<20} {tdp_thr:>7} {spec:>9} {ccw:>6.1f} {ccwhy:<9} {gaw:>5.1f} {gawhy:<8}")
    print()
    print("SPECpower '-': no result for that design (Graviton3's Neoverse V1); ours then stands in from Neoverse N1, wide.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
