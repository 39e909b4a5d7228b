"""Issue 23: the live providers' token and password never appear in what users see or save:
``%config CarbonMeter`` (whose output the notebook keeps), reprs, displayed values, errors."""

import pytest
from test_magics import run
from traitlets import TraitError

from jupyter_carbon.config import CarbonMeter

TOKEN = "em-secret-token-0123456789"
PASSWORD = "wt-secret-password-9876"


@pytest.fixture
def secret_shell(ip, tmp_path, monkeypatch):
    from IPython.utils.capture import capture_output

    monkeypatch.setenv("JUPYTER_CARBON_REGION", "FR")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
    ip.config.CarbonMeter.electricitymaps_token = TOKEN
    ip.config.CarbonMeter.watttime_password = PASSWORD
    with capture_output():
        ip.run_line_magic("load_ext", "jupyter_carbon")
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_carbon")
    for name in ("electricitymaps_token", "watttime_password"):
        ip.config.CarbonMeter.pop(name, None)


def test_config_listing_and_values_hide_the_secrets(secret_shell):
    result, out = run(secret_shell, "%config CarbonMeter")
    assert "electricitymaps_token" in out.stdout and "watttime_password" in out.stdout
    assert TOKEN not in out.stdout and PASSWORD not in out.stdout
    assert "Current: <hidden>" in out.stdout
    result, out = run(secret_shell, "%config CarbonMeter.electricitymaps_token")
    assert TOKEN not in out.stdout and "<hidden>" in out.stdout


def test_a_secret_is_itself_to_the_code_that_sends_it():
    settings = CarbonMeter(electricitymaps_token=TOKEN, watttime_password=PASSWORD)
    assert str(settings.electricitymaps_token) == TOKEN and f"{settings.watttime_password}" == PASSWORD
    assert settings.electricitymaps_token == TOKEN
    assert TOKEN not in repr(settings.electricitymaps_token) and PASSWORD not in repr(settings.watttime_password)
    assert TOKEN not in CarbonMeter.class_get_help(settings)
    assert CarbonMeter().electricitymaps_token is None


def test_an_error_about_a_secret_never_shows_its_value():
    with pytest.raises(TraitError) as err:
        CarbonMeter(watttime_password=98765432109876)
    assert "98765432109876" not in str(err.value) and "watttime_password" in str(err.value)
