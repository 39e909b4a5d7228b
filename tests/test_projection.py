"""A running cell's projection: the arithmetic on loops of known pace, real tqdm bars (plain,
``tqdm.auto``, nested) read without patching, the live meter and the finished cell's line."""

from __future__ import annotations

import io
import sys

import pytest
from fakes import FakeClock
from test_live_meter import FixedCarbon
from test_meter import ScriptedSource
from tqdm import tqdm
from tqdm.auto import tqdm as auto_tqdm

from jupyter_carbon.kernel.progress import Projector
from jupyter_carbon.kernel.widget import CarbonWidget
from jupyter_carbon.meter import Meter
from jupyter_carbon.projection import MARGIN, Tracker, off_by
from jupyter_carbon.session import Session
from jupyter_carbon.text import projection_text


def loop_energy(steps: int, joules_per_step, setup_j: float = 0.0):
    """(fraction, energy so far) after each step of a loop whose step ``i`` costs
    ``joules_per_step(i)``, after ``setup_j`` spent before the loop."""
    energy, out = setup_j, [(0.0, setup_j)]
    for i in range(steps):
        energy += joules_per_step(i)
        out.append(((i + 1) / steps, energy))
    return out


def projections_at(readings, marks=(0.1, 0.5, 0.9)):
    tracker, found = Tracker(), {}
    for fraction, energy in readings:
        tracker.add(fraction, energy)
        for mark in marks:
            if mark not in found and fraction >= mark - 1e-9:
                found[mark] = tracker.project()
    return found, readings[-1][1]


def test_a_steady_loop_is_projected_exactly_and_the_bounds_narrow():
    found, final = projections_at(loop_energy(100, lambda i: 50.0, setup_j=400.0))
    widths = []
    for mark, p in found.items():
        assert p.energy_j == pytest.approx(final)  # setup energy is spent, not extrapolated
        assert p.low_j <= final <= p.high_j
        widths.append(p.high_j - p.low_j)
    assert widths[0] > widths[1] > widths[2] > 0
    # The stated bounds: the rest at (1 -/+ MARGIN) of the pace seen.
    p10 = found[0.1]
    assert p10.high_j - p10.energy_j == pytest.approx(0.9 * 100 * 50.0 * MARGIN)


@pytest.mark.parametrize("speedup", [1.5, 1.9])
def test_a_loop_that_speeds_up_halfway_stays_inside_the_bounds(speedup):
    found, final = projections_at(loop_energy(100, lambda i: 60.0 if i < 50 else 60.0 / speedup))
    for mark, p in found.items():
        assert p.low_j <= final <= p.high_j, (mark, p, final)
    assert found[0.1].energy_j > final  # at the early pace it was too high, and said so within bounds
    assert abs(found[0.9].energy_j - final) < abs(found[0.1].energy_j - final)


def test_a_loop_that_slows_down_stays_inside_the_bounds():
    found, final = projections_at(loop_energy(100, lambda i: 40.0 if i < 50 else 56.0))
    for p in found.values():
        assert p.low_j <= final <= p.high_j


def test_off_by_and_the_words():
    assert off_by(110.0, 100.0) == pytest.approx(0.10) and off_by(1.0, 0.0) is None
    text = projection_text({"fraction": 0.38, "energy_j": 4.32e6, "low_j": 3.6e6, "high_j": 5.4e6, "spent_j": 1e6, "emissions_g": 400.0})
    assert text == "≈ 1.2 kWh (1.0 kWh–1.5 kWh), 400 g CO2e at this pace; 38 % done"
    assert projection_text(None) == ""


# -- real tqdm bars, a session on a fake meter (a steady 10 W) -------------------------------


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def session(clock, tmp_path):
    meter = Meter([ScriptedSource(clock)], clock=clock, start=False)
    s = Session(meter, FixedCarbon(), ledger_dir=tmp_path)
    yield s
    s.close()


def quiet(bar_class, iterable, **kw):
    return bar_class(iterable, file=io.StringIO(), mininterval=0, miniters=1, **kw)


def run_loop(session, clock, projector, steps, seconds_per_step, *, bar=tqdm, seen=None):
    """A loop of known pace under a tqdm bar, the meter ticking once per step."""
    for i in quiet(bar, range(steps)):
        clock.advance(seconds_per_step(i))
        session.meter.tick()  # the power event: the projector reads the bar here
        if seen is not None and projector.latest is not None:
            seen.append(projector.latest)


@pytest.mark.parametrize("bar", [tqdm, auto_tqdm])
def test_a_real_tqdm_loop_is_projected_within_its_bounds(session, clock, bar):
    projector = Projector(session, FixedCarbon())
    cell = session.begin(source="train()")
    clock.advance(5.0)  # 50 J of setup before the loop
    session.meter.tick()
    seen = []
    run_loop(session, clock, projector, 50, lambda i: 2.0, bar=bar, seen=seen)
    record = session.end(cell)
    assert record.energy_j == pytest.approx(50.0 + 50 * 20.0)
    marks = {m: next(p for p in seen if p.fraction >= m) for m in (0.1, 0.5, 0.9)}
    for p in marks.values():
        assert p.low_j <= record.energy_j <= p.high_j
    # The bar's n lags the body by one step: within one step's energy of the outcome.
    assert marks[0.5].energy_j == pytest.approx(record.energy_j, abs=20.0 / 0.5 + 1)
    assert projector.latest is None and "projected at 10 %" in projector.outcome and "within its bounds" in projector.outcome
    projector.close()


