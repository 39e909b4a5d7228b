"""Finding a grid zone or cloud region by what people type.

A query may be a zone key (``CA-QC``), an ISO code (``FRA``), a zone's name or alias
(``Québec``), a cloud region (``aws:eu-west-3``, ``gcp us-central1``, or a region code that only
one provider uses), or a place: a city, state or province in English or local spelling
(``mumbai``, ``bavaria``, ``São Paulo``), from ``data/places.csv``. Comparison ignores case,
accents, spaces and underscores. A place that lies in several zones, or a bare direction
(``east``), is not chosen silently: :class:`AmbiguousRegion` lists the candidates. Where the
choice needs saying (a city's zone, a country that also has sub-national zones), the
:class:`Resolution` carries a note.
"""

from __future__ import annotations

import difflib
import re
import functools
from typing import NamedTuple

from ..tables import read_table, rows_starting
from .zones import Zone, normalise, subnational, zone, zones

#: How many candidates or sub-national zones a message names before "and N more".
SHOWN = 6

#: A city at least this many times as populous as every other place of its name is the one
#: meant ("london" is not London, Ontario); the note still names the others.
DOMINANT = 5


class UnknownRegion(ValueError):
    """No zone or cloud region answers to ``query``; ``suggestions`` are the closest keys."""

    def __init__(self, query: str, suggestions: list[str], origin: str | None = None):
        self.query = query
        self.suggestions = suggestions
        self.origin = origin
        super().__init__(f"{origin}: {self.problem()}" if origin else self.problem())

    def problem(self) -> str:
        if self.suggestions:
            hint = "closest matches: " + ", ".join(_label(key) for key in self.suggestions)
        else:
            hint = "nothing close"
        return (
            f"unknown region {self.query!r}; {hint}. "
            "`jupyter carbon regions QUERY` searches zones and cloud regions."
        )


class AmbiguousRegion(UnknownRegion):
    """``query`` names places in several zones, or only a direction; ``candidates`` are the
    :class:`Place` rows it could mean, and their zones the suggestions."""

    def __init__(self, query: str, candidates: list["Place"], origin: str | None = None):
        self.candidates = candidates
        super().__init__(query, list(dict.fromkeys(p.zone_key for p in candidates)), origin)

    def problem(self) -> str:
        shown = self.candidates[:SHOWN]
        listed = "; ".join(f"{p.zone_key} ({p.label}, {p.detail})" for p in shown)
        more = f"; and {len(self.candidates) - SHOWN} more" if len(self.candidates) > SHOWN else ""
        return (
            f"{self.query!r} could mean {len(self.candidates)} places: {listed}{more}. "
            "Name one of these zones instead (`jupyter carbon regions QUERY` searches)."
        )


class Place(NamedTuple):
    """A place name (city, subdivision, a cloud region's city) and the zone it lies in."""

    name: str  # normalised
    zone_key: str
    label: str
    kind: str  # city, subdivision, zone, cloud city, time-zone city, direction
    country: str
    detail: str  # "a city in Mahārāshtra (IN-MH)"
    basis: str  # why that zone; "" for a country with one zone
    population: int | None  # for cities from the gazetteer

    @property
    def zone(self) -> Zone:
        return zones()[self.zone_key]

    def describe(self) -> str:
        zone = self.zone
        why = self.basis or "the country's only grid zone"
        return f"{self.label} is {self.detail}; its zone is {zone.key} ({zone.name}): {why}."


class Resolution(NamedTuple):
    """What a query named (a Zone or CloudRegion) and, where the choice needs saying, why."""

    place: object
    note: str | None = None


def _place(row: dict[str, str]) -> Place:
    return Place(
        name=row["name"], zone_key=row["zone"], label=row["label"], kind=row["kind"],
        country=row["country"], detail=row["detail"], basis=row["basis"],
        population=int(row["population"]) if row["population"] else None,
    )


@functools.lru_cache(maxsize=1)
def place_names() -> dict[str, tuple[Place, ...]]:
    """Every bundled place name (normalised) to the places, one per zone, it names."""
    out: dict[str, list[Place]] = {}
    for row in read_table("places.csv"):
        out.setdefault(row["name"], []).append(_place(row))
    return {name: tuple(places) for name, places in out.items()}


def places_named(text: str) -> tuple[Place, ...]:
    """The places of one normalised name, in the table's order: from the whole table once it
    is parsed, else from the raw lines that can hold it (its name first, or quoted), so that
    a kernel naming its zone at start parses a handful of 5,000 rows (3 MB less)."""
    if place_names.cache_info().currsize:
        return place_names().get(text, ())
    rows = rows_starting("places.csv", (f"{text},", '"'))
    return tuple(_place(row) for row in rows if row["name"] == text)


def _label(key: str) -> str:
    item = lookup_key(key)
    return f"{key} ({item.name})" if item is not None and item.name != key else key


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every normalised key and alias of zones and cloud regions, to the key it names."""
    names: dict[str, str] = {}
    for region in _cloud().cloud_regions().values():
        names[normalise(region.key)] = region.key
    bare: dict[str, set[str]] = {}
    for region in _cloud().cloud_regions().values():
        bare.setdefault(normalise(region.region), set()).add(region.key)
    for code, keys in bare.items():
        if len(keys) == 1:
            names.setdefault(code, next(iter(keys)))
    # Zones last, so that a zone's alias wins over a bare region code ("de", "uk").
    names.update(_zone_names())
    return names


@functools.lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Every normalised key and alias of the zones, to the key it names: what :func:`_names`
    ends with, so a name found here is found there too, without the cloud regions read."""
    names: dict[str, str] = {}
    for zone in zones().values():
        names[normalise(zone.key)] = zone.key
        for alias in zone.aliases:
            names[alias] = zone.key
    return names


