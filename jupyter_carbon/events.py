"""A session's listeners: who is told of each cell, power reading and total, and who wants
the power readings between cells (so that the sampler may sleep while nobody does)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("jupyter_carbon")

Listener = Callable[[str, object], None]


class Listeners:
    """Listeners of one session's events; one that raises is logged and removed."""

    def __init__(self):
        self._listeners: dict[Listener, Callable[[], bool] | None] = {}
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener, wants_power: Callable[[], bool] | None = None) -> None:
        with self._lock:
            self._listeners[listener] = wants_power

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock, contextlib.suppress(KeyError):
            del self._listeners[listener]

    def emit(self, event: str, payload) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event, payload)
            except Exception:
                log.exception("jupyter-carbon: a session listener failed on %r and was removed", event)
                self.unsubscribe(listener)

    def __len__(self) -> int:
        return len(self._listeners)

    def want_power(self) -> bool:
        """Whether a listener wants ``power`` readings now (one that did not say: always)."""
        return any(wants is None or wants() for wants in tuple(self._listeners.values()))
