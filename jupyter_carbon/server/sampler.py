"""One sampler thread for every kernel the server meters.

A :class:`~jupyter_carbon.meter.Meter` in a kernel runs its own sampler thread; a server
metering fifty kernels runs one thread that ticks fifty meters (each opened with
``start=False``), at the interval of ``c.CarbonMeter.sample_interval``.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("jupyter_carbon")


class Sampler:
    """Ticks every meter added to it, on one daemon thread."""

    def __init__(self, interval: float):
        self.interval = float(interval)
        self._meters: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jupyter-carbon-server-sampler", daemon=True)
        self._thread.start()

    def add(self, meter) -> None:
        with self._lock:
            self._meters.append(meter)

    def remove(self, meter) -> None:
        with self._lock:
            if meter in self._meters:
                self._meters.remove(meter)

    def replace(self, old, new) -> None:
        with self._lock:
            self._meters = [new if m is old else m for m in self._meters]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                meters = list(self._meters)
            for meter in meters:
                try:
                    meter.tick()
                except Exception:
                    log.exception("jupyter-carbon: a kernel's sampler tick failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, 2 * self.interval))
