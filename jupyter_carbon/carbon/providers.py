"""Live carbon intensity, opt-in: UK National Grid, Electricity Maps v3, WattTime v3.

A ``LiveIntensity`` asks its provider in a daemon thread every ``refresh_s`` seconds and
keeps the last good reading; ``latest()`` returns at once and never touches the network.
Any failure (time-out, HTTP error, an answer that is not the JSON expected, a value out of
range) keeps the bundled yearly value in force and says why. Tokens and passwords stay in
the provider objects: they are sent in request headers only, to the configured host only
(see ``_http``); the reasons quote nothing the server sent, and are scrubbed of every secret
besides, so records, exports, reprs and logs cannot hold them.

WattTime's signal is marginal (what one more kWh emits now); the others are averages. A
reading says which, and the two are never compared with each other.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import urllib.parse
from dataclasses import dataclass

from .. import clocks
from ._http import FetchError, fetch_json

#: A reading outside this range (g/kWh) is a unit or parsing error, not a grid.
PLAUSIBLE_G_PER_KWH = (0.0, 3000.0)
G_PER_LB = 453.59237


@dataclass(frozen=True)
class Reading:
    g_per_kwh: float
    signal: str  # "average" or "marginal"
    source: str
    year: int | None
    observed_at: str | None


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FetchError(f"{what} is not a number")
    return float(value)


def _plausible(g_per_kwh: float, what: str) -> float:
    low, high = PLAUSIBLE_G_PER_KWH
    if not low <= g_per_kwh <= high:
        raise FetchError(f"{what} of {g_per_kwh:g} g/kWh is out of range")
    return g_per_kwh


def _year(timestamp) -> int | None:
    if isinstance(timestamp, str) and len(timestamp) >= 4 and timestamp[:4].isdigit():
        return int(timestamp[:4])
    return None


class Provider:
    """One live source. ``supports(place)`` says why it cannot serve a place (None if it can)."""

    name = "provider"
    signal = "average"

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def supports(self, place) -> str | None:
        return None

    def fetch(self, place, timeout: float) -> Reading:
        raise NotImplementedError

    def secrets(self) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class UKNationalGrid(Provider):
    """National Grid ESO's carbon intensity API for Great Britain; no key needed."""

    name = "UK National Grid"

    def supports(self, place) -> str | None:
        zone = place.zone
        if zone.country != "GB" or zone.key == "GB-NIR":
            return f"{self.name} covers Great Britain only, not {zone.key}"
        return None

    def fetch(self, place, timeout: float) -> Reading:
        body = fetch_json(f"{self.base_url}/intensity", timeout=timeout)
        try:
            entry = body["data"][0]
            intensity = entry["intensity"]
        except (KeyError, IndexError, TypeError):
            raise FetchError(f"{self.name} answered without data[0].intensity") from None
        if not isinstance(intensity, dict):
            raise FetchError(f"{self.name} answered without data[0].intensity") from None
        value = intensity.get("actual")
        if value is None:
            value = intensity.get("forecast")
        g = _plausible(_number(value, f"{self.name} intensity"), f"{self.name} intensity")
        when = entry.get("to") if isinstance(entry, dict) else None
        return Reading(g, "average", f"{self.name} live", _year(when), when if isinstance(when, str) else None)


class ElectricityMaps(Provider):
    """Electricity Maps v3 ``carbon-intensity/latest`` for the place's grid zone."""

    name = "Electricity Maps"

    def __init__(self, base_url: str, token: str | None):
        super().__init__(base_url)
        self._token = token or ""

    def secrets(self):
        return (self._token,) if self._token else ()

    def auth_headers(self) -> dict:
        return {"auth-token": self._token}

    def supports(self, place) -> str | None:
        if not self._token:
            return f"{self.name} needs c.CarbonMeter.electricitymaps_token"
        if place.zone.kind == "world":
            return f"{self.name} has no live value for the world average"
        return None

    def fetch(self, place, timeout: float) -> Reading:
        zone = place.zone.key
        url = f"{self.base_url}/v3/carbon-intensity/latest?" + urllib.parse.urlencode({"zone": zone})
        body = fetch_json(url, timeout=timeout, headers={"auth-token": self._token})
        if not isinstance(body, dict):
            raise FetchError(f"{self.name} answered with JSON that is not an object")
        if body.get("zone", zone) != zone:
            raise FetchError(f"{self.name} answered for another zone than {zone}")
        g = _plausible(_number(body.get("carbonIntensity"), f"{self.name} carbonIntensity"), self.name)
        when = body.get("datetime")
        return Reading(g, "average", f"{self.name} live", _year(when), when if isinstance(when, str) else None)


