"""What bringing the process tree up to date costs at a cell's start and end.

A cell boundary takes ``Meter.snapshot(fresh=True)``: before the counter reads it looks at
the processes created since the last look (from ``/proc/loadavg``'s last PID) and re-reads
the CPU time of every known descendant. Prints the median and p99 of that extra cost over
a plain snapshot, for ordinary trees: no children; a fork pool of 4 live workers; the
same after a forkserver pool (forkserver and resource tracker alive); and boundaries that
follow the creation of one, then a hundred, short-lived subprocesses (new PIDs to examine:
the cost grows with the processes created on the host, or in the kernel's PID namespace,
since the last look, about 10 to 25 microseconds each).

    python benchmarks/cell_boundary.py [--repeats 2000] [--quick]

Target: the extra cost is at most 1 ms per boundary for ordinary trees (all rows but the
last, which shows how the cost grows after a cell that started a hundred processes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

from common import add_quick, parse, percentile


def timed(fn, repeats: int, before=None) -> list[float]:
    out = []
    for _ in range(repeats):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def extra_ms(meter, repeats: int, before=None) -> tuple[float, float, int]:
    """Median and p99 of fresh minus plain snapshot, in ms, and the tree's size."""
    plain = timed(meter.snapshot, repeats, before)
    fresh = timed(lambda: meter.snapshot(fresh=True), repeats, before)
    base = statistics.median(plain)
    return (statistics.median(fresh) - base) * 1e3, (percentile(fresh, 0.99) - base) * 1e3, len(meter.tree.pids()) - 1


def square(x: int) -> int:
    return x * x


def spawn_short_child() -> None:
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)


def spawn_hundred_children() -> None:
    subprocess.run(["sh", "-c", "for i in $(seq 100); do /bin/true; done"], check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    add_quick(parser, repeats=50)
    args = parse(parser, argv)

    from jupyter_carbon.config import CarbonMeter
    from jupyter_carbon.meter import Meter

    meter = Meter(config=CarbonMeter(enable_rapl=False, enable_nvml=False), start=False)
    rows = [("no children", extra_ms(meter, args.repeats))]
    fork_pool = multiprocessing.get_context("fork").Pool(4)
    fork_pool.map(square, range(8))
    meter.tree.refresh_cpu()
    rows.append(("fork pool, 4 live workers", extra_ms(meter, args.repeats)))
    with multiprocessing.get_context("forkserver").Pool(4) as pool:
        pool.map(square, range(8))
    rows.append(("+ forkserver and resource tracker", extra_ms(meter, args.repeats)))
    rows.append(("after a short subprocess (new PIDs)", extra_ms(meter, max(20, args.repeats // 20), spawn_short_child)))
    rows.append(("after 100 short subprocesses", extra_ms(meter, max(10, args.repeats // 100), spawn_hundred_children)))
    fork_pool.terminate()
    fork_pool.join()
    meter.close()

    print(f"Extra cost of a fresh snapshot (cell boundary) over a plain one, {os.cpu_count()} CPUs:")
    for name, (median, p99, size) in rows:
        print(f"  {name:<38} {size:>3} descendants  median {median:6.3f} ms  p99 {p99:6.3f} ms")
    worst = max(median for _, (median, _, _) in rows[:-1])  # the last row is no ordinary cell
    print(f"\nTarget <= 1 ms per boundary for ordinary trees (all rows but the last): "
          f"{'met' if worst <= 1.0 else 'NOT met'} (worst median {worst:.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
