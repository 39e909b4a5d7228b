"""How summaries and exports scale: a 10,000-cell session summarised and exported in memory,
and ``jupyter carbon report`` of a million-cell ledger on disk, streamed.

Part 1 (``--cells``): each step on a fresh Report of the ledger read back, its wall time
(median and p10-p90 of ``--repeat`` runs), its CPU time, and its peak traced memory (in a
run of its own: tracemalloc slows allocation several-fold). Goals: the summary, the HTML
view and every export together in at most 0.2 s; each step at most 20 MB.

Part 2 (``--stream-cells``): ``jupyter carbon report LEDGER --format json|csv -o FILE`` in a
process of its own (streamed, ``report/stream.py``), interleaved with its peer, the same
report rendered from the whole ledger in memory (``read_ledger``, ``Report``, ``render``:
how it was done before), each with its wall time, CPU time and peak RSS, and whether the
two wrote the same bytes. Goal: 1,000,000 cells in at most 15 s and 200 MB. The peer needs
about 4 KB of memory per cell: above 200,000 cells it runs only with ``--whole``.
On Linux a child's peak RSS counts what its parent held when it was started: take part 2's
memory figures from a run of its own (``--cells 0``).

    python benchmarks/report_scale.py [--cells 10000] [--repeat 5] [--stream-cells 1000000] [--whole] [--quick]

No exit status says whether a goal was met: the figures are printed beside their goals.
"""

from __future__ import annotations

import argparse
import filecmp
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import add_quick, median_spread, parse

from jupyter_carbon.report import FORMATS, Report, Summary, export, summary_text
from jupyter_carbon.ledger import Ledger, read_ledger
from jupyter_carbon.records import CellRecord

ALL_TARGET_S = 0.2
MEMORY_TARGET_MB = 20.0
STREAM_TARGET_S, STREAM_TARGET_MB = 15.0, 200.0
WHOLE_LIMIT = 200_000

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
    low, high = energy * 0.8, energy * 1.3
    embodied_g = energy * 2e-5
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
        # as the kernel writes them: bounds per component and in all, the hardware's embodied part
        bounds={
            "by_component": {"gpu": [low * 0.7, high * 0.7], "cpu": [low * 0.2, high * 0.2], "memory": [low * 0.1, high * 0.1]},
            "energy_j": [low, high], "emissions_g": [low * 1.2 / 3.6e6 * g, high * 1.2 / 3.6e6 * g] if priced else None,
        },
        embodied={
            "emissions_g": embodied_g, "low_g": embodied_g * 0.5, "high_g": embodied_g * 2.5,
            "by_component": {"gpu": embodied_g * 0.8, "cpu": embodied_g * 0.15, "memory": embodied_g * 0.05}, "lifetime_years": 5.0,
            "parts": {"gpu0": "NVIDIA A100-SXM4-40GB", "package-0": "AMD EPYC 7763"}, "source": "Boavizta 2024", "year": 2024,
        },
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
        yield f"export {fmt}", fresh, lambda r, fmt=fmt: export(r, out / f"report.{fmt}", fmt)

    def everything(_):
        r = fresh()
        summary_text(r)
        Summary(r)._repr_html_()
        for fmt in FORMATS:
            export(r, out / f"all.{fmt}", fmt)

    yield f"summary + html view + all {len(FORMATS)} exports", lambda: None, everything


