"""From energy to grams of CO2e: grid zones, where-am-I, PUE, live intensity, the calculator.

Importing this package costs nothing: the tables load on first use, and each name below is
imported from its module when first asked for.

    ctx = CarbonContext()
    ctx.current()            # Intensity: g/kWh, zone, source and year, how it was chosen
    ctx.emissions_g(energy_j)
"""

from __future__ import annotations

_LAZY = {
    "Intensity": "intensity",
    "facility_energy_j": "intensity",
    "emissions_g": "intensity",
    "Zone": "zones",
    "UnknownRegion": "places",
    "AmbiguousRegion": "places",
    "find_zone": "places",
    "resolve_place": "places",
    "search": "places",
    "zones": "zones",
    "CloudRegion": "cloud",
    "cloud_regions": "cloud",
    "CarbonContext": "context",
    "estimate": "calculator",
    "Estimate": "calculator",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'jupyter_carbon.carbon' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
