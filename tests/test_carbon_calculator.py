"""The emissions calculator: arithmetic, hardware lookup, comparisons, equivalents."""

from __future__ import annotations

import pytest
from carbon_fakes import read_green_algorithms

from jupyter_carbon import hardware
from jupyter_carbon.carbon import UnknownRegion, find_zone
from jupyter_carbon.carbon.calculator import estimate, find_hardware
from jupyter_carbon.carbon.cloud import cloud_regions
from jupyter_carbon.carbon.equivalents import convert, equivalents


def run(**kwargs):
    kwargs.setdefault("environ", {})
    kwargs.setdefault("timezone", "")
    return estimate(**kwargs)


#: Strubell et al. 2019 state the US average as 0.954 lb CO2e per kWh; 1 lb is 453.59237 g.
STRUBELL_G_PER_KWH = 0.954 * 453.59237


def test_strubell_intensity_is_432_727_g_per_kwh():
    assert round(STRUBELL_G_PER_KWH, 3) == 432.727


def test_strubell_transformer_base_on_8_p100s():
    # Strubell et al. 2019, Table 3: 1415.78 W, 12 h, PUE 1.58, 0.954 lb/kWh.
    e = run(power_w=1415.78, hours=12, pue=1.58, intensity=STRUBELL_G_PER_KWH)
    assert round(e.facility_energy_kwh, 2) == 26.84
    assert e.emissions_g == pytest.approx(1415.78 * 12 / 1000 * 1.58 * STRUBELL_G_PER_KWH)
    assert e.it_energy_j * 1.58 == pytest.approx(e.facility_energy_j)
    # The paper's 26 lbs CO2e, to its rounding.
    assert round(e.emissions_g / 453.59237) == 26


def test_hardware_count_and_region_pue():
    region = find_zone("gcp:europe-west1")
    e = run(hardware="V100 SXM2", count=4, hours=10, region="gcp:europe-west1")
    tdp = hardware.lookup("gpu", "V100 SXM2").tdp_w
    assert e.power_w == 4 * tdp
    assert e.intensity.pue == region.pue
    assert e.emissions_g == pytest.approx(4 * tdp * 10 / 1000 * region.pue * region.g_per_kwh)


def test_zone_off_the_cloud_has_pue_one_and_pue_is_overridable():
    assert run(power_w=100, hours=1, region="FR").intensity.pue == 1.0
    assert run(power_w=100, hours=1, region="aws:eu-west-3", pue=1.05).intensity.pue == 1.05


def test_intensity_overrides_the_zone_value_and_says_so():
    e = run(power_w=1000, hours=1, region="FR", intensity=100)
    assert e.intensity.g_per_kwh == 100 and e.intensity.source == "given by the user"
    assert e.intensity.zone == "FR"


def test_without_region_the_world_average_is_a_recorded_guess():
    e = run(power_w=1000, hours=1)
    assert (e.intensity.zone, e.intensity.chosen_by, e.intensity.guess) == ("WORLD", "default", True)
    e = run(power_w=1000, hours=1, environ={"JUPYTER_CARBON_REGION": "quebec"})
    assert (e.intensity.zone, e.intensity.chosen_by) == ("CA-QC", "environment")


def test_cleanest_same_provider_and_overall():
    e = run(hardware="A100 SXM4", hours=100, region="aws:us-east-1")
    same, overall = e.alternatives
    assert (same.scope, overall.scope) == ("same provider", "overall")
    aws = [r for r in cloud_regions().values() if r.provider == "aws"]
    best_aws = min(r.g_per_kwh * r.pue for r in aws)
    assert same.key.startswith("aws:") and same.g_per_kwh * same.pue == pytest.approx(best_aws)
    assert overall.g_per_kwh * overall.pue == pytest.approx(min(r.g_per_kwh * r.pue for r in cloud_regions().values()))
    assert same.saving_pct == pytest.approx((1 - same.emissions_g / e.emissions_g) * 100)
    assert 0 < same.saving_pct < 100 and overall.emissions_g <= same.emissions_g


def test_local_zone_compares_with_overall_only():
    e = run(power_w=300, hours=5, region="PL")
    assert [a.scope for a in e.alternatives] == ["overall"]


def test_to_dict_is_json_ready():
    import json

    data = json.loads(json.dumps(run(power_w=300, hours=5, region="PL").to_dict()))
    assert data["intensity"]["zone"] == "PL"
    assert data["facility_energy_kwh"] == pytest.approx(1.5)
    assert {q["key"] for q in data["equivalents"]} == {"car_km", "smartphone_charges", "tree_seedlings_10y"}


