"""``jupyter carbon regions [QUERY]``: list and search grid zones and cloud regions."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "regions",
        help="list or search grid zones and cloud regions with their intensity",
        description="Grid zones and cloud regions with carbon intensity, year and source. "
        "QUERY matches keys, names, aliases, cities and providers (case and accents ignored).",
    )
    p.add_argument("query", nargs="?", help="e.g. quebec, FR, aws, westeurope")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def row(item) -> dict:
    from ...carbon.zones import Zone

    if isinstance(item, Zone):
        return {
            "key": item.key, "type": "zone", "name": item.name, "country": item.country, "kind": item.kind,
            "g_per_kwh": item.g_per_kwh, "year": item.year, "source": item.source, "aliases": list(item.aliases),
        }
    return {
        "key": item.key, "type": "cloud", "name": item.name, "provider": item.provider, "region": item.region,
        "city": item.city, "country": item.country, "zone": item.zone_key, "zone_basis": item.zone_basis,
        "g_per_kwh": item.g_per_kwh, "year": item.year, "source": item.source, "pue": item.pue,
        "pue_year": item.pue_year, "pue_scope": item.pue_scope, "pue_source": item.pue_source,
    }


def note_for(query: str | None) -> str | None:
    """How ``query`` was read, where that needs saying (a place name, a country that also has
    sub-national zones, a name that could mean several places)."""
    from ...carbon.places import AmbiguousRegion, UnknownRegion, resolve_place

    if not query or not query.strip():
        return None
    try:
        return resolve_place(query).note
    except AmbiguousRegion as err:
        return str(err)
    except UnknownRegion:
        return None


def run(args) -> int:
    from ...carbon.places import UnknownRegion, search, suggest
    from ..errors import UsageError

    hits = search(args.query)
    if not hits:
        raise UsageError(str(UnknownRegion(args.query, suggest(args.query))))
    rows = [row(item) for item in hits]
    note = note_for(args.query)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        grid = f" [grid {r['zone']}]" if r["type"] == "cloud" else ""
        print(f"{r['key']:<{width}}  {r['g_per_kwh']:>7g} g/kWh  {r['year'] or '':<4}  {r['name']}{grid}  ({r['source']})")
        if r["type"] == "cloud":
            print(f"{'':<{width}}  PUE {r['pue']:g} ({r['pue_year']}, {r['pue_scope']}; {r['pue_source']})")
    if note:
        print(f"note: {note}")
    return 0
