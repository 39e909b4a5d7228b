"""Every process a cell starts is counted: real pools of each start method and short-lived
subprocesses, each doing the same CPU work as the in-process reference."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from workloads import burn, short_subprocesses

from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.meter import Meter, measure

WORK_S = 2.0  # CPU-seconds of work in every case


@pytest.fixture
def meter():
    # No sampler thread: the cell's start and end alone must find and count every process.
    m = Meter(config=CarbonMeter(enable_rapl=False, enable_nvml=False), start=False)
    yield m
    m.close()


def cpu_joules(meter, work) -> float:
    with measure(meter) as m:
        work()
    return m.by_component["cpu"]


@pytest.fixture(scope="module")
def reference():
    """The cell's CPU energy for the work done in the kernel's own process."""
    m = Meter(config=CarbonMeter(enable_rapl=False, enable_nvml=False), start=False)
    try:
        return cpu_joules(m, lambda: burn(WORK_S))
    finally:
        m.close()


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_pool_is_counted_like_the_same_work_in_process(meter, reference, method):
    ctx = multiprocessing.get_context(method)

    def work(seconds):
        with ctx.Pool(2) as pool:
            pool.map(burn, [seconds / 4] * 4)

    got = cpu_joules(meter, lambda: work(WORK_S))
    # Starting the pool is work too (a spawned interpreter imports its modules: a fifth of
    # the reference on two busy cores): measured with no work, it is the pool's own part.
    startup = cpu_joules(meter, lambda: work(0.0))
    assert got - startup == pytest.approx(reference, rel=0.15)


def test_a_pool_left_running_is_counted_at_the_cells_end(meter, reference):
    ctx = multiprocessing.get_context("forkserver")
    pool = ctx.Pool(2)
    try:
        got = cpu_joules(meter, lambda: pool.map(burn, [WORK_S / 4] * 4))
    finally:
        pool.terminate()
        pool.join()
    assert got == pytest.approx(reference, rel=0.15)


def test_short_subprocesses_of_a_live_worker_are_counted(meter, reference):
    # The subprocesses live about 0.3 s each and are waited for by a pool worker that
    # outlives the cell: their time is in the worker's cutime/cstime.
    pool = multiprocessing.get_context("fork").Pool(1)
    try:
        pool.apply(os.getpid)  # the worker exists before the cell starts
        got = cpu_joules(meter, lambda: pool.apply(short_subprocesses, (7, WORK_S / 7)))
    finally:
        pool.terminate()
        pool.join()
    assert got == pytest.approx(reference, rel=0.15)


def test_a_notebook_cell_with_a_forkserver_pool_records_its_work(meter, reference, tmp_path):
    from jupyter_carbon.session import Session

    session = Session(meter, None, ledger_dir=tmp_path)
    ctx = multiprocessing.get_context("forkserver")
    cell = session.begin(source="with Pool(2) as pool: pool.map(burn, ...)")
    with ctx.Pool(2) as pool:
        pool.map(burn, [WORK_S / 4] * 4)
    record = session.end(cell)
    assert record.by_component["cpu"] == pytest.approx(reference, rel=0.15)
