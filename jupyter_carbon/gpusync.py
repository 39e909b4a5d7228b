"""Wait for the GPU work a cell queued, so its energy lands in that cell.

CUDA and ROCm calls return before the GPU finishes: a cell that launches kernels ends while
they still run, and their energy would be charged to whatever runs next. Zeus synchronises
at both edges of a measurement window; so does the session, through :func:`synchronise`.

Only frameworks the user already imported, with a GPU context already made, are waited on:
a framework is looked up in ``sys.modules``, never imported, and a framework without a
context is left alone (synchronising would create one, and hold GPU memory). A framework
that fails to synchronise is skipped: metering never changes what a cell does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

log = logging.getLogger("jupyter_carbon")


def _torch(torch, modules: Mapping) -> bool:
    cuda = getattr(torch, "cuda", None)  # ROCm builds of torch answer to torch.cuda too
    if cuda is None or not cuda.is_initialized():
        return False
    for device in range(cuda.device_count()):
        cuda.synchronize(device)
    return True


def _cupy(cupy, modules: Mapping) -> bool:
    # CuPy makes its context on the first allocation; its pool has held memory since then.
    if cupy.get_default_memory_pool().total_bytes() == 0:
        return False
    cupy.cuda.runtime.deviceSynchronize()
    return True


def _jax(jax, modules: Mapping) -> bool:
    # JAX makes its backends on first use; until then there is nothing queued to wait for.
    bridge = modules.get("jax._src.xla_bridge")
    if not getattr(bridge, "_backends", None):
        return False
    for array in jax.live_arrays():
        array.block_until_ready()
    return True


FRAMEWORKS = {"torch": _torch, "cupy": _cupy, "jax": _jax}


def synchronise(modules: Mapping | None = None) -> list[str]:
    """Wait for the queued GPU work of every imported framework with a GPU context; the
    names of those waited on."""
    modules = sys.modules if modules is None else modules
    waited = []
    for name, wait in FRAMEWORKS.items():
        module = modules.get(name)
        if module is None:
            continue
        try:
            if wait(module, modules):
                waited.append(name)
        except Exception as err:  # the user's own GPU error surfaces in the user's next call
            log.debug("jupyter-carbon: could not synchronise %s: %s", name, err)
    return waited
