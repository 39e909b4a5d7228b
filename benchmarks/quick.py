"""Run every benchmark in its quick mode (small counts) and check that it still runs.

    python benchmarks/quick.py [--timeout 300] [NAME ...]

For CI: each script in this folder runs with ``--quick``; it must exit 0 and print its
figures (a line with a number in it), and no traceback (a cell that raised times the error). No figure is compared with anything: a quick run's
figures are not worth quoting, and timings on a shared machine are noise. A script whose
optional dependency is absent (Ray, Dask, the server's peers) is skipped, saying which; one
without the hardware it measures (a GPU) says "nothing to measure here" and passes.
Exits 1 if any script failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"common.py", "quick.py"}
#: Modules a script cannot run without; absent, it is skipped.
NEEDS = {
    "dask_overhead.py": ("distributed",),
    "ray_overhead.py": ("ray",),
    "server.py": ("jupyter_server", "jupyter_resource_usage"),
}
FIGURE = re.compile(r"\d+\.\d+|\d+ ")
#: How a script says it has no hardware to measure here (accuracy.py without a GPU).
NOTHING_HERE = "nothing to measure here:"
#: A cell or step that raised: its timings measure the error, not the work.
TRACEBACK = "Traceback (most recent call last)"


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    return [p for p in found if not names or p.stem in names or p.name in names]


def missing(script: Path) -> list[str]:
    return [m for m in NEEDS.get(script.name, ()) if importlib.util.find_spec(m) is None]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these scripts (default: all)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each script may take")
    args = parser.parse_args(argv)
    failed = []
    for script in scripts(args.names):
        absent = missing(script)
        if absent:
            print(f"== {script.name}: skipped ({', '.join(absent)} not installed)", flush=True)
            continue
        started = time.monotonic()
        try:
            run = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=args.timeout, cwd=HERE)
            out, code = run.stdout + run.stderr, run.returncode
        except subprocess.TimeoutExpired as err:
            out, code = f"{err.stdout or ''}{err.stderr or ''}\n(timed out after {args.timeout:g} s)", None
        took = time.monotonic() - started
        printed = run.stdout if code is not None else ""
        raised = code is not None and TRACEBACK in out
        ok = code == 0 and not raised and (bool(FIGURE.search(printed)) or printed.startswith(NOTHING_HERE))
        verdict = "ok" if ok else ("a traceback" if raised else "no figure printed" if code == 0 else f"failed (exit {code})")
        print(f"== {script.name}: {verdict} in {took:.0f} s", flush=True)
        print("\n".join("   " + line for line in out.rstrip().splitlines()[-25 if ok else -60 :]), flush=True)
        if not ok:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
