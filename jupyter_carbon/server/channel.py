"""``/api/carbon/kernels/<kernel_id>/channel``: a websocket that speaks the comm protocol
(docs/protocol.md) for a kernel the server meters, to a frontend that cannot open the
``jupyter_carbon`` comm (an R, Julia or bash kernel, a Python kernel without the extension).

Authenticated as the server's kernel websockets (a token or the login cookie; no user, 403).
With ``c.CarbonServer.meter_kernels = False`` it still opens, says in its ``hello`` that
nothing is metered here and why, and closes.
On open it sends a ``hello`` (with ``metered_by`` and ``reason``: a frontend switches to the
kernel's comm when the kernel meters itself), then the kernel's ``cell_start``, ``power``,
``cell_end`` and ``totals`` as they happen; it answers ``hello``, ``summary`` and
``export`` requests as a kernel's comm does.
"""

from __future__ import annotations

import json

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .feed import Feed, off_hello

#: The largest request a frontend may send (an export request is a few hundred bytes).
MAX_REQUEST = 64 * 1024


class ChannelHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """One frontend's channel to one kernel's figures."""

    feed: Feed | None = None

    def set_default_headers(self):
        """No HTTP headers of a page on a websocket (as the server's kernel channels)."""

    async def get(self, kernel_id):
        if self.current_user is None:
            raise web.HTTPError(403, "a carbon channel needs the server's token or login")
        meters = self.settings.get("jupyter_carbon")
        self.kernel = None if meters is None else meters.kernels.get(kernel_id)
        if meters is not None and self.kernel is None:
            raise web.HTTPError(404, f"no kernel {kernel_id} on this server")
        await super().get(kernel_id=kernel_id)

    def open(self, kernel_id):
        super().open()
        if self.kernel is None:
            # Metering is off here: say so, as for a kernel it cannot see into (a frontend
            # then shows "not metered", never zero), rather than refuse the upgrade.
            self.write_message(json.dumps(off_hello(kernel_id)))
            self.close()
            return
        loop = IOLoop.current()
        self.feed = Feed(self.kernel, lambda text: loop.add_callback(self._write, text), self.kernel.owner.clock, end=lambda: loop.add_callback(self.close))
        self.kernel.add_feed(self.feed)
        self.feed.greet()

    def _write(self, text: str) -> None:
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        try:
            self.write_message(text)
        except WebSocketClosedError:
            pass

    def on_message(self, message):
        feed = self.feed
        if feed is None:
            return
        try:
            if len(message) > MAX_REQUEST:
                raise ValueError(f"a request is at most {MAX_REQUEST} bytes")
            data = json.loads(message)
            if not isinstance(data, dict):
                raise ValueError("a request is a JSON object with a type")
        except ValueError as err:
            feed.send({"type": "error", "protocol": 1, "request_id": None, "message": str(err)})
            return
        self.kernel.owner.run(lambda: feed.request(data))

    def on_close(self):
        if self.feed is not None:
            self.kernel.remove_feed(self.feed)
            self.feed = None
