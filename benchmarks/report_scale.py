"""How summaries and exports scale: a 10,000-cell ledger, read back, summarised and exported.

Targets: each step in at most 0.5 s and 20 MB of extra memory (peak traced allocations
above what was live before the step). Time and memory are taken in separate runs, since
tracemalloc slows allocation-heavy code several-fold. Every step after the read starts
from a fresh Report, so each pays for its own pass over the records.

    python benchmarks/report_scale.py [--cells 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from jupyter_carbon.report import FORMATS, Report, Summary, export, summary_text
from jupyter_carbon.ledger import Ledger, read_ledger
from jupyter_carbon.records import CellRecord

TIME_TARGET_S = 0.5
MEMORY_TARGET_MB = 20.0

SOURCES = [
    "model.fit(x_train, y_train, epochs=10)",
    'df = pd.read_csv("data/train.csv", sep=",")',
    "for batch in loader:",
    "plt.plot(losses)  # <b>loss</b> & 100% of {runs}",
    "import torch",
    "",
]


def make_record(i: int, rng: random.Random) -> CellRecord:
    energy = rng.lognormvariate(5, 2)
    zone = "DE" if i < 7000 else "FR"  # the region changes mid-session
    g = {"DE": 381.0, "FR": 56.0}[zone]
    priced = i % 97 != 0
    return CellRecord(
        session_id="bench",
        index=i,
        execution_count=i,
        cell_id=f"{i:08x}-cell",
        source=SOURCES[i % len(SOURCES)],
        started_at="2026-11-22T04:00:00.000+00:00",
        ended_at="2026-11-22T04:00:02.000+00:00",
        duration_s=rng.uniform(0.01, 30.0),
        status="error" if i % 50 == 0 else "ok",
        error="ZeroDivisionError: division by zero" if i % 50 == 0 else None,
        energy_j=energy,
        by_component={"gpu": energy * 0.7, "cpu": energy * 0.2, "memory": energy * 0.1},
        method={"gpu": "measured", "cpu": "measured", "memory": "estimated"},
        device_energy_j=energy * 1.3,
        device_by_component={"gpu": energy * 0.9, "cpu": energy * 0.3, "memory": energy * 0.1},
        pue=1.2,
        facility_energy_j=energy * 1.2,
        emissions_g=energy * 1.2 / 3.6e6 * g if priced else None,
        intensity={
            "g_per_kwh": g, "zone": zone, "zone_name": {"DE": "Germany", "FR": "France"}[zone],
            "source": "Ember", "year": 2024, "signal": "average", "chosen_by": "config", "guess": False,
            "pue": 1.2, "live": False, "fallback_reason": None,
        } if priced else None,
    )  # fmt: skip


def write_ledger(path: Path, cells: int) -> None:
    rng = random.Random(42)
    ledger = Ledger(path, {"session_id": "bench", "started_at": "2026-11-22T04:00:00.000+00:00"})
    for i in range(1, cells + 1):
        ledger.append(make_record(i, rng))
    ledger.close()


def steps(ledger: Path, out: Path):
    """(name, setup, step): setup's result is passed to step and not measured."""
    contents = read_ledger(ledger)
    kw = {"hardware": ["NVIDIA A100-SXM4-40GB", "AMD EPYC 7763"], "alternative": {"zone": "SE", "zone_name": "Sweden", "g_per_kwh": 30.0}}

    def fresh():
        return Report.from_ledger(contents, **kw)

    yield "read_ledger", lambda: None, lambda _: read_ledger(ledger)
    yield "Report.from_ledger", lambda: None, lambda _: Report.from_ledger(contents, **kw)
    yield "summary_text", fresh, lambda r: summary_text(r)
    yield "Summary._repr_html_", fresh, lambda r: Summary(r)._repr_html_()
    for fmt in FORMATS:
        yield f"export {fmt}", fresh, lambda r, fmt=fmt: export(r, out / f"report.{ {'latex': 'tex'}.get(fmt, fmt)}", fmt)

    def everything(_):
        r = fresh()
        summary_text(r)
        Summary(r)._repr_html_()
        for fmt in FORMATS:
            export(r, out / f"all.{fmt}", fmt)

    yield "summary + html view + all 5 exports", lambda: None, everything


def timed(setup, step, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        arg = setup()
        gc.collect()
        t0 = time.perf_counter()
        step(arg)
        best = min(best, time.perf_counter() - t0)
    return best


def traced(setup, step) -> float:
    arg = setup()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step(arg)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ledger = tmp / "bench.jsonl"
        write_ledger(ledger, args.cells)
        print(f"{args.cells} cells, ledger {ledger.stat().st_size / 1e6:.1f} MB, Python {sys.version.split()[0]}")
        print(f"targets: ≤ {TIME_TARGET_S} s and ≤ {MEMORY_TARGET_MB:.0f} MB a step\n")
        print(f"{'step':<38}{'time (s)':>10}{'peak MB':>10}  {'output':>10}  verdict")
        failed = 0
        for name, setup, step in steps(ledger, tmp):
            seconds = timed(setup, step, args.repeat)
            mb = traced(setup, step)
            ok = seconds <= TIME_TARGET_S and mb <= MEMORY_TARGET_MB
            failed += not ok and name != "read_ledger"
            size = ""
            if name.startswith("export"):
                size = f"{next(tmp.glob('report.' + name.split()[1].replace('latex', 'tex'))).stat().st_size / 1e6:.2f} MB"
            print(f"{name:<38}{seconds:>10.3f}{mb:>10.1f}  {size:>10}  {'ok' if ok else 'over'}")
        print("\nread_ledger (session.py) is shown for context; the targets apply to summary and export.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