class WattTime(Provider):
    """WattTime v3 marginal operating emissions rate (co2_moer) for a WattTime region."""

    name = "WattTime"
    signal = "marginal"
    TOKEN_LIFETIME_S = 25 * 60  # WattTime tokens last 30 minutes

    def __init__(self, base_url: str, username: str | None, password: str | None, region: str | None):
        super().__init__(base_url)
        self._username = username or ""
        self._password = password or ""
        self.region = region or ""
        self._token = ""
        self._token_at = 0.0

    def secrets(self):
        return tuple(s for s in (self._password, self._token) if s)

    def __repr__(self) -> str:
        return f"WattTime(base_url={self.base_url!r}, region={self.region!r})"

    def supports(self, place) -> str | None:
        if not (self._username and self._password):
            return f"{self.name} needs c.CarbonMeter.watttime_username and watttime_password"
        if not self.region:
            return f"{self.name} needs c.CarbonMeter.watttime_region (e.g. 'CAISO_NORTH')"
        return None

    def _login(self, timeout: float) -> str:
        basic = base64.b64encode(f"{self._username}:{self._password}".encode()).decode()
        body = fetch_json(f"{self.base_url}/login", timeout=timeout, headers={"Authorization": f"Basic {basic}"})
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FetchError(f"{self.name} login answered without a token")
        self._token, self._token_at = token, clocks.monotonic()
        return token

    def get_json(self, url: str, timeout: float):
        """``url`` asked with a session token, logging in first (and once more on a 401)."""
        if not self._token or clocks.monotonic() - self._token_at > self.TOKEN_LIFETIME_S:
            self._login(timeout)
        try:
            return fetch_json(url, timeout=timeout, headers={"Authorization": f"Bearer {self._token}"})
        except FetchError as err:
            if "HTTP 401" not in str(err):
                raise
            self._login(timeout)  # the token expired early: log in once more
            return fetch_json(url, timeout=timeout, headers={"Authorization": f"Bearer {self._token}"})

    def forecast_url(self, hours: int) -> str:
        query = urllib.parse.urlencode({"region": self.region, "signal_type": "co2_moer", "horizon_hours": hours})
        return f"{self.base_url}/v3/forecast?{query}"

    def fetch(self, place, timeout: float) -> Reading:
        body = self.get_json(self.forecast_url(0), timeout)
        try:
            point = body["data"][0]
            units = body["meta"]["units"]
        except (KeyError, IndexError, TypeError):
            raise FetchError(f"{self.name} answered without data[0] and meta.units") from None
        if not isinstance(point, dict):
            raise FetchError(f"{self.name} answered without data[0].value")
        value = _number(point.get("value"), f"{self.name} value")
        g = _plausible(value * watttime_per_kwh(units), f"{self.name} marginal rate")
        when = point.get("point_time")
        return Reading(g, "marginal", f"{self.name} live (marginal)", _year(when), when if isinstance(when, str) else None)


def watttime_per_kwh(units) -> float:
    """The factor from WattTime's ``meta.units`` to g/kWh; FetchError for units not known."""
    per_kwh = {"lbs_co2_per_mwh": G_PER_LB / 1000.0, "kg_co2_per_mwh": 1.0, "g_co2_per_kwh": 1.0}
    if units not in per_kwh:
        raise FetchError(f"WattTime answered in units other than {', '.join(per_kwh)}")
    return per_kwh[units]


def make_provider(config) -> Provider | None:
    """The provider ``config.live_provider`` names, built from the config's settings."""
    name = getattr(config, "live_provider", None)
    if name == "uk-national-grid":
        return UKNationalGrid(config.uk_carbon_intensity_url)
    if name == "electricitymaps":
        return ElectricityMaps(config.electricitymaps_url, config.electricitymaps_token)
    if name == "watttime":
        return WattTime(config.watttime_url, config.watttime_username, config.watttime_password, config.watttime_region)
    return None


def scrub(text: str, secrets) -> str:
    """``text`` without any secret, raw or as ``repr`` or JSON would escape it. The messages
    quote no server text (which may echo a token), so this is the second line of defence."""
    for secret in secrets:
        if secret:
            for form in {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(form, "***")
    return text


class LiveIntensity:
    """The last good reading of one provider for one place, refreshed in a daemon thread."""

    def __init__(self, provider: Provider, place, *, refresh_s: float = 300.0, timeout_s: float = 3.0):
        self.provider = provider
        self.place = place
        self.refresh_s = refresh_s
        self.timeout_s = timeout_s
        self.max_age_s = max(3 * refresh_s, 60.0)
        self._lock = threading.Lock()
        self._reading: Reading | None = None
        self._reading_at = 0.0
        self._error: str | None = None
        self._stop = threading.Event()
        self.attempts = 0
        unsupported = provider.supports(place)
        self._unsupported = unsupported
        self._thread = None
        if unsupported is None:
            self._thread = threading.Thread(target=self._run, name="jupyter-carbon-live-intensity", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reading = self.provider.fetch(self.place, self.timeout_s)
                with self._lock:
                    self._reading, self._reading_at, self._error = reading, clocks.monotonic(), None
            except FetchError as err:
                with self._lock:
                    self._error = scrub(str(err), self.provider.secrets())
            except Exception as err:  # never let a provider bug escape the thread
                with self._lock:
                    self._error = f"{self.provider.name} failed ({type(err).__name__})"
            self.attempts += 1
            self._stop.wait(self.refresh_s)

    def latest(self) -> tuple[Reading | None, str | None]:
        """The reading to use now and None, or None and why there is none. Never blocks."""
        if self._unsupported:
            return None, self._unsupported
        with self._lock:
            reading, at, error = self._reading, self._reading_at, self._error
        if reading is not None:
            age = clocks.monotonic() - at
            if age <= self.max_age_s:
                return reading, None
            return None, f"last {self.provider.name} reading is {age:.0f} s old" + (f"; {error}" if error else "")
        return None, error or f"no {self.provider.name} reading yet"

    def close(self) -> None:
        """Stop refreshing. A thread between requests ends at once; one in a request is not
        waited for (at most a tenth of a second): the request ends by its own time-out,
        which bounds the whole request, and the thread with it."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=0.1)
