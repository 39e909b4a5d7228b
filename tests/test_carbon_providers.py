"""Live intensity providers against loopback fakes: good answers, time-outs, HTTP errors,
malformed JSON, and tokens that never leak."""

from __future__ import annotations

import json
import time

import pytest
from carbon_fakes import FakeServer, wait_for

from jupyter_carbon.carbon import CarbonContext, find_zone
from jupyter_carbon.carbon._http import FetchError
from jupyter_carbon.carbon.providers import (
    G_PER_LB,
    ElectricityMaps,
    LiveIntensity,
    UKNationalGrid,
    WattTime,
)
from jupyter_carbon.config import CarbonMeter

TOKEN = "em-secret-token-0123456789"
PASSWORD = "wt-secret-password-9876"


def uk_body(actual=None, forecast=180):
    return {"data": [{"from": "2026-11-22T04:00Z", "to": "2026-11-22T04:30Z",
                      "intensity": {"forecast": forecast, "actual": actual, "index": "moderate"}}]}


def em_body(zone="FR", value=52):
    return {"zone": zone, "carbonIntensity": value, "datetime": "2026-11-22T04:00:00.000Z",
            "updatedAt": "2026-11-22T04:10:00.000Z", "emissionFactorType": "lifecycle"}


def wt_routes(value=900.0, units="lbs_co2_per_mwh"):
    return {
        "/login": (200, {"token": "wt-session-token"}, 0),
        "/v3/forecast": (200, {"data": [{"point_time": "2026-11-22T04:05:00+00:00", "value": value}],
                                "meta": {"region": "CAISO_NORTH", "signal_type": "co2_moer", "units": units}}, 0),
    }


GB = find_zone("GB")
FR = find_zone("FR")


# -- parsing and validation, one fetch at a time -------------------------------------------


def test_uk_prefers_actual_over_forecast():
    with FakeServer({"/intensity": (200, uk_body(actual=150, forecast=180), 0)}) as fake:
        reading = UKNationalGrid(fake.url).fetch(GB, 1.0)
    assert (reading.g_per_kwh, reading.signal, reading.year) == (150.0, "average", 2026)
    with FakeServer({"/intensity": (200, uk_body(actual=None, forecast=180), 0)}) as fake:
        assert UKNationalGrid(fake.url).fetch(GB, 1.0).g_per_kwh == 180.0


def test_uk_covers_great_britain_only():
    uk = UKNationalGrid("http://127.0.0.1:9")
    assert uk.supports(GB) is None
    assert uk.supports(find_zone("aws:eu-west-2")) is None
    assert "Great Britain" in uk.supports(FR)
    assert uk.supports(find_zone("GB-NIR"))


def test_electricity_maps_sends_the_token_in_a_header_and_checks_the_zone():
    with FakeServer({"/v3/carbon-intensity/latest": (200, em_body(), 0)}) as fake:
        reading = ElectricityMaps(fake.url, TOKEN).fetch(FR, 1.0)
        _, path, headers = fake.requests[0]
    assert reading.g_per_kwh == 52.0 and reading.source == "Electricity Maps live"
    assert path == "/v3/carbon-intensity/latest?zone=FR"
    assert headers["auth-token"] == TOKEN
    with FakeServer({"/v3/carbon-intensity/latest": (200, em_body(zone="DE"), 0)}) as fake:
        with pytest.raises(FetchError, match="another zone than FR"):
            ElectricityMaps(fake.url, TOKEN).fetch(FR, 1.0)


def test_watttime_logs_in_and_converts_pounds_per_mwh_to_g_per_kwh():
    with FakeServer(wt_routes(900.0)) as fake:
        wt = WattTime(fake.url, "me", PASSWORD, "CAISO_NORTH")
        reading = wt.fetch(FR, 1.0)
        login, forecast = fake.requests[0], fake.requests[1]
    assert reading.signal == "marginal" and "marginal" in reading.source
    assert reading.g_per_kwh == pytest.approx(900.0 * G_PER_LB / 1000.0)
    assert login[2]["authorization"].startswith("Basic ")
    assert forecast[2]["authorization"] == "Bearer wt-session-token"
    assert "region=CAISO_NORTH" in forecast[1] and "signal_type=co2_moer" in forecast[1]


