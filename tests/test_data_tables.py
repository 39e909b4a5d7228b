"""The bundled tables agree with the raw sources they were derived from."""

from __future__ import annotations

import csv
import filecmp
import importlib.util
from importlib import resources

import pytest
from carbon_fakes import REPO, SOURCES, read_green_algorithms, read_json_source, source_path

#: Cloud regions whose grid zone this project sets differently from Electricity Maps'
#: data-centre file, each explained in data/README.md and data-sources/cloud-regions.csv.
ZONE_DISAGREEMENTS = {
    "gcp:us-central1", "azure:westus2", "gcp:us-west1", "aws:us-west-2", "gcp:us-east1", "azure:westcentralus",
}


def table(name: str) -> list[dict[str, str]]:
    text = (resources.files("jupyter_carbon") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def zones():
    return {row["key"]: row for row in table("zones.csv")}


@pytest.fixture(scope="module")
def clouds():
    return {row["key"]: row for row in table("cloud_regions.csv")}


def test_every_electricity_maps_zone_is_bundled_with_its_value(zones):
    raw = read_json_source("electricitymaps-yearly-2025.json")
    assert len(raw) > 300
    for key, entry in raw.items():
        row = zones[key]
        assert float(row["g_per_kwh"]) == pytest.approx(entry["carbonIntensity"]["value"]), key
        assert row["year"] == "2025"
        assert "Electricity Maps" in row["source"] and "ODbL" in row["source"]
        assert row["kind"] == ("subnational" if "-" in key else "country")


def test_ember_fills_the_countries_electricity_maps_lacks(zones):
    raw = read_json_source("ember-average-intensities.json")
    em = read_json_source("electricitymaps-yearly-2025.json")
    ember_rows = [r for r in zones.values() if r["source"].startswith("Ember") and r["kind"] == "country"]
    assert ember_rows, "some countries come from Ember"
    for row in ember_rows:
        assert row["key"] not in em
        entry = raw[row["alpha3"]]
        assert float(row["g_per_kwh"]) == pytest.approx(entry["emissions_intensity_gco2_per_kwh"])
        assert row["year"] == str(entry["year"])
        assert f"Ember {entry['year']}" in row["source"]
    covered = {r["alpha3"] for r in zones.values()}
    # Kosovo's user-assigned code has no ISO 3166 alpha-2 equivalent.
    missing = {e["country_code"] for e in raw.values() if e["country_code"]} - covered - {"XKX"}
    assert not missing


def test_world_average_is_embers(zones):
    world = read_json_source("ember-average-intensities.json")["World"]
    assert float(zones["WORLD"]["g_per_kwh"]) == pytest.approx(world["emissions_intensity_gco2_per_kwh"])
    assert zones["WORLD"]["year"] == str(world["year"])


def test_aliases_are_unambiguous_and_cover_what_people_type(zones):
    owner: dict[str, str] = {}
    for key, row in zones.items():
        for alias in filter(None, row["aliases"].split(";")):
            assert alias not in owner, f"{alias!r} belongs to {owner.get(alias)} and {key}"
            assert alias.upper() not in zones or alias.upper() == key, alias
            owner[alias] = key
    assert owner["quebec"] == "CA-QC"
    assert owner["fra"] == "FR"
    # A sub-national zone named only by a direction keeps no bare alias: "east" is not Russia's.
    assert "east" not in owner
    assert owner["deu"] == "DE"


def test_sub_national_zones_name_their_country(zones):
    for row in zones.values():
        if row["kind"] == "subnational":
            assert row["key"].startswith(row["country"] + "-")
            assert row["name"].endswith(")")


def test_cloud_regions_cover_the_providers_and_known_zones(zones, clouds):
    providers = {r["provider"] for r in clouds.values()}
    assert {"aws", "gcp", "azure", "ovh", "scaleway"} <= providers
    for key, row in clouds.items():
        assert key == f"{row['provider']}:{row['region']}"
        zone = zones[row["zone"]]
        assert zone["country"] == row["country"], key
        assert float(row["pue"]) >= 1.0
        assert row["city"] and row["pue_source"]


def test_cloud_zones_agree_with_electricity_maps_data_centres(clouds):
    facts = read_json_source("electricitymaps-data_centers.json")
    checked = 0
    for entry in facts.values():
        key = f"{entry['provider']}:{entry['region']}"
        if key in clouds and key not in ZONE_DISAGREEMENTS:
            assert clouds[key]["zone"] == entry["zoneKey"], key
            checked += 1
    assert checked > 80


#: Both older tables file Hong Kong under China; ISO 3166 and Electricity Maps do not.
HONG_KONG = {"gcp:asia-east2", "aws:ap-east-1", "azure:eastasia"}


def test_cloud_countries_agree_with_green_algorithms(clouds):
    checked = 0
    for row in read_green_algorithms("greenalgorithms-cloudProviders_datacenters.csv"):
        # Green Algorithms writes Azure regions as the portal shows them ("West Europe").
        key = f"{row['provider']}:{row['Name'].replace(' ', '').lower()}"
        if key in clouds and key not in HONG_KONG and row["location"]:
            assert row["location"].split("-")[0] == clouds[key]["country"], key
            checked += 1
    assert checked > 50


def test_cloud_countries_agree_with_mlco2(clouds):
    from jupyter_carbon.carbon import find_zone

    text = source_path("mlco2-impact-impact.csv").read_text(encoding="utf-8")
    checked = 0
    for row in csv.DictReader(text.splitlines()):
        key = f"{row['provider']}:{row['region']}"
        if key in clouds and key not in HONG_KONG:
            assert find_zone(row["country"]).country == clouds[key]["country"], key
            checked += 1
    assert checked > 50


def test_every_gcp_region_google_reports_is_bundled(clouds):
    text = source_path("google-region-carbon-info-2024.csv").read_text(encoding="utf-8")
    regions = {row["Google Cloud Region"] for row in csv.DictReader(text.splitlines())}
    assert regions - {r["region"] for r in clouds.values() if r["provider"] == "gcp"} == set()


def provider_pue() -> list[dict[str, str]]:
    return list(csv.DictReader(source_path("provider-pue.csv").read_text(encoding="utf-8").splitlines()))


def test_cloud_pue_is_the_providers_own_figure_with_year_and_source(clouds):
    rows = provider_pue()
    for row in clouds.values():
        published = [
            r for r in rows
            if r["provider"] == row["provider"] and r["source_url"] == row["pue_source"]
            and float(r["pue"]) == float(row["pue"]) and r["year"] == row["pue_year"]
        ]
        assert published, row["key"]
    newest = {}
    for r in rows:
        if not r["site"] and int(r["year"]) > int(newest.get(r["provider"], {"year": 0})["year"]):
            newest[r["provider"]] = r
    # A provider's fleet figure is its newest: AWS publishes 1.14 for 2025.
    assert float(clouds["aws:eu-west-3"]["pue"]) == float(newest["aws"]["pue"]) == 1.14
    assert clouds["aws:eu-west-3"]["pue_year"] == newest["aws"]["year"] == "2025"


def test_a_site_figure_wins_over_the_fleet_and_a_region_of_several_sites_takes_the_highest(clouds):
    sites = {r["site"]: r for r in provider_pue() if r["site"]}
    assert float(clouds["scaleway:fr-par-2"]["pue"]) == float(sites["DC5"]["pue"])
    paris = [float(r["pue"]) for r in sites.values() if "fr-par" in r["regions"].split()]
    assert len(paris) > 1 and float(clouds["scaleway:fr-par"]["pue"]) == max(paris)
    assert "DC5" in clouds["scaleway:fr-par"]["pue_scope"]


def test_googles_per_campus_figures_match_green_algorithms_record_of_them(clouds):
    recorded = {
        r["Name"]: float(r["PUE"])
        for r in read_green_algorithms("greenalgorithms-cloudProviders_datacenters.csv")
        if r["provider"] == "gcp" and r["PUE"].strip()
    }
    sites = [r for r in provider_pue() if r["provider"] == "gcp" and r["site"]]
    assert {r["regions"] for r in sites} == set(recorded)
    for row in sites:
        assert float(row["pue"]) == recorded[row["regions"]]
        assert float(clouds[f"gcp:{row['regions']}"]["pue"]) == float(row["pue"])


def test_cloud_regions_number_at_least_150_and_include_the_ones_once_missing(clouds):
    assert len(clouds) >= 150
    for key in ("aws:ap-southeast-6", "azure:francesouth", "azure:germanynorth", "azure:norwaywest",
                "azure:switzerlandwest", "azure:chinanorth3", "azure:chinaeast2"):
        assert key in clouds, key


@pytest.mark.parametrize("key, zone", [
    ("azure:westus2", "US-NW-GCPD"), ("ovh:us-west-or", "US-NW-PGE"), ("gcp:us-west1", "US-NW-BPAT"),
    ("aws:us-west-2", "US-NW-BPAT"), ("gcp:us-east1", "US-CAR-SC"), ("azure:westcentralus", "US-NW-WACM"),
])
def test_doubtful_regions_are_on_the_zone_of_the_utility_serving_them(clouds, key, zone):
    assert clouds[key]["zone"] == zone
    assert clouds[key]["zone_basis"], key


@pytest.mark.parametrize("region, chosen, rejected", [("us-east1", "US-CAR-SC", "US-CAR-SCEG"), ("us-west1", "US-NW-BPAT", "US-NW-PACW")])
def test_googles_own_grid_figure_is_nearer_the_chosen_zone(zones, clouds, region, chosen, rejected):
    text = source_path("google-region-carbon-info-2024.csv").read_text(encoding="utf-8")
    google = {r["Google Cloud Region"]: float(r["Grid carbon intensity (gCO2eq / kWh)"]) for r in csv.DictReader(text.splitlines())}
    assert clouds[f"gcp:{region}"]["zone"] == chosen
    distance = {z: abs(float(zones[z]["g_per_kwh"]) - google[region]) for z in (chosen, rejected)}
    assert distance[chosen] < distance[rejected]


def test_equivalents_match_green_algorithms_reference_values():
    rows = {r["key"]: r for r in table("equivalents.csv")}
    ref = {r["variable"]: float(r["value"]) for r in read_green_algorithms("greenalgorithms-referenceValues.csv")}
    assert float(rows["car_km"]["g_per_unit"]) == ref["passengerCar_US_perkm"]
    assert float(rows["car_km_eu"]["g_per_unit"]) == ref["passengerCar_EU_perkm"]
    assert float(rows["tree_years"]["g_per_unit"]) == ref["treeYear"]
    for key in ("smartphone_charges", "tree_seedlings_10y"):
        assert "EPA" in rows[key]["source"] and rows[key]["url"].startswith("https://www.epa.gov/")
    assert all(float(r["g_per_unit"]) > 0 for r in rows.values())


def test_timezones_point_at_bundled_zones(zones):
    rows = {r["tz"]: r["zone"] for r in table("timezones.csv")}
    assert set(rows.values()) <= set(zones)
    assert rows["America/Montreal"] == "CA-QC"
    assert rows["Europe/Paris"] == "FR"
    for line in source_path("zone.tab").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") and line.strip():
            country, _, tz = line.split("\t")[:3]
            if country in zones:
                assert rows[tz] == country or rows[tz].startswith(country + "-"), tz


def test_derivation_reproduces_the_bundled_tables(tmp_path):
    script = REPO / "scripts" / "derive_data.py"
    spec = importlib.util.spec_from_file_location("derive_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--sources", str(SOURCES), "--out", str(tmp_path)]) == 0
    shipped = REPO / "jupyter_carbon" / "data"
    names = ["zones.csv", "cloud_regions.csv", "timezones.csv", "equivalents.csv", "hardware.csv", "places.csv",
             "cpu_architectures.csv", "cpu_parts.csv", "cloud_instances.csv", "embodied.csv", "embodied_instances.csv"]  # fmt: skip
    match, mismatch, errors = filecmp.cmpfiles(shipped, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []


def test_cpu_architectures_keep_the_ccf_coefficients_beside_the_recomputed_means():
    """Each microarchitecture's figure is the mean of its SPECpower results per thread, as
    Cloud Carbon Footprint computes it; where CCF's own coefficient differs by over 25 %, the
    row says so (EPYC 5th Gen: 8.96 W from few results, vs 1.46 W over the 43 in its file)."""
    from jupyter_carbon import cpu_power
    from jupyter_carbon.tables import read_table

    rows = {r["architecture"]: r for r in read_table("cpu_architectures.csv")}
    for name, r in rows.items():
        a = cpu_power.architecture(name)
        assert a.w_low <= a.w_max <= a.w_high, name
        if r["ccf_w_max"] and abs(float(r["ccf_w_max"]) / a.w_max - 1) > 0.25:
            assert "differs from the mean" in r["note"], name
    assert float(rows["Cascade Lake"]["ccf_w_max"]) == pytest.approx(float(rows["Cascade Lake"]["w_max"]), rel=0.05)
    assert "placeholder" in rows["Neoverse N1"]["note"] and "no SPECpower result" in rows["Neoverse V1"]["note"]
    assert "differs from the mean" in rows["EPYC 5th Gen"]["note"]


def test_a_few_rows_found_by_their_text_are_those_rows_of_the_whole_table():
    import re

    from jupyter_carbon.tables import raw_lines, read_table, rows_matching

    cases = [("places.csv", 'fr,.*|".*', 0), ("zones.csv", "FR,.*", 0), ("hardware.csv", ".*xeon gold.*", re.IGNORECASE),
             ("cpu_parts.csv", "(?:.*epyc 7763|.*m1 max),.*", re.IGNORECASE)]  # fmt: skip
    for name, pattern, flags in cases:
        lines = raw_lines(name)
        want = list(csv.DictReader([lines[0], *(line for line in lines[1:] if re.fullmatch(pattern, line, flags))]))
        assert want and rows_matching(name, pattern, flags) == want, name
        assert all(row in read_table(name) for row in want[:3])


def test_rows_found_by_their_start_are_those_rows_of_the_whole_table():
    from jupyter_carbon.tables import raw_lines, rows_starting

    for name, prefixes in [("places.csv", ("fr,", '"')), ("places.csv", ("paris,", "london,")), ("zones.csv", ("FR,",)),
                           ("zones.csv", ("WORLD,",)), ("zones.csv", ("NO-SUCH-ZONE,",))]:  # fmt: skip
        lines = raw_lines(name)
        want = list(csv.DictReader([lines[0], *(line for line in lines[1:] if line.startswith(prefixes))]))
        assert rows_starting(name, prefixes) == want, (name, prefixes)
    assert len(rows_starting("places.csv", ('"',))) > 0 and rows_starting("zones.csv", ("NO-SUCH-ZONE,",)) == []


def test_rows_found_by_a_part_of_their_line_are_those_rows_of_the_whole_table():
    from jupyter_carbon.tables import raw_lines, rows_containing

    for name, text in [("zones.csv", ",US,subnational,"), ("zones.csv", ",FR,subnational,"), ("places.csv", ",FR,"),
                       ("zones.csv", "key,name"), ("zones.csv", "Electricity Maps")]:  # fmt: skip
        lines = raw_lines(name)
        want = list(csv.DictReader([lines[0], *(line for line in lines[1:] if text in line)]))
        assert rows_containing(name, text) == want, (name, text)
    assert len(rows_containing("zones.csv", ",US,subnational,")) > 1
