"""Place names: cities, states, provinces and cloud-region cities find the zone they lie in;
an ambiguous name or a bare direction lists its candidates; a country with sub-national zones
says which figure it is."""

from __future__ import annotations

import csv
import json

import pytest
from carbon_fakes import source_path

from jupyter_carbon.carbon import AmbiguousRegion, UnknownRegion, find_zone, resolve_place
from jupyter_carbon.carbon.cloud import cloud_regions
from jupyter_carbon.carbon.zones import zones
from jupyter_carbon.cli import main


def raw(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(source_path(name).read_text(encoding="utf-8").splitlines()))


#: The names people typed that once failed or misled, each with the zone it lies in.
FIXED = [
    ("mumbai", "IN-WE"), ("paris", "FR"), ("frankfurt", "DE"), ("bavaria", "DE"),
    ("new york", "US-NY-NYIS"), ("são paulo", "BR-CS"), ("sydney", "AU-NSW"), ("tokyo", "JP-TK"),
    ("quebec city", "CA-QC"), ("cheyenne", "US-NW-WACM"), ("illinois", "US-MIDA-PJM"),
    # local spellings and old names
    ("Bayern", "DE"), ("München", "DE"), ("Québec", "CA-QC"), ("Ville de Québec", "CA-QC"), ("bombay", "IN-WE"),
    ("Mahārāshtra", "IN-WE"), ("Sao Paulo", "BR-CS"), ("Lombardia", "IT-NO"), ("Catalunya", "ES"), ("Köln", "DE"),
    ("Nouvelle-Écosse", "CA-NS"), ("Osaka", "JP-KN"), ("bangalore", "IN-SO"), ("Belfast", "GB-NIR"),
    # market and operator names
    ("SE3", "SE-SE3"), ("dk1", "DK-DK1"), ("nyiso", "US-NY-NYIS"), ("kanto", "JP-TK"),
]


@pytest.mark.parametrize("query, zone", FIXED)
def test_a_place_name_finds_the_zone_it_lies_in(query, zone):
    resolution = resolve_place(query)
    assert resolution.place.key == zone
    assert find_zone(query) is resolution.place