def test_watttime_refuses_unknown_units():
    with FakeServer(wt_routes(900.0, units="furlongs")) as fake:
        with pytest.raises(FetchError, match="units"):
            WattTime(fake.url, "me", PASSWORD, "CAISO_NORTH").fetch(FR, 1.0)


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ({"data": []}, "without data"),
        ({"data": [{"intensity": {"forecast": "high"}}]}, "not a number"),
        ({"data": [{"intensity": {"forecast": True}}]}, "not a number"),
        ({"data": [{"intensity": {"forecast": -5}}]}, "out of range"),
        ({"data": [{"intensity": {"forecast": 1e9}}]}, "out of range"),
        ([1, 2, 3], "without data"),
    ],
)
def test_malformed_answers_are_refused(body, message):
    with FakeServer({"/intensity": (200, body, 0)}) as fake:
        with pytest.raises(FetchError, match=message):
            UKNationalGrid(fake.url).fetch(GB, 1.0)


def test_http_errors_and_time_outs_are_fetch_errors():
    with FakeServer({"/intensity": (503, {"error": "busy"}, 0)}) as fake:
        with pytest.raises(FetchError, match="HTTP 503"):
            UKNationalGrid(fake.url).fetch(GB, 1.0)
    with FakeServer({"/intensity": (200, uk_body(), 1.0)}) as fake:
        start = time.monotonic()
        with pytest.raises(FetchError, match="within 0.1 s"):
            UKNationalGrid(fake.url).fetch(GB, 0.1)
        assert time.monotonic() - start < 0.9


# -- the background cache ------------------------------------------------------------------


def test_live_cache_answers_at_once_then_serves_the_reading():
    with FakeServer({"/intensity": (200, uk_body(actual=123), 0.3)}) as fake:
        live = LiveIntensity(UKNationalGrid(fake.url), GB, refresh_s=60, timeout_s=2)
        try:
            start = time.monotonic()
            reading, reason = live.latest()
            assert time.monotonic() - start < 0.05
            assert reading is None and "no UK National Grid reading yet" in reason
            assert wait_for(lambda: live.latest()[0] is not None)
            assert live.latest()[0].g_per_kwh == 123.0
        finally:
            live.close()


@pytest.mark.parametrize("max_age_s", [None, 0.0])
def test_live_cache_through_a_failure_keeps_a_fresh_reading_and_drops_a_stale_one(max_age_s):
    routes = {"/intensity": (200, uk_body(actual=100), 0)}
    with FakeServer(routes) as fake:
        live = LiveIntensity(UKNationalGrid(fake.url), GB, refresh_s=0.05, timeout_s=1)
        try:
            assert wait_for(lambda: live.latest()[0] is not None)
            routes["/intensity"] = (500, {}, 0)
            if max_age_s is not None:
                live.max_age_s = max_age_s
            seen = live.attempts
            assert wait_for(lambda: live.attempts >= seen + 2)
            reading, reason = live.latest()
        finally:
            live.close()
    if max_age_s is None:
        assert reading.g_per_kwh == 100.0 and reason is None
    else:
        assert reading is None and "old" in reason and "HTTP 500" in reason


def test_close_stops_the_thread():
    with FakeServer({"/intensity": (200, uk_body(), 0)}) as fake:
        live = LiveIntensity(UKNationalGrid(fake.url), GB, refresh_s=0.05, timeout_s=1)
        live.close()
        assert not live._thread.is_alive()


# -- through CarbonContext -----------------------------------------------------------------


def ctx_for(**traits):
    return CarbonContext(CarbonMeter(**traits), env={}, timezone="")


