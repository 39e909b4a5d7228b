"""``CarbonContext``: the intensity and PUE that apply to this kernel's energy, right now.

It resolves the zone once (see ``resolve``), then keeps two optional background helpers: the
cloud metadata probe, which may move the zone to the machine's cloud region, and a live
provider, which may replace the bundled yearly value with a current one. ``current()`` only
reads what they left, so it is fast, never blocks and never raises.
"""

from __future__ import annotations

import os
import threading

from .intensity import Intensity, check_pue, emissions_g
from .resolve import Choice, machine_timezone, resolve

class CarbonContext:
    def __init__(self, config=None, *, env=None, timezone: str | None = None):
        """``config``: a ``CarbonMeter`` (default: one with default settings). ``env``: the
        environment to read (default ``os.environ``). ``timezone``: an IANA name; None (the
        default) reads this machine's, "" means none. Raises UnknownRegion for a configured region that
        matches nothing, naming the setting and the closest matches."""
        if config is None:
            from ..config import CarbonMeter

            config = CarbonMeter()
        self.config = config
        self._env = os.environ if env is None else env
        self.timezone = machine_timezone(self._env) if timezone is None else timezone
        self._lock = threading.RLock()
        self._explicit: str | None = None
        self._cloud = None
        self._pue: float | None = None
        self._live = None
        self._closed = False
        self._choice: Choice = self._resolve()
        self._fallback = self._choice.place.intensity(chosen_by=self._choice.chosen_by, guess=self._choice.guess)
        self._provider = _make_provider(config)
        self._restart_live()
        self._probe = None
        if config.cloud_metadata:
            from .metadata import CloudProbe

            self._probe = CloudProbe(config.cloud_metadata_url, config.cloud_metadata_timeout_s, self._on_cloud)

    # -- resolution ------------------------------------------------------------------

    def _resolve(self) -> Choice:
        return resolve(
            explicit=self._explicit,
            config_region=self.config.region,
            environ=self._env,
            cloud=self._cloud,
            timezone=self.timezone,
        )

    def instance_type(self) -> str | None:
        """The cloud instance type the metadata probe found (``c.CarbonMeter.cloud_metadata``), else None."""
        probe = getattr(self, "_probe", None)
        return probe.instance_type if probe is not None else None

    def _on_cloud(self, region) -> None:
        with self._lock:
            if self._closed:
                return
            self._cloud = region
            previous = self._choice.place
            self._choice = self._resolve()
            if self._choice.place != previous:  # equal, not the same object: a zone may be read twice
                self._restart_live()

    def _restart_live(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None
        if self._provider is not None and not self._closed:
            from .providers import LiveIntensity

            self._live = LiveIntensity(
                self._provider,
                self._choice.place,
                refresh_s=self.config.live_refresh_s,
                timeout_s=self.config.live_timeout_s,
            )

    def _pue_for(self, place) -> float:
        if self._pue is not None:
            return self._pue
        if self.config.pue is not None:
            return float(self.config.pue)
        return place.pue if place.pue is not None else 1.0

    # -- public API ------------------------------------------------------------------

    def current(self) -> Intensity:
        """The intensity that applies now: live if a provider has a fresh reading, else the
        bundled yearly value with the reason the live one is missing."""
        try:
            with self._lock:
                choice, live = self._choice, self._live
            base = choice.place.intensity(
                chosen_by=choice.chosen_by, guess=choice.guess, pue=self._pue_for(choice.place)
            )
            if live is None:
                return base
            reading, reason = live.latest()
            if reading is None:
                return base.replace(fallback_reason=reason)
            return base.replace(
                g_per_kwh=reading.g_per_kwh,
                source=reading.source,
                year=reading.year,
                signal=reading.signal,
                live=True,
            )
        except Exception as err:  # never raise into a cell; the last good value stands
            return self._fallback.replace(fallback_reason=f"intensity lookup failed ({type(err).__name__})")

    def set_region(self, query: str) -> Intensity:
        """Choose the zone or cloud region explicitly (``%carbon region ...``)."""
        from .places import find_zone

        find_zone(query)  # raises UnknownRegion before anything changes
        with self._lock:
            self._explicit = query
            self._choice = self._resolve()
            self._fallback = self._choice.place.intensity(chosen_by="argument", guess=False)
            self._restart_live()
        return self.current()

    def reconfigure(self, *, region_changed: bool = False) -> Intensity:
        """Apply the settings as they are now (``%config CarbonMeter...``): the configured
        region (which then wins over an earlier ``%carbon region``), PUE and live provider.
        Raises UnknownRegion for a configured region that matches nothing, changing nothing."""
        with self._lock:
            explicit = None if region_changed else self._explicit
            choice = resolve(
                explicit=explicit, config_region=self.config.region, environ=self._env, cloud=self._cloud, timezone=self.timezone
            )
            self._explicit, self._choice = explicit, choice
            self._fallback = choice.place.intensity(chosen_by=choice.chosen_by, guess=choice.guess)
            self._provider = _make_provider(self.config)
            self._restart_live()
        return self.current()

    def intensity_for(self, query: str) -> Intensity:
        """The bundled intensity of another zone, for one cell (``%%carbon --region``),
        without changing the session's zone. Raises UnknownRegion."""
        from .places import find_zone

        place = find_zone(query)
        with self._lock:
            pue = self._pue_for(place)
        return place.intensity(chosen_by="argument", guess=False, pue=pue)

    def set_pue(self, pue: float) -> None:
        """Override the PUE for every later emission; at least 1.0."""
        self._pue = check_pue(pue)

    @property
    def place(self):
        """The Zone or CloudRegion now in force."""
        return self._choice.place

    @property
    def note(self) -> str | None:
        """How the region in force was read from its name, where that needs saying ("UK" is
        Great Britain; Northern Ireland is a zone of its own), else None."""
        return self._choice.note

    def emissions_g(self, energy_j: float, intensity: Intensity | None = None) -> float:
        """Grams of CO2e for ``energy_j`` joules of IT energy: J / 3.6e6 × PUE × g/kWh."""
        return emissions_g(energy_j, intensity if intensity is not None else self.current())

    def close(self) -> None:
        """Stop the background threads; ``current()`` keeps answering with bundled values."""
        with self._lock:
            self._closed = True
            if self._live is not None:
                self._live.close()
                self._live = None
        if self._probe is not None:
            self._probe.join(timeout=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        i = self.current()
        return f"<CarbonContext {i.zone} {i.g_per_kwh:g} g/kWh ({i.chosen_by}) PUE {i.pue:g}>"


def _make_provider(config):
    """The live provider the settings name, if any; the providers' module (HTTP, JSON, three
    APIs) is imported only then, since most kernels name none."""
    if not getattr(config, "live_provider", None):
        return None
    from .providers import make_provider

    return make_provider(config)
