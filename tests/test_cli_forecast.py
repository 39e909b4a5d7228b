"""``jupyter carbon forecast`` and ``jupyter carbon run --when cleanest`` against a loopback
fake of the UK forecast, with a fake clock for the wait."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import nbformat
import pytest
from carbon_fakes import FakeServer
from test_carbon_forecast import uk_forecast_body

from jupyter_carbon import cli
from jupyter_carbon.cli import runner, schedule

UTC = timezone.utc
NOW = datetime(2026, 12, 7, 5, 10, tzinfo=UTC)
PATH = "/intensity/2026-12-07T05:10Z/fw48h"
# Half-hours from 05:00 UTC: the cleanest hour is 08:00-09:00 (two 60s).
VALUES = [300, 280, 260, 240, 200, 150, 60, 60, 150, 250, 300, 320, 330, 340, 350, 360, 370, 380, 390, 400, 410, 420, 430, 440, 450, 460]


@pytest.fixture
def profile(tmp_path, monkeypatch):
    """An IPython profile whose ipython_config.py the test writes; the machine's zone is GB."""
    folder = tmp_path / "ipython" / "profile_default"
    folder.mkdir(parents=True)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_CARBON_REGION", "GB")
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()  # the C library reads TZ once: local times are then London's

    def write(text):
        (folder / "ipython_config.py").write_text(text, encoding="utf-8")

    yield write
    monkeypatch.undo()
    time.tzset()


class FakeClock:
    """Wall clock that moves only when slept on; records each sleep."""

    def __init__(self, now):
        self.now, self.sleeps = now, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_forecast_without_a_provider_names_those_that_could(profile, capsys):
    profile("")
    assert cli.main(["forecast", "GB"]) == 0
    out = capsys.readouterr().out
    assert "No forecast provider is turned on" in out and "uk-national-grid" in out and "--provider NAME" in out


def test_forecast_shows_hours_the_cleanest_window_and_the_saving(profile, capsys, monkeypatch):
    monkeypatch.setattr(schedule, "utc_now", lambda: datetime(2026, 12, 7, 5, 0, tzinfo=UTC))
    body = uk_forecast_body([300] * 4 + [60, 60] + [400] * 10)
    with FakeServer({"/intensity/2026-12-07T05:00Z/fw48h": (200, body, 0)}) as fake:
        profile(f"c.CarbonMeter.uk_carbon_intensity_url = {fake.url!r}\n")
        code = cli.main(["forecast", "GB", "--provider", "uk-national-grid", "--hours", "6", "--length", "1h", "--power", "1000"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "UK National Grid forecast for GB" in out and "Cleanest 1 h window" in out
    # 1 kW for an hour: 300 g now (its first hour is all 300), 60 g in the 60 g/kWh hour.
    assert "60 g/kWh on average (starting now: 300)" in out
    assert "would emit 60 g CO2e there instead of 300 g now: 240 g less (80 %)" in out


def test_forecast_failure_is_one_line_and_exit_zero(profile, capsys):
    with FakeServer({}) as fake:  # every path answers 404
        profile(f"c.CarbonMeter.uk_carbon_intensity_url = {fake.url!r}\n")
        assert cli.main(["forecast", "GB", "--provider", "uk-national-grid"]) == 0
    assert "No forecast for GB:" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["forecast", "GB", "--hours", "100"], "at most 72"),
    (["forecast", "GB", "--length", "3h", "--hours", "2"], "longer than --hours"),
    (["forecast", "nowhere-at-all"], "nowhere-at-all"),
])  # fmt: skip
def test_forecast_bad_input_is_one_line_exit_two(profile, capsys, argv, message):
    profile("")
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return str(path)


@pytest.fixture
def waiting(monkeypatch):
    """A fake clock for the wait, and a fake run that notes when it started (then stops)."""
    clock = FakeClock(NOW)

    def fake_run(nb, **kwargs):
        clock.started.append(clock())
        raise runner.RunError("fake run stops here")

    clock.started = []
    monkeypatch.setattr(schedule, "utc_now", clock)
    monkeypatch.setattr(schedule, "sleep_for", clock.sleep)
    monkeypatch.setattr(runner, "run_notebook", fake_run)
    return clock


def run_cleanest(profile, tmp_path, route, *args, config=""):
    with FakeServer({PATH: route}) as fake:
        profile(f"c.CarbonMeter.uk_carbon_intensity_url = {fake.url!r}\n{config}")
        return cli.main(["run", notebook(tmp_path), "--when", "cleanest", *args])


def test_run_when_cleanest_waits_for_the_window_then_runs(profile, tmp_path, capsys, waiting):
    config = "c.CarbonMeter.live_provider = 'uk-national-grid'\n"
    run_cleanest(profile, tmp_path, (200, uk_forecast_body(VALUES), 0), "--within", "12h", "--length", "1h", config=config)
    err = capsys.readouterr().err
    assert waiting.started == [datetime(2026, 12, 7, 8, 0, tzinfo=UTC)]
    assert "waiting until Mon 08:00 GMT (in 2 h 50 min)" in err and "60 g/kWh on average" in err
    assert max(waiting.sleeps) <= 60.0  # never one long sleep a changed clock could not correct


def test_run_when_cleanest_respects_within(profile, tmp_path, waiting):
    run_cleanest(profile, tmp_path, (200, uk_forecast_body(VALUES), 0), "--within", "2h", "--provider", "uk-national-grid")
    # Ending by 07:10, the cleanest hour is 06:10-07:10: 20 min at 260, 30 at 240, 10 at 200.
    assert waiting.started == [datetime(2026, 12, 7, 6, 10, tzinfo=UTC)]


def test_ctrl_c_while_waiting_runs_nothing(profile, tmp_path, capsys, waiting, monkeypatch):
    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(schedule, "sleep_for", interrupted)
    code = run_cleanest(profile, tmp_path, (200, uk_forecast_body(VALUES), 0), "--provider", "uk-national-grid")
    assert code == 130 and not waiting.started
    assert "stopped waiting for the cleanest window; nothing ran" in capsys.readouterr().err


def test_run_when_cleanest_with_a_failing_forecast_starts_now(profile, tmp_path, capsys, waiting):
    run_cleanest(profile, tmp_path, (500, {}, 0), "--provider", "uk-national-grid")
    assert waiting.started == [NOW] and "HTTP 500" in capsys.readouterr().err and not waiting.sleeps


@pytest.mark.parametrize("argv, message", [
    (["--within", "12h"], "--within goes with --when cleanest"),
    (["--when", "cleanest", "--within", "soon"], "not a duration"),
    (["--when", "cleanest", "--within", "1h", "--length", "2h"], "longer than --within"),
    (["--when", "cleanest"], "needs a forecast provider"),
])  # fmt: skip
def test_run_when_bad_input_exits_two_before_anything_runs(profile, tmp_path, capsys, monkeypatch, argv, message):
    profile("")
    monkeypatch.setattr(runner, "run_notebook", lambda *a, **k: pytest.fail("ran"))
    assert cli.main(["run", notebook(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
