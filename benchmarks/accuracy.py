"""GPU accuracy: cells of known length, metered by the session and by NVML's counter directly.

    python benchmarks/accuracy.py [--cells 0.1,1,10] [--pause 30] [--size 8192] [--quick]

Needs an NVIDIA GPU and PyTorch with CUDA; elsewhere it says so and exits 0. For each cell
length, with and without the sync at cell edges, a cell runs a matmul loop (launching CUDA
kernels asynchronously, as notebook code does) and the GPU energy the session charged to
the cell is compared with NVML's total-energy counter read directly from the cell's start
until its work has really finished. Then the GPU is left idle, holding its memory, for
``--pause`` seconds between two cells: the idle span the session records is compared with
the counter over the pause, and the idle power printed. Finally, power readings integrated at the sampler's interval show
what a GPU without an energy counter would get.
"""

from __future__ import annotations

import argparse
import time

from common import add_quick, parse


def _cell(session, torch, a, seconds: float):
    """One cell: launch matmuls for ``seconds`` of wall time, return without waiting."""
    cell = session.begin(source=f"matmul loop, {seconds:g} s")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        a = (a @ a).clamp_(-1, 1)
    return cell, a


def run_cells(args, torch, pynvml, handle, meter) -> list[tuple]:
    from jupyter_carbon.gpusync import synchronise
    from jupyter_carbon.session import Session

    a = torch.randn(args.size, args.size, device="cuda")
    rows = []
    for sync in (True, False):
        session = Session(meter, persist=False, sync=synchronise if sync else None)
        for seconds in args.cells:
            torch.cuda.synchronize()
            time.sleep(0.5)  # the counter settles; nothing queued
            counter0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            cell, a = _cell(session, torch, a, seconds)
            record = session.end(cell)
            torch.cuda.synchronize()
            time.sleep(0.2)  # NVML's counter lags the work by up to ~100 ms
            direct = (pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) - counter0) / 1e3
            rows.append((seconds, sync, record.duration_s, record.by_component.get("gpu", 0.0), direct, record.below_resolution))
        session.close()
    return rows


def idle_pause(args, pynvml, handle, meter) -> tuple[float, float, float]:
    """The idle span the session records over a pause between two cells, and the counter."""
    from jupyter_carbon.session import Session

    session = Session(meter, persist=False)
    time.sleep(1.0)
    session.end(session.begin(source="before the pause"))
    counter0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    time.sleep(args.pause)
    counter1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    session.end(session.begin(source="after the pause"))
    session.close()
    spans = [s for s in session.idle_spans if s.before_cell == 2]
    if not spans:
        return args.pause, 0.0, (counter1 - counter0) / 1e3
    return spans[0].duration_s, spans[0].by_component.get("gpu", 0.0), (counter1 - counter0) / 1e3


def integrated_vs_counter(torch, pynvml, handle, interval: float, seconds: float = 5.0, size: int = 8192) -> tuple[float, float]:
    a = torch.randn(size, size, device="cuda")
    torch.cuda.synchronize()
    powers = []
    counter0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    deadline = time.monotonic() + seconds
    next_power = time.monotonic()
    while time.monotonic() < deadline:
        a = (a @ a).clamp_(-1, 1)
        if time.monotonic() >= next_power:
            torch.cuda.synchronize()
            powers.append((time.monotonic(), pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3))
            next_power += interval
    torch.cuda.synchronize()
    powers.append((time.monotonic(), pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3))
    direct = (pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) - counter0) / 1e3
    integrated = sum(w * (t2 - t1) for (t1, w), (t2, _) in zip(powers, powers[1:]))
    return integrated, direct


def _pct(x: float, truth: float) -> str:
    return f"{100 * (x - truth) / truth:+7.2f} %" if truth > 0 else "      n/a"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="0.1,1,10", help="cell lengths in seconds, comma-separated")
    parser.add_argument("--pause", type=float, default=30.0, help="seconds of idle GPU between cells")
    parser.add_argument("--size", type=int, default=8192)
    add_quick(parser, cells="0.1", pause=1.0, size=1024)
    args = parse(parser, argv)
    args.cells = [float(s) for s in args.cells.split(",")]

    try:
        import pynvml
        import torch
    except ImportError as err:
        print(f"nothing to measure here: {err.name} is not installed (needs an NVIDIA GPU, nvidia-ml-py and PyTorch with CUDA)")
        return 0
    if not torch.cuda.is_available():
        print("nothing to measure here: no CUDA GPU (needs an NVIDIA GPU and PyTorch with CUDA)")
        return 0

    from jupyter_carbon.meter import Meter

    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
    torch.zeros(1, device="cuda")  # the context exists before the meter's first look
    meter = Meter()
    meter.tick()
    try:
        print(f"GPU: {pynvml.nvmlDeviceGetName(handle)}")
        for info in meter.describe():
            if info.component == "gpu":
                print(f"  how it is metered: {info.detail}")
        print("\ncell    sync  duration    charged J    counter J      error   note")
        for seconds, sync, duration, charged, direct, coarse in run_cells(args, torch, pynvml, handle, meter):
            note = "below the counter's resolution" if coarse else ""
            print(f"{seconds:5.1f} s  {'on ' if sync else 'off'}  {duration:7.3f} s  {charged:10.1f}  {direct:10.1f}  {_pct(charged, direct)}  {note}")
        duration, charged, direct = idle_pause(args, pynvml, handle, meter)
        print(f"\nidle span over a {duration:.1f} s pause, GPU memory held: {charged:.1f} J, counter {direct:.1f} J "
              f"({_pct(charged, direct).strip()}); idle power {direct / duration:.1f} W")
        integrated, direct = integrated_vs_counter(torch, pynvml, handle, meter.interval, size=args.size)
        print(f"power integrated every {meter.interval:g} s over 5 s of matmuls: {integrated:.1f} J vs counter {direct:.1f} J ({_pct(integrated, direct).strip()})")
    finally:
        meter.close()
        pynvml.nvmlShutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
