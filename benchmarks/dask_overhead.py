"""What the cluster part adds to a cell: latency per cell with 0, 2 and 8 Dask workers.

Runs cells in an IPython shell, with the extension loaded and without, for a cell that
submits one small task (``client.submit(...).result()``) and one that submits none, and
prints the median and p90 wall time of each beside the same cell unmetered, and the median
added. With 0 workers there is no client: the cells are plain ones (no ``distributed``
imported), which is what a notebook without a cluster pays.

    python benchmarks/dask_overhead.py [--cells 200] [--workers 0 2 8]

Targets: <= 1 ms added with no client; <= 10 ms added (median) with 8 local workers.
Workers are a LocalCluster's processes (one thread each) on this machine, so the figures
include their contention with the kernel for this machine's cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import statistics
import tempfile
import time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_cells(shell, code: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        shell.run_cell(code, store_history=False)
        out.append(time.perf_counter() - t0)
    return out


CELLS = {"submits work": "_r = client.submit(inc, 1, pure=False).result()", "submits nothing": "y = 1 + 1"}


def bench(workers: int, cells: int) -> dict[str, tuple[list[float], list[float]]]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("def inc(x):\n    return x + 1", store_history=False)
    cluster = None
    if workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
        shell.user_ns["client"] = Client(cluster)
    results = {}
    try:
        codes = CELLS if workers else {"submits nothing": CELLS["submits nothing"]}
        for name, code in codes.items():
            time_cells(shell, code, 10)  # warm up
            plain = time_cells(shell, code, cells)
            with contextlib.redirect_stdout(io.StringIO()):  # the banner
                shell.run_line_magic("load_ext", "jupyter_carbon")
            time_cells(shell, code, 10)  # the first cell with a client starts the workers' meter
            metered = time_cells(shell, code, cells)
            shell.run_line_magic("unload_ext", "jupyter_carbon")
            results[name] = (plain, metered)
    finally:
        if cluster is not None:
            shell.user_ns["client"].close()
            cluster.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 8])
    args = parser.parse_args()
    os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp(prefix="carbon-bench-"))
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"{os.cpu_count()} logical CPUs; {args.cells} cells each; milliseconds per cell")
    print(f"{'workers':>7}  {'cell':<16} {'plain med':>9} {'metered med':>11} {'added med':>9} {'plain p90':>9} {'metered p90':>11}")
    for workers in args.workers:
        for name, (plain, metered) in bench(workers, args.cells).items():
            p, m = statistics.median(plain) * 1e3, statistics.median(metered) * 1e3
            print(f"{workers:>7}  {name:<16} {p:9.3f} {m:11.3f} {m - p:9.3f} {percentile(plain, 0.9) * 1e3:9.3f} "
                  f"{percentile(metered, 0.9) * 1e3:11.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
