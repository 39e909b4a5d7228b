"""The small protocol every energy source speaks, and the arithmetic they share.

A source reports *cumulative* joules per domain (one GPU, one CPU package, ...) since it was
opened. A measurement is then the difference of two readings, so no thread is needed per
cell. Two figures are kept per domain: the energy charged to this kernel (``energy_j``) and
the whole device's (``device_energy_j``); on a device the kernel has to itself they agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol, runtime_checkable

MEASURED = "measured"
"""Read from a hardware energy counter (NVML total energy, RAPL)."""
INTEGRATED = "integrated"
"""Power readings from the hardware, integrated over time by the sampler."""
ESTIMATED = "estimated"
"""A model: rated power (TDP) times utilisation, or power per GB of memory."""

METHOD_RANK = {ESTIMATED: 0, INTEGRATED: 1, MEASURED: 2}

COMPONENTS = ("gpu", "cpu", "memory")


def weakest_method(methods) -> str:
    """The least direct of several methods: a sum is only as good as its weakest part."""
    return min(methods, key=METHOD_RANK.__getitem__)


class DomainReading(NamedTuple):
    """One domain's cumulative energy at one instant."""

    domain: str
    """Stable identifier, e.g. ``gpu:0``, ``cpu:package-0``, ``memory:model``."""
    component: str
    """One of :data:`COMPONENTS`."""
    method: str
    energy_j: float
    """Joules charged to this kernel since the source was opened."""
    device_energy_j: float
    """Joules used by the whole device since the source was opened."""
    resolution_s: float = 0.0
    """How often the counter behind the reading updates: a window shorter than this may see
    it not move at all, so its figure says nothing (GPU counters update about every 100 ms)."""
    band: tuple[float, float] | None = None
    """Low and high factors on the figure, where the source knows them better than its
    method's band in :mod:`jupyter_carbon.bounds` (the CPU model's, per part)."""


class DomainPower(NamedTuple):
    """One domain's power at the last sampler tick."""

    domain: str
    component: str
    power_w: float
    """Watts charged to this kernel."""
    device_power_w: float
    """Watts drawn by the whole device."""


class DeviceInfo(NamedTuple):
    """What a source can meter, for ``jupyter carbon devices`` and the load banner."""

    domain: str
    component: str
    name: str
    method: str
    detail: str = ""
    advice: str = ""
    figures: Mapping[str, object] = MappingProxyType({})
    """How a figure was derived, as data (e.g. the CPU estimate's watts per logical CPU)."""

    def to_dict(self) -> dict:
        """The fields as JSON takes them (``figures`` a dict), for the views and the frontends."""
        return {**self._asdict(), "figures": dict(self.figures)}


@runtime_checkable
class EnergySource(Protocol):
    """Where joules come from. Implementations live one per module in this package.

    ``read`` is on the hot path (called twice per cell) and must be cheap: a few counter
    reads. ``sample`` runs on the sampler thread: it may do slower work such as reading
    power or computing the kernel's share of a device. The meter refreshes the process
    tree the sources share once per tick, before any ``sample``.
    Both may raise; the meter then drops the source with one warning. A source whose
    ``needs_ticks`` is False lets the sampler wait longer while nobody wants readings (one
    without the attribute is ticked every ``interval``, as a source that integrates power).
    """

    name: str

    def read(self, now: float) -> list[DomainReading]: ...

    def sample(self, now: float) -> list[DomainPower]: ...

    def describe(self) -> list[DeviceInfo]: ...

    def close(self) -> None: ...


class SourceUnavailable(RuntimeError):
    """A source cannot be opened on this machine; the message says why and what would help."""


AMDSMI_MISSING = "amdsmi is not installed (pip install jupyter-carbon[amd])"


def no_rapl_zones(root) -> str:
    return f"no RAPL package zones under {root}"


def lists_rapl_zones(root) -> bool:
    """Whether the powercap folder ``root`` lists a zone RAPL's source would look at (it
    checks more): most machines (cloud VMs, containers, Macs) list none, and need not load
    ``rapl.py`` to say so."""
    try:
        return any(name.startswith("intel-rapl") and ":" in name for name in os.listdir(root))
    except OSError:
        return False


#: What RAPL's source says where its counters are root's only (here, not in ``rapl.py``, so
#: that saying why a machine has no RAPL does not load it).
GRANT_ACCESS = (
    "RAPL energy counters are readable by root only (Linux 5.4 and newer). To let your user "
    "read them until the next reboot: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj "
    "/sys/class/powercap/intel-rapl:*:*/energy_uj (or a udev rule / systemd-tmpfiles entry to "
    "keep it). CPU energy is estimated meanwhile."
)


