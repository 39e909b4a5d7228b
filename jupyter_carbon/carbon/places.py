"""Finding a grid zone or cloud region by what people type.

A query may be a zone key (``CA-QC``), an ISO code (``FRA``), a name (``Québec``), an alias
(``california``), or a cloud region (``aws:eu-west-3``, ``gcp us-central1``, or a region code
that only one provider uses). Comparison ignores case, accents, spaces and underscores.
"""

from __future__ import annotations

import difflib
import functools

from . import cloud
from .zones import Zone, normalise, zones


class UnknownRegion(ValueError):
    """No zone or cloud region answers to ``query``; ``suggestions`` are the closest keys."""

    def __init__(self, query: str, suggestions: list[str], origin: str | None = None):
        self.query = query
        self.suggestions = suggestions
        self.origin = origin
        where = f"{origin}: " if origin else ""
        if suggestions:
            hint = "closest matches: " + ", ".join(_label(key) for key in suggestions)
        else:
            hint = "nothing close"
        super().__init__(
            f"{where}unknown region {query!r}; {hint}. "
            "`jupyter carbon regions QUERY` searches zones and cloud regions."
        )


def _label(key: str) -> str:
    item = lookup_key(key)
    return f"{key} ({item.name})" if item is not None and item.name != key else key


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every normalised key and alias of zones and cloud regions, to the key it names."""
    names: dict[str, str] = {}
    for region in cloud.cloud_regions().values():
        names[normalise(region.key)] = region.key
    bare: dict[str, set[str]] = {}
    for region in cloud.cloud_regions().values():
        bare.setdefault(normalise(region.region), set()).add(region.key)
    for code, keys in bare.items():
        if len(keys) == 1:
            names.setdefault(code, next(iter(keys)))
    # Zones last, so that a zone's alias wins over a bare region code ("de", "uk").
    for zone in zones().values():
        names[normalise(zone.key)] = zone.key
        for alias in zone.aliases:
            names[alias] = zone.key
    return names


def lookup_key(key: str):
    """The Zone or CloudRegion with exactly this key, or None."""
    return zones().get(key) or cloud.cloud_regions().get(key)


def find_zone(query: str):
    """The Zone or CloudRegion that ``query`` names; UnknownRegion with suggestions if none."""
    if not isinstance(query, str) or not query.strip():
        raise UnknownRegion(str(query), [], None)
    text = normalise(query)
    names = _names()
    # "West Europe" is how Azure's portal writes the region its API calls "westeurope".
    key = names.get(text) or names.get(cloud.canonical_key(text) or "") or names.get(text.replace(" ", ""))
    if key is None:
        raise UnknownRegion(query, suggest(query))
    return lookup_key(key)


def suggest(query: str, n: int = 5) -> list[str]:
    """Keys whose names or aliases look most like ``query`` (difflib ratio)."""
    text = normalise(query)
    names = _names()
    out: list[str] = []
    for cutoff in (0.6, 0.4):
        for match in difflib.get_close_matches(text, names.keys(), n=4 * n, cutoff=cutoff):
            if names[match] not in out:
                out.append(names[match])
        if out:
            break
    return out[:n]


def search(query: str | None = None) -> list:
    """Zones and cloud regions whose key, name, alias, city or grid zone contains ``query``
    (all of them when it is empty), zones first, each group sorted by key."""
    everything = [*zones().values(), *cloud.cloud_regions().values()]
    if not query or not query.strip():
        return everything
    text = normalise(query)
    try:
        exact = find_zone(query)
    except UnknownRegion:
        exact = None
    hits = [exact] if exact is not None else []
    for item in everything:
        if item is not exact and text in _haystack(item):
            hits.append(item)
    return hits


def _haystack(item) -> str:
    fields = [item.key, item.name, *getattr(item, "aliases", ())]
    if not isinstance(item, Zone):
        zone = item.zone
        fields += [item.city, item.provider, zone.key, zone.name, *zone.aliases]
    return " | ".join(normalise(f) for f in fields)