def test_context_uses_a_live_reading_and_labels_it():
    with FakeServer({"/intensity": (200, uk_body(actual=222), 0)}) as fake:
        with ctx_for(region="GB", live_provider="uk-national-grid", uk_carbon_intensity_url=fake.url) as ctx:
            assert wait_for(lambda: ctx.current().live)
            i = ctx.current()
    assert (i.g_per_kwh, i.signal, i.source, i.zone, i.chosen_by) == (222.0, "average", "UK National Grid live", "GB", "config")
    assert i.fallback_reason is None


def test_context_falls_back_to_the_bundled_value_with_the_reason():
    with FakeServer({"/intensity": (404, {}, 0)}) as fake:
        with ctx_for(region="GB", live_provider="uk-national-grid", uk_carbon_intensity_url=fake.url) as ctx:
            assert wait_for(lambda: "HTTP 404" in (ctx.current().fallback_reason or ""))
            i = ctx.current()
    assert not i.live and i.g_per_kwh == GB.g_per_kwh and i.source == GB.source


def test_context_with_a_provider_that_cannot_serve_the_zone_says_so():
    with ctx_for(region="FR", live_provider="uk-national-grid", uk_carbon_intensity_url="http://127.0.0.1:9") as ctx:
        i = ctx.current()
    assert "Great Britain" in i.fallback_reason and i.g_per_kwh == FR.g_per_kwh


def test_watttime_through_the_context_is_marginal():
    with FakeServer(wt_routes(1000.0)) as fake:
        with ctx_for(region="US-CA", live_provider="watttime", watttime_url=fake.url, watttime_username="me",
                     watttime_password=PASSWORD, watttime_region="CAISO_NORTH") as ctx:
            assert wait_for(lambda: ctx.current().live)
            i = ctx.current()
    assert i.signal == "marginal" and i.g_per_kwh == pytest.approx(453.59237)


def test_set_region_restarts_the_live_source_for_the_new_zone():
    routes = {"/v3/carbon-intensity/latest": (200, em_body("DE", 300), 0)}
    with FakeServer(routes) as fake:
        with ctx_for(region="FR", live_provider="electricitymaps", electricitymaps_url=fake.url,
                     electricitymaps_token=TOKEN) as ctx:
            assert wait_for(lambda: "another zone" in (ctx.current().fallback_reason or ""))
            ctx.set_region("DE")
            assert wait_for(lambda: ctx.current().live)
            assert ctx.current().g_per_kwh == 300.0


def test_tokens_never_appear_in_records_reprs_or_reasons():
    echo = {"error": f"bad token {TOKEN} / {PASSWORD}"}
    with FakeServer({"/v3/carbon-intensity/latest": (401, echo, 0), "/login": (403, echo, 0)}) as fake:
        contexts = [
            ctx_for(region="FR", live_provider="electricitymaps", electricitymaps_url=fake.url,
                    electricitymaps_token=TOKEN),
            ctx_for(region="FR", live_provider="watttime", watttime_url=fake.url, watttime_username="me",
                    watttime_password=PASSWORD, watttime_region="FR"),
        ]
        try:
            for ctx in contexts:
                assert wait_for(lambda: "HTTP" in (ctx.current().fallback_reason or ""))
                texts = [json.dumps(ctx.current().to_dict()), repr(ctx.current()), repr(ctx), repr(ctx._provider)]
                for text in texts:
                    assert TOKEN not in text and PASSWORD not in text
        finally:
            for ctx in contexts:
                ctx.close()


def test_no_provider_no_thread_no_network():
    with ctx_for(region="FR") as ctx:
        assert ctx._live is None and ctx.current().fallback_reason is None


def test_current_never_raises_even_if_a_provider_breaks():
    with FakeServer({"/intensity": (200, uk_body(actual=100), 0)}) as fake:
        with ctx_for(region="GB", live_provider="uk-national-grid", uk_carbon_intensity_url=fake.url) as ctx:
            def broken():
                raise RuntimeError("boom")

            ctx._live.latest = broken
            i = ctx.current()
    assert i.zone == "GB" and not i.live and "RuntimeError" in i.fallback_reason
