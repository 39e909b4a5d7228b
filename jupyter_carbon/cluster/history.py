"""Timestamped cumulative energy readings of one node, and the energy between two instants.

A node's meter samples every tick; the kernel asks once, at a cell's end, for the energy
between the cell's two edges. Cumulative counters interpolate linearly between samples, so
an answer is exact at the samples and off by at most one tick's change in power between
them. When the buffer fills, every other old sample is dropped: the span kept doubles and
the resolution halves, so a cell of any length is answered from one bounded buffer.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping


class EnergyHistory:
    """Cumulative joules per component at wall-clock instants, oldest first."""

    def __init__(self, max_samples: int = 4096):
        if max_samples < 4:
            raise ValueError(f"an energy history keeps at least 4 samples, not {max_samples}")
        self.max_samples = max_samples
        self._times: list[float] = []
        self._values: list[dict[str, float]] = []
        self._lock = threading.Lock()

    def add(self, time_s: float, cumulative: Mapping[str, float]) -> None:
        """One reading; a reading older than the last is ignored (counters never go back)."""
        with self._lock:
            if self._times and time_s <= self._times[-1]:
                return
            self._times.append(time_s)
            self._values.append(dict(cumulative))
            if len(self._times) > self.max_samples:
                # Thin the older half: keep every other sample, and the newest ones whole.
                half = len(self._times) // 2
                self._times = self._times[:half:2] + self._times[half:]
                self._values = self._values[:half:2] + self._values[half:]

    @property
    def span(self) -> tuple[float, float] | None:
        """(first, last) instant held, or None while empty."""
        with self._lock:
            return (self._times[0], self._times[-1]) if self._times else None

    def latest(self) -> tuple[float, dict[str, float]] | None:
        with self._lock:
            return (self._times[-1], dict(self._values[-1])) if self._times else None

    def at(self, time_s: float) -> dict[str, float]:
        """Cumulative joules per component at ``time_s``, interpolated; clamped to the span
        held (before the first sample the node was not metered: its first reading stands)."""
        with self._lock:
            return self._at(time_s)

    def _at(self, time_s: float) -> dict[str, float]:
        times, values = self._times, self._values
        if not times:
            return {}
        i = bisect.bisect_right(times, time_s)
        if i == 0:
            return dict(values[0])
        if i == len(times):
            return dict(values[-1])
        t0, t1 = times[i - 1], times[i]
        w = (time_s - t0) / (t1 - t0)
        before, after = values[i - 1], values[i]
        return {c: before.get(c, 0.0) + w * (after[c] - before.get(c, 0.0)) for c in after}

    def between(self, start_s: float, end_s: float) -> tuple[dict[str, float], float]:
        """Joules per component from ``start_s`` to ``end_s``, and the seconds of that window
        the history covers (less than the window for a node that joined or left within it)."""
        if end_s < start_s:
            raise ValueError(f"a window ends after it starts, not {start_s} .. {end_s}")
        with self._lock:
            if not self._times:
                return {}, 0.0
            first, last = self._at(start_s), self._at(end_s)
            covered = max(0.0, min(end_s, self._times[-1]) - max(start_s, self._times[0]))
        return {c: max(0.0, j - first.get(c, 0.0)) for c, j in last.items()}, covered
