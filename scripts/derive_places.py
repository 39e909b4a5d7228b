"""Place names people type (cities, states, provinces) and the grid zone each lies in.

Part of ``derive_data.py``: it writes ``places.csv`` from

- ISO 3166-2 subdivisions (``iso_3166-2.json``, local spelling), each on the zone that
  ``subdivision-zones.csv`` gives it for a country with sub-national zones (with the reason
  and English names), or on its country's only zone;
- ``cities.csv``: major cities with their subdivision, so a city finds its subdivision's zone,
  or its own where its utility differs (with the reason);
- tzdata's ``zone.tab``: the cities that name time zones, for countries with one zone only;
- ``geonames-cities-500k.csv``: every city of 500,000 people or more (GeoNames), on its
  country's zone, or its subdivision's where GeoNames codes it as ISO does (US, GB);
- the cities of the cloud regions, on their region's zone.

A name that lies in several zones keeps a row per zone, and a name made only of directions
("East") is marked so: the package lists the candidates rather than choosing one.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from derive_cloud import read_csv

# Names are stored as the package compares them, with its own function.
from jupyter_carbon.carbon.zones import normalise

PLACE_FIELDS = ["name", "zone", "label", "kind", "country", "detail", "basis", "population"]

#: GeoNames' first-level division codes equal the ISO 3166-2 suffix in these countries with
#: sub-national zones, so a gazetteer city there finds its subdivision's zone.
GEONAMES_ISO_DIVISIONS = {"US", "GB"}

#: Words that say where in a country, not which place: a name made only of them ("East",
#: "Central") is a "direction", which the package never resolves without asking.
COMPASS_WORDS = {
    "north", "south", "east", "west", "central", "centre", "center", "middle", "northern", "southern",
    "eastern", "western", "northeast", "northwest", "southeast", "southwest", "north-east",
    "north-west", "south-east", "south-west", "mainland", "main", "islands", "island", "peninsula",
}

#: The basis of a place in a country with one grid zone, left empty in the table: the
#: package says "the country's only grid zone" for it.
ONLY_ZONE = ""

#: Earlier kinds win when one name lies in one zone by several routes.
KINDS = ("city", "subdivision", "zone", "cloud city", "time-zone city")


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def is_compass_name(name: str) -> bool:
    return all(word in COMPASS_WORDS for word in normalise(name).split())


def compass_zone_rows(zones: dict[str, dict]) -> list[dict]:
    """Sub-national zones named only by a direction ("East (Russia)"): their bare name is not
    an alias (see derive_data), but a candidate where someone types it."""
    rows = []
    for zone in zones.values():
        bare = zone["name"].rsplit(" (", 1)[0]
        if zone["kind"] == "subnational" and is_compass_name(bare):
            rows.append(dict(name=bare, zone=zone["key"], label=zone["name"], kind="zone", country=zone["country"],
                             detail=f"grid zone {zone['key']}", basis=""))
    return rows


def iso_name_variants(name: str) -> list[str]:
    """The names an ISO 3166-2 entry carries: "Catalunya [Cataluña]" is two names,
    "Madrid, Comunidad de" is also "Madrid"; trailing asterisks and codes in brackets go."""
    name = name.replace("*", "").strip()
    out = []
    for part in re.split(r"\s*\[|\]\s*|\s+/\s+", name):
        part = re.sub(r"\b[A-Z]{2}-[A-Z0-9]+\b", "", part).strip(" ,")
        if not part:
            continue
        if "," in part:
            out.append(part.split(",", 1)[0].strip())
        out.append(part)
    return out


def subdivisions(sources: Path, zones: dict[str, dict], countries: dict[str, dict]) -> dict[str, dict]:
    """Top-level ISO 3166-2 subdivisions with their zones: one, several (a name that must list
    them), or none (a country with sub-national zones whose subdivision is not reviewed)."""
    iso = json.loads((sources / "iso_3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    reviewed = {r["subdivision"]: r for r in read_csv(sources / "subdivision-zones.csv")}
    by_code = {e["code"]: e for e in iso}
    unknown = sorted(set(reviewed) - set(by_code))
    if unknown:
        raise SystemExit(f"subdivision-zones.csv names subdivisions ISO 3166-2 lacks: {unknown}")
    split = {z["country"] for z in zones.values() if z["kind"] == "subnational"}
    out, unmapped = {}, []
    for entry in iso:
        code, country = entry["code"], entry["code"].split("-", 1)[0]
        review = reviewed.get(code)
        if review is None and "parent" in entry:
            continue
        if review is not None:
            zone_keys, basis = review["zone"].split(), review["basis"]
            extra = [n for n in review["names"].split(";") if n]
        elif country in split:
            unmapped.append(code)
            zone_keys, basis, extra = [], "", []  # kept so that a city can name it and its own zone
        elif country in zones:
            zone_keys, basis, extra = [country], ONLY_ZONE, []
        else:
            continue
        for key in zone_keys:
            if key not in zones:
                raise SystemExit(f"subdivision-zones.csv puts {code} on {key}, which the zone table lacks")
        names = iso_name_variants(entry["name"])
        out[code] = dict(
            code=code, country=country, label=names[0], zones=zone_keys, basis=basis,
            names=[*names, *extra, *([code] if review else [])], type=entry["type"].lower(),
            country_name=countries.get(country, {}).get("common_name") or countries.get(country, {}).get("name", country),
        )
    if unmapped:
        print(f"places: {len(unmapped)} subdivisions of countries with sub-national zones have none "
              f"in subdivision-zones.csv and are left out (e.g. {', '.join(unmapped[:5])})", file=sys.stderr)
    return out


def city_rows(sources: Path, subs: dict[str, dict], zones: dict[str, dict], split: set[str]) -> list[dict]:
    rows = []
    for city in read_csv(sources / "cities.csv"):
        name, country, code, zone = city["city"], city["country"], city["subdivision"], city["zone"]
        sub = subs.get(code) if code else None
        if code and sub is None:
            raise SystemExit(f"cities.csv: {name} names subdivision {code}, which ISO 3166-2 lacks")
        if sub is not None:
            inherited = sub["zones"]
        else:
            inherited = [country] if country not in split and country in zones else []
        if zone and inherited and [zone] != inherited and not city["basis"]:
            raise SystemExit(f"cities.csv: {name} is on {zone}, not its subdivision's {inherited}: say why")
        zone_keys = [zone] if zone else inherited
        if len(zone_keys) != 1 or zone_keys[0] not in zones:
            raise SystemExit(f"cities.csv: {name} ({country} {code}) has no single known zone: {zone_keys}")
        where = f"{sub['label']} ({code})" if sub else country
        basis = city["basis"] or (sub["basis"] if sub else ONLY_ZONE)
        for alias in [name, *filter(None, city["names"].split(";"))]:
            rows.append(dict(name=alias, zone=zone_keys[0], label=name, kind="city", country=country,
                             detail=f"a city in {where}", basis=basis))
    return rows


def gazetteer_rows(sources: Path, subs: dict[str, dict], zones: dict[str, dict], split: set[str],
                   listed: set[tuple[str, str]]) -> list[dict]:
    """The big cities of every country, on their zone, with their population (which decides
    between places of one name, see the package's ``places``). A city ``cities.csv`` lists
    (by name and country) keeps its reviewed zone, and only takes the population from here."""
    rows = []
    for city in read_csv(sources / "geonames-cities-500k.csv"):
        country, code = city["countrycode"], f"{city['countrycode']}-{city['admin1code']}"
        if country in GEONAMES_ISO_DIVISIONS and code in subs and subs[code]["zones"]:
            zone_keys, where, basis = subs[code]["zones"], f"{subs[code]['label']} ({code})", subs[code]["basis"]
        elif country not in split and country in zones:
            zone_keys, where, basis = [country], subs_country_name(subs, country), ONLY_ZONE
        else:
            zone_keys, where, basis = [], "", ""
        kind = "listed" if (normalise(city["name"]), country) in listed else "city"
        for key in zone_keys or [""]:
            rows.append(dict(name=city["name"], zone=key, label=city["name"], kind=kind, country=country,
                             detail=f"a city in {where}", basis=basis, population=int(city["population"])))
    return rows


def subs_country_name(subs: dict[str, dict], country: str) -> str:
    return next((s["country_name"] for s in subs.values() if s["country"] == country), country)


def subdivision_rows(subs: dict[str, dict]) -> list[dict]:
    return [
        dict(name=alias, zone=key, label=sub["label"], kind="subdivision", country=sub["country"],
             detail=f"{article(sub['type'])} {sub['type']} of {sub['country_name']} ({sub['code']})", basis=sub["basis"])
        for sub in subs.values() for key in sub["zones"] for alias in sub["names"]
    ]


def timezone_city_rows(sources: Path, zones: dict[str, dict], split: set[str]) -> list[dict]:
    rows = []
    for line in (sources / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coords, tz = line.split("\t")[:3]
        if country in split or country not in zones:
            continue
        city = tz.rsplit("/", 1)[-1].replace("_", " ")
        rows.append(dict(name=city, zone=country, label=city, kind="time-zone city", country=country,
                         detail=f"a city of time zone {tz}", basis=ONLY_ZONE))
    return rows


def cloud_city_rows(clouds: list[dict], subs: dict[str, dict]) -> list[dict]:
    """A region's city, unless the provider gave a state or country where a city would be."""
    sub_names = {(s["country"], normalise(n)) for s in subs.values() for n in s["names"]}
    rows = []
    for region in clouds:
        city = re.sub(r"\s*\(.*\)", "", region["city"].split(",", 1)[0]).strip()
        if (region["country"], normalise(city)) in sub_names:
            continue
        rows.append(dict(name=city, zone=region["zone"], label=city, kind="cloud city", country=region["country"],
                         detail=f"the city of cloud region {region['key']}", basis=region["zone_basis"]))
    return rows


def place_rows(sources: Path, zones: dict[str, dict], clouds: list[dict], countries: dict[str, dict]) -> list[dict]:
    """Every place name with the zone it lies in, one row per (name, zone), most specific kind first.
    Names that are zone keys or aliases of the same zone are left to the zone table."""
    split = {z["country"] for z in zones.values() if z["kind"] == "subnational"}
    subs = subdivisions(sources, zones, countries)
    listed = city_rows(sources, subs, zones, split)
    gazetteer = gazetteer_rows(sources, subs, zones, split, {(normalise(r["name"]), r["country"]) for r in listed})
    population = {(normalise(r["name"]), r["country"]): r["population"] for r in gazetteer}
    for row in listed:
        row["population"] = population.get((normalise(row["name"]), row["country"]), "")
    candidates = [
        *listed, *(r for r in gazetteer if r["kind"] == "city" and r["zone"]), *subdivision_rows(subs),
        *compass_zone_rows(zones), *cloud_city_rows(clouds, subs), *timezone_city_rows(sources, zones, split),
    ]
    own = {(normalise(a), z["key"]) for z in zones.values() for a in [z["key"], *z["aliases"].split(";")] if a}
    rows: dict[tuple[str, str], dict] = {}
    for row in sorted(candidates, key=lambda r: KINDS.index(r["kind"])):
        row["name"] = normalise(row["name"])
        if row["name"] and (row["name"], row["zone"]) not in own:
            rows.setdefault((row["name"], row["zone"]), row)
    for row in rows.values():
        if is_compass_name(row["name"]):
            row["kind"] = "direction"
    return sorted(rows.values(), key=lambda r: (r["name"], r["zone"]))
