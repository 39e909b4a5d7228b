"""The providers' intensity forecasts, asked once on request (never in a cell's path).

The response shapes followed, from each provider's API documentation:

- UK NESO carbon intensity, no key: ``GET /intensity/{from}/fw48h`` ->
  ``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``, half-hour
  steps, g/kWh; the forecast value is used (``actual`` is null ahead of time).
- Electricity Maps v3, ``auth-token`` header: ``GET /v3/carbon-intensity/forecast?zone=Z``
  -> ``{"zone", "forecast": [{"carbonIntensity", "datetime"}], "updatedAt"}``, g/kWh; each
  point holds until the next (hourly by default), the last for the same step.
- WattTime v3, bearer token: ``GET /v3/forecast?region=R&signal_type=co2_moer&horizon_hours=H``
  -> ``{"data": [{"point_time", "value"}], "meta": {"units", "data_point_period_seconds"}}``;
  a marginal signal, in the units ``meta.units`` names.

Every answer is checked as the live readings are (numbers, range, zone, units), times must
carry an offset and rise; an answer breaking any rule is refused whole with a FetchError
naming what was wrong, quoting nothing the server sent. Bodies are capped at 1 MB by
``_http`` and at ``MAX_POINTS`` points here.
"""

from __future__ import annotations

import urllib.parse
from datetime import datetime, timedelta

from ._http import FetchError, fetch_json
from .forecast import Forecast, Point, parse_time
from .providers import ElectricityMaps, UKNationalGrid, WattTime, _number, _plausible, watttime_per_kwh

#: More points than a 72 h forecast in five-minute steps is not a forecast we asked for.
MAX_POINTS = 2000

#: What a user could turn on to get a forecast, by provider setting name.
PROVIDERS_TEXT = {
    "uk-national-grid": "UK NESO carbon intensity (Great Britain only, no key): c.CarbonMeter.live_provider = 'uk-national-grid'",
    "electricitymaps": "Electricity Maps (a key with forecast access): c.CarbonMeter.live_provider = 'electricitymaps' and electricitymaps_token",
    "watttime": "WattTime (marginal signal; an account): c.CarbonMeter.live_provider = 'watttime', watttime_username, watttime_password, watttime_region",
}


def which_could(place) -> list[str]:
    """Sentences naming the providers that could forecast ``place``'s zone, and how to turn
    each on."""
    zone = place.zone
    names = []
    if zone.country == "GB" and zone.key != "GB-NIR":
        names.append("uk-national-grid")
    if zone.kind != "world":
        names.append("electricitymaps")
    names.append("watttime")
    return [PROVIDERS_TEXT[name] for name in names]


def _list(body, key: str, name: str) -> list:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise FetchError(f"{name} answered without a list of forecast points in {key!r}")
    if len(items) > MAX_POINTS:
        raise FetchError(f"{name} answered with more than {MAX_POINTS} forecast points")
    return items


def _time(value, name: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError:
        raise FetchError(f"{name} answered with a forecast time that is not ISO 8601 with an offset") from None


def _checked(points: list[Point], name: str) -> tuple[Point, ...]:
    for before, after in zip(points, points[1:]):
        if after.start < before.end:
            raise FetchError(f"{name} answered with forecast points out of order or overlapping")
    return tuple(points)


def _stepped(times_values: list[tuple[datetime, float]], step: timedelta | None, name: str) -> tuple[Point, ...]:
    """Points from start times: each holds until the next, the last for ``step`` (else the
    smallest gap between starts, else an hour)."""
    starts = [t for t, _ in times_values]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    if any(gap <= timedelta(0) for gap in gaps):
        raise FetchError(f"{name} answered with forecast points out of order")
    last = step or (min(gaps) if gaps else timedelta(hours=1))
    ends = starts[1:] + [starts[-1] + last]
    if step is not None:
        ends = [min(end, start + step) for start, end in zip(starts, ends)]
    return _checked([Point(t, end, g) for (t, g), end in zip(times_values, ends)], name)


def uk(provider: UKNationalGrid, place, *, now: datetime, timeout: float) -> Forecast:
    name = provider.name
    stamp = now.strftime("%Y-%m-%dT%H:%MZ")
    entries = _list(fetch_json(f"{provider.base_url}/intensity/{stamp}/fw48h", timeout=timeout), "data", name)
    points = []
    for entry in entries:
        intensity = entry.get("intensity") if isinstance(entry, dict) else None
        if not isinstance(intensity, dict):
            raise FetchError(f"{name} answered a forecast point without intensity")
        g = _plausible(_number(intensity.get("forecast"), f"{name} forecast"), f"{name} forecast")
        start, end = _time(entry.get("from"), name), _time(entry.get("to"), name)
        if end <= start:
            raise FetchError(f"{name} answered a forecast point that ends before it starts")
        points.append(Point(start, end, g))
    return Forecast(_checked(points, name), place.zone.key, f"{name} forecast", "average")


def electricity_maps(provider: ElectricityMaps, place, *, now: datetime, timeout: float) -> Forecast:
    name, zone = provider.name, place.zone.key
    url = f"{provider.base_url}/v3/carbon-intensity/forecast?" + urllib.parse.urlencode({"zone": zone})
    body = fetch_json(url, timeout=timeout, headers=provider.auth_headers())
    if isinstance(body, dict) and body.get("zone", zone) != zone:
        raise FetchError(f"{name} answered for another zone than {zone}")
    pairs = []
    for entry in _list(body, "forecast", name):
        if not isinstance(entry, dict):
            raise FetchError(f"{name} answered a forecast point that is not an object")
        g = _plausible(_number(entry.get("carbonIntensity"), f"{name} carbonIntensity"), name)
        pairs.append((_time(entry.get("datetime"), name), g))
    return Forecast(_stepped(pairs, None, name), zone, f"{name} forecast", "average")


def watttime(provider: WattTime, place, *, now: datetime, timeout: float, hours: int = 24) -> Forecast:
    name = provider.name
    body = provider.get_json(provider.forecast_url(max(1, min(72, hours))), timeout)
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        raise FetchError(f"{name} answered without meta")
    factor = watttime_per_kwh(meta.get("units"))
    period = meta.get("data_point_period_seconds")
    step = timedelta(seconds=_number(period, f"{name} data_point_period_seconds")) if period is not None else None
    if step is not None and step <= timedelta(0):
        raise FetchError(f"{name} answered with a data_point_period_seconds that is not positive")
    pairs = []
    for entry in _list(body, "data", name):
        if not isinstance(entry, dict):
            raise FetchError(f"{name} answered a forecast point that is not an object")
        g = _plausible(_number(entry.get("value"), f"{name} value") * factor, f"{name} marginal rate")
        pairs.append((_time(entry.get("point_time"), name), g))
    return Forecast(_stepped(pairs, step, name), provider.region, f"{name} forecast (marginal)", "marginal")


def fetch_forecast(provider, place, *, now: datetime, timeout: float, hours: int = 24) -> Forecast:
    """``provider``'s forecast for ``place`` from ``now`` (UTC-aware), or FetchError saying
    why there is none (the provider cannot serve the place, or its answer was unusable)."""
    reason = provider.supports(place)
    if reason:
        raise FetchError(reason)
    if isinstance(provider, UKNationalGrid):
        return uk(provider, place, now=now, timeout=timeout)
    if isinstance(provider, ElectricityMaps):
        return electricity_maps(provider, place, now=now, timeout=timeout)
    if isinstance(provider, WattTime):
        return watttime(provider, place, now=now, timeout=timeout, hours=hours)
    raise FetchError(f"{provider.name} gives no forecast")
