"""Cloud regions (``data/cloud_regions.csv``): where each stands, its grid zone, its PUE."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from ..tables import read_table
from .intensity import Intensity
from .zones import Zone, zones

#: Names people use for a provider, to the key used in region keys ("aws:eu-west-3").
PROVIDER_ALIASES = {
    "aws": "aws", "amazon": "aws", "ec2": "aws",
    "gcp": "gcp", "google": "gcp", "gce": "gcp",
    "azure": "azure", "microsoft": "azure",
    "ovh": "ovh", "ovhcloud": "ovh",
    "scaleway": "scaleway", "scw": "scaleway",
}


class CloudRegion(NamedTuple):
    """A provider's region: its grid zone's intensity, and the provider's PUE for it.

    ``zone_basis`` says why the region is on its grid zone (the utility or grid operator that
    serves the site); ``pue_year``, ``pue_scope`` and ``pue_source`` (a URL) say which of the
    provider's published figures its PUE is (a site's, or the fleet's).
    """

    key: str  # "aws:eu-west-3"
    provider: str
    region: str
    city: str
    country: str
    zone_key: str
    zone_basis: str
    pue: float
    pue_year: int
    pue_scope: str
    pue_source: str

    @property
    def zone(self) -> Zone:
        return zones()[self.zone_key]

    @property
    def name(self) -> str:
        return f"{self.provider} {self.region} ({self.city}, {self.country})"

    @property
    def g_per_kwh(self) -> float:
        return self.zone.g_per_kwh

    @property
    def year(self) -> int | None:
        return self.zone.year

    @property
    def source(self) -> str:
        return self.zone.source

    def intensity(self, *, chosen_by: str, guess: bool, pue: float | None = None) -> Intensity:
        zone = self.zone
        return Intensity(
            g_per_kwh=zone.g_per_kwh,
            zone=self.key,
            zone_name=f"{self.name}, grid {zone.name}",
            source=zone.source,
            year=zone.year,
            signal="average",
            chosen_by=chosen_by,
            guess=guess,
            pue=self.pue if pue is None else pue,
        )


@functools.lru_cache(maxsize=1)
def cloud_regions() -> dict[str, CloudRegion]:
    """Every bundled cloud region by key, loaded on first use."""
    return {
        row["key"]: CloudRegion(
            key=row["key"],
            provider=row["provider"],
            region=row["region"],
            city=row["city"],
            country=row["country"],
            zone_key=row["zone"],
            zone_basis=row["zone_basis"],
            pue=float(row["pue"]),
            pue_year=int(row["pue_year"]),
            pue_scope=row["pue_scope"],
            pue_source=row["pue_source"],
        )
        for row in read_table("cloud_regions.csv")
    }


def canonical_key(text: str) -> str | None:
    """"google us-central1", "AWS/eu-west-3", "azure:westeurope" -> "gcp:us-central1" etc."""
    match = re.fullmatch(r"\s*([a-z]+)\s*[:/ ]\s*([a-z0-9-]+)\s*", text.lower())
    if not match or match.group(1) not in PROVIDER_ALIASES:
        return None
    key = f"{PROVIDER_ALIASES[match.group(1)]}:{match.group(2)}"
    return key if key in cloud_regions() else None


def region_for(provider: str, region: str) -> CloudRegion | None:
    """The bundled region a provider's own code names (as instance metadata reports it)."""
    return cloud_regions().get(f"{PROVIDER_ALIASES.get(provider, provider)}:{region}")
