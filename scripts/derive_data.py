"""Derive the bundled tables in ``jupyter_carbon/data/`` from the raw public sources.

Usage::

    python scripts/derive_data.py [--sources data-sources] [--out jupyter_carbon/data]

Three parts live beside it: ``derive_cloud.py`` (cloud regions and their PUE),
``derive_places.py`` (place names), ``derive_cpu.py`` (CPU power per microarchitecture,
CPU parts, cloud instance types) and ``derive_embodied.py`` (manufacturing emissions). The raw files and their licences are described in
``data-sources/README.md``; each
derived table keeps, per row, which source it came from. ``data/README.md`` states the
licences and attributions. Run again whenever a source file changes; the output is
deterministic (sorted rows, fixed float formatting) so diffs stay readable.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # derive_cloud and derive_places, the parts of this script
sys.path.insert(1, str(HERE.parent))  # jupyter_carbon, whose normalise() names are stored for
from derive_cloud import CLOUD_FIELDS, cloud_rows  # noqa: E402
from derive_cpu import ARCH_FIELDS, INSTANCE_FIELDS, PART_FIELDS, arch_rows, instance_rows, part_rows  # noqa: E402
from derive_places import PLACE_FIELDS, is_compass_name, normalise, place_rows  # noqa: E402
from derive_embodied import EMBODIED_FIELDS, EMBODIED_INSTANCE_FIELDS, embodied_instance_rows, embodied_rows  # noqa: E402

DEFAULT_SOURCES = HERE.parent / "data-sources"
DEFAULT_OUT = HERE.parent / "jupyter_carbon" / "data"
# ISO 3166 codes (Debian iso-codes) and tzdata's zone.tab live in the sources folder too, so
# that the output does not change with the operating system's version of them.
ISO_CODES = "iso_3166-1.json"
ZONE_TAB = "zone.tab"

HARDWARE_FIELDS = ["kind", "name", "tdp_w", "cores", "threads", "source", "url"]

# Rated board power from the vendors' data sheets, for accelerators that the open tables
# lack or get wrong. Facts, with the sheet each came from.
NVIDIA_DATASHEET_GPUS = [
    ("NVIDIA H200 SXM", 700, "https://www.nvidia.com/en-us/data-center/h200/"),
    ("NVIDIA H100 SXM", 700, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA H100 PCIe", 350, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA H100 NVL", 400, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA A100 SXM4", 400, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"),
    ("NVIDIA A10", 150, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/a10-datasheet.pdf"),
    ("NVIDIA B200", 1000, "https://www.nvidia.com/en-us/data-center/hgx/"),
    ("NVIDIA H200 NVL", 600, "https://www.nvidia.com/en-us/data-center/h200/"),
    ("NVIDIA GH200", 1000, "https://resources.nvidia.com/en-us-grace-cpu/grace-hopper-superchip"),
    # The names NVML reports for the common SXM parts, so that a lookup needs no form factor.
    ("NVIDIA H100 80GB HBM3", 700, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    ("NVIDIA A100-SXM4-80GB", 400, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"),
    ("NVIDIA A100-SXM4-40GB", 400, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"),
    # The A10G (AWS G5) is a variant the A10's sheet does not cover; its driver reports a
    # 300 W power limit (nvidia-smi -q on g5 instances), which is what it may draw.
    ("NVIDIA A10G", 300, "https://docs.aws.amazon.com/dlami/latest/devguide/gpu.html"),
    ("NVIDIA L4", 72, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/l4/PB-11316-001_v01.pdf"),
    ("NVIDIA L40S", 350, "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"),
    ("NVIDIA Tesla V100 PCIe", 250, "https://images.nvidia.com/content/technologies/volta/pdf/tesla-volta-v100-datasheet-letter-fnl-web.pdf"),
    ("NVIDIA Tesla V100 SXM2", 300, "https://images.nvidia.com/content/technologies/volta/pdf/tesla-volta-v100-datasheet-letter-fnl-web.pdf"),
    ("NVIDIA Tesla P100 SXM2", 300, "https://images.nvidia.com/content/tesla/pdf/nvidia-tesla-p100-datasheet.pdf"),
    ("NVIDIA RTX 4090", 450, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/"),
    ("NVIDIA RTX 3090", 350, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3090-3090ti/"),
]

# Rows of the open tables that contradict the vendors' data sheets, by the table's name:
# the V100 without a form factor is the 300 W SXM2 part in Green Algorithms' own source,
# and its P100 without one cites the PCIe card's data sheet; name them so, since the other
# form factor draws a different power.
GREEN_ALGORITHMS_GPU_RENAMES = {
    "NVIDIA Tesla V100": "NVIDIA Tesla V100 SXM2",
    "NVIDIA Tesla P100": "NVIDIA Tesla P100 PCIe",
}

# TPU power. Google publishes no TDP for its TPUs, only measured average power per chip;
# Green Algorithms' v2 figure (280 W) cites Patterson et al. but is that paper's v3 figure
# (283 W), and its v3 figure (220 W) is not on the page it cites. The paper's measured
# averages are used for v2 and v3 (the ML CO2 Impact calculator's gpus.csv carries the same
# two numbers), Green Algorithms' 170 W for v4 (from Google's TPU documentation).
PATTERSON_2021 = "https://arxiv.org/abs/2104.10350"
AMD_INSTINCT = "https://www.amd.com/en/products/accelerators/instinct.html"
DATASHEET_ACCELERATORS = [
    ("gpu", "AMD Instinct MI250X", 560, "https://www.amd.com/en/products/accelerators/instinct/mi200/mi250x.html"),
    ("gpu", "AMD Instinct MI300X", 750, "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html"),
]

# TPU v5e, v5p and v6e: Google publishes no power per chip for them (its TPU pages give
# compute, memory and interconnect only), so they have no row rather than a guess: a TPU
# the table lacks is reported as unknown, with its reason.
TPU_AVERAGE_POWER = {
    "TPU v2": (221, "Patterson et al. 2021, Table 4 (measured average per chip)", PATTERSON_2021),
    "TPU v3": (283, "Patterson et al. 2021, Table 4 (measured average per chip)", PATTERSON_2021),
}

# Physical cores and hardware threads of the server CPUs cloud VMs report, which the open
# tables give a TDP for but no core count. Facts from the vendors' product pages (Intel ARK,
# AMD's EPYC specifications) and, for parts made for one cloud, the provider's instance pages.
INTEL_ARK = "https://ark.intel.com"
AMD_EPYC = "https://www.amd.com/en/products/specifications/processors"
AWS_INSTANCES = "https://aws.amazon.com/ec2/instance-types/"
AZURE_SIZES = "https://learn.microsoft.com/en-us/azure/virtual-machines/sizes"
GCP_MACHINES = "https://cloud.google.com/compute/docs/cpu-platforms"
SERVER_CPU_CORES = {
    "Intel Xeon Platinum 8124M": (18, 36, AWS_INSTANCES),
    "Intel Xeon Platinum 8151": (12, 24, AWS_INSTANCES),
    "Intel Xeon Platinum 8175M": (24, 48, AWS_INSTANCES),
    "Intel Xeon Platinum 8259CL": (24, 48, AWS_INSTANCES),
    "Intel Xeon Platinum 8275CL": (24, 48, AWS_INSTANCES),
    "Intel Xeon Platinum 8375C": (32, 64, AWS_INSTANCES),
    "Intel Xeon E5-2686 v4": (18, 36, AWS_INSTANCES),
    "Intel Xeon Platinum 8171M": (26, 52, AZURE_SIZES),
    "Intel Xeon Platinum 8272CL": (26, 52, AZURE_SIZES),
    "Intel Xeon Platinum 8168": (24, 48, INTEL_ARK),
    "Intel Xeon Platinum 8280": (28, 56, INTEL_ARK),
    "Intel Xeon Platinum 8358": (32, 64, INTEL_ARK),
    "Intel Xeon Platinum 8380": (40, 80, INTEL_ARK),
    "Intel Xeon Gold 6154": (18, 36, INTEL_ARK),
    "Intel Xeon Gold 6226R": (16, 32, INTEL_ARK),
    "AMD EPYC 7R13": (48, 96, AWS_INSTANCES),
    "AMD EPYC 7B12": (64, 128, GCP_MACHINES),
    "AMD EPYC 7452": (32, 64, AMD_EPYC),
    "AMD EPYC 7713": (64, 128, AMD_EPYC),
}

# Hardware threads per core where a vendor's family has one rule for every part: every AMD
# EPYC and Ryzen Threadripper runs two threads per core (SMT), every Intel Xeon Scalable
# Platinum, Gold and Silver two (Hyper-Threading), Bronze one, Xeon Phi four. Families with
# exceptions (Core, Ryzen, Xeon E3/E5/E7) get no thread count from a rule.
SMT_RULES = [
    (re.compile(r"\bEPYC\b|\bThreadripper\b", re.IGNORECASE), 2),
    (re.compile(r"\bXeon (Platinum|Gold|Silver)\b", re.IGNORECASE), 2),
    (re.compile(r"\bXeon Bronze\b", re.IGNORECASE), 1),
    (re.compile(r"\bXeon Phi\b", re.IGNORECASE), 4),
]

#: Where the same CPU is in several sources (names compared without the brand) with
#: different TDPs, the first source in this order wins. CodeCarbon's figure is the vendor's
#: in every such conflict checked (see data/README.md); Green Algorithms adds core counts.
CPU_SOURCE_ORDER = ("vendor", "CodeCarbon", "Green Algorithms")


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


def cpu_key(name: str) -> str:
    """A CPU model without its vendor's name: 'Core i3-10300' and 'Intel Core i3-10300' are one part."""
    words = name.lower().split()
    return " ".join(w for w in words if w not in ("intel", "amd"))


