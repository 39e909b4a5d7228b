"""The REST route of the server extension: the kernels it meters and their figures.

``GET /api/carbon/kernels`` lists every kernel with who meters it (``server``, ``kernel``,
or ``null`` with the reason); ``GET /api/carbon/kernels/<id>`` answers with the same shape
as the comm's ``hello`` (docs/protocol.md): totals, the costliest cells with their
footprints, the intensity, the devices, and ``metered_by``;
``/api/carbon/kernels/<id>/channel`` is the websocket that follows one live (:mod:`.channel`).
All are authenticated as every other API route of the server.
"""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .._version import __version__
from .channel import ChannelHandler
from .feed import hello

KERNEL_ID = r"(?P<kernel_id>[\w-]+)"


class _CarbonHandler(APIHandler):
    @property
    def meters(self):
        meters = self.settings.get("jupyter_carbon")
        if meters is None:
            raise web.HTTPError(404, "jupyter-carbon does not meter kernels here (c.CarbonServer.meter_kernels is False)")
        return meters


class KernelsHandler(_CarbonHandler):
    @web.authenticated
    def get(self):
        self.finish(json.dumps({"version": __version__, "user": self.meters.user, "kernels": self.meters.describe()}))


class KernelHandler(_CarbonHandler):
    @web.authenticated
    def get(self, kernel_id):
        kernel = self.meters.kernels.get(kernel_id)
        if kernel is None:
            raise web.HTTPError(404, f"no kernel {kernel_id} on this server")
        self.finish(json.dumps(hello(kernel)))


def add_handlers(web_app) -> None:
    base = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [
        (url_path_join(base, "api/carbon/kernels"), KernelsHandler),
        (url_path_join(base, "api/carbon/kernels", KERNEL_ID), KernelHandler),
        (url_path_join(base, "api/carbon/kernels", KERNEL_ID, "channel"), ChannelHandler),
    ])  # fmt: skip
