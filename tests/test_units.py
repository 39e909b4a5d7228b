"""Figures for people: the cases the kernel and the JupyterLab extension share.

``tests/fixtures/format_cases.json`` is read here and by ``labextension/test/format.spec.ts``,
so both front ends print the same text for the same number.
"""

import json
import math
from pathlib import Path

import pytest

from jupyter_carbon import units

CASES = json.loads((Path(__file__).parent / "fixtures" / "format_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("x, text", CASES["num"])
def test_num(x, text):
    assert units.num(x) == text


@pytest.mark.parametrize("joules, unit, text", CASES["energy"])
def test_energy(joules, unit, text):
    assert units.format_energy(joules, unit) == text


@pytest.mark.parametrize("grams, unit, text", CASES["mass"])
def test_mass(grams, unit, text):
    assert units.format_mass(grams, unit) == text


@pytest.mark.parametrize("watts, text", CASES["power"])
def test_power(watts, text):
    assert units.format_power(watts) == text


@pytest.mark.parametrize("seconds, text", CASES["duration"])
def test_duration(seconds, text):
    assert units.format_duration(seconds) == text


@pytest.mark.parametrize("intensity, text", CASES["intensity"])
def test_intensity(intensity, text):
    assert units.format_intensity(intensity) == text


@pytest.mark.parametrize("execution_count, position, index, text", CASES["cell"])
def test_cell(execution_count, position, index, text):
    assert units.format_cell(execution_count, position, index) == text
    record = {"execution_count": execution_count, "cell_position": position, "index": index}
    assert units.cell_label(record) == text


def test_not_a_number_is_not_available_in_every_unit():
    for unit in units.ENERGY_UNITS:
        assert units.format_energy(math.nan, unit) == "n/a"
    for unit in units.MASS_UNITS:
        assert units.format_mass(math.inf, unit) == "n/a"


def test_an_unknown_unit_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="auto, Wh, kWh"):
        units.format_energy(1.0, "J")


@pytest.mark.parametrize("value, bounds, kind, unit, estimate, text", CASES["range"])
def test_range(value, bounds, kind, unit, estimate, text):
    assert units.format_range(value, bounds, kind, unit, estimate) == text
