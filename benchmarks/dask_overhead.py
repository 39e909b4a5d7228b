"""What the cluster part adds to a cell: latency per cell with 0, 2 and 8 Dask workers.

Runs cells in an IPython shell with the extension loaded, plain and metered cells
interleaved (``%carbon off`` / ``%carbon on`` between them, outside the timing, so that the
machine's drift over the run falls on both alike), for a cell that submits one small task
(``client.submit(...).result()``) and one that submits none, and prints the median with its
spread (p10 to p90) of each, and the median added. With 0 workers there is no client: the cells are plain ones (no ``distributed``
imported), which is what a notebook without a cluster pays.

    python benchmarks/dask_overhead.py [--cells 200] [--workers 0 2 8] [--quick]

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

from common import add_quick, interleaved, parse, spread


CELLS = {"submits work": "_r = client.submit(inc, 1, pure=False).result()", "submits nothing": "y = 1 + 1"}


def bench(workers: int, cells: int) -> dict[str, tuple[list[float], list[float]]]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("def inc(x):\n    return x + 1", store_history=False)
    with contextlib.redirect_stdout(io.StringIO()):  # the banner
        shell.run_line_magic("load_ext", "jupyter_carbon")
    cluster = None
    if workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
        shell.user_ns["client"] = Client(cluster)
    results = {}
    try:
        codes = CELLS if workers else {"submits nothing": CELLS["submits nothing"]}
        for name, code in codes.items():
            interleaved(shell, code, min(10, cells))  # warm up: the first metered cell with a client starts the workers' meter
            results[name] = interleaved(shell, code, cells)
    finally:
        if cluster is not None:
            shell.user_ns["client"].close()
            cluster.close()
        shell.run_line_magic("unload_ext", "jupyter_carbon")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 8])
    add_quick(parser, cells=20, workers=[0, 2])
    args = parse(parser, argv)
    os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp(prefix="carbon-bench-"))
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"{os.cpu_count()} logical CPUs; {args.cells} plain and {args.cells} metered cells each, interleaved; milliseconds per cell")
    print(f"{'workers':>7}  {'cell':<16} {'plain med':>9} {'(p10-p90)':>15} {'metered med':>11} {'(p10-p90)':>15} {'added med':>9}")
    for workers in args.workers:
        for name, (plain, metered) in bench(workers, args.cells).items():
            p, m = statistics.median(plain) * 1e3, statistics.median(metered) * 1e3
            print(f"{workers:>7}  {name:<16} {p:9.3f} {spread(plain):>15} {m:11.3f} {spread(metered):>15} {m - p:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
