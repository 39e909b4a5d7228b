"""Cloud regions: where each provider's region stands and which grid zone feeds it.

Part of ``derive_data.py``: it writes ``cloud_regions.csv`` from the project's reviewed
``cloud-regions.csv`` (each zone with the reason it was chosen) and the providers' own PUE
figures in ``provider-pue.csv`` (one URL each).
"""

from __future__ import annotations

import csv
from pathlib import Path

CLOUD_FIELDS = [
    "key", "provider", "region", "city", "country", "zone", "zone_basis",
    "pue", "pue_year", "pue_scope", "pue_source",
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def figure(row: dict[str, str], scope: str | None = None) -> dict[str, object]:
    """One published PUE figure as the region table's columns."""
    return dict(pue=float(row["pue"]), pue_year=int(row["year"]), pue_scope=scope or row["scope"], pue_source=row["source_url"])


def region_pue(provider: str, region: str, pue_rows: list[dict[str, str]]) -> dict[str, object]:
    """A region's PUE: its site's figure where the provider publishes one per site (the highest
    of them where a region spans several sites, so as not to flatter it), else the provider's
    newest fleet-wide figure."""
    mine = [r for r in pue_rows if r["provider"] == provider]
    sites = [r for r in mine if region in r["regions"].split()]
    if len(sites) == 1:
        return figure(sites[0])
    if sites:
        worst = max(sites, key=lambda r: (float(r["pue"]), int(r["year"])))
        low = min(float(r["pue"]) for r in sites)
        names = ", ".join(sorted(r["site"] for r in sites))
        return figure(worst, f"highest of its sites {names} ({low:g}-{float(worst['pue']):g})")
    fleet = [r for r in mine if not r["site"]]
    if not fleet:
        raise SystemExit(f"provider-pue.csv has no fleet figure for {provider} ({region} has no site figure)")
    return figure(max(fleet, key=lambda r: int(r["year"])))


def cloud_rows(sources: Path, zones: dict[str, dict]) -> list[dict[str, object]]:
    pue_rows = read_csv(sources / "provider-pue.csv")
    rows = []
    for entry in read_csv(sources / "cloud-regions.csv"):
        provider, region, zone = entry["provider"], entry["region"], entry["zone"]
        key = f"{provider}:{region}"
        if zone not in zones:
            raise SystemExit(f"{key} names grid zone {zone}, which the zone table lacks")
        if zones[zone]["country"] != entry["country"]:
            raise SystemExit(f"{key} is in {entry['country']}, but grid zone {zone} is in {zones[zone]['country']}")
        if not entry["zone_basis"].strip():
            raise SystemExit(f"{key}: cloud-regions.csv must say why its zone is {zone}")
        rows.append(dict(key=key, **entry, **region_pue(provider, region, pue_rows)))
    keys = [r["key"] for r in rows]
    if len(set(keys)) != len(keys):
        raise SystemExit(f"cloud-regions.csv lists a region twice: {sorted(k for k in keys if keys.count(k) > 1)}")
    return sorted(rows, key=lambda r: (r["provider"], r["region"]))
