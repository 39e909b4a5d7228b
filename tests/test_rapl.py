"""RAPL through a fake powercap tree: which zones count, joules, wraps, shares, permissions."""

import os

import pytest
from fakes import fake_topology

from jupyter_carbon.energy import rapl
from jupyter_carbon.energy.base import MEASURED, SourceUnavailable
from jupyter_carbon.energy.model import ModelSource
from jupyter_carbon.energy.rapl import GRANT_ACCESS, RaplSource, discover_zones
from jupyter_carbon.meter import Measurement, Meter


def two_socket_server(powercap):
    powercap.add_zone("intel-rapl:0", "package-0", power_w=80.0, start_uj=123_456)
    powercap.add_zone("intel-rapl:0:0", "core", power_w=60.0)
    powercap.add_zone("intel-rapl:0:1", "dram", power_w=10.0)
    powercap.add_zone("intel-rapl:1", "package-1", power_w=40.0)
    powercap.add_zone("intel-rapl:1:0", "dram", power_w=5.0)
    powercap.add_zone("intel-rapl:2", "psys", power_w=200.0)
    powercap.add_zone("intel-rapl-mmio:0", "package-0", power_w=80.0)


def test_discovery_counts_packages_and_dram_once(powercap):
    two_socket_server(powercap)
    zones = {domain: (component, path.name) for domain, component, path in discover_zones(powercap.root)}
    assert zones == {
        "cpu:package-0": ("cpu", "intel-rapl:0"),
        "cpu:package-1": ("cpu", "intel-rapl:1"),
        "memory:package-0-dram": ("memory", "intel-rapl:0:1"),
        "memory:package-1-dram": ("memory", "intel-rapl:1:0"),
    }


def test_mmio_zone_is_used_when_msr_tree_lacks_the_package(powercap):
    powercap.add_zone("intel-rapl-mmio:0", "package-0", power_w=15.0)
    zones = discover_zones(powercap.root)
    assert [(d, p.name) for d, _, p in zones] == [("cpu:package-0", "intel-rapl-mmio:0")]


def test_missing_tree_is_unavailable(tmp_path, tree, system):
    with pytest.raises(SourceUnavailable):
        RaplSource(tree, 0.0, root=tmp_path / "nothing", system=system)


def test_joules_match_the_counters(powercap, clock, tree, system):
    two_socket_server(powercap)
    src = RaplSource(tree, clock(), root=powercap.root, system=system)
    first = {r.domain: r for r in src.read(clock())}
    clock.advance(2.5)
    later = {r.domain: r for r in src.read(clock())}
    device = {d: later[d].device_energy_j - first[d].device_energy_j for d in later}
    assert device["cpu:package-0"] == pytest.approx(200.0)
    assert device["cpu:package-1"] == pytest.approx(100.0)
    assert device["memory:package-0-dram"] == pytest.approx(25.0)
    assert device["memory:package-1-dram"] == pytest.approx(12.5)
    assert all(r.method == MEASURED for r in later.values())
    src.close()


def test_wraparound_through_max_energy_range(powercap, clock, tree, system):
    max_uj = 10_000_000  # 10 J range, so 80 W wraps every 125 ms
    powercap.add_zone("intel-rapl:0", "package-0", power_w=0.0, start_uj=9_000_000, max_uj=max_uj)
    src = RaplSource(tree, clock(), root=powercap.root, system=system)
    total = 0.0
    for _ in range(20):
        powercap.add_energy("intel-rapl:0", 3.0)  # each step crosses or nears the wrap
        total += 3.0
        (reading,) = src.read(clock())
        assert reading.device_energy_j == pytest.approx(total)
    src.close()


