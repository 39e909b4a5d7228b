"""``%carbon forecast`` in a real (in-process) IPython shell: the text, and answers from a
slow, broken, huge or redirecting provider that change nothing a cell does."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from carbon_fakes import FakeServer
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from test_carbon_forecast import uk_forecast_body

from jupyter_carbon import forecasting
from jupyter_carbon.kernel.extension import extension_of

NOW = datetime(2026, 12, 7, 5, 10, tzinfo=timezone.utc)
PATH = "/intensity/2026-12-07T05:10Z/fw48h"


@pytest.fixture
def gb_shell(ip, tmp_path, monkeypatch):
    """The test shell with jupyter_carbon loaded in GB, forecasts from ``gb_shell.fake``."""

    def load(routes):
        fake = FakeServer(routes)
        monkeypatch.setenv("JUPYTER_CARBON_REGION", "GB")
        monkeypatch.setattr(forecasting, "utc_now", lambda: NOW)
        ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
        ip.config.CarbonMeter.live_provider = "uk-national-grid"
        ip.config.CarbonMeter.uk_carbon_intensity_url = fake.url
        ip.config.CarbonMeter.live_timeout_s = 0.5
        with capture_output():
            ip.run_line_magic("load_ext", "jupyter_carbon")
        loaded.append(fake)
        return fake

    loaded = []
    yield load
    ip.run_line_magic("unload_ext", "jupyter_carbon")
    for name in ("live_provider", "uk_carbon_intensity_url", "live_timeout_s"):
        ip.config.CarbonMeter.pop(name, None)
    for fake in loaded:
        fake.close()


def magic(ip, line):
    with capture_output() as out:
        ip.run_line_magic("carbon", line)
    return out.stdout


def cell(ip, source):
    with capture_output() as out:
        result = ip.run_cell(source, store_history=True)
    return result, out


def test_forecast_magic_prints_hours_and_the_cleanest_window(gb_shell, ip):
    gb_shell({PATH: (200, uk_forecast_body([300, 280, 90, 80, 250, 260, 270, 280]), 0)})
    out = magic(ip, "forecast --hours 4 --length 1h --power 2000")
    assert "UK National Grid forecast for GB" in out
    assert "Cleanest 1 h window" in out and "85 g/kWh on average" in out
    # 2 kW for an hour, PUE 1: 85 g/kWh x 2 kWh = 170 g there.
    assert "would emit 170 g CO2e there" in out and "2.0 kW (given)" in out and "instead of 510 g now: 340 g less (67 %)" in out


def test_forecast_magic_uses_the_sessions_mean_power(gb_shell, ip):
    gb_shell({PATH: (200, uk_forecast_body([300, 280, 90, 80, 250, 260, 270, 280]), 0)})
    out = magic(ip, "forecast --hours 4")
    assert "What a job would save there: give --power WATTS" in out  # no cell has run yet
    cell(ip, "sum(range(200000))")
    assert "this session's mean power while cells ran" in magic(ip, "forecast --hours 4")


@pytest.mark.parametrize("route, reason", [
    ((200, uk_forecast_body([100]), 3.0), "did not answer within 0.5 s"),
    ((500, {"error": "down"}, 0), "HTTP 500"),
    ((200, b"{" * 2_000_000, 0), "not JSON"),
    ((200, uk_forecast_body([100] * 3000), 0), "more than"),
])  # fmt: skip
def test_a_bad_forecast_is_one_line_and_changes_nothing_a_cell_does(gb_shell, ip, route, reason):
    gb_shell({PATH: route})
    before = len(extension_of(ip).session.records)
    result, _ = cell(ip, "x_forecast = 6 * 7\nx_forecast")
    start = time.monotonic()
    out = magic(ip, "forecast")
    assert time.monotonic() - start < 2.5
    assert out.startswith("No forecast for GB:") and reason in out and len(out.strip().splitlines()) == 1
    again, _ = cell(ip, "x_forecast = 6 * 7\nx_forecast")
    assert result.result == again.result == 42 and again.error_in_exec is None
    assert len(extension_of(ip).session.records) == before + 2  # both cells recorded as ever


def test_a_redirect_is_followed_on_the_same_host(gb_shell, ip):
    target = {PATH: (200, uk_forecast_body([100, 50, 100]), 0)}
    fake = gb_shell({})
    fake.routes[PATH] = (302, b"", 0, {"Location": fake.url + "/moved"})
    fake.routes["/moved"] = target[PATH]
    assert "Cleanest 1 h window" in magic(ip, "forecast --hours 1")


def test_forecast_magic_bad_input_is_one_line(gb_shell, ip):
    gb_shell({})
    with pytest.raises(UsageError, match="at most 72"):
        magic(ip, "forecast --hours 1000")
    with pytest.raises(UsageError, match="not a duration"):
        magic(ip, "forecast --length forever")


def test_without_a_provider_it_says_which_could(shell):
    out = magic(shell, "forecast")
    assert "No forecast provider is turned on" in out and "electricitymaps" in out
    assert "uk-national-grid" not in out  # the shell's zone is FR
