"""Which energy sources this machine offers: a registry tried in order, the model last.

Each entry opens one kind of source (a GPU vendor, RAPL, ...) or says why it cannot, in a
note for the user. Whatever CPU and memory no counter covers is estimated by the model.
Adding a kind of hardware is one module with an ``EnergySource`` and one entry here.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .base import AMDSMI_MISSING, GRANT_ACCESS, EnergySource, SourceUnavailable, lists_rapl_zones, no_rapl_zones

log = logging.getLogger("jupyter_carbon")


class SourceKind(NamedTuple):
    """How to open one kind of source, whether the settings allow it, and what to say if not."""

    name: str
    enabled: Callable[[object], bool]
    """``enabled(settings)``: the user has not switched it off."""
    open: Callable[[object, object, float], EnergySource]
    """``open(settings, tree, now)``; raises SourceUnavailable saying why not."""
    note: Callable[[SourceUnavailable], str | None]
    """The line ``jupyter carbon devices`` shows when the source cannot be opened, if any."""


def nvidia_driver(root: str = "/") -> bool:
    """Whether an NVIDIA driver could answer: on Linux its ``/proc/driver/nvidia`` (the host's),
    ``/dev/nvidiactl`` (a container given GPUs) or WSL's ``/dev/dxg``; elsewhere assumed."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.path.exists(os.path.join(root, p)) for p in ("proc/driver/nvidia", "dev/nvidiactl", "dev/dxg"))


def _open_nvml(settings, tree, now: float) -> EnergySource:
    # Without a driver, pynvml (3.5 MB and a tenth of a kernel's start) would only say NVML is absent.
    if "pynvml" not in sys.modules and not nvidia_driver():
        raise SourceUnavailable("NVML is not available: no NVIDIA driver (no /proc/driver/nvidia, /dev/nvidiactl or /dev/dxg)")
    from .nvml import NvmlSource

    return NvmlSource(tree, now, attribution=settings.gpu_attribution, drop_after_s=settings.drop_after_s)


def _open_amd(settings, tree, now: float) -> EnergySource:
    # Without amdsmi our AMD and GPU modules (a tenth of %load_ext) would only say it is missing.
    if "amdsmi" not in sys.modules and importlib.util.find_spec("amdsmi") is None:
        raise SourceUnavailable(AMDSMI_MISSING)
    from .amd import AmdSource

    return AmdSource(tree, now, attribution=settings.gpu_attribution, drop_after_s=settings.drop_after_s)


def _amd_note(err: SourceUnavailable) -> str | None:
    # Without AMD's GPU driver (no /dev/kfd) a missing amdsmi is nothing worth saying.
    if str(err) == AMDSMI_MISSING and not os.path.exists("/dev/kfd"):
        return None
    return f"GPU (AMD): not metered ({err})."


def _open_rapl(settings, tree, now: float) -> EnergySource:
    # Most machines (cloud VMs, containers, Macs) have no RAPL zone: say so without the module.
    if not lists_rapl_zones(settings.powercap_root):
        raise SourceUnavailable(no_rapl_zones(Path(settings.powercap_root)))
    from .rapl import RaplSource

    return RaplSource(tree, now, root=settings.powercap_root)


def _rapl_note(err: SourceUnavailable) -> str:
    message = str(err)
    if message == GRANT_ACCESS:
        log.warning("jupyter-carbon: %s", message)
        return message
    return f"CPU: no RAPL counters ({message}); estimated instead."


def _open_apple(settings, tree, now: float) -> EnergySource:
    import sys

    if sys.platform != "darwin":
        raise SourceUnavailable("not a Mac")
    from .apple import AppleSource

    return AppleSource(tree, now)


def _apple_note(err: SourceUnavailable) -> str | None:
    return None if str(err) == "not a Mac" else f"Apple Silicon: not metered ({err}); CPU estimated instead."


REGISTRY: list[SourceKind] = [
    SourceKind("nvml", lambda s: s.enable_nvml, _open_nvml, lambda err: f"GPU: not metered ({err})."),
    SourceKind("amdsmi", lambda s: s.enable_amdsmi, _open_amd, _amd_note),
    SourceKind("rapl", lambda s: s.enable_rapl, _open_rapl, _rapl_note),
    SourceKind("apple", lambda s: s.enable_apple, _open_apple, _apple_note),
]


def _model(settings, tree, now: float, components: set[str]) -> EnergySource:
    from .model import ModelSource

    return ModelSource(
        tree,
        now,
        cpu="cpu" in components,
        memory="memory" in components,
        cpu_tdp_w=settings.cpu_tdp_w,
        cpu_model=settings.cpu_model,
        powercap_root=settings.powercap_root,
        memory_w_per_gb=settings.memory_w_per_gb,
    )


def estimate_instead(settings, tree):
    """The meter's fallback: a model source for the CPU and memory a dropped counter measured."""
    from ..config import CarbonMeter

    settings = settings or CarbonMeter()

    def fallback(components: set[str], now: float) -> EnergySource | None:
        wanted = components & {"cpu", "memory"}
        return _model(settings, tree, now, wanted) if wanted else None

    return fallback


def discover_sources(settings=None, *, now: float, tree) -> tuple[list[EnergySource], list[str]]:
    """Open every source this machine offers, best first; say what is missing and why.

    CPU and memory fall back to the model for whichever of them no counter covers.
    Returns the sources and notes for the user (e.g. how to make RAPL readable). ``tree``
    is the kernel's process tree, shared by every source that charges by share of use.
    """
    from ..config import CarbonMeter

    settings = settings or CarbonMeter()
    sources: list[EnergySource] = []
    notes: list[str] = []
    for kind in REGISTRY:
        if not kind.enabled(settings):
            continue
        try:
            sources.append(kind.open(settings, tree, now))
        except SourceUnavailable as err:
            note = kind.note(err)
            if note:
                notes.append(note)
    covered = {info.component for source in sources for info in source.describe()}
    if {"cpu", "memory"} - covered:
        sources.append(_model(settings, tree, now, {"cpu", "memory"} - covered))
    return sources, notes
