"""Forecasts: the cleanest window on hand-made series (midnight, daylight-saving changes,
gaps), the savings arithmetic, and each provider's forecast shape from loopback fakes,
including slow, broken, huge and redirecting answers."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from carbon_fakes import FakeServer

from jupyter_carbon.carbon import find_zone
from jupyter_carbon.carbon._http import FetchError
from jupyter_carbon.carbon.forecast import (
    Forecast,
    Point,
    cleanest_window,
    local,
    mean_over,
    parse_duration,
    parse_time,
    plan,
)
from jupyter_carbon.carbon.forecasts import MAX_POINTS, fetch_forecast, which_could
from jupyter_carbon.carbon.providers import G_PER_LB, ElectricityMaps, UKNationalGrid, WattTime

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
GB, FR = find_zone("GB"), find_zone("FR")
TOKEN = "em-forecast-secret-0123"
PASSWORD = "wt-forecast-password-77"


def series(start: datetime, step: timedelta, values, zone="GB") -> Forecast:
    points = tuple(Point(start + i * step, start + (i + 1) * step, float(v)) for i, v in enumerate(values))
    return Forecast(points, zone, "hand-made", "average")


def brute_force(forecast, length, now, latest):
    """The lowest mean over every start a minute apart: what the exact search must match."""
    best, start = None, now
    while start <= latest:
        mean = mean_over(forecast.points, start, start + length)
        if mean is not None and (best is None or mean < best[1] - 1e-9):
            best = (start, mean)
        start += timedelta(minutes=1)
    return best


# -- the cleanest window -------------------------------------------------------------------


def test_cleanest_window_is_the_lowest_mean_over_the_whole_window():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    f = series(now, timedelta(hours=1), [300, 100, 400, 120, 110, 500])
    w = cleanest_window(f, timedelta(hours=2), now=now)
    # 100 alone is lowest, but 400 beside it: 120+110 wins over two hours.
    assert (w.start, w.end, w.g_per_kwh) == (now + timedelta(hours=3), now + timedelta(hours=5), 115.0)
    one = cleanest_window(f, timedelta(hours=1), now=now)
    assert (one.start, one.g_per_kwh) == (now + timedelta(hours=1), 100.0)


def test_a_window_starting_between_steps_is_found_exactly():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    # A 90-minute window: best straddles half of the 200 step and the whole 50 step.
    f = series(now, timedelta(hours=1), [400, 200, 50, 400])
    w = cleanest_window(f, timedelta(minutes=90), now=now)
    assert w.start == now + timedelta(hours=1, minutes=30)
    assert w.g_per_kwh == pytest.approx((0.5 * 200 + 1.0 * 50) / 1.5)


def test_window_crossing_midnight_local_time():
    tz = ZoneInfo("Europe/Paris")
    start = datetime(2026, 12, 7, 20, 0, tzinfo=tz)
    # 20:00 .. 04:00 local; cleanest 3 h run is 23:00 -> 02:00, across midnight.
    f = series(start, timedelta(hours=1), [300, 280, 250, 90, 80, 85, 200, 260], zone="FR")
    w = cleanest_window(f, timedelta(hours=3), now=start.astimezone(UTC))
    assert w.start.astimezone(tz) == datetime(2026, 12, 7, 23, 0, tzinfo=tz)
    assert w.end.astimezone(tz) == datetime(2026, 12, 8, 2, 0, tzinfo=tz)
    assert w.g_per_kwh == pytest.approx(85.0)
    assert local(w.start, tz) == "Mon 23:00 CET"


def test_window_across_the_autumn_daylight_saving_change_lasts_its_real_length():
    # 25 Oct 2026: London clocks go back from 02:00 BST to 01:00 GMT; 01:xx happens twice.
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 23:00 BST
    values = [300, 300, 60, 60, 60, 60, 60, 60, 300, 300, 300]  # half-hours, 23:00 BST onwards
    f = series(start, timedelta(minutes=30), values)
    w = cleanest_window(f, timedelta(hours=3), now=start)
    assert (w.end - w.start) == timedelta(hours=3) and w.g_per_kwh == pytest.approx(60.0)
    # Three real hours, though the wall clock moves only two: 00:00 BST -> 02:00 GMT.
    assert w.start.astimezone(LONDON).strftime("%H:%M %Z") == "00:00 BST"
    assert w.end.astimezone(LONDON).strftime("%H:%M %Z") == "02:00 GMT"


def test_window_across_the_spring_daylight_saving_change():
    # 29 Mar 2026: London clocks go forward from 01:00 GMT to 02:00 BST.
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 23:00 GMT
    f = series(start, timedelta(hours=1), [250, 40, 45, 260, 270])
    w = cleanest_window(f, timedelta(hours=2), now=start)
    assert w.g_per_kwh == pytest.approx(42.5) and (w.end - w.start) == timedelta(hours=2)
    # Two real hours, though the wall clock moves three: 00:00 GMT -> 03:00 BST.
    assert w.start.astimezone(LONDON).strftime("%H:%M %Z") == "00:00 GMT"
    assert w.end.astimezone(LONDON).strftime("%H:%M %Z") == "03:00 BST"


@pytest.mark.parametrize("seed", range(6))
def test_exact_search_matches_a_minute_by_minute_search(seed):
    rng = random.Random(seed)
    now = datetime(2026, 12, 7, 5, 7, tzinfo=UTC)
    first = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    f = series(first, timedelta(minutes=30), [rng.randint(20, 400) for _ in range(24)])
    length = timedelta(minutes=rng.choice([25, 60, 95, 150]))
    within = timedelta(hours=9)
    w = cleanest_window(f, length, now=now, within=within)
    start, mean = brute_force(f, length, now, now + within - length)
    assert w.g_per_kwh == pytest.approx(mean)
    assert w.g_per_kwh <= mean + 1e-9 and now <= w.start and w.end <= now + within


def test_windows_the_forecast_does_not_cover_are_never_chosen():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    gap = (Point(now, now + timedelta(hours=1), 200.0), Point(now + timedelta(hours=2), now + timedelta(hours=3), 10.0))
    f = Forecast(gap, "GB", "hand-made", "average")
    w = cleanest_window(f, timedelta(hours=1, minutes=30), now=now)
    assert w is None  # no 90 minutes without the gap
    assert cleanest_window(f, timedelta(hours=1), now=now).g_per_kwh == 10.0
    assert cleanest_window(f, timedelta(hours=1), now=now, within=timedelta(hours=2)).g_per_kwh == 200.0
    assert cleanest_window(f, timedelta(hours=4), now=now) is None


def test_plan_prices_now_and_the_window_with_pue():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    f = series(now, timedelta(hours=1), [400, 100, 100])
    p = plan(f, timedelta(hours=1), now=now, power_w=500.0, pue=1.2)
    # 0.5 kW x 1 h x 1.2 = 0.6 kWh: 240 g now, 60 g at the cleanest.
    assert p.grams(p.now) == pytest.approx(240.0) and p.grams(p.cleanest) == pytest.approx(60.0)
    assert p.saving_g == pytest.approx(180.0)
    late = plan(f, timedelta(hours=1), now=now - timedelta(minutes=30), power_w=500.0)
    assert late.now is None and late.saving_g is None  # the forecast starts after "now"


@pytest.mark.parametrize("text, seconds", [("90m", 5400), ("2h", 7200), ("1.5h", 5400), ("12", 43200), ("45s", 45), ("1d", 86400)])
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0h", "-2h", "soon", "nanh", "infh"])
def test_parse_duration_refuses_nonsense_with_the_forms_accepted(text):
    with pytest.raises(ValueError, match="90m, 2h"):
        parse_duration(text)


def test_parse_time_needs_an_offset():
    assert parse_time("2026-12-07T05:30Z") == datetime(2026, 12, 7, 5, 30, tzinfo=UTC)
    assert parse_time("2026-12-07T06:30:00.000+01:00") == datetime(2026, 12, 7, 5, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("2026-12-07T05:30")


# -- provider shapes, from loopback fakes --------------------------------------------------

NOW = datetime(2026, 12, 7, 5, 10, tzinfo=UTC)


def uk_forecast_body(values, first=datetime(2026, 12, 7, 5, 0, tzinfo=UTC)):
    step = timedelta(minutes=30)
    return {"data": [{"from": (first + i * step).strftime("%Y-%m-%dT%H:%MZ"),
                      "to": (first + (i + 1) * step).strftime("%Y-%m-%dT%H:%MZ"),
                      "intensity": {"forecast": v, "actual": None, "index": "moderate"}} for i, v in enumerate(values)]}  # fmt: skip


def em_forecast_body(values, zone="FR"):
    first = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    return {"zone": zone, "forecast": [{"carbonIntensity": v, "datetime": (first + timedelta(hours=i)).isoformat().replace("+00:00", ".000Z")}
                                       for i, v in enumerate(values)], "updatedAt": "2026-12-07T05:00:00.000Z"}  # fmt: skip


def wt_forecast_routes(values, units="lbs_co2_per_mwh"):
    first = datetime(2026, 12, 7, 5, 10, tzinfo=UTC)
    data = [{"point_time": (first + timedelta(minutes=5 * i)).isoformat(), "value": v} for i, v in enumerate(values)]
    meta = {"region": "CAISO_NORTH", "signal_type": "co2_moer", "units": units, "data_point_period_seconds": 300,
            "generated_at": "2026-12-07T05:05:00+00:00"}  # fmt: skip
    return {"/login": (200, {"token": "wt-session-token"}, 0), "/v3/forecast": (200, {"data": data, "meta": meta}, 0)}


def test_uk_forecast_asks_from_now_for_48_hours_and_reads_the_forecast_values():
    path = "/intensity/2026-12-07T05:10Z/fw48h"
    with FakeServer({path: (200, uk_forecast_body([200, 150, 90, 120]), 0)}) as fake:
        f = fetch_forecast(UKNationalGrid(fake.url), GB, now=NOW, timeout=1.0)
        assert fake.requests[0][1] == path
    assert [p.g_per_kwh for p in f.points] == [200.0, 150.0, 90.0, 120.0]
    assert f.points[2].start == datetime(2026, 12, 7, 6, 0, tzinfo=UTC) and f.signal == "average"
    assert f.source == "UK National Grid forecast" and f.zone == "GB"


def test_electricity_maps_forecast_sends_the_key_in_a_header_and_steps_hourly():
    with FakeServer({"/v3/carbon-intensity/forecast": (200, em_forecast_body([60, 40, 55]), 0)}) as fake:
        f = fetch_forecast(ElectricityMaps(fake.url, TOKEN), FR, now=NOW, timeout=1.0)
        _, path, headers = fake.requests[0]
    assert path == "/v3/carbon-intensity/forecast?zone=FR" and headers["auth-token"] == TOKEN
    assert [(p.end - p.start) for p in f.points] == [timedelta(hours=1)] * 3
    assert cleanest_window(f, timedelta(hours=1), now=datetime(2026, 12, 7, 5, 0, tzinfo=UTC)).g_per_kwh == 40.0
    with FakeServer({"/v3/carbon-intensity/forecast": (200, em_forecast_body([60], zone="DE"), 0)}) as fake:
        with pytest.raises(FetchError, match="another zone than FR"):
            fetch_forecast(ElectricityMaps(fake.url, TOKEN), FR, now=NOW, timeout=1.0)


def test_watttime_forecast_is_marginal_in_g_per_kwh_with_five_minute_steps():
    with FakeServer(wt_forecast_routes([1000, 800, 900])) as fake:
        f = fetch_forecast(WattTime(fake.url, "me", PASSWORD, "CAISO_NORTH"), FR, now=NOW, timeout=1.0, hours=12)
        forecast_request = fake.requests[1]
    assert "horizon_hours=12" in forecast_request[1] and forecast_request[2]["authorization"] == "Bearer wt-session-token"
    assert f.signal == "marginal" and "marginal" in f.source
    assert f.points[1].g_per_kwh == pytest.approx(800 * G_PER_LB / 1000)
    assert [(p.end - p.start) for p in f.points] == [timedelta(minutes=5)] * 3


def test_without_a_key_the_provider_says_what_it_needs():
    with pytest.raises(FetchError, match="electricitymaps_token"):
        fetch_forecast(ElectricityMaps("http://127.0.0.1:9", None), FR, now=NOW, timeout=1.0)
    with pytest.raises(FetchError, match="Great Britain"):
        fetch_forecast(UKNationalGrid("http://127.0.0.1:9"), FR, now=NOW, timeout=1.0)


def test_which_could_names_the_providers_for_a_zone():
    gb, fr = "\n".join(which_could(GB)), "\n".join(which_could(FR))
    assert "uk-national-grid" in gb and "electricitymaps" in gb and "watttime" in gb
    assert "uk-national-grid" not in fr and "electricitymaps_token" in fr


UK_PATH = "/intensity/2026-12-07T05:10Z/fw48h"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{broken", "not JSON"),
        ({"data": []}, "without a list"),
        ({"data": [{"from": "2026-12-07T05:00Z", "to": "2026-12-07T05:30Z", "intensity": {"forecast": "low"}}]}, "not a number"),
        ({"data": [{"from": "2026-12-07T05:00Z", "to": "2026-12-07T05:30Z", "intensity": {"forecast": 9e9}}]}, "out of range"),
        ({"data": [{"from": "2026-12-07T05:00", "to": "2026-12-07T05:30", "intensity": {"forecast": 100}}]}, "offset"),
        ({"data": [{"from": "2026-12-07T05:30Z", "to": "2026-12-07T05:00Z", "intensity": {"forecast": 100}}]}, "ends before"),
        ({"data": uk_forecast_body([1, 2])["data"][::-1]}, "out of order"),
        (uk_forecast_body([100] * (MAX_POINTS + 1)), "more than"),
        (b"[" + b"1," * 600_000 + b"1]", "not JSON"),  # over 1 MB: cut short, refused
    ],
)
def test_broken_and_huge_forecasts_are_refused_whole(body, message):
    with FakeServer({UK_PATH: (200, body, 0)}) as fake:
        with pytest.raises(FetchError, match=message):
            fetch_forecast(UKNationalGrid(fake.url), GB, now=NOW, timeout=2.0)


def test_a_slow_forecast_ends_at_the_time_out():
    with FakeServer({UK_PATH: (200, uk_forecast_body([100]), 2.0)}) as fake:
        start = time.monotonic()
        with pytest.raises(FetchError, match="within 0.2 s"):
            fetch_forecast(UKNationalGrid(fake.url), GB, now=NOW, timeout=0.2)
        assert time.monotonic() - start < 1.5


def test_a_redirect_to_another_host_does_not_carry_the_key():
    with FakeServer({"/v3/carbon-intensity/forecast": (200, em_forecast_body([60, 40]), 0)}) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/v3/carbon-intensity/forecast?zone=FR"
        with FakeServer({"/v3/carbon-intensity/forecast": (302, b"", 0, {"Location": target})}) as first:
            f = fetch_forecast(ElectricityMaps(first.url, TOKEN), FR, now=NOW, timeout=2.0)
            assert first.requests[0][2]["auth-token"] == TOKEN
        assert other.requests and "auth-token" not in other.requests[0][2]
    assert [p.g_per_kwh for p in f.points] == [60.0, 40.0]


def test_errors_never_hold_the_key():
    with FakeServer({"/v3/carbon-intensity/forecast": (401, {"error": f"bad token {TOKEN}"}, 0)}) as fake:
        with pytest.raises(FetchError) as err:
            fetch_forecast(ElectricityMaps(fake.url, TOKEN), FR, now=NOW, timeout=1.0)
    assert TOKEN not in str(err.value) and "HTTP 401" in str(err.value)
