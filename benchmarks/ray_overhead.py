"""What the cluster part adds to a cell with Ray: latency per cell, with and without a cluster.

Runs cells in an IPython shell with the extension loaded, plain and metered cells
interleaved (``%carbon off`` / ``%carbon on`` between them, outside the timing, so that the
machine's drift over the run falls on both alike), for a cell that submits one small task
(``ray.get(inc.remote(1))``) and one that submits none, and prints the median with its
spread (p10 to p90) of each, and the median added. Without a cluster the cells are plain
ones and ``ray`` is not imported: what a notebook without Ray pays.

    python benchmarks/ray_overhead.py [--cells 200] [--address HOST:PORT] [--quick]

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

from common import add_quick, interleaved, parse, spread, timed


CELLS = {"submits a task": "_r = ray.get(inc.remote(1))", "submits nothing": "y = 1 + 1"}


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
            ran = shell.run_cell("import ray\nray.init(**_connect, logging_level='ERROR', log_to_driver=False)\n"
                           "@ray.remote\ndef inc(x):\n    return x + 1", store_history=False)  # fmt: skip
            if not ran.success:
                raise SystemExit(f"Ray did not start: {ran.error_in_exec!r}")
            for _ in range(min(10, cells)):  # warm up: the first cell with Ray starts the nodes' meter
                timed(shell, CELLS["submits a task"])
        codes = CELLS if cluster else {"submits nothing": CELLS["submits nothing"]}
        for name, code in codes.items():
            interleaved(shell, code, min(10, cells))
            results[name] = interleaved(shell, code, cells)
    finally:
        if cluster:
            shell.run_cell("ray.shutdown()", store_history=False)
        shell.run_line_magic("unload_ext", "jupyter_carbon")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--address", help="a running Ray cluster's address (default: start one in this process)")
    parser.add_argument("--node-ip", help="this host's address in that cluster, if not the one Ray finds (e.g. 127.0.0.2)")
    parser.add_argument("--no-cluster", action="store_true", help="only the cells without a cluster (no Ray imported)")
    add_quick(parser, cells=5)
    args = parse(parser, argv)
    os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp(prefix="carbon-bench-"))
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray on the loopback address only
    print(f"{os.cpu_count()} logical CPUs; {args.cells} plain and {args.cells} metered cells each, interleaved; milliseconds per cell")
    print(f"{'cluster':>7}  {'cell':<15} {'plain med':>9} {'(p10-p90)':>15} {'metered med':>11} {'(p10-p90)':>15} {'added med':>9}")
    for cluster in (False,) if args.no_cluster else (False, True):
        for name, (plain, metered) in bench(cluster, args.cells, args.address, args.node_ip).items():
            p, m = statistics.median(plain) * 1e3, statistics.median(metered) * 1e3
            print(f"{'ray' if cluster else 'none':>7}  {name:<15} {p:9.3f} {spread(plain):>15} {m:11.3f} {spread(metered):>15} {m - p:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