def timed(setup, step, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        arg = setup()
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        step(arg)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def traced(setup, step) -> float:
    arg = setup()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step(arg)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


def in_memory(cells: int, repeat: int, tmp: Path) -> None:
    ledger = tmp / "bench.jsonl"
    write_ledger(ledger, cells)
    print(f"Part 1: {cells} cells in memory, ledger {ledger.stat().st_size / 1e6:.1f} MB, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"goals: summary + html view + all exports <= {ALL_TARGET_S} s; each step <= {MEMORY_TARGET_MB:.0f} MB\n")
    print(f"{'step':<38}{'wall s, median (p10-p90)':>28}{'CPU s':>8}{'peak MB':>9}  {'output':>9}")
    for name, setup, step in steps(ledger, tmp):
        wall, cpu = timed(setup, step, repeat)
        mb = traced(setup, step)
        size = ""
        if name.startswith("export"):
            size = f"{(tmp / ('report.' + name.split()[1])).stat().st_size / 1e6:.2f} MB"
        print(f"{name:<38}{median_spread(wall, 1):>28}{statistics.median(cpu):>8.3f}{mb:>9.1f}  {size:>9}")
    print("\nread_ledger and Report.from_ledger are shown for context; the goal is the last row's.")


#: A child that runs one report and prints its own peak RSS (KB) last, on stderr.
CHILD = """import resource, sys
from jupyter_carbon.cli.main import main
if sys.argv[1] == "whole":
    from jupyter_carbon.cli.commands.report import alternative_for
    from jupyter_carbon.ledger import read_ledger
    from jupyter_carbon.report import Report, export
    from jupyter_carbon.report.stream import Zones
    contents = read_ledger(sys.argv[2])
    export(Report.from_ledger(contents, alternative=alternative_for(Zones.of(contents.records))), sys.argv[4], sys.argv[3])
    code = 0
else:
    code = main(["report", sys.argv[2], "--format", sys.argv[3], "-o", sys.argv[4]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def write_big_ledger(path: Path, cells: int) -> None:
    """A ledger of ``cells`` cells, fast: 1,000 distinct records, numbered on."""
    rng = random.Random(42)
    lines = [make_record(i, rng).to_dict() for i in range(1, 1001)]
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"type": "session", "schema_version": 1, "session_id": "bench", "started_at": "2026-11-22T04:00:00.000+00:00"}) + "\n")
        for i in range(1, cells + 1):
            record = lines[i % 1000]
            record["index"] = record["execution_count"] = i
            f.write(json.dumps(record, separators=(",", ":")) + "\n")


def run_child(how: str, ledger: Path, fmt: str, out: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one report in a process of its own."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, how, str(ledger), fmt, str(out)], stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{how} {fmt} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, int(err.strip().splitlines()[-1]) / 1024


def parse_floor(ledger: Path) -> float:
    """CPU seconds to parse every line of ``ledger`` with orjson (the fastest JSON reader
    we use), keeping nothing: what any report that reads each cell as Python objects pays
    before it sums or writes anything."""
    import orjson

    loads = orjson.loads
    c0 = time.process_time()
    with ledger.open("rb") as f:
        for line in f:
            loads(line)
    return time.process_time() - c0


def streamed(cells: int, repeat: int, whole: bool, tmp: Path) -> None:
    ledger = tmp / "big.jsonl"
    write_big_ledger(ledger, cells)
    hows = ("streamed", "whole") if whole else ("streamed",)
    print(f"\nPart 2: jupyter carbon report of {cells:,} cells ({ledger.stat().st_size / 1e6:.0f} MB ledger), "
          f"{' and '.join(hows)} interleaved, {repeat} round(s)")
    print(f"goal: <= {STREAM_TARGET_S:g} s and <= {STREAM_TARGET_MB:g} MB at 1,000,000 cells\n")
    print(f"{'format':<7}{'how':<10}{'wall s, median (p10-p90)':>28}{'CPU s':>8}{'peak RSS MB':>13}  same bytes")
    for fmt in ("json", "csv"):
        runs = {how: [] for how in hows}
        for _ in range(repeat):
            for how in hows:
                runs[how].append(run_child(how, ledger, fmt, tmp / f"out.{how}.{fmt}"))
        # compared a block at a time: a child's peak RSS counts its parent's, which forks it
        same = filecmp.cmp(tmp / f"out.streamed.{fmt}", tmp / f"out.whole.{fmt}", shallow=False) if whole else "-"
        for how, figures in runs.items():
            wall, cpu, mb = zip(*figures)
            print(f"{fmt:<7}{how:<10}{median_spread(list(wall), 1):>28}{statistics.median(cpu):>8.1f}{max(mb):>13.0f}  {same}")
    if not whole:
        print(f"(the whole-ledger peer runs only up to {WHOLE_LIMIT:,} cells, or with --whole)")
    floor = parse_floor(ledger)
    print(f"\nfloor: parsing every line with orjson and nothing else, in this process: {floor:.1f} s CPU "
          f"({floor / cells * 1e6:.1f} us a cell; at 1,000,000 cells about {floor / cells * 1e6:.0f} s), "
          f"the least a reader that makes Python objects of each line pays on this machine")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each step (median and spread)")
    parser.add_argument("--stream-cells", type=int, default=1_000_000, help="cells of the ledger streamed (0: skip part 2)")
    parser.add_argument("--stream-repeat", type=int, default=1, help="rounds of part 2")
    parser.add_argument("--whole", action="store_true", help=f"run the whole-ledger peer above {WHOLE_LIMIT:,} cells too (about 4 KB a cell)")
    add_quick(parser, cells=500, repeat=2, stream_cells=2000)
    args = parse(parser, argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.cells:
            in_memory(args.cells, args.repeat, tmp)
        if args.stream_cells:
            streamed(args.stream_cells, args.stream_repeat, args.whole or args.stream_cells <= WHOLE_LIMIT, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
