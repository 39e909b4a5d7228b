"""What a frontend is told about one kernel the server meters: the messages of the comm
protocol (docs/protocol.md), built from that kernel's session as a kernel's comm builds them.

A :class:`Feed` is one frontend's subscription (a websocket of :mod:`.channel`). Session
events arrive on the metering thread (cells) and the sampler thread (power); a feed turns
each into a message there and hands the text to ``send``, which must be safe to call from any
thread (the channel hops to the event loop). Cell messages carry one field more than a
kernel's: ``msg_id``, the ``execute_request`` they are the window of. IOPub carries no cell
ids, so the frontend, which sent that request, knows which cell it was.
"""

from __future__ import annotations

import json
import logging

from .. import messages
from .._version import __version__
from ..records import costliest

log = logging.getLogger("jupyter_carbon")

#: The least time between two ``power`` messages to one frontend, as the kernel's comm.
POWER_INTERVAL_S = 0.5
MAX_EXPORT_CONTENT = 8 * 2**20


def intensity_of(kernel) -> dict | None:
    try:
        return kernel.owner.carbon.current().to_dict()
    except Exception:
        return None


def hello(kernel, top: int = 10) -> dict:
    """A kernel's figures in the shape of the comm's ``hello``, plus who meters it
    (``metered_by``: ``server``, ``kernel`` or None) and why not (``reason``)."""
    session = kernel.session
    records = list(session.records) if session else []
    running = session.current if session else None
    return {
        "type": "hello",
        "protocol": messages.PROTOCOL,
        "version": __version__,
        **kernel.describe(),
        "enabled": kernel.metered_by == "server",
        "intensity": intensity_of(kernel),
        "devices": [info.to_dict() for info in kernel.meter.describe()] if kernel.meter else [],
        "costliest": [messages.with_footprint(r) for r in costliest(records, top)],
        "running": messages.cell_start(running) if running is not None else None,
    }


def off_hello(kernel_id: str) -> dict:
    """The ``hello`` of a server that meters no kernel (``c.CarbonServer.meter_kernels`` off)."""
    return {
        "type": "hello", "protocol": messages.PROTOCOL, "version": __version__, "kernel_id": kernel_id,
        "metered_by": None, "reason": "this server does not meter kernels (c.CarbonServer.meter_kernels is False)",
        "enabled": False, "totals": None, "costliest": [], "running": None,
    }  # fmt: skip


class Feed:
    """One frontend's view of one kernel: events in, protocol messages out."""

    def __init__(self, kernel, send, clock, end=None):
        self.kernel = kernel
        self.send_text = send
        self.clock = clock
        self.end = end
        """Called when the kernel is gone: the channel closes (no frontend waits on a dead kernel)."""
        self._last_power = float("-inf")

    def send(self, message: dict) -> None:
        try:
            self.send_text(json.dumps(message))
        except Exception:
            log.debug("jupyter-carbon: a frontend's channel could not take a message", exc_info=True)

    def greet(self) -> None:
        self.send(hello(self.kernel))

    # -- session events (metering and sampler threads) -----------------------------------------
    def on_event(self, event: str, payload, msg_id: str | None) -> None:
        session = self.kernel.session
        if event == "cell_start":
            self.send({**messages.cell_start(payload), "msg_id": msg_id})
        elif event == "cell_end":
            self.send({**messages.cell_end(payload), "msg_id": msg_id})
        elif event == "totals" and session is not None:
            self.send(messages.totals(session.session_id, payload, intensity_of(self.kernel)))
        elif event == "power" and session is not None:
            now = self.clock()
            if now - self._last_power < POWER_INTERVAL_S:
                return
            self._last_power = now
            cell = session.current
            self.send({
                **messages.power(payload, cell_id=cell.cell_id if cell else None, cell_energy_j=session.live_energy_j() if cell else None),
                "msg_id": msg_id if cell else None,
            })  # fmt: skip

    # -- requests (the metering thread: a report may take a moment) ----------------------------
    def request(self, data) -> None:
        request_id = data.get("request_id") if isinstance(data, dict) else None
        try:
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "hello":
                self.greet()
            elif kind == "summary":
                top = max(1, min(int(data.get("top", 10)), 100))
                found = hello(self.kernel, top)
                self.send({"type": "summary", "protocol": messages.PROTOCOL, "request_id": request_id, "totals": found["totals"], "costliest": found["costliest"]})
            elif kind == "export":
                self.send({"type": "export", "protocol": messages.PROTOCOL, "request_id": request_id, **self._export(data.get("format"), data.get("path"))})
            elif kind == "settings":
                pass  # the units a kernel's own views use: the server draws none
            else:
                raise ValueError(f"unknown request type {kind!r}; expected hello, settings, summary or export")
        except Exception as err:
            self.send({"type": "error", "protocol": messages.PROTOCOL, "request_id": request_id, "message": f"{type(err).__name__}: {err}"})

    def _export(self, fmt, path) -> dict:
        """The report as text for the browser to download. The server writes no file on a
        frontend's word (a kernel's comm writes inside the kernel's folder; here there is none)."""
        from ..report import Report, render
        from ..report.formats import FORMATS, REGISTRY

        if fmt not in FORMATS:
            return {"ok": False, "error": f"format must be one of {', '.join(FORMATS)}, not {fmt!r}"}
        if path is not None:
            return {"ok": False, "format": fmt, "error": "a kernel metered by the server is exported as a download (path null); jupyter carbon report writes files"}
        session = self.kernel.session
        if session is None:
            return {"ok": False, "format": fmt, "error": "this kernel has no recorded cells yet"}
        content = render(Report.from_session(session), fmt)
        size = len(content.encode("utf-8"))
        if size > MAX_EXPORT_CONTENT:
            return {"ok": False, "format": fmt, "error": f"the report is {size / 2**20:.0f} MB, too large to download; use jupyter carbon report"}
        kind = REGISTRY[fmt]
        return {"ok": True, "format": fmt, "filename": f"carbon-{session.session_id}{kind.extension}", "mimetype": kind.mimetype, "content": content}
