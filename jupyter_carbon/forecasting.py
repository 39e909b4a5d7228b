"""The cleaner hours ahead, as people ask for them: ``jupyter carbon forecast`` and
``%carbon forecast`` share these options, this call and this text.

A forecast is asked for only on request, from the provider the user turned on
(``c.CarbonMeter.live_provider``, or the command line's ``--provider``), once, bounded by
``c.CarbonMeter.live_timeout_s``. Without one, the text says which providers could give a
forecast for the zone and how to turn each on. The figures are the provider's forecast: an
estimate, named with its source and signal; a marginal signal (WattTime) prices what one more
kWh would emit, and its savings say so.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .units import format_mass, format_power

DESCRIPTION = (
    "The grid's intensity for the next hours from a forecast provider, the cleanest window of "
    "a given length, and what a job at a given power would save by starting then."
)

PROVIDER_NAMES = ("uk-national-grid", "electricitymaps", "watttime")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def add_arguments(p, *, cli: bool = False) -> None:
    """The forecast's options, on an argparse parser (the CLI's or the magic's)."""
    p.add_argument("--hours", type=float, default=12.0, metavar="N", help="how far ahead to look (default 12)")
    p.add_argument("--length", default="1h", metavar="H", help="the job's length: 90m, 2h, 1.5h (default 1h)")
    p.add_argument("--power", type=float, metavar="WATTS", help="the job's power (default: this session's mean power while cells ran)"
                   if not cli else "the job's power, for what it would save")  # fmt: skip
    if cli:
        p.add_argument("--provider", choices=PROVIDER_NAMES, help="ask this provider (default: c.CarbonMeter.live_provider)")


@dataclass(frozen=True)
class Request:
    hours: float
    length: timedelta
    power_w: float | None
    power_basis: str  # "given" or "session mean"


def request_from(options, session_power_w: float | None = None) -> Request:
    """The checked request; ValueError saying what was wrong."""
    from .carbon.forecast import parse_duration

    if not (0 < options.hours <= 72):
        raise ValueError(f"--hours must be more than 0 and at most 72 (the longest forecast offered), not {options.hours:g}")
    length = parse_duration(options.length)
    if length > timedelta(hours=options.hours):
        raise ValueError(f"--length {options.length} is longer than --hours {options.hours:g}")
    if options.power is not None and not (0 <= options.power < float("inf")):
        raise ValueError(f"--power must be a non-negative number of watts, not {options.power:g}")
    if options.power is not None:
        return Request(options.hours, length, options.power, "given")
    return Request(options.hours, length, session_power_w, "session mean")


def provider_for(settings, name: str | None = None):
    """The provider ``name`` (else the one the settings turn on) built from the settings,
    or None where none is turned on."""
    from .carbon.providers import make_provider

    if name is None:
        return make_provider(settings)
    overlay = types.SimpleNamespace(**{k: getattr(settings, k) for k in settings.trait_names()})
    overlay.live_provider = name
    return make_provider(overlay)


def session_power_w(totals) -> float | None:
    """The session's mean power while cells ran: the default job power of a forecast's saving."""
    return totals.energy_j / totals.duration_s if totals.duration_s > 0 else None


