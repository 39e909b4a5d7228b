"""``jupyter carbon run --when cleanest``: wait for the forecast's cleanest window, then run.

The forecast is asked once, before the wait; the window is the one of ``--length`` (how long
the run is expected to take) with the lowest mean intensity that ends within ``--within``.
The wait sleeps in steps of at most a minute against the wall clock, so a machine that
sleeps or a clock that is set does not push the start late by more than a step; Ctrl-C
during the wait ends it before anything runs. Where no forecast can be had (no provider
turned on is bad input; a provider that fails is not), the run starts at once and says why.
``clock`` and ``sleep`` are parameters so that a test can run the wait on a fake clock.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta


def utc_now() -> datetime:
    from ..forecasting import utc_now as now

    return now()


def sleep_for(seconds: float) -> None:
    time.sleep(seconds)


def wait_for_cleanest(settings, place, *, provider, within: timedelta, length: timedelta, say,
                      clock=None, sleep=None, pue: float = 1.0) -> datetime:  # fmt: skip
    """Sleep until the cleanest window starts (printing when, through ``say``); returns the
    instant waited for. KeyboardInterrupt from ``sleep`` is the caller's to handle."""
    from ..carbon._http import FetchError
    from ..carbon.forecast import local, plan
    from ..carbon.forecasts import fetch_forecast
    from ..carbon.providers import scrub

    clock, sleep = clock or utc_now, sleep or sleep_for
    now = clock()
    try:
        forecast = fetch_forecast(provider, place, now=now, timeout=settings.live_timeout_s, hours=int(-(-within.total_seconds() // 3600)))
    except FetchError as err:
        say(f"jupyter-carbon: no forecast ({scrub(str(err), provider.secrets())}); starting now")
        return now
    best = plan(forecast, length, now=now, power_w=0.0, pue=pue, within=within)
    if best is None:
        say(f"jupyter-carbon: the forecast holds no {length} window within {within}; starting now")
        return now
    start, unit = best.cleanest.start, "g/kWh marginal" if forecast.signal == "marginal" else "g/kWh"
    compared = f" against {best.now.g_per_kwh:.0f} starting now" if best.now else ""
    if start <= now:
        say(f"jupyter-carbon: the cleanest window starts now ({best.cleanest.g_per_kwh:.0f} {unit}, {forecast.source})")
        return now
    say(f"jupyter-carbon: waiting until {local(start)} (in {_span(start - now)}) for the cleanest window: "
        f"{best.cleanest.g_per_kwh:.0f} {unit} on average{compared} ({forecast.source}). Ctrl-C stops the wait; nothing runs before it ends.")  # fmt: skip
    while (left := (start - clock()).total_seconds()) > 0:
        sleep(min(60.0, left))
    return start


def _span(delta: timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"
