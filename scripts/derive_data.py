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
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = HERE.parent.parent / "shared" / "sources"
DEFAULT_OUT = HERE.parent / "jupyter_carbon" / "data"
# Facts outside the sources folder: ISO 3166 codes (Debian iso-codes) and tzdata's zone.tab.
DEFAULT_ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
DEFAULT_ZONE_TAB = Path("/usr/share/zoneinfo/zone.tab")

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

# What people type for a sub-national zone that its key and name do not cover. A US state is
# served by several balancing authorities; its alias points at the one that serves most of
# its load (a simplification a user can override by naming the authority's zone).
ZONE_ALIASES = {
    "CA-QC": ["quebec", "québec"],
    "US-CAL-CISO": ["US-CA", "california"],
    "US-TEX-ERCO": ["US-TX", "texas"],
    "US-NY-NYIS": ["US-NY", "new york"],
    "US-MIDA-PJM": ["US-VA", "virginia", "US-PA", "pennsylvania", "US-NJ", "new jersey", "US-OH", "ohio"],
    "US-NW-BPAT": ["US-WA", "washington state"],
    "US-NW-PGE": ["US-OR", "oregon"],
    "US-MIDW-MISO": ["US-IA", "iowa", "US-MN", "minnesota"],
    "US-SW-AZPS": ["US-AZ", "arizona"],
    "US-NW-NEVP": ["US-NV", "nevada"],
    "US-NW-PACE": ["US-UT", "utah"],
    "US-NW-PSCO": ["US-CO", "colorado"],
    "US-SE-SOCO": ["US-GA"],
    "US-TEN-TVA": ["US-TN", "tennessee"],
    "US-NE-ISNE": ["US-MA", "massachusetts", "new england"],
    "US-CAR-DUK": ["US-NC", "north carolina"],
    "US-CAR-SCEG": ["US-SC", "south carolina"],
    "US-FLA-FPL": ["US-FL", "florida"],
    "US-HI": ["hawaii"],
    "US-AK": ["alaska"],
    "GB": ["UK", "england", "scotland", "wales"],
    "US": ["united states of america", "america"],
    "GB-NIR": ["northern ireland"],
}


def read_iso_countries(path: Path) -> dict[str, dict[str, str]]:
    """ISO 3166-1 countries by alpha-2 (Debian's iso-codes JSON): alpha-3 and short name."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["alpha_2"]: c for c in data["3166-1"]}


def normalise(text: str) -> str:
    """Lower case, accents dropped, one space between words: how aliases are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().replace("_", " ").split())


def iso_names(iso: dict, alpha2: str, sub: bool) -> list[str]:
    """ISO 3166 names of a country ("India" where Electricity Maps says "Mainland India")."""
    entry = iso.get(alpha2)
    if sub or entry is None:
        return []
    return [n for n in (entry.get("name"), entry.get("common_name")) if n]


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
            names=sorted(n for n in {zone.get("zoneName"), zone.get("displayName"), *iso_names(iso, country, sub)} if n),
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
# Cloud regions: where each provider's region stands and which grid zone feeds it. Written
# for this project from the providers' own region pages; cross-checked in the tests against
# the sources' facts (mlco2 impact.csv, Green Algorithms' data centres, Electricity Maps'
# data-centre zones).

CLOUD_FIELDS = ["key", "provider", "region", "city", "country", "zone", "pue", "pue_source"]