class Counter:
    """Turns a raw hardware energy counter into joules since it was opened.

    Hardware counters wrap (RAPL at ``max_energy_range_uj``) and can go backwards (a GPU
    reset zeroes NVML's counter; some firmware steps back by a few units). A drop larger
    than half the wrap range is read as a wrap; any other drop is a reset: nothing is
    counted for that step and counting resumes from the new value. Wrap detection needs
    reads closer together than one wrap period, which the sampler thread guarantees.
    """

    __slots__ = ("scale", "wrap_at", "total_j", "_last_raw", "resets")

    def __init__(self, raw: int, scale: float, wrap_at: int | None = None):
        self.scale = scale
        self.wrap_at = wrap_at
        self.total_j = 0.0
        self._last_raw = raw
        self.resets = 0

    def update(self, raw: int) -> float:
        """Fold in a new raw value and return the cumulative joules."""
        delta = raw - self._last_raw
        if delta < 0:
            wrapped = delta + self.wrap_at if self.wrap_at else None
            if wrapped is not None and wrapped < self.wrap_at / 2:
                delta = wrapped
            else:
                delta = 0
                self.resets += 1
        self._last_raw = raw
        self.total_j += delta * self.scale
        return self.total_j


class PowerIntegrator:
    """Cumulative joules from power readings taken by the sampler.

    Each reading holds until the next one (left rectangles). Between readings, ``at()``
    extrapolates with the latest power, which is exactly what the next ``add()`` will commit,
    so a snapshot taken between two ticks never disagrees with one taken after.
    """

    __slots__ = ("total_j", "_last_t", "_last_w")

    def __init__(self, now: float, watts: float):
        self.total_j = 0.0
        self._last_t = now
        self._last_w = watts

    def add(self, now: float, watts: float) -> float:
        self.total_j = self.at(now)
        self._last_t = max(now, self._last_t)
        self._last_w = watts
        return self.total_j

    def at(self, now: float) -> float:
        return self.total_j + self._last_w * max(0.0, now - self._last_t)

    @property
    def watts(self) -> float:
        return self._last_w


class Attribution:
    """Charges this kernel its share of a shared device's cumulative energy.

    The sampler measures the kernel's share of the device over each tick and sets it for
    the next interval; between ticks the latest share applies. Lagging by one tick keeps the
    attributed total monotonic and consistent between snapshots, at the cost of charging
    the first interval after a change of use at the previous share.
    """

    __slots__ = ("share", "_attributed_base", "_device_base")

    def __init__(self, share: float = 1.0):
        self.share = share
        self._attributed_base = 0.0
        self._device_base = 0.0

    def charge(self, device_total_j: float) -> float:
        return self._attributed_base + (device_total_j - self._device_base) * self.share

    def set_share(self, device_total_j: float, share: float) -> None:
        self._attributed_base = self.charge(device_total_j)
        self._device_base = device_total_j
        self.share = min(1.0, max(0.0, share))


class Failures:
    """Tells a transient read error from a lasting one, for the meter and the GPU source alike.

    A counter that fails once (a busy driver, a sysfs read racing a firmware update) is
    retried at the next tick and its last good reading stands meanwhile: cumulative counters
    lose nothing by a missed read. Only when reads keep failing, ``attempts`` in a row and
    for at least ``window_s`` seconds, is the counter given up.
    """

    __slots__ = ("window_s", "attempts", "count", "since", "last_error", "transient")

    def __init__(self, window_s: float = 10.0, attempts: int = 3):
        if window_s < 0 or attempts < 1:
            raise ValueError("window_s must be >= 0 and attempts >= 1")
        self.window_s = window_s
        self.attempts = attempts
        self.count = 0
        self.since: float | None = None
        self.last_error = ""
        self.transient = 0
        """Failed reads that a later good read made good."""

    def failed(self, now: float, err: Exception) -> bool:
        """Note a failed read; True when the counter should be given up."""
        if self.since is None:
            self.since = now
        self.count += 1
        self.last_error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return self.count >= self.attempts and now - self.since >= self.window_s

    def succeeded(self) -> None:
        if self.count:
            self.transient += self.count
        self.count, self.since = 0, None

    def summary(self, now: float) -> str:
        """"4 failed reads over 12.0 s (ValueError: ...)", for the one warning."""
        span = now - self.since if self.since is not None else 0.0
        return f"{self.count} failed reads over {span:.1f} s ({self.last_error})"