def test_counter_going_backwards_counts_nothing_for_that_step(powercap, clock, tree, system):
    powercap.add_zone("intel-rapl:0", "package-0", start_uj=5_000_000)
    src = RaplSource(tree, clock(), root=powercap.root, system=system)
    powercap.add_energy("intel-rapl:0", 2.0)
    assert src.read(clock())[0].device_energy_j == pytest.approx(2.0)
    powercap.set_raw("intel-rapl:0", 6_500_000)  # firmware steps back by 0.5 J
    assert src.read(clock())[0].device_energy_j == pytest.approx(2.0)
    powercap.add_energy("intel-rapl:0", 1.0)
    assert src.read(clock())[0].device_energy_j == pytest.approx(3.0)
    src.close()


def test_kernel_is_charged_its_share_of_the_package_capacity(powercap, clock, tree, system):
    powercap.add_zone("intel-rapl:0", "package-0", power_w=100.0)
    powercap.add_zone("intel-rapl:0:0", "dram", power_w=10.0)
    src = RaplSource(tree, clock(), root=powercap.root, system=system)
    start = {r.domain: r.energy_j for r in src.read(clock())}
    # Over one tick the kernel is the only busy process, on 1 of the 4 logical CPUs: it is
    # charged a quarter of the package, not the idle power of the other three.
    clock.advance(1.0)
    tree.cpu += 1.0
    system.busy += 1.0
    powers = {p.domain: p for p in src.sample(clock())}
    assert powers["cpu:package-0"].device_power_w == pytest.approx(100.0)
    assert powers["cpu:package-0"].power_w == pytest.approx(25.0)
    # That share applies to the energy that follows.
    clock.advance(2.0)
    end = {r.domain: r for r in src.read(clock())}
    assert end["cpu:package-0"].energy_j - start["cpu:package-0"] == pytest.approx(100.0 + 0.25 * 200.0)
    assert end["memory:package-0-dram"].energy_j - start["memory:package-0-dram"] == pytest.approx(10.0 + 0.25 * 20.0)
    assert end["cpu:package-0"].device_energy_j == pytest.approx(300.0)
    src.close()


@pytest.mark.parametrize("others_busy", [0.0, 2.0])
def test_rapl_and_the_estimate_charge_the_same_work_the_same(powercap, clock, tree, system, others_busy):
    # A 4-CPU package rated 120 W, drawing its rated power: what the estimate assumes of it.
    powercap.add_zone("intel-rapl:0", "package-0", power_w=120.0)
    rapl = RaplSource(tree, clock(), root=powercap.root, system=system)
    model = ModelSource(tree, clock(), memory=False, cpu_tdp_w=120.0, system=system, topology=fake_topology("x", 4))
    meter = Meter([rapl, model], clock=clock, start=False)

    def work(seconds):  # the kernel keeps 1.5 logical CPUs busy; other processes some more
        for _ in range(seconds):
            clock.advance(1.0)
            tree.cpu += 1.5
            system.busy += 1.5 + others_busy
            meter.tick()

    work(1)  # the share of a tick applies from the next one
    a = meter.snapshot()
    work(5)
    m = Measurement.between(a, meter.snapshot())
    assert m.by_domain["cpu:model"] == pytest.approx(5 * 1.5 * 120.0 / 4)
    assert m.by_domain["cpu:package-0"] == pytest.approx(m.by_domain["cpu:model"])
    meter.close()


def test_unreadable_counters_explain_how_to_grant_access(powercap, clock, tree, system, monkeypatch):
    powercap.add_zone("intel-rapl:0", "package-0")
    real_open = os.open

    def root_only(path, flags, *args):
        if str(path).endswith("energy_uj"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(rapl.os, "open", root_only)
    with pytest.raises(SourceUnavailable) as err:
        RaplSource(tree, clock(), root=powercap.root, system=system)
    assert str(err.value) == GRANT_ACCESS
    assert "chmod" in GRANT_ACCESS and "energy_uj" in GRANT_ACCESS


def test_close_releases_file_descriptors(powercap, clock, tree, system):
    two_socket_server(powercap)
    src = RaplSource(tree, clock(), root=powercap.root, system=system)
    fds = [z.fd for z in src.zones]
    src.close()
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)
