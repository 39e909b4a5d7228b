"""Zone lookup, fuzzy suggestions, PUE arithmetic, the Intensity record."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jupyter_carbon.carbon import Intensity, UnknownRegion, facility_energy_j, find_zone
from jupyter_carbon.carbon.intensity import emissions_g
from jupyter_carbon.carbon.places import search
from jupyter_carbon.carbon.zones import zones


@pytest.mark.parametrize(
    "query, key",
    [
        ("CA-QC", "CA-QC"),
        ("ca-qc", "CA-QC"),
        ("quebec", "CA-QC"),
        ("Québec", "CA-QC"),
        ("US-CA", "US-CAL-CISO"),
        ("California", "US-CAL-CISO"),
        ("FR", "FR"),
        ("FRA", "FR"),
        ("france", "FR"),
        ("  Germany ", "DE"),
        ("aws:eu-west-3", "aws:eu-west-3"),
        ("AWS/eu-west-3", "aws:eu-west-3"),
        ("google us-central1", "gcp:us-central1"),
        ("westeurope", "azure:westeurope"),
        ("West Europe", "azure:westeurope"),
        ("India", "IN"),
        ("United Kingdom", "GB"),
        ("scaleway:fr-par", "scaleway:fr-par"),
        ("world", "WORLD"),
    ],
)
def test_find_zone_accepts_what_people_type(query, key):
    assert find_zone(query).key == key


def test_a_zone_alias_wins_over_a_bare_region_code():
    # OVH names a region "de"; the country code is what most people mean.
    assert find_zone("de").key == "DE"
    assert find_zone("ovh:de").key == "ovh:de"


def test_unknown_region_names_the_closest_matches():
    with pytest.raises(UnknownRegion) as info:
        find_zone("frnace")
    err = info.value
    assert err.query == "frnace"
    assert err.suggestions[0] == "FR"
    assert "FR (France)" in str(err)
    assert isinstance(err, ValueError)


def test_unknown_region_suggests_something_even_far_off():
    with pytest.raises(UnknownRegion) as info:
        find_zone("nowhere-land")
    assert info.value.suggestions
    assert all(s in zones() or ":" in s for s in info.value.suggestions)


def test_a_misspelt_cloud_region_suggests_the_region():
    with pytest.raises(UnknownRegion) as info:
        find_zone("aws:eu-west-33")
    assert "aws:eu-west-3" in info.value.suggestions


def test_empty_query_is_unknown():
    with pytest.raises(UnknownRegion):
        find_zone("  ")


def test_search_finds_every_place_in_quebec():
    keys = [item.key for item in search("quebec")]
    assert keys[0] == "CA-QC"
    assert {"aws:ca-central-1", "gcp:northamerica-northeast1", "azure:canadaeast", "ovh:bhs"} <= set(keys)


def test_cloud_region_carries_its_zone_and_provider_pue():
    region = find_zone("gcp:europe-west9")
    zone = find_zone("FR")
    intensity = region.intensity(chosen_by="argument", guess=False)
    assert intensity.g_per_kwh == zone.g_per_kwh
    assert intensity.year == zone.year and intensity.source == zone.source
    assert intensity.pue == region.pue > 1.0
    assert zone.intensity(chosen_by="argument", guess=False).pue == 1.0


def test_facility_energy_and_emissions_follow_the_formula():
    assert facility_energy_j(1000.0, 1.5) == pytest.approx(1500.0)
    i = Intensity(400.0, "X", "X", "test", None, "average", "argument", False, 1.25)
    # 3.6 MJ = 1 kWh; × 1.25 PUE × 400 g/kWh
    assert emissions_g(3.6e6, i) == pytest.approx(500.0)
    assert emissions_g(0.0, i) == 0.0


@pytest.mark.parametrize("bad", [0.99, 0, -1, float("nan"), "high", None])
def test_pue_below_one_is_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="PUE"):
        facility_energy_j(1.0, bad)


def test_negative_energy_is_refused():
    with pytest.raises(ValueError, match="energy"):
        facility_energy_j(-1.0, 1.0)


def test_intensity_validates_and_serialises():
    i = Intensity(100.0, "FR", "France", "s", 2025, "marginal", "timezone", True, 1.1, live=True)
    data = json.loads(json.dumps(i.to_dict()))
    assert data["signal"] == "marginal" and data["live"] is True and data["fallback_reason"] is None
    with pytest.raises(ValueError, match="signal"):
        Intensity(100.0, "FR", "France", "s", 2025, "mixed", "timezone", True, 1.1)
    with pytest.raises(ValueError, match="chosen_by"):
        Intensity(100.0, "FR", "France", "s", 2025, "average", "ip", True, 1.1)


def test_importing_the_package_loads_no_table():
    code = (
        "import sys, jupyter_carbon.carbon as c; "
        "print(any(m.startswith('jupyter_carbon.carbon.') for m in sys.modules)); "
        "print(c.find_zone('FR').key)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "FR"]


def test_normalise_reads_ascii_and_accented_names_as_the_full_decomposition_does():
    import unicodedata

    from jupyter_carbon.carbon.zones import normalise
    from jupyter_carbon.tables import read_table

    def decomposed(text):
        plain = "".join(ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch))
        return " ".join(plain.lower().replace("_", " ").split())

    names = [r[col] for r in read_table("zones.csv") for col in ("key", "name")]
    names += [r["label"] for r in read_table("places.csv")] + ["  US_West  2 ", "Québec", "São Paulo", "ＦＲ", 42]
    assert any(not str(n).isascii() for n in names) and any(str(n).isascii() for n in names)
    assert [normalise(n) for n in names] == [decomposed(n) for n in names]


def test_a_zone_name_means_the_same_zone_with_or_without_the_cloud_regions_read():
    """``resolve_place`` looks a zone's key or alias up before reading the cloud regions:
    right only while every zone name keeps its zone among all the names."""
    from jupyter_carbon.carbon import places

    every = places._names()
    assert places._zone_names() and all(every[name] == key for name, key in places._zone_names().items())
    assert places.resolve_place("FR").place.key == "FR" and places.resolve_place("aws:eu-west-3").place.key == "aws:eu-west-3"


def test_no_alias_names_another_zone():
    """A zone's key is looked up as its one line before the zones are parsed
    (``places._zone_key``): right only while no alias of one zone is another zone's key."""
    from jupyter_carbon.carbon import places
    from jupyter_carbon.carbon.zones import normalise, zones

    names = places._zone_names()
    assert all(names[normalise(z.key)] == z.key for z in zones().values())