def fetch(settings, place, provider, request: Request, *, now: datetime):
    """(the forecast, None), or (None, the line that says why there is none: no provider, and
    which could give one; or the provider's failure, its credentials scrubbed)."""
    from .carbon._http import FetchError
    from .carbon.forecasts import fetch_forecast, which_could

    zone = place.zone.key
    if provider is None:
        could = "\n".join(f"  - {line}" for line in which_could(place))
        return None, f"No forecast provider is turned on, so there is no forecast for {zone}. Providers that could give one:\n{could}"
    try:
        return fetch_forecast(provider, place, now=now, timeout=settings.live_timeout_s, hours=int(-(-request.hours // 1))), None
    except FetchError as err:
        from .carbon.providers import scrub

        return None, f"No forecast for {zone}: {scrub(str(err), provider.secrets())}"


def forecast_text(settings, place, request: Request, *, provider=None, now: datetime | None = None, pue: float = 1.0) -> str:
    """The forecast for ``place`` as text: hourly intensities, the cleanest window and its
    saving; or why there is none and which providers could give one. Never raises for a
    provider's failure: it is one line of the text."""
    now = now or utc_now()
    forecast, why = fetch(settings, place, provider, request, now=now)
    return why if forecast is None else render(forecast, request, now=now, pue=pue)


def forecast_data(settings, place, request: Request, *, provider=None, now: datetime | None = None, pue: float = 1.0) -> dict:
    """The same forecast as data for a chart (the comm's ``forecast`` reply, the live meter):
    the hourly means, the cleanest window, the saving, and the text; no points where there
    is no forecast (``text`` then says why). Never raises for a provider's failure."""
    from .carbon.forecast import plan

    now = now or utc_now()
    forecast, why = fetch(settings, place, provider, request, now=now)
    data = {"zone": place.zone.key, "source": None, "signal": None, "hours": request.hours, "length_s": request.length.total_seconds(),
            "power_w": request.power_w, "points": [], "cleanest": None, "now_g_per_kwh": None, "saving_g": None, "text": why}  # fmt: skip
    if forecast is None:
        return data
    rows = _hourly(forecast, now, request.hours)
    ends = [t for t, _ in rows[1:]] + [now + timedelta(hours=request.hours)]
    data.update(source=forecast.source, signal=forecast.signal, text=render(forecast, request, now=now, pue=pue),
                points=[{"start": t.isoformat(), "end": e.isoformat(), "g_per_kwh": g} for (t, g), e in zip(rows, ends)])  # fmt: skip
    p = plan(forecast, request.length, now=now, power_w=request.power_w or 0.0, pue=pue, within=timedelta(hours=request.hours)) if rows else None
    if p is not None:
        w = p.cleanest
        data["cleanest"] = {"start": w.start.isoformat(), "end": w.end.isoformat(), "g_per_kwh": w.g_per_kwh}
        data["now_g_per_kwh"] = p.now.g_per_kwh if p.now else None
        data["saving_g"] = p.saving_g if request.power_w else None
    return data


def _hourly(forecast, now: datetime, hours: float) -> list[tuple[datetime, float]]:
    """Mean intensity per clock hour from now (the first row from now to the next hour)."""
    from .carbon.forecast import mean_over

    rows, start, end = [], now, now + timedelta(hours=hours)
    while start < end:
        stop = min(end, start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        mean = mean_over(forecast.points, start, stop)
        if mean is not None:
            rows.append((start, mean))
        start = stop
    return rows


def render(forecast, request: Request, *, now: datetime, pue: float = 1.0) -> str:
    from .carbon.forecast import local, plan

    unit = "g/kWh marginal" if forecast.signal == "marginal" else "g/kWh"
    rows = _hourly(forecast, now, request.hours)
    head = f"{forecast.source} for {forecast.zone} ({forecast.signal} signal; a forecast is the provider's estimate)"
    if not rows:
        return f"{head}: no points in the next {request.hours:g} h."
    top = max(g for _, g in rows) or 1.0
    lines = [head + ":"]
    lines += [f"  {local(t)}  {g:6.0f} {unit}  {'#' * max(1, round(20 * g / top))}" for t, g in rows]
    power = request.power_w if request.power_w else 0.0
    p = plan(forecast, request.length, now=now, power_w=power, pue=pue, within=timedelta(hours=request.hours))
    length = _hours(request.length)
    if p is None:
        lines.append(f"The forecast holds no {length} window in the next {request.hours:g} h.")
        return "\n".join(lines)
    w = p.cleanest
    lines.append(f"Cleanest {length} window: {local(w.start)} to {local(w.end)}, {w.g_per_kwh:.0f} {unit} on average"
                 + (f" (starting now: {p.now.g_per_kwh:.0f})." if p.now else "."))  # fmt: skip
    lines.append(_saving(p, request, length, forecast.signal))
    return "\n".join(lines)


def _hours(length: timedelta) -> str:
    minutes = round(length.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part) or "0 min"


def _saving(p, request: Request, length: str, signal: str) -> str:
    if not request.power_w:
        why = "give --power WATTS" if request.power_w is None else "a job of 0 W saves nothing"
        return f"What a job would save there: {why}."
    if p.now is None:
        return "What starting there would save: the forecast does not cover starting now."
    basis = "given" if request.power_basis == "given" else "this session's mean power while cells ran"
    kind = "; marginal signal: the emissions the extra load would cause" if signal == "marginal" else ""
    saved, before = p.saving_g, p.grams(p.now)
    share = f" ({100 * saved / before:.0f} %)" if before > 0 else ""
    return (f"A {length} job at {format_power(request.power_w)} ({basis}) would emit {format_mass(p.grams(p.cleanest))} CO2e "
            f"there instead of {format_mass(before)} now: {format_mass(saved)} less{share}{kind}.")  # fmt: skip
