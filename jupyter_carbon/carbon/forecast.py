"""A provider's intensity forecast and the cleanest window in it.

A forecast is a step function: each ``Point`` holds one intensity from ``start`` to ``end``
(UK NESO and WattTime give half-hour and five-minute steps, Electricity Maps hourly ones).
All instants are timezone-aware and compared in UTC, so a window that crosses midnight or a
daylight-saving change is just an interval: a local day of 23 or 25 hours changes nothing
here, only how a view prints the instants (``local``).

The cleanest window of a length is the one whose mean intensity over the whole window is
lowest. As the start slides, that mean changes linearly between the instants where the
window's start or end meets a step boundary, so only those starts (and the earliest and
latest allowed) need trying: the answer is exact, not sampled. A window the forecast does
not cover to its end is never chosen.

A forecast is an estimate by the provider; the figures from it say so and name it. A
marginal signal (WattTime) is compared only with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .intensity import grams_for


@dataclass(frozen=True)
class Point:
    start: datetime
    end: datetime
    g_per_kwh: float


@dataclass(frozen=True)
class Forecast:
    """Points in time order, from one provider for one zone, with the signal they measure."""

    points: tuple[Point, ...]
    zone: str
    source: str
    signal: str  # "average" or "marginal"

    @property
    def end(self) -> datetime | None:
        return self.points[-1].end if self.points else None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    g_per_kwh: float  # mean over the window


def parse_time(text) -> datetime:
    """An ISO 8601 instant with its offset ('Z' included, as Python 3.10 does not read it),
    as UTC; ValueError for anything else, a time without an offset included."""
    if not isinstance(text, str):
        raise ValueError("a time is not text")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return when.astimezone(timezone.utc)


def mean_over(points, start: datetime, end: datetime) -> float | None:
    """Mean intensity over [start, end), or None where the points leave part of it uncovered."""
    if end <= start:
        raise ValueError("a window must end after it starts")
    covered, weighted = timedelta(0), 0.0
    for p in points:
        lo, hi = max(p.start, start), min(p.end, end)
        if hi > lo:
            covered += hi - lo
            weighted += (hi - lo).total_seconds() * p.g_per_kwh
    total = end - start
    if covered < total:
        return None
    return weighted / total.total_seconds()


def cleanest_window(forecast: Forecast, length: timedelta, *, now: datetime, within: timedelta | None = None) -> Window | None:
    """The window of ``length`` starting at or after ``now`` and ending by ``now + within``
    (by the forecast's end without ``within``) with the lowest mean intensity; the earliest
    of equals. None when no such window is covered by the forecast."""
    if length <= timedelta(0):
        raise ValueError("the window's length must be positive")
    points = forecast.points
    if not points:
        return None
    horizon = forecast.end if within is None else min(forecast.end, now + within)
    latest = horizon - length
    if latest < now:
        return None
    starts = {now, latest}
    for p in points:
        starts.update((p.start, p.end - length))
    best: Window | None = None
    for start in sorted(s for s in starts if now <= s <= latest):
        mean = mean_over(points, start, start + length)
        if mean is not None and (best is None or mean < best.g_per_kwh - 1e-9):
            best = Window(start, start + length, mean)
    return best


@dataclass(frozen=True)
class Plan:
    """Running a job of ``power_w`` for ``length`` now or in the cleanest window."""

    now: Window | None  # None where the forecast does not cover [now, now + length)
    cleanest: Window
    power_w: float
    pue: float

    def grams(self, window: Window) -> float:
        energy_j = self.power_w * (window.end - window.start).total_seconds() * self.pue
        return grams_for(energy_j, window.g_per_kwh)

    @property
    def saving_g(self) -> float | None:
        """Grams saved by waiting; None where the forecast does not cover starting now."""
        if self.now is None:
            return None
        return self.grams(self.now) - self.grams(self.cleanest)


def plan(forecast: Forecast, length: timedelta, *, now: datetime, power_w: float, pue: float = 1.0,
         within: timedelta | None = None) -> Plan | None:  # fmt: skip
    """The cleanest window and what a job of ``power_w`` (IT power; PUE applied) would save
    there against starting now; None where the forecast holds no window of that length."""
    if not power_w >= 0:
        raise ValueError(f"power must be a non-negative number of watts, not {power_w!r}")
    best = cleanest_window(forecast, length, now=now, within=within)
    if best is None:
        return None
    mean_now = mean_over(forecast.points, now, now + length)
    start_now = None if mean_now is None else Window(now, now + length, mean_now)
    return Plan(start_now, best, power_w, pue)


def upcoming(forecast: Forecast, *, now: datetime, hours: float) -> tuple[Point, ...]:
    """The points that overlap [now, now + hours)."""
    end = now + timedelta(hours=hours)
    return tuple(p for p in forecast.points if p.end > now and p.start < end)


def parse_duration(text: str) -> timedelta:
    """'90m', '2h', '1.5h', '45s', or a bare number of hours; ValueError with the forms
    accepted otherwise."""
    value = str(text).strip().lower()
    units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
    for suffix in sorted(units, key=len, reverse=True):
        if value.endswith(suffix):
            number, scale = value[: -len(suffix)], units[suffix]
            break
    else:
        number, scale = value, 3600
    try:
        seconds = float(number) * scale
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration; give e.g. 90m, 2h, 1.5h or 12 (hours)")
    return timedelta(seconds=seconds)


def local(when: datetime, tz=None) -> str:
    """``when`` as local wall-clock time with its zone's abbreviation (the machine's zone, or
    ``tz``, a ``zoneinfo.ZoneInfo``)."""
    shown = when.astimezone(tz) if tz is not None else when.astimezone()
    return shown.strftime("%a %H:%M %Z").strip()
