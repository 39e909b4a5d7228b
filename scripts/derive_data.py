"""Derive the bundled tables in ``jupyter_carbon/data/`` from the raw public sources.

Usage::

    python scripts/derive_data.py [--sources ../shared/sources] [--out jupyter_carbon/data]

The raw files and their licences are described in the sources folder's README; each
derived table keeps, per row, which source it came from. ``data/README.md`` states the
licences and attributions. Run again whenever a source file changes; the output is
deterministic (sorted rows, fixed float formatting) so diffs stay readable.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = HERE.parent.parent / "shared" / "sources"
DEFAULT_OUT = HERE.parent / "jupyter_carbon" / "data"

HARDWARE_FIELDS = ["kind", "name", "tdp_w", "cores", "source", "url"]

# Rated board power from the vendors' data sheets, for accelerators that the open tables
# lack or get wrong. Facts, with the sheet each came from.
NVIDIA_DATASHEET_GPUS = [
    ("NVIDIA H200 SXM", 700, "https://www.nvidia.com/en-us/data-center/h200/"),
    ("NVIDIA H100 SXM", 700, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA H100 PCIe", 350, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA H100 NVL", 400, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA A100 SXM4", 400, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"),
    ("NVIDIA A10", 150, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/a10-datasheet.pdf"),
    ("NVIDIA A10G", 150, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/a10-datasheet.pdf"),
    ("NVIDIA L4", 72, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/l4/PB-11316-001_v01.pdf"),
    ("NVIDIA L40S", 350, "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"),
    ("NVIDIA Tesla V100 PCIe", 250, "https://images.nvidia.com/content/technologies/volta/pdf/tesla-volta-v100-datasheet-letter-fnl-web.pdf"),
    ("NVIDIA Tesla V100 SXM2", 300, "https://images.nvidia.com/content/technologies/volta/pdf/tesla-volta-v100-datasheet-letter-fnl-web.pdf"),
    ("NVIDIA Tesla P100 SXM2", 300, "https://images.nvidia.com/content/tesla/pdf/nvidia-tesla-p100-datasheet.pdf"),
    ("NVIDIA RTX 4090", 450, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/"),
    ("NVIDIA RTX 3090", 350, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3090-3090ti/"),
]

# Rows of the open tables that contradict the vendors' data sheets, by the table's name:
# the V100 without a form factor is the 300 W SXM2 part in Green Algorithms' own source;
# name it so, since the PCIe card is 250 W.
GREEN_ALGORITHMS_GPU_RENAMES = {"NVIDIA Tesla V100": "NVIDIA Tesla V100 SXM2"}


def read_green_algorithms(path: Path) -> list[dict[str, str]]:
    """Green Algorithms' CSVs open with an annotation row before the real header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))


def parse_watts(text) -> float | None:
    """A positive number of watts, or None for a malformed cell (one source has '27.29.5')."""
    try:
        watts = float(text)
    except (TypeError, ValueError):
        return None
    return watts if watts > 0 else None


def hardware_rows(sources: Path) -> list[dict[str, object]]:
    rows: dict[tuple[str, str], dict[str, object]] = {}

    def put(kind, name, tdp, cores, source, url):
        name = " ".join(name.split())
        watts = parse_watts(tdp)
        if watts is None:
            print(f"skipped {kind} {name!r}: TDP {tdp!r} is not a number ({source})", file=sys.stderr)
            return
        key = (kind, name.lower())
        if key not in rows:
            rows[key] = dict(kind=kind, name=name, tdp_w=watts, cores=cores or "", source=source, url=url)

    # Vendor data sheets first: they win over any open table that disagrees.
    for name, tdp, url in NVIDIA_DATASHEET_GPUS:
        put("gpu", name, tdp, "", "vendor data sheet", url)

    for row in read_green_algorithms(sources / "greenalgorithms-TDP_gpu.csv"):
        name, tdp = row["model"].strip(), row["TDP"].strip()
        if not tdp or name == "Any":
            continue
        kind = "tpu" if name.upper().startswith("TPU") else "gpu"
        name = GREEN_ALGORITHMS_GPU_RENAMES.get(name, name)
        put(kind, name, tdp, "", "Green Algorithms TDP_gpu (CC BY 4.0)", row.get("source", "").strip())

    for row in read_green_algorithms(sources / "greenalgorithms-TDP_cpu.csv"):
        name, tdp = row["model"].strip(), row["TDP"].strip()
        if not tdp or name == "Any":
            continue
        put("cpu", name, tdp, row["n_cores"].strip(), "Green Algorithms TDP_cpu (CC BY 4.0)", row.get("source", "").strip())

    with open(sources / "codecarbon-cpu_power.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name, tdp = row["Name"].strip(), row["TDP"].strip()
            if name and tdp:
                put("cpu", name, tdp, "", "CodeCarbon cpu_power (MIT)", "")
    return sorted(rows.values(), key=lambda r: (r["kind"], r["name"].lower()))


def write_csv(path: Path, fields: list[str], rows: list[dict[str, object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.sources.is_dir():
        print(f"error: no sources folder at {args.sources}; pass --sources PATH", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    hardware = hardware_rows(args.sources)
    write_csv(args.out / "hardware.csv", HARDWARE_FIELDS, hardware)
    print(f"hardware.csv: {len(hardware)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
