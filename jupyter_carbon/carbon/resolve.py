"""Where am I? The grid zone that applies, chosen in a fixed order, and how it was chosen.

Order, most deliberate first: an explicit argument (or ``%carbon region``), the traitlets
config (``c.CarbonMeter.region``), the environment variable ``JUPYTER_CARBON_REGION``, the
cloud instance metadata (when enabled), the machine's time zone (a guess), the world average
(a guess). No IP geolocation: it would send the user's address to a third party.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

from ..tables import read_table, rows_starting
from .zones import world, zone

ENV_VAR = "JUPYTER_CARBON_REGION"


class Choice(NamedTuple):
    """A place (Zone or CloudRegion), how it was chosen, and, for a name that needs it, how
    it was read (see ``places.resolve_place``)."""

    place: object
    chosen_by: str
    guess: bool
    note: str | None = None


@functools.lru_cache(maxsize=1)
def timezone_table() -> dict[str, str]:
    return {row["tz"]: row["zone"] for row in read_table("timezones.csv")}


def machine_timezone(environ=None, root: str = "/") -> str | None:
    """The IANA name of this machine's time zone: $TZ, /etc/timezone or /etc/localtime's link."""
    environ = os.environ if environ is None else environ
    tz = (environ.get("TZ") or "").lstrip(":").strip()
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    if tz.startswith("/") and "zoneinfo/" in tz:
        return tz.split("zoneinfo/", 1)[1]
    try:
        with open(os.path.join(root, "etc/timezone"), encoding="utf-8") as f:
            name = f.read().strip()
        if name:
            return name
    except OSError:
        pass
    try:
        target = os.readlink(os.path.join(root, "etc/localtime"))
    except OSError:
        return None
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else None


def zone_for_timezone(tz: str | None):
    """The Zone a time zone points at, or None (UTC, unknown names, oceans)."""
    if not tz:
        return None
    key = timezone_zone(tz.strip())
    return zone(key) if key else None


def timezone_zone(tz: str) -> str | None:
    """The zone key the table gives a time zone: from the whole table once it is parsed, else
    from the time zone's own line, so that a kernel guessing its zone from the machine's time
    zone (the default) parses one row of 400 at start."""
    if timezone_table.cache_info().currsize:
        return timezone_table().get(tz)
    rows = [row for row in rows_starting("timezones.csv", (tz + ",",)) if row["tz"] == tz]
    return rows[-1]["zone"] if rows else None  # the last, as the table's dict keeps it


def resolve(
    *,
    explicit: str | None = None,
    config_region: str | None = None,
    environ=None,
    cloud=None,
    timezone: str | None = None,
) -> Choice:
    """The first answer in the order above. A region the user named but that matches nothing
    raises UnknownRegion saying where it was named; guesses never raise."""
    environ = os.environ if environ is None else environ
    for value, chosen_by, origin in (
        (explicit, "argument", None),
        (config_region, "config", "c.CarbonMeter.region"),
        (environ.get(ENV_VAR), "environment", f"${ENV_VAR}"),
    ):
        if value is not None and str(value).strip():
            from .places import AmbiguousRegion, UnknownRegion, resolve_place  # only for a name to read

            try:
                resolution = resolve_place(value)
                return Choice(resolution.place, chosen_by, False, resolution.note)
            except AmbiguousRegion as err:
                raise AmbiguousRegion(err.query, err.candidates, origin) from None
            except UnknownRegion as err:
                raise UnknownRegion(err.query, err.suggestions, origin) from None
    if cloud is not None:
        return Choice(cloud, "cloud-metadata", False)
    zone = zone_for_timezone(timezone)
    if zone is not None:
        return Choice(zone, "timezone", True)
    return Choice(world(), "default", True)