def test_equivalents_say_which_gas_their_factor_counts():
    rows = {q["key"]: q for q in convert(1000.0, ["smartphone_charges", "tree_seedlings_10y", "flight_paris_london"])}
    # The EPA factors count CO2 alone; the flight (Green Algorithms, "gCO2e") counts CO2e.
    assert rows["smartphone_charges"]["gas"] == rows["tree_seedlings_10y"]["gas"] == "CO2"
    assert rows["flight_paris_london"]["gas"] == "CO2e"


def test_equivalents_divide_by_their_factor():
    ref = {r["variable"]: float(r["value"]) for r in read_green_algorithms("greenalgorithms-referenceValues.csv")}
    car = convert(1000.0, ["car_km"])[0]
    assert car["amount"] == pytest.approx(1000.0 / ref["passengerCar_US_perkm"])
    with pytest.raises(ValueError, match="unknown equivalents"):
        convert(1.0, ["unicorns"])
    assert all(e.g_per_unit > 0 for e in equivalents().values())


@pytest.mark.parametrize(
    "name, expected",
    [("V100 SXM2", "NVIDIA Tesla V100 SXM2"), ("Tesla V100-PCIE-16GB", "NVIDIA Tesla V100 PCIe"),
     ("TPU v3", "TPU v3"), ("K80", "NVIDIA Tesla K80"), ("P100 PCIe", "NVIDIA Tesla P100 PCIe")],
)
def test_find_hardware(name, expected):
    assert find_hardware(name).name == expected


def test_ambiguous_hardware_lists_the_parts_and_their_power():
    with pytest.raises(ValueError) as info:
        find_hardware("V100")
    assert "V100 PCIe (250 W)" in str(info.value) and "V100 SXM2 (300 W)" in str(info.value)
    with pytest.raises(ValueError, match="A100"):
        find_hardware("A100")  # a GPU question, not Intel's A100 CPU


@pytest.mark.parametrize("name", ["GTX 980", "GTX 750", "RX 570", "GeForce GTX 980 Ti", "Radeon RX 6800"])
def test_a_gpu_name_never_prices_a_cpu(name):
    # CPU rows named by bare numbers ("980", "750", "570") must not catch a GPU's name.
    with pytest.raises(ValueError, match="no GPU or TPU named") as info:
        find_hardware(name)
    assert "--power" in str(info.value)


def test_gtx_980_from_the_command_line_is_an_error_not_a_cpu(capsys):
    from jupyter_carbon.cli import main

    assert main(["estimate", "--hardware", "GTX 980", "--hours", "1", "--region", "FR"]) == 2
    err = capsys.readouterr().err
    assert "no GPU or TPU named 'GTX 980'" in err


def test_p100_asks_between_pcie_and_sxm2():
    with pytest.raises(ValueError) as info:
        find_hardware("P100")
    assert "P100 PCIe (250 W)" in str(info.value) and "P100 SXM2 (300 W)" in str(info.value)


def test_a_cpu_with_integrated_graphics_is_a_cpu():
    assert find_hardware("AMD Ryzen 5 3400G with Radeon Vega Graphics").name == "AMD Ryzen 5 3400G"


def test_exact_name_wins_over_longer_parts_of_other_power():
    assert find_hardware("RTX 2080").tdp_w == 215.0  # not the 250 W RTX 2080 Ti
    assert find_hardware("Xeon Platinum 8259CL").kind == "cpu"


def test_unknown_hardware_says_what_to_do():
    with pytest.raises(ValueError, match="--power"):
        find_hardware("Quantum Flux 9000")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(power_w=100, hours=0), "hours"),
        (dict(power_w=100, hours=-2), "hours"),
        (dict(power_w=-5, hours=1), "power"),
        (dict(hours=1), "either"),
        (dict(power_w=100, hardware="K80", hours=1), "either"),
        (dict(hardware="K80", count=0, hours=1), "count"),
        (dict(power_w=100, hours=1, pue=0.5), "PUE"),
        (dict(power_w=100, hours=1, intensity=-1), "intensity"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(**kwargs)


def test_unknown_region_is_raised_before_hardware_is_looked_up():
    with pytest.raises(UnknownRegion) as info:
        run(hardware="V100", hours=100, region="nowhere-land")
    assert info.value.suggestions