# (region, city, country, grid zone)
CLOUD_REGIONS = {
    "aws": [
        ("us-east-1", "Ashburn, Virginia", "US", "US-MIDA-PJM"),
        ("us-east-2", "Columbus, Ohio", "US", "US-MIDA-PJM"),
        ("us-west-1", "San Francisco Bay Area, California", "US", "US-CAL-CISO"),
        ("us-west-2", "Boardman, Oregon", "US", "US-NW-PACW"),
        ("us-gov-east-1", "Columbus, Ohio", "US", "US-MIDA-PJM"),
        ("us-gov-west-1", "Oregon", "US", "US-NW-PACW"),
        ("ca-central-1", "Montréal", "CA", "CA-QC"),
        ("ca-west-1", "Calgary", "CA", "CA-AB"),
        ("mx-central-1", "Querétaro", "MX", "MX"),
        ("sa-east-1", "São Paulo", "BR", "BR-CS"),
        ("eu-west-1", "Dublin", "IE", "IE"),
        ("eu-west-2", "London", "GB", "GB"),
        ("eu-west-3", "Paris", "FR", "FR"),
        ("eu-central-1", "Frankfurt", "DE", "DE"),
        ("eu-central-2", "Zurich", "CH", "CH"),
        ("eu-north-1", "Stockholm", "SE", "SE-SE3"),
        ("eu-south-1", "Milan", "IT", "IT-NO"),
        ("eu-south-2", "Aragón", "ES", "ES"),
        ("il-central-1", "Tel Aviv", "IL", "IL"),
        ("me-central-1", "United Arab Emirates", "AE", "AE"),
        ("me-south-1", "Bahrain", "BH", "BH"),
        ("af-south-1", "Cape Town", "ZA", "ZA"),
        ("ap-east-1", "Hong Kong", "HK", "HK"),
        ("ap-south-1", "Mumbai", "IN", "IN-WE"),
        ("ap-south-2", "Hyderabad", "IN", "IN-SO"),
        ("ap-southeast-1", "Singapore", "SG", "SG"),
        ("ap-southeast-2", "Sydney", "AU", "AU-NSW"),
        ("ap-southeast-3", "Jakarta", "ID", "ID"),
        ("ap-southeast-4", "Melbourne", "AU", "AU-VIC"),
        ("ap-southeast-5", "Kuala Lumpur", "MY", "MY-WM"),
        ("ap-southeast-7", "Bangkok", "TH", "TH"),
        ("ap-northeast-1", "Tokyo", "JP", "JP-TK"),
        ("ap-northeast-2", "Seoul", "KR", "KR"),
        ("ap-northeast-3", "Osaka", "JP", "JP-KN"),
        ("cn-north-1", "Beijing", "CN", "CN"),
        ("cn-northwest-1", "Ningxia", "CN", "CN"),
    ],
    "gcp": [
        ("us-central1", "Council Bluffs, Iowa", "US", "US-MIDW-MISO"),
        ("us-central2", "Pryor, Oklahoma", "US", "US-CENT-SWPP"),
        ("us-east1", "Moncks Corner, South Carolina", "US", "US-CAR-SCEG"),
        ("us-east2", "Douglas County, Georgia", "US", "US-SE-SOCO"),
        ("us-east4", "Ashburn, Virginia", "US", "US-MIDA-PJM"),
        ("us-east5", "Columbus, Ohio", "US", "US-MIDA-PJM"),
        ("us-south1", "Dallas, Texas", "US", "US-TEX-ERCO"),
        ("us-west1", "The Dalles, Oregon", "US", "US-NW-PACW"),
        ("us-west2", "Los Angeles, California", "US", "US-CAL-CISO"),
        ("us-west3", "Salt Lake City, Utah", "US", "US-NW-PACE"),
        ("us-west4", "Las Vegas, Nevada", "US", "US-NW-NEVP"),
        ("northamerica-northeast1", "Montréal", "CA", "CA-QC"),
        ("northamerica-northeast2", "Toronto", "CA", "CA-ON"),
        ("northamerica-south1", "Querétaro", "MX", "MX"),
        ("southamerica-east1", "São Paulo", "BR", "BR-CS"),
        ("southamerica-west1", "Santiago", "CL", "CL-SEN"),
        ("europe-west1", "St. Ghislain", "BE", "BE"),
        ("europe-west2", "London", "GB", "GB"),
        ("europe-west3", "Frankfurt", "DE", "DE"),
        ("europe-west4", "Eemshaven", "NL", "NL"),
        ("europe-west6", "Zurich", "CH", "CH"),
        ("europe-west8", "Milan", "IT", "IT-NO"),
        ("europe-west9", "Paris", "FR", "FR"),
        ("europe-west10", "Berlin", "DE", "DE"),
        ("europe-west12", "Turin", "IT", "IT-NO"),
        ("europe-central2", "Warsaw", "PL", "PL"),
        ("europe-north1", "Hamina", "FI", "FI"),
        ("europe-north2", "Stockholm", "SE", "SE-SE3"),
        ("europe-southwest1", "Madrid", "ES", "ES"),
        ("me-central1", "Doha", "QA", "QA"),
        ("me-central2", "Dammam", "SA", "SA"),
        ("me-west1", "Tel Aviv", "IL", "IL"),
        ("africa-south1", "Johannesburg", "ZA", "ZA"),
        ("asia-east1", "Changhua County", "TW", "TW"),
        ("asia-east2", "Hong Kong", "HK", "HK"),
        ("asia-northeast1", "Tokyo", "JP", "JP-TK"),
        ("asia-northeast2", "Osaka", "JP", "JP-KN"),
        ("asia-northeast3", "Seoul", "KR", "KR"),
        ("asia-south1", "Mumbai", "IN", "IN-WE"),
        ("asia-south2", "Delhi", "IN", "IN-NO"),
        ("asia-southeast1", "Jurong West", "SG", "SG"),
        ("asia-southeast2", "Jakarta", "ID", "ID"),
        ("asia-southeast3", "Bangkok", "TH", "TH"),
        ("australia-southeast1", "Sydney", "AU", "AU-NSW"),
        ("australia-southeast2", "Melbourne", "AU", "AU-VIC"),
    ],
    "azure": [
        ("eastus", "Virginia", "US", "US-MIDA-PJM"),
        ("eastus2", "Virginia", "US", "US-MIDA-PJM"),
        ("centralus", "Des Moines, Iowa", "US", "US-MIDW-MISO"),
        ("northcentralus", "Chicago, Illinois", "US", "US-MIDA-PJM"),
        ("southcentralus", "San Antonio, Texas", "US", "US-TEX-ERCO"),
        ("westus", "San Francisco Bay Area, California", "US", "US-CAL-CISO"),
        ("westus2", "Quincy, Washington", "US", "US-NW-BPAT"),
        ("westus3", "Phoenix, Arizona", "US", "US-SW-AZPS"),
        ("westcentralus", "Cheyenne, Wyoming", "US", "US-NW-PACE"),
        ("canadacentral", "Toronto", "CA", "CA-ON"),
        ("canadaeast", "Québec City", "CA", "CA-QC"),
        ("mexicocentral", "Querétaro", "MX", "MX"),
        ("brazilsouth", "São Paulo", "BR", "BR-CS"),
        ("northeurope", "Dublin", "IE", "IE"),
        ("westeurope", "Amsterdam", "NL", "NL"),
        ("uksouth", "London", "GB", "GB"),
        ("ukwest", "Cardiff", "GB", "GB"),
        ("francecentral", "Paris", "FR", "FR"),
        ("germanywestcentral", "Frankfurt", "DE", "DE"),
        ("switzerlandnorth", "Zurich", "CH", "CH"),
        ("norwayeast", "Oslo", "NO", "NO-NO1"),
        ("swedencentral", "Gävle", "SE", "SE-SE3"),
        ("polandcentral", "Warsaw", "PL", "PL"),
        ("italynorth", "Milan", "IT", "IT-NO"),
        ("spaincentral", "Madrid", "ES", "ES"),
        ("uaenorth", "Dubai", "AE", "AE"),
        ("qatarcentral", "Doha", "QA", "QA"),
        ("israelcentral", "Israel", "IL", "IL"),
        ("southafricanorth", "Johannesburg", "ZA", "ZA"),
        ("centralindia", "Pune", "IN", "IN-WE"),
        ("southindia", "Chennai", "IN", "IN-SO"),
        ("eastasia", "Hong Kong", "HK", "HK"),
        ("southeastasia", "Singapore", "SG", "SG"),
        ("japaneast", "Tokyo", "JP", "JP-TK"),
        ("japanwest", "Osaka", "JP", "JP-KN"),
        ("koreacentral", "Seoul", "KR", "KR"),
        ("australiaeast", "Sydney", "AU", "AU-NSW"),
        ("australiasoutheast", "Melbourne", "AU", "AU-VIC"),
        ("australiacentral", "Canberra", "AU", "AU-NSW"),
        ("newzealandnorth", "Auckland", "NZ", "NZ"),
        ("indonesiacentral", "Jakarta", "ID", "ID"),
    ],
    "ovh": [
        ("gra", "Gravelines", "FR", "FR"),
        ("rbx", "Roubaix", "FR", "FR"),
        ("sbg", "Strasbourg", "FR", "FR"),
        ("eu-west-par", "Paris", "FR", "FR"),
        ("de", "Frankfurt", "DE", "DE"),
        ("uk", "London", "GB", "GB"),
        ("waw", "Warsaw", "PL", "PL"),
        ("bhs", "Beauharnois, Québec", "CA", "CA-QC"),
        ("ca-east-tor", "Toronto", "CA", "CA-ON"),
        ("us-east-va", "Vint Hill, Virginia", "US", "US-MIDA-PJM"),
        ("us-west-or", "Hillsboro, Oregon", "US", "US-NW-BPAT"),
        ("sgp", "Singapore", "SG", "SG"),
        ("syd", "Sydney", "AU", "AU-NSW"),
        ("ap-south-mum", "Mumbai", "IN", "IN-WE"),
    ],
    "scaleway": [
        ("fr-par", "Paris", "FR", "FR"),
        ("nl-ams", "Amsterdam", "NL", "NL"),
        ("pl-waw", "Warsaw", "PL", "PL"),
    ],
}

