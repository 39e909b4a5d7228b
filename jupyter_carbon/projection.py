"""A running cell's projected energy at 100 % of the progress it reports, with bounds.

The cell's energy so far is spent; only the rest is projected. The rest is priced at the
energy per unit of progress seen since progress was first reported (energy before that, such
as loading data, is not extrapolated). Loops change pace (a warm cache, a learning-rate
schedule, a shorter last epoch), so the bounds let the rest run anywhere from
``1 - MARGIN`` times the cheapest pace seen in any stretch to ``1 + MARGIN`` times the
dearest: with ``MARGIN = 0.5``, a loop that later runs up to twice as fast, or half again
as slow, as any stretch so far stays inside. The bounds narrow as progress grows because
less is left to guess; at 100 % they meet the measured figure.

This is a projection at the current pace, not a measurement: views say so ("at this pace").
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: How far the rest's pace may stray from the paces seen so far, as a share of them.
MARGIN = 0.5
#: Stretches shorter than this share of the whole are merged into the next (noise).
STRETCH = 0.02


@dataclass(frozen=True)
class Projection:
    fraction: float  # progress reported, 0..1
    energy_j: float  # projected at 100 %
    low_j: float
    high_j: float
    spent_j: float  # measured so far

    def to_dict(self) -> dict:
        return {"fraction": self.fraction, "energy_j": self.energy_j, "low_j": self.low_j, "high_j": self.high_j, "spent_j": self.spent_j}


@dataclass
class Tracker:
    """Progress and energy readings of one loop, in order; ``project()`` from them."""

    first: tuple[float, float] | None = None  # (fraction, energy_j)
    last: tuple[float, float] | None = None
    rates: list[float] = field(default_factory=list)  # J per unit of progress, per stretch
    _mark: tuple[float, float] | None = None

    def add(self, fraction: float, energy_j: float) -> None:
        """A reading: progress (0..1) and the cell's energy so far. Readings that go back are
        ignored (a bar reset or a second loop starts a new tracker, not this)."""
        if not 0.0 <= fraction <= 1.0 or (self.last is not None and fraction < self.last[0]):
            return
        self.last = (fraction, energy_j)
        if self.first is None:
            self.first = self.last
        if self._mark is None:
            self._mark = (fraction, energy_j)
        elif fraction - self._mark[0] >= STRETCH:
            self.rates.append(max(0.0, (energy_j - self._mark[1]) / (fraction - self._mark[0])))
            self._mark = (fraction, energy_j)

    def project(self) -> Projection | None:
        """The projection now; None until progress has moved by one stretch."""
        if not self.rates:
            return None
        (f0, e0), (f, e) = self.first, self.last
        rest = 1.0 - f
        rate = (e - e0) / (f - f0) if f > f0 else self.rates[-1]
        low = e + rest * min(self.rates + [rate]) * (1.0 - MARGIN)
        high = e + rest * max(self.rates + [rate]) * (1.0 + MARGIN)
        return Projection(f, e + rest * rate, low, high, e)


def off_by(projected_j: float, outcome_j: float) -> float | None:
    """How far a projection was from the outcome, as a share of the outcome (+ too high)."""
    if outcome_j <= 0:
        return None
    return (projected_j - outcome_j) / outcome_j


def parse_mass(text: str) -> float:
    """'500 g', '0.5kg', '2 t' or a bare number of grams, as grams; ValueError with the forms
    accepted otherwise."""
    value = str(text).strip().lower().replace(" ", "")
    for suffix, grams in (("kg", 1000.0), ("mg", 0.001), ("t", 1e6), ("g", 1.0), ("", 1.0)):
        if value.endswith(suffix):
            try:
                amount = float(value[: len(value) - len(suffix)] if suffix else value) * grams
            except ValueError:
                break
            if amount > 0 and amount != float("inf"):
                return amount
            break
    raise ValueError(f"{text!r} is not an amount of CO2e; give e.g. 500 g, 0.5 kg or 2 t")