def smt_threads(name: str, cores) -> int | None:
    """Hardware threads of a part from its cores and its family's rule (SMT_RULES), if any."""
    if not cores:
        return None
    for pattern, per_core in SMT_RULES:
        if pattern.search(name):
            return int(cores) * per_core
    return None


def _cpu_candidates(sources: Path) -> dict[str, list[dict[str, object]]]:
    """Every usable CPU row of the open tables, grouped by model."""
    found: dict[str, list[dict[str, object]]] = {}

    def add(name, tdp, cores, rank, source, url):
        name = " ".join(name.split())
        watts = parse_watts(tdp)
        if watts is None:
            print(f"skipped cpu {name!r}: TDP {tdp!r} is not a number ({source})", file=sys.stderr)
            return
        row = dict(name=name, tdp_w=watts, cores=int(cores) if cores else None, rank=rank, source=source, url=url)
        found.setdefault(cpu_key(name), []).append(row)

    with open(sources / "codecarbon-cpu_power.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Name"].strip() and row["TDP"].strip():
                add(row["Name"], row["TDP"].strip(), "", 0, "CodeCarbon cpu_power (MIT)", "")
    for row in read_green_algorithms(sources / "greenalgorithms-TDP_cpu.csv"):
        if row["TDP"].strip() and row["model"].strip() != "Any":
            add(row["model"], row["TDP"].strip(), row["n_cores"].strip(), 1,
                "Green Algorithms TDP_cpu (CC BY 4.0)", row.get("source", "").strip())
    return found


