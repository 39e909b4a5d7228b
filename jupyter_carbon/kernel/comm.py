"""The kernel end of the comm channel that feeds front ends (the JupyterLab status bar).

Kernel side of ``docs/protocol.md``. The kernel registers the comm target ``jupyter_carbon``;
each frontend opens its own comm (so a reload or a second tab reattaches by opening a new
one) and gets a ``hello``, then ``cell_start``, throttled ``power``, ``cell_end`` and ``totals``
as the session moves. A comm that closes is forgotten without touching the others.

Thread safety: session events arrive on the kernel's main thread (cells) and on the sampler
thread (power); comm messages may arrive on a subshell thread while a cell runs (JupyterLab
4.4+). The set of comms is guarded by a lock and every send goes through ipykernel's
thread-safe IOPub socket.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .. import clocks
from .._version import __version__
from .. import messages
from .marker import publish_marker

log = logging.getLogger("jupyter_carbon")

TARGET = "jupyter_carbon"
PROTOCOL = messages.PROTOCOL
MAX_EXPORT_CONTENT = 8 * 2**20


class FrontendChannel:
    """All comms opened on the ``jupyter_carbon`` target of one kernel."""

    def __init__(self, extension, *, comm_manager=None, min_interval: float = 0.5, clock=clocks.monotonic):
        self.ext = extension
        self.min_interval = min_interval
        self.clock = clock
        self._manager = comm_manager
        self._comms: dict[str, object] = {}
        self._last_power: dict[str, float] = {}
        self._lock = threading.RLock()
        self._unsubscribe = None

    # -- lifetime -------------------------------------------------------------------------
    def register(self) -> None:
        if self._manager is None:
            from comm import get_comm_manager

            self._manager = get_comm_manager()
        self._manager.register_target(TARGET, self._on_open)
        # An idle kernel's sampler sleeps longer while no frontend listens.
        self._unsubscribe = self.ext.session.subscribe(self._on_event, wants_power=lambda: bool(self._comms))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._manager is not None:
            try:
                self._manager.unregister_target(TARGET, self._on_open)
            except Exception:
                pass
        with self._lock:
            comms, self._comms = list(self._comms.values()), {}
        for comm in comms:
            try:
                comm.close()
            except Exception:
                pass

    @property
    def comms(self) -> list:
        with self._lock:
            return list(self._comms.values())

    # -- comms ----------------------------------------------------------------------------
    def _on_open(self, comm, open_msg) -> None:
        with self._lock:
            self._comms[comm.comm_id] = comm
            self._last_power[comm.comm_id] = float("-inf")
        wake = getattr(self.ext.session.meter, "wake", None)
        if wake is not None:  # the status bar's power from one interval on, not an idle wait
            wake()
        try:
            comm.on_msg(lambda msg, comm=comm: self._on_msg(comm, msg))
            comm.on_close(lambda msg, comm=comm: self._forget(comm))
            asked = (request_of(open_msg) or {}).get("protocol", PROTOCOL)
            if isinstance(asked, int) and asked > PROTOCOL:
                self._send(comm, {"type": "error", "request_id": None, "message": f"this kernel speaks protocol {PROTOCOL}, not {asked}"})
            self._send(comm, self.hello())
        except Exception as err:  # a comm that cannot be greeted is not kept: it would get every event
            self._forget(comm)
            self._send(comm, {"type": "error", "request_id": None, "message": f"cannot open: {type(err).__name__}: {err}"})
            try:
                comm.close()
            except Exception:
                pass

    def _forget(self, comm) -> None:
        with self._lock:
            self._comms.pop(comm.comm_id, None)
            self._last_power.pop(comm.comm_id, None)

    def _send(self, comm, message: dict) -> None:
        message = {"protocol": PROTOCOL, **message}
        try:
            comm.send(message)
        except Exception as err:  # a comm whose frontend went away: forget it, tell no one else
            log.debug("jupyter-carbon: dropping comm %s: %s", getattr(comm, "comm_id", "?"), err)
            self._forget(comm)

    def _broadcast(self, message: dict) -> None:
        for comm in self.comms:
            self._send(comm, message)

    def _on_msg(self, comm, msg) -> None:
        request_id = None
        try:
            data = request_of(msg)
            if data is None:
                raise ValueError("a request is a JSON object with a type")
            kind, request_id = data.get("type"), data.get("request_id")
            if kind == "hello":
                self._send(comm, self.hello())
            elif kind == "summary":
                self._send(comm, {"type": "summary", "request_id": request_id, **self._summary(int(data.get("top", 10)))})
            elif kind == "export":
                self._send(comm, {"type": "export", "request_id": request_id, **self._export(data.get("format"), data.get("path"))})
            elif kind == "forecast":
                self._forecast(comm, request_id, data)
            elif kind == "settings":  # no reply: the views redraw in the new units
                self.ext.settings.use_frontend_units(data.get("energy_unit", "auto"), data.get("mass_unit", "auto"))
            else:
                self._send(comm, {"type": "error", "request_id": request_id, "message": f"unknown request type {kind!r}; expected hello, settings, summary, export or forecast"})
        except Exception as err:
            self._send(comm, {"type": "error", "request_id": request_id, "message": f"{type(err).__name__}: {err}"})

    def _forecast(self, comm, request_id, data: dict) -> None:
        """The forecast ahead (``hours``, a job of ``length``), from the provider the user turned
        on: asked on a thread of its own, for at most ``live_timeout_s``, and answered from it,
        so the thread that runs cells never waits on the network. Without a provider the
        answer's text says which could give one; nothing is asked."""
        import argparse

        from ..forecasting import forecast_data, provider_for, request_from, session_power_w

        options = argparse.Namespace(hours=float(data.get("hours", 12.0)), length=str(data.get("length", "1h")), power=None)
        request = request_from(options, session_power_w(self.ext.session.totals))  # a bad one: an error reply
        pue = (self.ext.intensity_dict() or {}).get("pue", 1.0)

        def ask():
            try:
                with self.ext.settings.display_units():
                    answer = forecast_data(self.ext.config, self.ext.carbon.place, request, provider=provider_for(self.ext.config), pue=pue)
                if answer["points"]:
                    self.ext.last_forecast = answer
                self._send(comm, {"type": "forecast", "request_id": request_id, "forecast": answer})
            except Exception as err:
                self._send(comm, {"type": "error", "request_id": request_id, "message": f"{type(err).__name__}: {err}"})

        threading.Thread(target=ask, name="jupyter-carbon-forecast", daemon=True).start()

    # -- payloads -------------------------------------------------------------------------
    def hello(self) -> dict:
        session = self.ext.session
        running = session.current
        return {
            "type": "hello",
            "version": __version__,
            "session_id": session.session_id,
            "enabled": self.ext.enabled,
            "intensity": self.ext.intensity_dict(),
            "devices": [info.to_dict() for info in self.ext.meter.describe()],
            "totals": session.totals.to_dict(),
            "costliest": self._summary(10)["costliest"],
            "running": messages.cell_start(running) if running is not None else None,
        }

    def _summary(self, top: int) -> dict:
        from ..records import costliest

        session = self.ext.session
        top = max(1, min(int(top), 100))
        return {"totals": session.totals.to_dict(), "costliest": [messages.with_footprint(r) for r in costliest(session.records, top)]}

    def _export(self, fmt, path) -> dict:
        """The report as text for the frontend to download, writing no file; or, when the
        request names a ``path``, written there, inside the kernel's working folder only."""
        from ..report import export, render
        from ..report.formats import FORMATS, REGISTRY

        if fmt not in FORMATS:
            return {"ok": False, "error": f"format must be one of {', '.join(FORMATS)}, not {fmt!r}"}
        rep = self.ext.report()
        kind = REGISTRY[fmt]
        if path is None:
            content = render(rep, fmt)
            size = len(content.encode("utf-8"))
            if size > MAX_EXPORT_CONTENT:
                return {"ok": False, "format": fmt, "error": f"the report is {size / 2**20:.0f} MB, too large to download; write it with %carbon export PATH"}
            filename = f"carbon-{self.ext.session.session_id}{kind.extension}"
            return {"ok": True, "format": fmt, "filename": filename, "mimetype": kind.mimetype, "content": content}
        try:
            target = confined_path(path, Path.cwd())
            written = export(rep, target, fmt)
        except (OSError, ValueError) as err:
            return {"ok": False, "format": fmt, "error": f"cannot write {path}: {getattr(err, 'strerror', None) or err}"}
        reply = {"ok": True, "format": fmt, "path": str(written), "filename": written.name, "mimetype": kind.mimetype}
        if written.stat().st_size <= MAX_EXPORT_CONTENT:
            reply["content"] = written.read_text(encoding="utf-8")
        return reply

    # -- session events -------------------------------------------------------------------
    def _on_event(self, event: str, payload) -> None:
        if event == "cell_start":
            publish_marker(getattr(self.ext, "shell", None), payload)  # a server watching IOPub defers
        if not self._comms:  # no frontend listens: build no message (a record's copy, its footprint)
            return
        if event == "power":
            self._on_power(payload)
        elif event == "cell_start":
            self._broadcast(messages.cell_start(payload))
        elif event == "cell_end":
            self._broadcast(messages.cell_end(payload))
        elif event == "totals":
            self._broadcast(messages.totals(self.ext.session.session_id, payload, self.ext.intensity_dict()))

    def _on_power(self, reading) -> None:
        now = self.clock()
        with self._lock:
            due = [c for cid, c in self._comms.items() if now - self._last_power.get(cid, float("-inf")) >= self.min_interval]
            for comm in due:
                self._last_power[comm.comm_id] = now
        if not due:
            return
        cell = self.ext.session.current
        message = messages.power(
            reading,
            cell_id=cell.cell_id if cell is not None else None,
            cell_energy_j=self.ext.session.live_energy_j() if cell is not None else None,
            cluster=self.ext.session.cluster_power(),
            projection=projector.to_dict() if cell is not None and (projector := getattr(self.ext, "projector", None)) else None,
        )
        for comm in due:
            self._send(comm, message)


def request_of(msg) -> dict | None:
    """The data of a comm message if it is a JSON object, else None: a frontend may send anything."""
    content = msg.get("content") if isinstance(msg, dict) else None
    data = content.get("data") if isinstance(content, dict) else None
    return data if isinstance(data, dict) else None


def confined_path(path, folder: Path) -> Path:
    """Where a comm may write ``path``: a new file inside ``folder`` (the kernel's working
    folder), or ValueError. A message from a frontend is not the user typing a path: it may
    not name an absolute path, ``~``, a way out by ``..`` or a symlinked folder, nor replace
    an existing file or symlink."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("the path must be a file name inside the kernel's working folder")
    root = folder.resolve()
    relative = Path(path)
    if relative.is_absolute() or path.startswith("~"):
        raise ValueError("the path must be relative to the kernel's working folder")
    target = root / relative
    parent = target.parent.resolve()
    if parent != root and root not in parent.parents or target.name in ("", ".", ".."):
        raise ValueError("the path leads outside the kernel's working folder")
    target = parent / target.name
    if os.path.lexists(target):
        raise ValueError(f"{target.name} already exists; a frontend's export never replaces a file")
    return target