def test_a_zone_key_resolves_alike_before_and_after_the_zones_are_parsed():
    """A kernel naming its zone by key parses that zone's rows only (and its country's
    sub-national zones, for the note), and gets the same zone and note as with the whole
    table parsed; a name, an alias or a cloud region still goes through the whole table."""
    import json
    import subprocess
    import sys

    code = (
        "import json; from jupyter_carbon.carbon import places, zones; "
        "q = ['FR', 'us', 'CA-QC', 'France', 'aws:eu-west-3', 'Paris', 'IN']; r = places.resolve_place(q[0]); "
        "cold = zones.zones.cache_info().currsize; "
        "first = [(lambda x: [x.place.key, x.note])(places.resolve_place(s)) for s in q]; "
        "zones.zones(); places._names(); "
        "again = [(lambda x: [x.place.key, x.note])(places.resolve_place(s)) for s in q]; "
        "print(json.dumps([cold, first, again]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    cold, first, again = json.loads(out.stdout)
    assert cold == 0, "resolving a zone key parsed the whole zones table"
    assert first == again
    assert first[0][0] == "FR" and first[1][0] == "US" and "separate zone" in (first[1][1] or "")


def test_a_time_zone_finds_the_same_zone_from_its_line_as_from_the_whole_table():
    """``zone_for_timezone`` reads a time zone's one line until the table is parsed whole."""
    from jupyter_carbon.carbon import resolve
    from jupyter_carbon.tables import read_table

    resolve.timezone_table.cache_clear()
    whole = {row["tz"]: row["zone"] for row in read_table("timezones.csv")}
    assert len(whole) > 300
    assert all(resolve.timezone_zone(tz) == key for tz, key in whole.items())
    assert resolve.timezone_table.cache_info().currsize == 0, "the lookups parsed the whole table"
    assert resolve.timezone_zone("Mars/Olympus") is None and resolve.timezone_zone("Europe") is None
    assert resolve.zone_for_timezone(" Europe/Paris ").key == "FR"
    assert resolve.timezone_table() == whole and resolve.timezone_zone("Europe/Paris") == "FR"
