"""What metering adds to each cell, through a real kernel; and summary/export at scale.

    python benchmarks/cells.py [--cells 500] [--ledger-cells 10000] [--quick]

Runs N trivial cells (``pass``) through a real IPython kernel, first unmetered, then with
``%load_ext jupyter_carbon``, timing each execute request from the client's side; prints the
median and p90 round trip of both and the added latency per cell. The same hooks are also
timed inside the kernel (pre_run_cell + post_run_cell, with the ledger write) to separate
their cost from the noise of the message round trip. Then times summary and export of a
synthetic 10,000-cell ledger (see benchmarks/report_scale.py).

Targets: <= 1 ms added per cell (median); summary and export of 10,000 cells <= 0.5 s, <= 20 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import add_quick, parse

HOOK_TIMING = """
import time, statistics, json
from jupyter_carbon.kernel.extension import extension_of
_ext = extension_of(get_ipython())
class _Info: raw_cell = "pass"; cell_id = None
class _Result: error_in_exec = None; error_before_exec = None; execution_count = None
_t = []
# This code runs inside a metered cell: step out of it so the hooks see top-level cells.
_saved = (_ext._depth, _ext._cell, _ext._cell_options)
_ext._depth = 0
for _ in range({n}):
    _a = time.perf_counter(); _ext.pre_run_cell(_Info()); _ext.post_run_cell(_Result()); _t.append(time.perf_counter() - _a)
_ext._depth, _ext._cell, _ext._cell_options = _saved
print(json.dumps([statistics.median(_t), sorted(_t)[int(0.9 * len(_t))]]))
"""


ROUNDS = 10


def round_trips(kc, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        reply = kc.execute_interactive("pass", timeout=60, output_hook=lambda m: None)
        times.append(time.perf_counter() - t0)
        assert reply["content"]["status"] == "ok"
    return times


def kernel_latency(n: int) -> dict:
    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, JUPYTER_DATA_DIR=data, JUPYTER_CARBON_REGION="FR")
        km, kc = start_new_kernel(kernel_name="python3", env=env)
        try:
            quiet = dict(timeout=60, output_hook=lambda m: None)
            round_trips(kc, 50)  # warm up
            off, on = [], []
            # Alternate blocks so that load on this shared machine weighs on both alike.
            for _ in range(ROUNDS):
                off += round_trips(kc, n // ROUNDS)
                kc.execute_interactive("%load_ext jupyter_carbon", **quiet)
                on += round_trips(kc, n // ROUNDS)
                kc.execute_interactive("%unload_ext jupyter_carbon", **quiet)
            kc.execute_interactive("%load_ext jupyter_carbon", **quiet)
            out = []
            kc.execute_interactive(HOOK_TIMING.format(n=n), timeout=120, output_hook=lambda m: out.append(m["content"].get("text", "")))
            hooks = json.loads("".join(out))
            ledgers = list(Path(data, "carbon", "ledgers").glob("*.jsonl"))
            records = sum(sum(1 for _ in open(p)) - 1 for p in ledgers)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return {"off": off, "on": on, "hooks": hooks, "records": records}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:7.3f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--ledger-cells", type=int, default=10_000)
    add_quick(parser, cells=30, ledger_cells=500)
    args = parse(parser, argv)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} logical CPUs; {args.cells} cells each way")
    r = kernel_latency(args.cells)
    off, on = r["off"], r["on"]
    p90 = lambda v: sorted(v)[int(0.9 * len(v))]  # noqa: E731
    print("\nRound trip of a `pass` cell through a real kernel (client side):")
    print(f"  metering off : median {ms(statistics.median(off))}   p90 {ms(p90(off))}")
    print(f"  metering on  : median {ms(statistics.median(on))}   p90 {ms(p90(on))}")
    print(f"  added        : median {ms(statistics.median(on) - statistics.median(off))}   [target <= 1 ms]")
    print(f"  hooks inside the kernel (pre + post + ledger line): median {ms(r['hooks'][0])}   p90 {ms(r['hooks'][1])}")
    # Metered cells, the hook timings and the timing cell (an %unload_ext cell ends unrecorded).
    expected = len(on) + args.cells + 1
    print(f"  records on disk: {r['records']} (expected {expected})")

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import report_scale
    except ImportError:
        print("\n(benchmarks/report_scale.py not found: summary/export at scale not measured)")
        return 0
    print()
    report_scale.main(["--cells", str(args.ledger_cells), "--stream-cells", "0"])  # report_scale.py runs part 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