def cpu_rows(sources: Path) -> list[dict[str, object]]:
    """One row per CPU model: TDP from the first source in CPU_SOURCE_ORDER (within one
    source, the higher figure), cores from whichever source has them, threads from the
    data sheets in SERVER_CPU_CORES or else the family's SMT rule."""
    rows = []
    for group in _cpu_candidates(sources).values():
        best = min(group, key=lambda r: (r["rank"], -r["tdp_w"], -len(r["name"])))
        with_cores = next((r for r in group if r["cores"]), None)
        cores, threads, source, url = None, None, best["source"], best["url"]
        if with_cores is not None:
            cores = with_cores["cores"]
            threads = smt_threads(best["name"], cores)
            if with_cores is not best:
                source = f"{source}; cores: {with_cores['source']}"
                url = url or with_cores["url"]
        sheet = next((v for k, v in SERVER_CPU_CORES.items() if cpu_key(k) == cpu_key(best["name"])), None)
        if sheet is not None:
            cores, threads, sheet_url = sheet
            source, url = f"{best['source']}; cores and threads: vendor or cloud provider", url or sheet_url
        rows.append(dict(kind="cpu", name=best["name"], tdp_w=best["tdp_w"], cores=cores or "",
                         threads=threads or "", source=source, url=url))
    return rows


