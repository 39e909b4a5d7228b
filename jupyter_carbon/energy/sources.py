"""Which energy sources this machine offers: a registry tried in order, the model last.

Each entry opens one kind of source (a GPU vendor, RAPL, ...) or says why it cannot, in a
note for the user. Whatever CPU and memory no counter covers is estimated by the model.
Adding a kind of hardware is one module with an ``EnergySource`` and one entry here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .base import EnergySource, SourceUnavailable

log = logging.getLogger("jupyter_carbon")


@dataclass(frozen=True)
class SourceKind:
    """How to open one kind of source, whether the settings allow it, and what to say if not."""

    name: str
    enabled: Callable[[object], bool]
    """``enabled(settings)``: the user has not switched it off."""
    open: Callable[[object, object, float], EnergySource]
    """``open(settings, tree, now)``; raises SourceUnavailable saying why not."""
    note: Callable[[SourceUnavailable], str]
    """The line ``jupyter carbon devices`` shows when the source cannot be opened."""


def _open_nvml(settings, tree, now: float) -> EnergySource:
    from .nvml import NvmlSource

    return NvmlSource(tree, now, attribution=settings.gpu_attribution)


def _open_rapl(settings, tree, now: float) -> EnergySource:
    from .rapl import RaplSource

    return RaplSource(tree, now, root=settings.powercap_root)


def _rapl_note(err: SourceUnavailable) -> str:
    from .rapl import GRANT_ACCESS

    message = str(err)
    if message == GRANT_ACCESS:
        log.warning("jupyter-carbon: %s", message)
        return message
    return f"CPU: no RAPL counters ({message}); estimated instead."


REGISTRY: list[SourceKind] = [
    SourceKind("nvml", lambda s: s.enable_nvml, _open_nvml, lambda err: f"GPU: not metered ({err})."),
    SourceKind("rapl", lambda s: s.enable_rapl, _open_rapl, _rapl_note),
]


def discover_sources(settings=None, *, now: float, tree) -> tuple[list[EnergySource], list[str]]:
    """Open every source this machine offers, best first; say what is missing and why.

    CPU and memory fall back to the model for whichever of them no counter covers.
    Returns the sources and notes for the user (e.g. how to make RAPL readable). ``tree``
    is the kernel's process tree, shared by every source that charges by share of use.
    """
    from ..config import CarbonMeter
    from .model import ModelSource

    settings = settings or CarbonMeter()
    sources: list[EnergySource] = []
    notes: list[str] = []
    for kind in REGISTRY:
        if not kind.enabled(settings):
            continue
        try:
            sources.append(kind.open(settings, tree, now))
        except SourceUnavailable as err:
            notes.append(kind.note(err))
    covered = {info.component for source in sources for info in source.describe()}
    if {"cpu", "memory"} - covered:
        sources.append(
            ModelSource(
                tree,
                now,
                cpu="cpu" not in covered,
                memory="memory" not in covered,
                cpu_tdp_w=settings.cpu_tdp_w,
                cpu_model=settings.cpu_model,
                powercap_root=settings.powercap_root,
                memory_w_per_gb=settings.memory_w_per_gb,
            )
        )
    return sources, notes
