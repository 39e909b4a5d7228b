"""How sure each number is: the low and high bounds of every method, with their sources.

Every figure the package produces comes from one of a few methods; each has a band, a low
and a high factor on the figure, kept here and nowhere else (``docs/bounds.md`` is this
module in words). The views never compute a bound: they format what the records carry.

Bands are relative: a figure ``x`` from a method with band ``(lo, hi)`` lies in
``[x·lo, x·hi]``. A sum of figures from the same method shares its error (the same part,
the same model, the same counter), so bounds add linearly: a session's bounds are the sums
of its cells' bounds, never narrower than one cell's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Band(NamedTuple):
    low: float
    high: float
    basis: str
    """Where the band comes from, in words a reviewer can check."""

    def apply(self, value: float) -> tuple[float, float]:
        return value * self.low, value * self.high


EXACT = Band(1.0, 1.0, "taken as exact")

#: Energy counters. Intel's RAPL package and DRAM counters agree with power measured at the
#: plug to within a few per cent on Haswell and later (Hackenberg et al., "An Energy
#: Efficiency Feature Survey of the Intel Haswell Processor", IPDPSW 2015; Khan et al., "RAPL
#: in Action", ACM TOMPECS 2018); AMD's are modelled by the part rather than measured
#: (Schöne et al., "Energy Efficiency Aspects of the AMD Zen 2 Architecture", CLUSTER 2021),
#: so the same ±5 % is an allowance, not a validation, there.
RAPL_COUNTER = Band(0.95, 1.05, "RAPL energy counter: ±5 % (Hackenberg et al. 2015; Khan et al. 2018)")
#: NVIDIA states its board power readings are accurate to ±5 % of the draw (NVML API
#: reference, nvmlDeviceGetPowerUsage); the energy counter (Volta and later) integrates them.
GPU_COUNTER = Band(0.95, 1.05, "GPU energy counter: ±5 % of the draw (NVML API reference)")
#: Power readings integrated by the sampler: the sensor's ±5 %, and the readings' own
#: averaging window, which on A100/H100 covers only part of each update period (Yang,
#: Adámek & Armour, SC24), so work shorter than the sampling interval is seen in part. The
#: ±15 % is our allowance for the two, not a figure from the paper.
INTEGRATED = Band(0.85, 1.15, "integrated power readings: ±5 % sensor, widened to ±15 % for sampling (Yang et al. SC24)")
#: Memory: a constant power per GB of resident memory (Green Algorithms' 0.3725 W/GB),
#: whatever the memory does. DDR4/DDR5 DIMMs draw roughly 0.2-0.8 W per GB between idle and
#: full bandwidth (Micron's DDR4 power calculator as Green Algorithms cites it); the band
#: is half to twice the constant.
MEMORY_MODEL = Band(0.5, 2.0, "memory model: a constant W per GB, half to twice (Green Algorithms' 0.3725 W/GB)")
#: TDP ÷ threads: a package under sustained full load draws about its TDP (Intel's PL1),
#: briefly up to ~1.25× (PL2 on servers); lighter work draws less. SPECpower results for the
#: same microarchitectures sit at 0.6-1.1× TDP ÷ threads (``benchmarks/cpu_power.py``).
TDP_MODEL = Band(0.5, 1.25, "TDP ÷ threads: half to 1.25× (PL1 is TDP, PL2 up to ~1.25×; lighter work draws less)")
#: A CPU nothing identifies: from the lowest microarchitecture's 10th percentile of
#: SPECpower per thread (about 0.6 W, Arm) to Green Algorithms' 12 W per core on one thread.
UNKNOWN_CPU_LOW_W = 0.5
UNKNOWN_CPU_HIGH_W = 12.0
#: Without a band a figure still needs bounds: methods not listed are taken as the model's.
BY_METHOD = {"measured": RAPL_COUNTER, "integrated": INTEGRATED}


def spec_band(w: float, arch) -> Band:
    """A microarchitecture's spread around the figure charged (``w``): its SPECpower results'
    per thread and, where known, its parts' TDP ÷ threads (``cpu_power.Architecture``)."""
    ranges = [(arch.w_low, arch.w_high)] + ([arch.tdp_range] if arch.tdp_range else [])
    why = f"{arch.name}: SPECpower {arch.w_low:.3g}-{arch.w_high:.3g} W per thread ({arch.results} results)"
    if arch.tdp_range:
        why += f", its parts' TDP ÷ threads {arch.tdp_range[0]:.3g}-{arch.tdp_range[1]:.3g} W"
    return hull(w, *ranges, basis=why + (f"; {arch.note}" if arch.note else ""))