def accelerator_rows(sources: Path) -> list[dict[str, object]]:
    """GPUs and TPUs: the vendors' data sheets first, then Green Algorithms' table."""
    rows: dict[str, dict[str, object]] = {}

    def put(kind, name, tdp, source, url):
        rows.setdefault(name.lower(), dict(kind=kind, name=name, tdp_w=float(tdp), cores="", threads="", source=source, url=url))

    for name, tdp, url in NVIDIA_DATASHEET_GPUS:
        put("gpu", name, tdp, "vendor data sheet", url)
    for kind, name, tdp, url in DATASHEET_ACCELERATORS:
        put(kind, name, tdp, "vendor data sheet", url)
    for name, (watts, source, url) in TPU_AVERAGE_POWER.items():
        put("tpu", name, watts, source, url)
    for row in read_green_algorithms(sources / "greenalgorithms-TDP_gpu.csv"):
        name, tdp = " ".join(row["model"].split()), row["TDP"].strip()
        if parse_watts(tdp) is None or name == "Any":
            continue
        kind = "tpu" if name.upper().startswith("TPU") else "gpu"
        put(kind, GREEN_ALGORITHMS_GPU_RENAMES.get(name, name), tdp, "Green Algorithms TDP_gpu (CC BY 4.0)", row.get("source", "").strip())
    return list(rows.values())


def hardware_rows(sources: Path) -> list[dict[str, object]]:
    rows = accelerator_rows(sources) + cpu_rows(sources)
    return sorted(rows, key=lambda r: (r["kind"], r["name"].lower()))



# ---------------------------------------------------------------------------------------
# Grid zones: Electricity Maps yearly averages first, Ember for the countries it lacks.

ZONE_FIELDS = [
    "key", "name", "country", "kind", "g_per_kwh", "year", "source", "alpha3", "aliases",
]
ELECTRICITY_MAPS_SOURCE = "Electricity Maps {year} yearly average (ODbL)"
EMBER_SOURCE = "Ember {year} yearly average (CC BY 4.0)"
ELECTRICITY_MAPS_YEAR = 2025

#: The world average is the last resort when nothing says where the machine is.
WORLD_KEY = "WORLD"

# What people type for a zone that neither its key, its names nor a place name covers. States,
# provinces and cities are place names (``derive_places``), each with the reason for its zone.
ZONE_ALIASES = {
    "GB": ["UK"],
    "US": ["united states of america", "america"],
    "US-NE-ISNE": ["new england", "iso-ne", "isone"],
    "US-NY-NYIS": ["nyiso"],
    "US-CENT-SWPP": ["southwest power pool"],
    "JP-TK": ["kanto", "kantō"],
}

