"""Which cloud region is this machine in? Asked of the instance metadata service.

AWS (IMDSv2, then v1), GCP and Azure all answer on the same link-local address; each is
asked in turn with a short time-out. Only region names that the bundled table knows are
accepted. Runs only when ``c.CarbonMeter.cloud_metadata`` is on, in a daemon thread.
"""

from __future__ import annotations

import re
import threading

from ._http import FetchError, fetch
from .cloud import CloudRegion, region_for

_REGION = re.compile(r"[a-z0-9-]{2,40}")


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip()


def _aws(base: str, timeout: float) -> str:
    headers = {}
    try:
        token = _text(fetch(f"{base}/latest/api/token", timeout=timeout, method="PUT",
                            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}))
        headers["X-aws-ec2-metadata-token"] = token
    except FetchError:
        pass  # IMDSv1 still answers where v2 is not required
    return _text(fetch(f"{base}/latest/meta-data/placement/region", timeout=timeout, headers=headers))


def _gcp(base: str, timeout: float) -> str:
    # "projects/123456/zones/europe-west1-b" -> "europe-west1"
    zone = _text(fetch(f"{base}/computeMetadata/v1/instance/zone", timeout=timeout,
                       headers={"Metadata-Flavor": "Google"})).rsplit("/", 1)[-1]
    return zone.rsplit("-", 1)[0] if zone.count("-") >= 2 else zone


def _azure(base: str, timeout: float) -> str:
    url = f"{base}/metadata/instance/compute/location?api-version=2021-02-01&format=text"
    return _text(fetch(url, timeout=timeout, headers={"Metadata": "true"}))


PROBES = (("aws", _aws), ("gcp", _gcp), ("azure", _azure))

_INSTANCE = re.compile(r"[A-Za-z0-9_.-]{2,64}")


def _aws_headers(base: str, timeout: float) -> dict[str, str]:
    try:
        token = _text(fetch(f"{base}/latest/api/token", timeout=timeout, method="PUT",
                            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}))
        return {"X-aws-ec2-metadata-token": token}
    except FetchError:
        return {}


#: Where each provider's metadata names the instance type (for the CPU it runs on).
INSTANCE_PROBES = {
    "aws": lambda base, t: _text(fetch(f"{base}/latest/meta-data/instance-type", timeout=t, headers=_aws_headers(base, t))),
    # "projects/123/machineTypes/n2-standard-4" -> "n2-standard-4"
    "gcp": lambda base, t: _text(fetch(f"{base}/computeMetadata/v1/instance/machine-type", timeout=t,
                                       headers={"Metadata-Flavor": "Google"})).rsplit("/", 1)[-1],
    "azure": lambda base, t: _text(fetch(f"{base}/metadata/instance/compute/vmSize?api-version=2021-02-01&format=text",
                                         timeout=t, headers={"Metadata": "true"})),
}  # fmt: skip


def detect_instance_type(provider: str, base_url: str, timeout: float) -> str | None:
    """The instance type the provider's metadata names (``m5.large``, ``n2-standard-4``,
    ``Standard_D4s_v3``), or None when it does not answer with one."""
    probe = INSTANCE_PROBES.get(provider)
    if probe is None:
        return None
    try:
        answer = probe(base_url.rstrip("/"), timeout)
    except FetchError:
        return None
    return answer if _INSTANCE.fullmatch(answer) else None


def detect_cloud_region(base_url: str, timeout: float) -> tuple[CloudRegion | None, str]:
    """The region and a line saying how it was found, or None and why not."""
    base = base_url.rstrip("/")
    reasons = []
    for provider, probe in PROBES:
        try:
            answer = probe(base, timeout)
        except FetchError as err:
            reasons.append(f"{provider}: {err}")
            continue
        if not _REGION.fullmatch(answer):
            reasons.append(f"{provider}: the answer is not a region name")
            continue
        region = region_for(provider, answer)
        if region is None:
            reasons.append(f"{provider}: region {answer!r} is not in the bundled table")
            continue
        return region, f"{provider} instance metadata says {answer}"
    return None, "; ".join(reasons)


class CloudProbe:
    """Runs ``detect_cloud_region`` once in a daemon thread and calls ``on_found`` with a hit."""

    def __init__(self, base_url: str, timeout: float, on_found=None):
        self.region: CloudRegion | None = None
        self.reason: str | None = None
        self.instance_type: str | None = None
        """The instance type the metadata names, once the region is known (the CPU model reads it)."""
        self.done = threading.Event()
        self._on_found = on_found
        self._thread = threading.Thread(
            target=self._run, args=(base_url, timeout), name="jupyter-carbon-cloud-metadata", daemon=True
        )
        self._thread.start()

    def _run(self, base_url, timeout):
        try:
            self.region, self.reason = detect_cloud_region(base_url, timeout)
            if self.region is not None and self._on_found is not None:
                self._on_found(self.region)
            if self.region is not None:
                self.instance_type = detect_instance_type(self.region.provider, base_url, timeout)
        except Exception as err:  # a probe must never take the kernel down
            self.reason = f"metadata probe failed ({type(err).__name__})"
        finally:
            self.done.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