def hull(figure: float, *ranges: tuple[float, float], basis: str) -> Band:
    """The smallest band around ``figure`` holding every (low, high) range in watts."""
    low = min([figure, *(r[0] for r in ranges)])
    high = max([figure, *(r[1] for r in ranges)])
    return Band(low / figure, high / figure, basis)


def unknown_cpu_band(w: float, why: str) -> Band:
    return Band(
        min(1.0, UNKNOWN_CPU_LOW_W / w), max(1.0, UNKNOWN_CPU_HIGH_W / w),
        f"unknown part ({why}): anything from {UNKNOWN_CPU_LOW_W:g} to {UNKNOWN_CPU_HIGH_W:g} W per logical CPU",
    )  # fmt: skip


def method_band(component: str, method: str) -> Band:
    """The band of a method for a component, where the source gives none of its own."""
    if method == "measured":
        return GPU_COUNTER if component == "gpu" else RAPL_COUNTER
    if method == "integrated":
        return INTEGRATED
    return MEMORY_MODEL if component == "memory" else TDP_MODEL


def reading_band(component: str, method: str, band: tuple[float, float] | None) -> tuple[float, float]:
    """A domain reading's band: the one its source gave, else its method's."""
    if band is not None:
        return band
    b = method_band(component, method)
    return b.low, b.high


def energy_bounds(parts: Iterable[tuple[str, float, tuple[float, float]]]) -> dict[str, list[float]]:
    """``{component: [low J, high J]}`` from (component, joules, band) per domain."""
    out: dict[str, list[float]] = {}
    for component, joules, (lo, hi) in parts:
        acc = out.setdefault(component, [0.0, 0.0])
        acc[0] += joules * lo
        acc[1] += joules * hi
    return out


def record_bounds(by_component: Mapping[str, list[float]], price) -> dict:
    """A record's ``bounds``: energy per component and in all, and the emissions they imply
    (``price(joules)``: the record's own emissions formula, or None without an intensity).

    The intensity is taken as exact: our sources give yearly or hourly averages without a
    spread, so the emissions' bounds are the energy's priced as the figure is.
    """
    low = sum(b[0] for b in by_component.values())
    high = sum(b[1] for b in by_component.values())
    g_low, g_high = price(low), price(high)
    return {
        "by_component": {c: list(b) for c, b in by_component.items()},
        "energy_j": [low, high],
        "emissions_g": None if g_low is None or g_high is None else [g_low, g_high],
    }


def estimated(method: Mapping[str, str] | None) -> bool:
    """Whether a figure is (partly) an estimate: any component a model estimated. Views mark
    it so ("≈"); a view never shows an estimate as if it were measured."""
    return any(m == "estimated" for m in (method or {}).values())


def of(figures, key: str):
    """``[low, high]`` of a record's or the totals' figure ``key`` (``energy_j``,
    ``emissions_g``), from the object or its dict; None where it carries none (older ledgers)."""
    get = figures.get if isinstance(figures, Mapping) else lambda k, d=None: getattr(figures, k, d)
    totals_key = {"energy_j": "energy_bounds_j", "emissions_g": "emissions_bounds_g"}.get(key)
    if totals_key and get(totals_key) is not None:
        return get(totals_key)
    return (get("bounds") or {}).get(key)


def method_of(figures) -> Mapping[str, str] | None:
    return figures.get("method") if isinstance(figures, Mapping) else getattr(figures, "method", None)


def valid(bounds) -> bool:
    """A record's ``bounds`` as read back: None (older ledgers) or pairs of numbers, low <= high."""
    if bounds is None:
        return True
    if not isinstance(bounds, dict):
        return False

    def pair(v) -> bool:
        return (
            isinstance(v, list) and len(v) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in v)
            and v[0] <= v[1]
        )  # fmt: skip

    comps = bounds.get("by_component", {})
    return (
        pair(bounds.get("energy_j"))
        and isinstance(comps, dict) and all(isinstance(k, str) and pair(v) for k, v in comps.items())
        and (bounds.get("emissions_g") is None or pair(bounds.get("emissions_g")))
    )  # fmt: skip