def read_iso_countries(path: Path) -> dict[str, dict[str, str]]:
    """ISO 3166-1 countries by alpha-2 (Debian's iso-codes JSON): alpha-3 and short name."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["alpha_2"]: c for c in data["3166-1"]}


def iso_names(iso: dict, alpha2: str, sub: bool) -> list[str]:
    """ISO 3166 names of a country ("India" where Electricity Maps says "Mainland India")."""
    entry = iso.get(alpha2)
    if sub or entry is None:
        return []
    return [n for n in (entry.get("name"), entry.get("common_name")) if n]


def market_code(key: str) -> str | None:
    """The short code a market uses for its bidding zone ("SE3" for SE-SE3, "DK1", "NO2")."""
    last = key.rsplit("-", 1)[-1]
    return last if "-" in key and re.fullmatch(r"[A-Z]{2}\d", last) else None


def zone_rows(sources: Path, iso_path: Path) -> list[dict[str, object]]:
    iso = read_iso_countries(iso_path)
    alpha3_to_2 = {c["alpha_3"]: a2 for a2, c in iso.items()}
    rows: dict[str, dict[str, object]] = {}

    em = json.loads((sources / f"electricitymaps-yearly-{ELECTRICITY_MAPS_YEAR}.json").read_text(encoding="utf-8"))
    for key, entry in em.items():
        value = entry.get("carbonIntensity", {}).get("value")
        if not isinstance(value, (int, float)) or value < 0:
            print(f"skipped zone {key}: intensity {value!r} is not a number", file=sys.stderr)
            continue
        country = key.split("-", 1)[0]
        zone = entry.get("zone", {})
        country_name = zone.get("countryName") or iso.get(country, {}).get("name", country)
        sub = "-" in key
        name = zone.get("displayName") or zone.get("zoneName") or key
        rows[key] = dict(
            key=key,
            name=f"{name} ({country_name})" if sub else name,
            country=country,
            kind="subnational" if sub else "country",
            g_per_kwh=float(value),
            year=ELECTRICITY_MAPS_YEAR,
            source=ELECTRICITY_MAPS_SOURCE.format(year=ELECTRICITY_MAPS_YEAR),
            alpha3="" if sub else iso.get(country, {}).get("alpha_3", ""),
            names=sorted(
                n for n in {zone.get("zoneName"), zone.get("displayName"), *iso_names(iso, country, sub), market_code(key)}
                if n and not (sub and is_compass_name(n))
            ),
        )

    ember = json.loads((sources / "ember-average-intensities.json").read_text(encoding="utf-8"))
    for label, entry in ember.items():
        alpha3 = entry.get("country_code", "")
        value = entry.get("emissions_intensity_gco2_per_kwh")
        year = int(entry["year"])
        if label == "World":
            rows[WORLD_KEY] = dict(
                key=WORLD_KEY, name="World", country="", kind="world", g_per_kwh=float(value),
                year=year, source=EMBER_SOURCE.format(year=year), alpha3="", names=["world", "global"],
            )
            continue
        alpha2 = alpha3_to_2.get(alpha3)
        if not alpha2 or alpha2 in rows or not isinstance(value, (int, float)):
            continue
        rows[alpha2] = dict(
            key=alpha2, name=entry["country_or_region"], country=alpha2, kind="country",
            g_per_kwh=float(value), year=year, source=EMBER_SOURCE.format(year=year),
            alpha3=alpha3, names=[entry["country_or_region"], *iso_names(iso, alpha2, False)],
        )

    # Names become aliases only where they are unambiguous; the curated aliases must be.
    owners: dict[str, set[str]] = {}
    for row in rows.values():
        for alias in [row["key"], row["alpha3"], row["name"], *row["names"]]:
            if alias:
                owners.setdefault(normalise(alias), set()).add(row["key"])
    for key, aliases in ZONE_ALIASES.items():
        if key not in rows:
            raise SystemExit(f"alias table names zone {key}, which the sources lack")
        for alias in aliases:
            taken = owners.get(normalise(alias), set()) - {key}
            if taken:
                raise SystemExit(f"alias {alias!r} for {key} is already {sorted(taken)}")
    out = []
    for key, row in rows.items():
        own_name = row["name"] if row["kind"] != "subnational" else ""  # not "X (Country)"
        aliases = {normalise(a) for a in [row["alpha3"], own_name, *row.pop("names")] if a}
        aliases = {a for a in aliases if owners.get(a) == {key}}
        aliases |= {normalise(a) for a in ZONE_ALIASES.get(key, [])}
        aliases.discard(normalise(key))
        row["aliases"] = ";".join(sorted(aliases))
        out.append(row)
    return sorted(out, key=lambda r: r["key"])


# ---------------------------------------------------------------------------------------
# Time zones: tzdata's zone.tab gives each IANA zone its country; a few zones identify a
# sub-national grid zone as well.

TIMEZONE_FIELDS = ["tz", "zone"]

TIMEZONE_SUBNATIONAL = {
    "America/Montreal": "CA-QC",  # a link to America/Toronto in tzdata; Québec users set it
    "America/Toronto": "CA-ON",
    "America/Vancouver": "CA-BC",
    "America/Edmonton": "CA-AB",
    "America/Winnipeg": "CA-MB",
    "America/Regina": "CA-SK",
    "America/Halifax": "CA-NS",
    "America/Moncton": "CA-NB",
    "America/St_Johns": "CA-NL",
    "America/Whitehorse": "CA-YT",
    "America/Iqaluit": "CA-NU",
    "America/Yellowknife": "CA-NT",
    "Australia/Sydney": "AU-NSW",
    "Australia/Melbourne": "AU-VIC",
    "Australia/Brisbane": "AU-QLD",
    "Australia/Adelaide": "AU-SA",
    "Australia/Hobart": "AU-TAS",
    "Australia/Perth": "AU-WA",
    "Australia/Darwin": "AU-NT",
    "America/Anchorage": "US-AK",
    "Pacific/Honolulu": "US-HI",
    "America/Phoenix": "US-SW-AZPS",
    "Europe/Belfast": "GB-NIR",
}

# Old names (tzdata's "backward" links) that machines still report, with their country.
TIMEZONE_LINKS = {
    "Asia/Calcutta": "IN", "Asia/Saigon": "VN", "Asia/Katmandu": "NP", "Asia/Rangoon": "MM",
    "Europe/Kiev": "UA", "US/Eastern": "US", "US/Central": "US", "US/Mountain": "US",
    "US/Pacific": "US", "US/Alaska": "US-AK", "US/Hawaii": "US-HI", "Canada/Eastern": "CA-ON",
    "Canada/Pacific": "CA-BC", "Canada/Mountain": "CA-AB", "Canada/Atlantic": "CA-NS",
    "Australia/ACT": "AU-NSW", "Australia/Canberra": "AU-NSW", "Europe/Kyiv": "UA",
    "GB": "GB", "Japan": "JP", "Singapore": "SG", "Israel": "IL", "Eire": "IE",
}


def timezone_rows(zone_tab: Path, zone_keys: set[str]) -> list[dict[str, object]]:
    rows: dict[str, str] = {}
    for line in zone_tab.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coords, tz = line.split("\t")[:3]
        if country in zone_keys:
            rows[tz] = country
    rows.update(TIMEZONE_LINKS)
    rows.update(TIMEZONE_SUBNATIONAL)
    missing = sorted(z for z in rows.values() if z not in zone_keys)
    if missing:
        raise SystemExit(f"time-zone table names unknown zones: {missing}")
    return [dict(tz=tz, zone=zone) for tz, zone in sorted(rows.items())]


# ---------------------------------------------------------------------------------------
# Equivalents: grams of CO2e per unit of something people picture.

# ``gas`` says what a factor counts: CO2 alone, or all greenhouse gases as CO2e. Comparing
# a CO2-only factor with emissions in CO2e flatters it slightly; the views say which is which.
EQUIVALENT_FIELDS = ["key", "label", "unit", "g_per_unit", "gas", "source", "year", "url"]
EPA_URL = "https://www.epa.gov/energy/greenhouse-gases-equivalencies-calculator-calculations-and-references"

# The US EPA equivalencies calculator publishes these in metric tons of CO2 (not CO2e);
# converted to grams.
EPA_EQUIVALENTS = [
    ("smartphone_charges", "smartphone charges", "charge", 1.24e-5 * 1e6,
     "US EPA Greenhouse Gas Equivalencies Calculator: CO2 per smartphone charged", 2024),
    ("tree_seedlings_10y", "tree seedlings grown for 10 years", "seedling", 0.060 * 1e6,
     "US EPA Greenhouse Gas Equivalencies Calculator: CO2 per urban tree planted and grown for 10 years", 2024),
]

# From Green Algorithms' referenceValues.csv: variable -> (key, label, unit).
GREEN_ALGORITHMS_EQUIVALENTS = {
    "passengerCar_US_perkm": ("car_km", "km driven by an average car (US)", "km"),
    "passengerCar_EU_perkm": ("car_km_eu", "km driven by an average car (EU)", "km"),
    "treeYear": ("tree_years", "years of a mature tree's uptake", "tree-year"),
    "flight_PAR-LON": ("flight_paris_london", "Paris-London flights, one passenger", "flight"),
}


def equivalent_rows(sources: Path) -> list[dict[str, object]]:
    rows = [
        dict(key=k, label=label, unit=unit, g_per_unit=float(g), gas="CO2", source=src, year=year, url=EPA_URL)
        for k, label, unit, g, src, year in EPA_EQUIVALENTS
    ]
    for row in read_green_algorithms(sources / "greenalgorithms-referenceValues.csv"):
        if row["variable"] not in GREEN_ALGORITHMS_EQUIVALENTS:
            continue
        key, label, unit = GREEN_ALGORITHMS_EQUIVALENTS[row["variable"]]
        note = row["source"].strip()
        urls = re.findall(r"https?://\S+", note)
        # Green Algorithms opens each note with the unit: "in gCO2/km ...", "gCO2e from ...".
        unit_gas = re.match(r"(?:in )?g(CO2e?)\b", note)
        if unit_gas is None:
            raise SystemExit(f"referenceValues {row['variable']}: no gCO2 or gCO2e unit in {note!r}")
        rows.append(dict(
            key=key, label=label, unit=unit, g_per_unit=float(row["value"]), gas=unit_gas.group(1),
            source=f"Green Algorithms referenceValues (CC BY 4.0): {row['variable']}", year="",
            url=urls[-1] if urls else "",
        ))
    return sorted(rows, key=lambda r: r["key"])


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
    parser.add_argument("--iso-codes", type=Path, help=f"iso-codes' {ISO_CODES} (default: in the sources folder)")
    parser.add_argument("--zone-tab", type=Path, help=f"tzdata's {ZONE_TAB} (default: in the sources folder)")
    args = parser.parse_args(argv)
    if not args.sources.is_dir():
        print(f"error: no sources folder at {args.sources}; pass --sources PATH", file=sys.stderr)
        return 2
    args.iso_codes = args.iso_codes or args.sources / ISO_CODES
    args.zone_tab = args.zone_tab or args.sources / ZONE_TAB
    args.out.mkdir(parents=True, exist_ok=True)
    hardware = hardware_rows(args.sources)
    write_csv(args.out / "hardware.csv", HARDWARE_FIELDS, hardware)
    print(f"hardware.csv: {len(hardware)} rows")
    for filename, (fields, rows) in {
        "cpu_architectures.csv": (ARCH_FIELDS, arch_rows(args.sources, hardware)),
        "cpu_parts.csv": (PART_FIELDS, part_rows(args.sources)),
        "cloud_instances.csv": (INSTANCE_FIELDS, instance_rows(args.sources)),
    }.items():
        write_csv(args.out / filename, fields, rows)
        print(f"{filename}: {len(rows)} rows")
    for path in (args.iso_codes, args.zone_tab):
        if not path.is_file():
            print(f"error: {path} is missing (from Debian's iso-codes and tzdata)", file=sys.stderr)
            return 2
    zones = zone_rows(args.sources, args.iso_codes)
    keys = {z["key"] for z in zones}
    by_key = {z["key"]: z for z in zones}
    clouds = cloud_rows(args.sources, by_key)
    tables = {
        "zones.csv": (ZONE_FIELDS, zones),
        "timezones.csv": (TIMEZONE_FIELDS, timezone_rows(args.zone_tab, keys)),
        "cloud_regions.csv": (CLOUD_FIELDS, clouds),
        "places.csv": (PLACE_FIELDS, place_rows(args.sources, by_key, clouds, read_iso_countries(args.iso_codes))),
        "equivalents.csv": (EQUIVALENT_FIELDS, equivalent_rows(args.sources)),
        "embodied.csv": (EMBODIED_FIELDS, embodied_rows(args.sources)),
        "embodied_instances.csv": (EMBODIED_INSTANCE_FIELDS, embodied_instance_rows(args.sources)),
    }
    for filename, (fields, rows) in tables.items():
        write_csv(args.out / filename, fields, rows)
        print(f"{filename}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