# Green Algorithms' defaults_PUE names providers its own way.
GREEN_ALGORITHMS_PUE_PROVIDER = {"aws": "aws", "gcp": "gcp", "azure": "azure", "ovh": "OVHcloud"}


def cloud_rows(sources: Path, zone_keys: set[str]) -> list[dict[str, object]]:
    """Each region with its provider's PUE: the region's own where Green Algorithms lists one,
    else the provider's fleet figure, else the industry average for an unknown provider."""
    defaults = {r["provider"]: r for r in read_green_algorithms(sources / "greenalgorithms-defaults_PUE.csv")}
    by_region = {
        (r["provider"], r["Name"]): r
        for r in read_green_algorithms(sources / "greenalgorithms-cloudProviders_datacenters.csv")
        if parse_watts(r.get("PUE")) is not None
    }
    unknown = defaults["Unknown"]
    rows = []
    for provider, regions in sorted(CLOUD_REGIONS.items()):
        default = defaults.get(GREEN_ALGORITHMS_PUE_PROVIDER.get(provider, ""), None)
        for region, city, country, zone in regions:
            if zone not in zone_keys:
                raise SystemExit(f"{provider}:{region} names grid zone {zone}, which the zone table lacks")
            own = by_region.get((provider, region))
            if own:
                pue, source = own["PUE"], f"Green Algorithms data centres (CC BY 4.0): {own['source_PUE']}"
            elif default:
                pue, source = default["PUE"], f"Green Algorithms defaults_PUE (CC BY 4.0): {default['source']}"
            else:
                pue = unknown["PUE"]
                source = f"no figure for {provider} in the sources; industry average, Green Algorithms defaults_PUE (CC BY 4.0): {unknown['source']}"
            rows.append(dict(
                key=f"{provider}:{region}", provider=provider, region=region, city=city,
                country=country, zone=zone, pue=float(pue), pue_source=source,
            ))
    return rows


