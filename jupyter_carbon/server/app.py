"""Loading and stopping the server extension inside ``jupyter server`` (or a hub's
single-user server): settings, the kernels' meters, the REST route and /metrics."""

from __future__ import annotations

import logging
import os

from ..protocol import METERING_SERVER_ENV

log = logging.getLogger("jupyter_carbon")

_state: dict[int, tuple] = {}


def load(serverapp) -> None:
    from ..config import CarbonMeter
    from .handlers import add_handlers
    from .settings import CarbonServer

    settings = CarbonServer(parent=serverapp)
    meters = None
    if settings.meter_kernels:
        from .meters import KernelMeters

        meters = KernelMeters(serverapp, settings, CarbonMeter(parent=serverapp))
        meters.start()
        os.environ[METERING_SERVER_ENV] = "1"  # the kernels started from now on send the marker
    serverapp.web_app.settings["jupyter_carbon"] = meters
    add_handlers(serverapp.web_app)
    collector = None
    if meters is not None and settings.enable_prometheus_metrics:
        from .metrics import register

        collector = register(meters)
    _state[id(serverapp)] = (meters, collector)
    serverapp.log.info(
        "jupyter-carbon: %s", "metering every local kernel from outside" if meters else "not metering kernels (c.CarbonServer.meter_kernels is False)"
    )


def unload(serverapp) -> None:
    meters, collector = _state.pop(id(serverapp), (None, None))
    if collector is not None:
        from prometheus_client import REGISTRY

        try:
            REGISTRY.unregister(collector)
        except KeyError:
            pass
    if meters is not None:
        meters.stop()
        if not any(m is not None for m, _ in _state.values()):
            os.environ.pop(METERING_SERVER_ENV, None)