@pytest.mark.parametrize("query, zone", FIXED[:10])
def test_estimate_region_accepts_the_place_and_says_how_it_read_it(capsys, monkeypatch, query, zone):
    monkeypatch.delenv("JUPYTER_CARBON_REGION", raising=False)
    assert main(["estimate", "--power", "100", "--hours", "1", "--region", query, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["intensity"]["zone"] == zone
    country = zones()[zone].country
    # sub-national where the country has sub-national zones (France's is only Corsica)
    split = any(z.country == country and z.kind == "subnational" for z in zones().values())
    assert zones()[zone].kind == ("subnational" if split and country != "FR" else "country")
    if query != "tokyo":  # "tokyo" is the zone's own name; nothing to explain
        assert data["region_note"] and zone in data["region_note"]


def test_a_city_says_which_subdivision_and_why_that_zone():
    note = resolve_place("mumbai").note
    assert "IN-MH" in note and "IN-WE" in note and "regional grid" in note
    note = resolve_place("cheyenne").note
    assert "US-WY" in note and "Cheyenne Light" in note


@pytest.mark.parametrize("query", ["east", "East", "central", "north"])
def test_a_bare_direction_never_resolves_silently(query):
    with pytest.raises(AmbiguousRegion) as info:
        find_zone(query)
    assert len(info.value.candidates) >= 1
    assert "could mean" in str(info.value)


def test_east_lists_russias_east_among_its_candidates(capsys):
    with pytest.raises(AmbiguousRegion) as info:
        find_zone("east")
    assert "RU-AS" in {p.zone_key for p in info.value.candidates}
    assert main(["estimate", "--power", "100", "--hours", "1", "--region", "east"]) == 2
    assert "could mean" in capsys.readouterr().err


def test_a_name_in_several_zones_lists_them_all():
    with pytest.raises(AmbiguousRegion) as info:
        find_zone("canarias")
    assert {p.zone_key for p in info.value.candidates} == {z for z in zones() if z.startswith("ES-CN-")}


def test_ambiguity_is_an_unknown_region_to_callers_that_catch_that():
    assert issubclass(AmbiguousRegion, UnknownRegion)


@pytest.mark.parametrize("query", ["UK", "united kingdom", "GB"])
def test_uk_says_northern_ireland_is_a_separate_zone(query):
    resolution = resolve_place(query)
    assert resolution.place.key == "GB"
    assert "GB-NIR" in resolution.note and "Northern Ireland" in resolution.note


def test_a_country_with_sub_national_zones_says_it_chose_the_national_figure():
    resolution = resolve_place("US")
    assert resolution.place.key == "US"
    assert "as one zone" in resolution.note and "name a state" in resolution.note
    assert resolve_place("FR").note and "FR-COR" in resolve_place("FR").note
    assert resolve_place("DE").note is None  # one zone, nothing to say


def test_a_country_name_that_is_also_a_state_says_so():
    resolution = resolve_place("georgia")
    assert resolution.place.key == "GE"
    assert "US-SE-SOCO" in resolution.note


def test_every_cloud_regions_city_finds_a_zone_of_its_country():
    for region in cloud_regions().values():
        city = region.city.split(",")[0].split(" (")[0]
        try:
            place = find_zone(city)
        except AmbiguousRegion as err:
            assert region.zone_key in {p.zone_key for p in err.candidates}, region.key
            continue
        assert place.zone.country == region.country, (region.key, city, place.key)


def test_every_reviewed_subdivision_finds_its_zone_by_code_and_name():
    iso = {e["code"]: e["name"] for e in json.loads(source_path("iso_3166-2.json").read_text(encoding="utf-8"))["3166-2"]}
    checked = 0
    for row in raw("subdivision-zones.csv"):
        keys = row["zone"].split()
        if len(keys) != 1:
            continue
        assert find_zone(row["subdivision"]).key == keys[0], row["subdivision"]
        for name in filter(None, row["names"].split(";")):
            try:
                assert find_zone(name).key == keys[0], (row["subdivision"], name)
            except AmbiguousRegion as err:
                assert keys[0] in {p.zone_key for p in err.candidates}
        checked += 1
    assert checked > 300 and "US-WY" in iso


def test_every_listed_city_finds_its_zone():
    for row in raw("cities.csv"):
        try:
            place = find_zone(row["city"])
        except AmbiguousRegion as err:
            place = next(p.zone for p in err.candidates if p.country == row["country"])
        expected = row["zone"] or None
        if expected:
            assert place.key == expected, row["city"]
        assert place.zone.country == row["country"], row["city"]


def test_a_city_in_a_country_with_one_zone_needs_no_listing():
    # From tzdata's zone.tab: the cities that name time zones.
    assert find_zone("Vienna").key == "AT"
    assert find_zone("Zürich").key == "CH"


def test_regions_command_prints_how_it_read_a_place(capsys):
    assert main(["regions", "mumbai"]) == 0
    out = capsys.readouterr().out
    assert "IN-WE" in out.splitlines()[0]
    assert "note: Mumbai is a city in" in out
    assert "aws:ap-south-1" in out  # the cloud regions there too


def test_unknown_place_suggests_place_names_too():
    with pytest.raises(UnknownRegion) as info:
        find_zone("mumbay")
    assert "IN-WE" in info.value.suggestions


def test_an_ambiguous_configured_region_says_where_it_was_set():
    from jupyter_carbon.carbon.resolve import ENV_VAR, resolve

    with pytest.raises(AmbiguousRegion) as info:
        resolve(environ={ENV_VAR: "east"}, timezone="")
    assert str(info.value).startswith(f"${ENV_VAR}: 'east' could mean")


def test_big_cities_of_every_country_come_from_the_gazetteer():
    checked = 0
    split = {z.country for z in zones().values() if z.kind == "subnational"}
    for row in raw("geonames-cities-500k.csv"):
        if row["countrycode"] in split or row["countrycode"] not in zones():
            continue
        try:
            place = find_zone(row["name"])
        except AmbiguousRegion as err:
            assert row["countrycode"] in {p.country for p in err.candidates}, row["name"]
            continue
        if place.key == row["countrycode"]:
            checked += 1
    assert checked > 500
    assert find_zone("Lahore").key == "PK" and find_zone("Wuhan").key == "CN"


def test_a_reviewed_city_keeps_its_own_utility_over_the_gazetteers_state():
    assert find_zone("Seattle").key == "US-NW-SCL"
    assert find_zone("El Paso").key == "US-SW-EPE"


def place(zone_key: str, population, kind: str = "city"):
    from jupyter_carbon.carbon.places import Place

    return Place(name="x", zone_key=zone_key, label="X", kind=kind, country=zone_key[:2], detail="a city", basis="", population=population)


def test_a_city_five_times_the_size_of_its_namesakes_is_the_one_meant():
    from jupyter_carbon.carbon.places import DOMINANT, _dominant

    big, small = place("GB", DOMINANT * 1000), place("CA-ON", 1000)
    assert _dominant([small, big]) is big
    assert _dominant([place("GB", DOMINANT * 1000 - 1), small]) is None
    # a state or province has no population to compare: no choice
    assert _dominant([big, place("US-NW-BPAT", None, "subdivision")]) is None


def test_namesake_cities_of_similar_size_are_listed():
    with pytest.raises(AmbiguousRegion) as info:
        find_zone("hyderabad")
    assert {p.zone_key for p in info.value.candidates} == {"IN-SO", "PK"}


def test_a_configured_place_name_keeps_its_note_for_the_banner():
    from jupyter_carbon.carbon import CarbonContext
    from jupyter_carbon.carbon.resolve import ENV_VAR

    with CarbonContext(env={ENV_VAR: "UK"}, timezone="") as ctx:
        assert ctx.place.key == "GB"
        assert "GB-NIR" in ctx.note
    with CarbonContext(env={ENV_VAR: "DE"}, timezone="") as ctx:
        assert ctx.note is None


def test_a_place_looked_up_before_the_table_is_parsed_is_the_same_place():
    from jupyter_carbon.carbon import places as places_module

    every = places_module.place_names()
    quoted = [name for name in every if "," in name or '"' in name]
    sample = sorted(every)[::97] + quoted + ["paris", "london", "fr", "no such place at all"]
    places_module.place_names.cache_clear()
    try:
        cold = {name: places_module.places_named(name) for name in sample}
        zone = places_module.find_zone("paris")  # what a kernel does at start, parsing a few rows
        assert places_module.place_names.cache_info().currsize == 0
    finally:
        places_module.place_names.cache_clear()
    assert cold == {name: every.get(name, ()) for name in sample}
    assert sum(bool(found) for found in cold.values()) >= len(sample) - 3
    assert zone == places_module.find_zone("paris")