def _cloud():
    """The cloud regions' module, imported when a name is not a zone's key: a kernel that
    names its zone (``FR``) loads no cloud table code at start."""
    from . import cloud

    return cloud


def _zone_key(text: str) -> str | None:
    """The zone whose key or alias is the normalised ``text``, as :func:`_zone_names` says.
    A zone's own key (``FR``, ``CA-QC``: the usual setting) is looked up as its one line
    while the zones are not parsed yet: a kernel's start then parses one row of 365.
    (Exact: no alias names another zone's key, ``test_no_alias_names_another_zone``.)"""
    if not _zone_names.cache_info().currsize:
        found = zone(text.upper())
        if found is not None and normalise(found.key) == text:
            return found.key
    return _zone_names().get(text)


def lookup_key(key: str):
    """The Zone or CloudRegion with exactly this key, or None."""
    return zone(key) or _cloud().cloud_regions().get(key)


def find_zone(query: str):
    """The Zone or CloudRegion that ``query`` names; UnknownRegion with suggestions if none,
    AmbiguousRegion (a kind of UnknownRegion) with candidates if it could mean several."""
    return resolve_place(query).place


def resolve_place(query: str) -> Resolution:
    """As :func:`find_zone`, with a note saying how a place name was read and, for a country
    that also has sub-national zones, that the national figure was chosen and how to pick a
    closer one."""
    if not isinstance(query, str) or not query.strip():
        raise UnknownRegion(str(query), [], None)
    text = normalise(query)
    key = _zone_key(text)  # a zone's key or alias (the usual setting): no cloud table to read
    if key is None:
        names = _names()
        # "West Europe" is how Azure's portal writes the region its API calls "westeurope".
        key = names.get(text) or names.get(_cloud().canonical_key(text) or "") or names.get(text.replace(" ", ""))
    places = places_named(text)
    if key is not None:
        place = lookup_key(key)
        others = [p for p in places if p.zone_key != getattr(place, "key", None)]
        return Resolution(place, _join(_also(query, others), national_note(place)))
    if not places:
        raise UnknownRegion(query, suggest(query))
    chosen = places[0] if len({p.zone_key for p in places}) == 1 else _dominant(places)
    if chosen is None or chosen.kind == "direction":
        raise AmbiguousRegion(query, list(places))
    others = [p for p in places if p.zone_key != chosen.zone_key]
    return Resolution(chosen.zone, _join(chosen.describe(), _also(query, others)))


def _dominant(places) -> "Place | None":
    """The city that dwarfs every other place of its name, if one does; none where any of
    them has no population to compare (a state, a province)."""
    if any(p.population is None for p in places):
        return None
    first, second = sorted(places, key=lambda p: p.population, reverse=True)[:2]
    return first if first.population >= DOMINANT * second.population else None


def national_note(place) -> str | None:
    """For a country's zone where the country also has sub-national zones (US, GB, IN ...):
    which figure this is, and which zones are separate."""
    if not isinstance(place, Zone) or place.kind != "country":
        return None
    subs = subnational(place.country)
    if not subs:
        return None
    listed = ", ".join(f"{z.key} ({z.name.rsplit(' (', 1)[0]})" for z in subs[:SHOWN])
    if len(subs) > SHOWN:
        listed += f" and {len(subs) - SHOWN} more (`jupyter carbon regions {place.country}-`)"
    separate = "is a separate zone with its own figure" if len(subs) == 1 else "are separate zones with their own figures"
    return (
        f"{place.key} is the figure for {place.name} as one zone; {listed} {separate}: "
        "name a state, province, city or zone for a closer one."
    )


def _also(query: str, others: list[Place]) -> str | None:
    if not others:
        return None
    listed = "; ".join(f"{p.label}, {p.detail}: {p.zone_key}" for p in others[:SHOWN])
    return f"{query!r} also names {listed}; name that zone to use it."


def _join(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


def suggest(query: str, n: int = 5) -> list[str]:
    """Keys whose names, aliases or place names look most like ``query`` (difflib ratio)."""
    text = normalise(query)
    names = dict(_names())
    for name, places in place_names().items():
        names.setdefault(name, places[0].zone_key)
    out: list[str] = []
    for cutoff in (0.6, 0.4):
        for match in difflib.get_close_matches(text, names.keys(), n=4 * n, cutoff=cutoff):
            if names[match] not in out:
                out.append(names[match])
        if out:
            break
    return out[:n]


def search(query: str | None = None) -> list:
    """Zones and cloud regions whose key, name, alias, city or grid zone has ``query`` as a
    word or code (``US`` finds ``US-CAL-CISO`` and ``aws:us-east-1``); only when none does,
    those that contain it anywhere (``mumb``), so that ``US`` does not find Austria,
    Australia and Cyprus. All of them when it is empty; zones first, each group by key."""
    everything = [*zones().values(), *_cloud().cloud_regions().values()]
    if not query or not query.strip():
        return everything
    text = normalise(query)
    try:
        hits = [find_zone(query)]
    except AmbiguousRegion as err:
        hits = list(dict.fromkeys(p.zone for p in err.candidates))
    except UnknownRegion:
        hits = []
    word = re.compile(rf"(?<![a-z0-9]){re.escape(text)}(?![a-z0-9])")
    words = [item for item in everything if item not in hits and word.search(_haystack(item))]
    if hits or words:
        return hits + words
    return [item for item in everything if text in _haystack(item)]


def _haystack(item) -> str:
    fields = [item.key, item.name, *getattr(item, "aliases", ())]
    if not isinstance(item, Zone):
        zone = item.zone
        fields += [item.city, item.provider, zone.key, zone.name, *zone.aliases]
    return " | ".join(normalise(f) for f in fields)
