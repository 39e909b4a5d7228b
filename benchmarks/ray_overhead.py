"""What the cluster part adds to a cell with Ray: latency per cell, with and without a cluster.

Runs cells in an IPython shell with the extension loaded, plain and metered cells
interleaved (``%carbon off`` / ``%carbon on`` between them, outside the timing, so that the
machine's drift over the run falls on both alike), for a cell that submits one small task
(``ray.get(inc.remote(1))``) and one that submits none, and prints the median with its
spread (p10 to p90) of each, and the median added. Without a cluster the cells are plain
ones and ``ray`` is not imported: what a notebook without Ray pays.

    python benchmarks/ray_overhead.py [--cells 200] [--address HOST:PORT]

Targets: <= 1 ms added without a cluster; <= 10 ms added (median) with one. Without
``--address`` the cluster is a Ray started in this process (``ray.init(num_cpus=2)``), whose
processes share this machine's cores with the shell.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


CELLS = {"submits a task": "_r = ray.get(inc.remote(1))", "submits nothing": "y = 1 + 1"}


def timed(shell, code: str) -> float:
    t0 = time.perf_counter()
    shell.run_cell(code, store_history=False)
    return time.perf_counter() - t0


def interleaved(shell, code: str, n: int) -> tuple[list[float], list[float]]:
    """``n`` plain and ``n`` metered runs of ``code``, alternating."""
    plain, metered = [], []
    for i in range(2 * n):
        on = i % 2 == 1
        with contextlib.redirect_stdout(io.StringIO()):  # the magic's status line
            shell.run_line_magic("carbon", "on" if on else "off")
        (metered if on else plain).append(timed(shell, code))
    return plain, metered


def bench(cluster: bool, cells: int, address: str | None, node_ip: str | None = None) -> dict[str, tuple[list[float], list[float]]]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    with contextlib.redirect_stdout(io.StringIO()):  # the banner
        shell.run_line_magic("load_ext", "jupyter_carbon")
    results = {}
    try:
        if cluster:
            connect = {"address": address, "_node_ip_address": node_ip} if address else {"num_cpus": 2, "include_dashboard": False}
            shell.user_ns["_connect"] = connect
            shell.run_cell("import ray\nray.init(**_connect, logging_level='ERROR', log_to_driver=False)\n"
                           "@ray.remote\ndef inc(x):\n    return x + 1", store_history=False)  # fmt: skip
            for _ in range(10):  # warm up: the first cell with Ray starts the nodes' meter
                timed(shell, CELLS["submits a task"])
        codes = CELLS if cluster else {"submits nothing": CELLS["submits nothing"]}
        for name, code in codes.items():
            interleaved(shell, code, 10)
            results[name] = interleaved(shell, code, cells)
    finally:
        if cluster:
            shell.run_cell("ray.shutdown()", store_history=False)
        shell.run_line_magic("unload_ext", "jupyter_carbon")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--address", help="a running Ray cluster's address (default: start one in this process)")
    parser.add_argument("--node-ip", help="this host's address in that cluster, if not the one Ray finds (e.g. 127.0.0.2)")
    parser.add_argument("--no-cluster", action="store_true", help="only the cells without a cluster (no Ray imported)")
    args = parser.parse_args()
    os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp(prefix="carbon-bench-"))
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray on the loopback address only
    print(f"{os.cpu_count()} logical CPUs; {args.cells} plain and {args.cells} metered cells each, interleaved; milliseconds per cell")
    print(f"{'cluster':>7}  {'cell':<15} {'plain med':>9} {'(p10-p90)':>15} {'metered med':>11} {'(p10-p90)':>15} {'added med':>9}")
    for cluster in (False,) if args.no_cluster else (False, True):
        for name, (plain, metered) in bench(cluster, args.cells, args.address, args.node_ip).items():
            p, m = statistics.median(plain) * 1e3, statistics.median(metered) * 1e3
            spread = lambda v: f"({percentile(v, 0.1) * 1e3:.3f}-{percentile(v, 0.9) * 1e3:.3f})"  # noqa: E731
            print(f"{'ray' if cluster else 'none':>7}  {name:<15} {p:9.3f} {spread(plain):>15} {m:11.3f} {spread(metered):>15} {m - p:9.3f}")


if __name__ == "__main__":
    main()
