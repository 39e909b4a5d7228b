"""Counter, integrator and attribution arithmetic shared by every source."""

import pytest

from jupyter_carbon.energy.base import (
    ESTIMATED,
    INTEGRATED,
    MEASURED,
    Attribution,
    Counter,
    PowerIntegrator,
    weakest_method,
)


def test_counter_scales_raw_units_to_joules():
    c = Counter(1_000_000, 1e-6)
    assert c.update(3_500_000) == pytest.approx(2.5)
    assert c.update(4_000_000) == pytest.approx(3.0)


def test_counter_wraps_at_its_range():
    wrap = 1_000_000
    c = Counter(900_000, 1e-6, wrap_at=wrap)
    # 900k -> wrap -> 50k: 100k + 50k microjoules went by.
    assert c.update(50_000) == pytest.approx(0.15)
    assert c.resets == 0


def test_counter_small_step_back_is_a_reset_not_a_wrap():
    c = Counter(500_000, 1e-6, wrap_at=1_000_000)
    c.update(600_000)
    assert c.update(599_000) == pytest.approx(0.1)  # nothing counted for the step back
    assert c.resets == 1
    assert c.update(699_000) == pytest.approx(0.2)  # resumes from the new value


def test_counter_without_range_treats_any_drop_as_reset():
    c = Counter(10_000, 1e-3)
    c.update(12_000)
    assert c.update(5) == pytest.approx(2.0)
    assert c.update(1_005) == pytest.approx(3.0)


def test_integrator_extrapolation_matches_what_is_committed():
    p = PowerIntegrator(0.0, 100.0)
    between = p.at(0.3)
    assert between == pytest.approx(30.0)
    assert p.add(0.5, 40.0) == pytest.approx(50.0)
    assert p.at(0.3) <= p.total_j  # an earlier instant never reads more than is committed
    assert p.at(1.5) == pytest.approx(90.0)


def test_attribution_charges_share_from_when_it_is_set():
    a = Attribution(1.0)
    assert a.charge(10.0) == pytest.approx(10.0)
    a.set_share(10.0, 0.25)
    assert a.charge(30.0) == pytest.approx(15.0)
    a.set_share(30.0, 5.0)  # clamped to the whole device
    assert a.share == 1.0
    assert a.charge(40.0) == pytest.approx(25.0)


def test_weakest_method():
    assert weakest_method([MEASURED, INTEGRATED]) == INTEGRATED
    assert weakest_method([MEASURED, ESTIMATED, INTEGRATED]) == ESTIMATED
    assert weakest_method([MEASURED]) == MEASURED


def test_failures_give_up_only_when_they_last():
    from jupyter_carbon.energy.base import Failures

    f = Failures(window_s=5.0, attempts=3)
    assert not f.failed(0.0, OSError("busy"))
    assert not f.failed(6.0, OSError("busy"))  # long enough, but only twice
    f.succeeded()  # a good read starts over
    assert f.transient == 2
    assert not f.failed(10.0, ValueError("garbage"))
    assert not f.failed(11.0, ValueError("garbage"))
    assert not f.failed(12.0, ValueError("garbage"))  # three times, but over 2 s
    assert f.failed(15.0, ValueError("garbage"))
    assert f.summary(15.0) == "4 failed reads over 5.0 s (ValueError: garbage)"
    with pytest.raises(ValueError):
        Failures(window_s=-1)


def test_the_estimate_stands_in_for_cpu_and_memory_counters_only():
    from fakes import FakeTree

    from jupyter_carbon.config import CarbonMeter
    from jupyter_carbon.energy.sources import estimate_instead

    fallback = estimate_instead(CarbonMeter(cpu_tdp_w=100.0), FakeTree())
    model = fallback({"cpu", "gpu"}, 0.0)
    assert (model.with_cpu, model.with_memory) == (True, False)
    assert model.cpu_model.tdp_w == 100.0
    assert fallback({"gpu"}, 0.0) is None