def test_nested_bars_refine_the_outer_step(session, clock):
    projector = Projector(session, FixedCarbon())
    session.begin()
    fractions = []
    for epoch in quiet(tqdm, range(4)):
        for batch in quiet(tqdm, range(10), leave=False):
            clock.advance(1.0)
            session.meter.tick()
            if projector.latest is not None:
                fractions.append(projector.latest.fraction)
    assert fractions == sorted(fractions) and 0.3 < max(fractions) <= 1.0
    assert len(set(fractions)) > 8  # moves within each epoch, not only at its end
    projector.close()


def test_a_bar_opened_before_the_cell_is_ignored(session, clock):
    projector = Projector(session, FixedCarbon())
    old = tqdm(total=10, file=io.StringIO())
    old.update(3)
    session.begin()
    clock.advance(1.0)
    session.meter.tick()
    assert projector.poll() is None and projector.latest is None
    old.close()
    projector.close()


def test_without_tqdm_loaded_nothing_is_read(session, clock, monkeypatch):
    monkeypatch.delitem(sys.modules, "tqdm.std")
    projector = Projector(session, FixedCarbon())
    session.begin()
    bar = quiet(tqdm, range(10))
    next(iter(bar))
    clock.advance(1.0)
    session.meter.tick()
    assert projector.poll() is None
    projector.close()


def test_the_live_meter_shows_the_projection_while_the_loop_runs(session, clock):
    projector = Projector(session, FixedCarbon())
    w = CarbonWidget(session, clock=clock, min_interval=0.0, projector=projector)
    cell = session.begin()
    shown = []
    for i in quiet(tqdm, range(20)):
        clock.advance(1.0)
        session.meter.tick()
        shown.append(w.children[1].value)
    assert w.projection and 0 < w.projection["fraction"] < 1 and w.projection["emissions_g"] > 0
    assert any("at this pace;" in html and "% done" in html for html in shown)
    session.end(cell)
    session.begin()
    assert w.projection == {}
    w.close()
    projector.close()


def test_a_carbon_cell_says_how_far_its_projection_at_10_percent_was(ip, tmp_path, monkeypatch):
    from IPython.utils.capture import capture_output

    monkeypatch.setenv("JUPYTER_CARBON_REGION", "FR")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
    ip.config.CarbonMeter.sample_interval = 0.05
    with capture_output():
        ip.run_line_magic("load_ext", "jupyter_carbon")
    try:
        cell = "%%carbon\nimport io, time\nfrom tqdm import tqdm\nfor i in tqdm(range(50), file=io.StringIO(), mininterval=0):\n    time.sleep(0.04)\n"
        with capture_output() as out:
            result = ip.run_cell(cell, store_history=True)
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")
        ip.config.CarbonMeter.pop("sample_interval", None)
    assert result.error_in_exec is None
    (line,) = [o.data["text/plain"] for o in out.outputs if o.metadata.get("jupyter_carbon", {}).get("cell_line")]
    assert "projected at 1" in line and "% of the outcome" in line, line


def test_the_shared_projection_texts():
    """The same cases the lab extension's projection.spec.ts checks its words against."""
    import json
    from pathlib import Path

    from jupyter_carbon.units import display_units

    cases = json.loads((Path(__file__).parent / "fixtures" / "projection_texts.json").read_text(encoding="utf-8"))
    assert len(cases) >= 3
    for projection, energy, mass, expected in cases:
        with display_units(energy, mass):
            assert projection_text(projection) == expected


def test_a_budget_warns_once_when_the_projection_crosses_it(session, clock):
    projector = Projector(session, FixedCarbon())
    warnings = []
    projector.on_budget = warnings.append
    # A steady 10 W over 100 steps of 36 s: 36 kJ = 10 Wh, 1 g at 100 g/kWh.
    projector.budget_g = 0.5
    cell = session.begin()
    run_loop(session, clock, projector, 100, lambda i: 36.0)
    session.end(cell)
    assert len(warnings) == 1 and "over the budget of 500 mg" in warnings[0]
    assert "projected to emit 1.0 g CO2e" in warnings[0]
    projector.budget_g = 5.0  # over nothing: no warning
    cell = session.begin()
    run_loop(session, clock, projector, 100, lambda i: 36.0)
    session.end(cell)
    assert len(warnings) == 1
    projector.close()


@pytest.mark.parametrize("text, grams", [("500 g", 500.0), ("0.5kg", 500.0), ("2 t", 2e6), ("750", 750.0)])
def test_parse_mass(text, grams):
    from jupyter_carbon.projection import parse_mass

    assert parse_mass(text) == grams


@pytest.mark.parametrize("text", ["", "lots", "-5 g", "0 kg", "inf g"])
def test_parse_mass_refuses_nonsense(text):
    from jupyter_carbon.projection import parse_mass

    with pytest.raises(ValueError, match="500 g, 0.5 kg"):
        parse_mass(text)


def test_budget_magic_sets_shows_and_refuses(shell):
    from IPython.core.error import UsageError
    from IPython.utils.capture import capture_output

    with capture_output() as out:
        shell.run_line_magic("carbon", "budget 500 g")
    assert "budget 500 g CO2e per cell" in out.stdout
    from jupyter_carbon.kernel.extension import extension_of

    assert extension_of(shell).projector.budget_g == 500.0
    with pytest.raises(UsageError, match="not an amount of CO2e"):
        shell.run_line_magic("carbon", "budget a lot")
    with capture_output() as out:
        shell.run_line_magic("carbon", "budget off")
    assert "no budget" in out.stdout and extension_of(shell).projector.budget_g is None