# ---------------------------------------------------------------------------------------
# Equivalents: grams of CO2e per unit of something people picture.

EQUIVALENT_FIELDS = ["key", "label", "unit", "g_per_unit", "source", "year", "url"]
EPA_URL = "https://www.epa.gov/energy/greenhouse-gases-equivalencies-calculator-calculations-and-references"

# The US EPA equivalencies calculator publishes these in metric tons; converted to grams.
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
        dict(key=k, label=label, unit=unit, g_per_unit=float(g), source=src, year=year, url=EPA_URL)
        for k, label, unit, g, src, year in EPA_EQUIVALENTS
    ]
    for row in read_green_algorithms(sources / "greenalgorithms-referenceValues.csv"):
        if row["variable"] not in GREEN_ALGORITHMS_EQUIVALENTS:
            continue
        key, label, unit = GREEN_ALGORITHMS_EQUIVALENTS[row["variable"]]
        note = row["source"].strip()
        urls = re.findall(r"https?://\S+", note)
        rows.append(dict(
            key=key, label=label, unit=unit, g_per_unit=float(row["value"]),
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
    parser.add_argument("--iso-codes", type=Path, default=DEFAULT_ISO_CODES, help="iso-codes' iso_3166-1.json")
    parser.add_argument("--zone-tab", type=Path, default=DEFAULT_ZONE_TAB, help="tzdata's zone.tab")
    args = parser.parse_args(argv)
    if not args.sources.is_dir():
        print(f"error: no sources folder at {args.sources}; pass --sources PATH", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    hardware = hardware_rows(args.sources)
    write_csv(args.out / "hardware.csv", HARDWARE_FIELDS, hardware)
    print(f"hardware.csv: {len(hardware)} rows")
    for path in (args.iso_codes, args.zone_tab):
        if not path.is_file():
            print(f"error: {path} is missing (Debian packages iso-codes and tzdata)", file=sys.stderr)
            return 2
    zones = zone_rows(args.sources, args.iso_codes)
    keys = {z["key"] for z in zones}
    tables = {
        "zones.csv": (ZONE_FIELDS, zones),
        "timezones.csv": (TIMEZONE_FIELDS, timezone_rows(args.zone_tab, keys)),
        "cloud_regions.csv": (CLOUD_FIELDS, cloud_rows(args.sources, keys)),
        "equivalents.csv": (EQUIVALENT_FIELDS, equivalent_rows(args.sources)),
    }
    for filename, (fields, rows) in tables.items():
        write_csv(args.out / filename, fields, rows)
        print(f"{filename}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
