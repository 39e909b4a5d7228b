"""The running cell's progress, read from the progress bars it drives, and its projection.

A training framework's run that reports through our callback (``training.py``: Keras,
PyTorch Lightning, Hugging Face ``Trainer``) is read first. Otherwise only tqdm is read (``tqdm``, ``tqdm.auto``, ``tqdm.notebook`` and the libraries that draw
their progress with it; not Lightning's, which restarts every epoch: its run is read through
the callback), and only when the user's
code has imported it: nothing here imports it. Nothing is patched either: tqdm keeps its live
bars in ``tqdm.std.tqdm._instances``; on each power reading while a cell runs (the sampler's
thread, about twice a second) the projector looks there for bars opened during the cell.
When tqdm is not loaded that costs one dictionary look-up per reading, and nothing at a
cell's start or end beyond resetting two fields.

The outermost bar (lowest position) gives the progress; a bar nested one level inside refines
it within the outer step (epochs and batches). A new outermost bar starts a new projection.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from .training import REPORTS

if TYPE_CHECKING:  # the arithmetic loads with the first progress bar, not with the extension
    from ..projection import Projection, Tracker


def _bars(since: float) -> list:
    """tqdm's live bars with a total, opened at or after ``since`` (wall clock), outermost
    first; [] when tqdm is not loaded."""
    std = sys.modules.get("tqdm.std")
    cls = getattr(std, "tqdm", None)
    if cls is None:
        return []
    try:
        bars = list(getattr(cls, "_instances", ()))
    except RuntimeError:  # the set changed while we read it: try at the next reading
        return []
    live = [b for b in bars if not getattr(b, "disable", True) and (getattr(b, "total", None) or 0) > 0
            and getattr(b, "start_t", 0) >= since]  # fmt: skip
    return sorted(live, key=lambda b: abs(getattr(b, "pos", 0) or 0))


def fraction_of(bars) -> float | None:
    """Overall progress of the outermost bar, refined by the one inside it."""
    if not bars:
        return None
    outer = bars[0]
    done = min(float(outer.n), float(outer.total))
    if len(bars) > 1 and done < outer.total:
        inner = bars[1]
        done += min(1.0, max(0.0, float(inner.n) / float(inner.total)))
    return min(1.0, done / float(outer.total))


class Projector:
    """Follows the session's events; ``latest`` is the running cell's projection (None when
    nothing reports progress), with its CO2e priced as the cell would be now."""

    def __init__(self, session, carbon, *, clock=time.time):
        self.session = session
        self.carbon = carbon
        self.clock = clock
        self._lock = threading.Lock()
        self._since = 0.0
        self._outer = None
        self._tracker: Tracker | None = None
        self._at_10: Projection | None = None
        self.latest: Projection | None = None
        self.outcome: str | None = None
        """After a cell: how far its projection at 10 % was from what it used."""
        self.budget_g: float | None = None
        """``%carbon budget``: warn once per cell when the projected CO2e crosses it."""
        self.on_budget = None
        """Called once per cell, with the warning's text, when the projection crosses the budget."""
        self._warned = False
        self._unsubscribe = session.subscribe(self._on_event, wants_power=lambda: False)  # only a running cell's
        REPORTS.listeners += 1

    def _on_event(self, event: str, payload) -> None:
        if event == "power":
            if self.session.current is not None:
                self.poll()
        elif event == "cell_start":
            with self._lock:
                self._since, self._outer, self._tracker = self.clock() - 0.001, None, None
                self._at_10, self.latest, self.outcome, self._warned = None, None, None, False
        elif event == "cell_end":
            self._finish(payload.energy_j)

    def _progress(self) -> tuple[object, float] | None:
        """What reports the progress (a training run, else the outermost bar) and the share done."""
        run = REPORTS.current(self._since)
        if run is not None:
            return run, run.fraction
        bars = _bars(self._since)
        return (bars[0], fraction_of(bars)) if bars else None

    def poll(self, energy_j: float | None = None) -> Projection | None:
        """Read the progress and update the projection; ``energy_j`` for tests (else measured)."""
        progress = self._progress()
        if progress is None:
            return None
        outer, fraction = progress
        energy = self.session.live_energy_j() if energy_j is None else energy_j
        with self._lock:
            if self._outer is not outer:
                from ..projection import Tracker

                self._outer, self._tracker, self._at_10 = outer, Tracker(), None
            self._tracker.add(fraction, energy)
            projection = self._tracker.project()
            if projection is not None and self._at_10 is None and projection.fraction >= 0.1:
                self._at_10 = projection
            self.latest = projection
        if projection is not None and self.budget_g is not None and not self._warned:
            self._check_budget(projection)
        return projection

    def _check_budget(self, projection: Projection) -> None:
        grams = self.grams(projection.energy_j)
        if grams is None or grams <= self.budget_g:
            return
        self._warned = True
        from ..units import format_mass

        text = (f"jupyter-carbon: this cell is projected to emit {format_mass(grams)} CO2e at this pace "
                f"({100 * projection.fraction:.0f} % done), over the budget of {format_mass(self.budget_g)}")  # fmt: skip
        if self.on_budget is not None:
            self.on_budget(text)

    def grams(self, energy_j: float) -> float | None:
        try:
            return self.carbon.emissions_g(energy_j, self.carbon.current())
        except Exception:
            return None

    def to_dict(self) -> dict | None:
        """The latest projection for the comm: energies, their CO2e and the progress."""
        p = self.latest
        if p is None:
            return None
        grams = {k: self.grams(v) for k, v in (("emissions_g", p.energy_j), ("low_g", p.low_j), ("high_g", p.high_j))}
        return {**p.to_dict(), **grams, "budget_g": self.budget_g, "over_budget": self._warned}

    def _finish(self, outcome_j: float) -> None:
        with self._lock:
            at_10, self.latest = self._at_10, None
        if at_10 is None:
            return
        from ..projection import off_by

        error = off_by(at_10.energy_j, outcome_j)
        if error is not None:
            held = "within" if at_10.low_j <= outcome_j <= at_10.high_j else "outside"
            self.outcome = f"projected at {100 * at_10.fraction:.0f} %: {100 * error:+.0f} % of the outcome ({held} its bounds)"

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            REPORTS.listeners -= 1
