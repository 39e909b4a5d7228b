"""What metering costs: a cell's snapshot pair, the sampler thread, and the import.

Prints median and p99 of a snapshot pair over many pairs, the sampler's CPU use at its
default interval, and the import time of ``jupyter_carbon``; in the same run, the same
per-cell figure for CodeCarbon's ``OfflineEmissionsTracker`` task API
(``start_task``/``stop_task``) when CodeCarbon is installed, and the ratio.

    python benchmarks/overhead.py [--pairs 10000] [--codecarbon-pairs 2000] [--sampler-seconds 10] [--quick]

Targets: pair <= 0.05 ms median and >= 15x cheaper than CodeCarbon's pair; sampler <= 0.2 %
of one core; import adds <= 50 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from common import add_quick, parse, percentile


def time_pairs(start, stop, n: int) -> list[float]:
    """Seconds for each of n start/stop pairs."""
    out = []
    clock = time.perf_counter
    for _ in range(n):
        t0 = clock()
        start()
        stop()
        out.append(clock() - t0)
    return out


def bench_jupyter_carbon(pairs: int) -> list[float]:
    from jupyter_carbon.meter import Measurement, Meter

    meter = Meter()
    try:
        holder = {}

        def start():
            holder["a"] = meter.snapshot(fresh=True)  # as a cell boundary takes it

        def stop():
            Measurement.between(holder["a"], meter.snapshot(fresh=True))

        time_pairs(start, stop, 200)  # warm up
        return time_pairs(start, stop, pairs)
    finally:
        meter.close()


def bench_codecarbon(pairs: int) -> list[float] | None:
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        return None
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as out:
        tracker = OfflineEmissionsTracker(
            country_iso_code="CAN", save_to_file=False, output_dir=out, log_level="error", measure_power_secs=15
        )
        tracker.start()
        try:
            names = iter(range(10**9))

            def start():
                tracker.start_task(f"t{next(names)}")

            def stop():
                tracker.stop_task()

            time_pairs(start, stop, 20)
            return time_pairs(start, stop, pairs)
        finally:
            tracker.stop()


def sampler_cpu(seconds: float) -> tuple[float, float, float]:
    """(fraction of one core used by the sampler thread, median tick ms, interval s)."""
    from jupyter_carbon.meter import Meter

    meter = Meter(start=False)
    try:
        ticks = [0.0] * 200
        for i in range(len(ticks)):
            t0 = time.thread_time()
            meter.tick()
            ticks[i] = time.thread_time() - t0
        interval = meter.interval
    finally:
        meter.close()
    meter = Meter()
    try:
        # The main thread sleeps: the process's CPU time over the window is the sampler's.
        c0, w0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    finally:
        meter.close()
    return cpu / wall, statistics.median(ticks) * 1e3, interval


def import_ms(repeats: int = 7) -> float:
    """Median self+children import time of jupyter_carbon in fresh interpreters (-X importtime)."""
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import jupyter_carbon"],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "0"},
        ).stderr
        for line in out.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+jupyter_carbon$", line)
            if m:
                times.append(int(m.group(1)) / 1e3)
    return statistics.median(times)


def row(name: str, values: list[float]) -> str:
    med, p99 = statistics.median(values) * 1e3, percentile(values, 0.99) * 1e3
    return f"  {name:<34} median {med:8.4f} ms   p99 {p99:8.4f} ms   ({len(values)} pairs)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--codecarbon-pairs", type=int, default=2_000)
    parser.add_argument("--sampler-seconds", type=float, default=10.0)
    add_quick(parser, pairs=500, codecarbon_pairs=100, sampler_seconds=1.0)
    args = parse(parser, argv)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} logical CPUs")
    # The sampler goes first: CodeCarbon leaves threads of its own that would be counted.
    share, tick_ms, interval = sampler_cpu(args.sampler_seconds)
    print("\nCell overhead (one snapshot pair = start and end of a cell):")
    ours = bench_jupyter_carbon(args.pairs)
    print(row("jupyter-carbon snapshot pair", ours))
    theirs = bench_codecarbon(args.codecarbon_pairs)
    if theirs is None:
        print("  CodeCarbon not installed: pip install codecarbon to compare in the same run")
    else:
        print(row("CodeCarbon start_task/stop_task", theirs))
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(f"  ratio (median): jupyter-carbon is {ratio:.0f}x cheaper  [target >= 15x]")
    print(f"  target: median <= 0.05 ms -> {'met' if statistics.median(ours) <= 5e-5 else 'NOT met'}")

    print(f"\nSampler at its default interval ({interval:g} s):")
    print(f"  one tick: median {tick_ms:.3f} ms of CPU")
    print(f"  CPU use over {args.sampler_seconds:g} s: {share * 100:.3f} % of one core  [target <= 0.2 %]")

    print(f"\nimport jupyter_carbon: {import_ms():.1f} ms (median of 7 fresh interpreters)  [target <= 50 ms]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
