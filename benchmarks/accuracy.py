"""GPU accuracy: a matmul loop of known length, metered by the meter and by NVML directly.

    python benchmarks/accuracy.py [--seconds 20] [--size 8192]

Needs an NVIDIA GPU and PyTorch with CUDA. Prints, per GPU, the joules the meter charged,
the joules NVML's total-energy counter advanced over the same window, and the difference;
and the same window's energy from power readings integrated at the sampler's interval, to
show what power-only (pre-Volta) GPUs would get.
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--size", type=int, default=8192)
    args = parser.parse_args(argv)

    import pynvml
    import torch

    from jupyter_carbon.meter import Meter, measure

    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing to measure")
        return 1
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
    name = pynvml.nvmlDeviceGetName(handle)
    a = torch.randn(args.size, args.size, device="cuda")
    torch.cuda.synchronize()
    meter = Meter()
    meter.tick()
    powers = []
    try:
        counter0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        with measure(meter) as m:
            deadline = time.monotonic() + args.seconds
            iterations = 0
            next_power = time.monotonic()
            while time.monotonic() < deadline:
                a = (a @ a).clamp_(-1, 1)
                iterations += 1
                if time.monotonic() >= next_power:
                    torch.cuda.synchronize()
                    powers.append((time.monotonic(), pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3))
                    next_power += meter.interval
            torch.cuda.synchronize()
        counter1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    finally:
        meter.close()
    direct = (counter1 - counter0) / 1e3
    charged = m.by_component.get("gpu", 0.0)
    integrated = sum(w * (t2 - t1) for (t1, w), (t2, _) in zip(powers, powers[1:]))
    print(f"GPU: {name}; {iterations} matmuls of {args.size}^2 in {m.duration_s:.2f} s")
    print(f"  NVML counter, read directly : {direct:10.1f} J")
    print(f"  meter, charged to kernel    : {charged:10.1f} J  ({m.method.get('gpu')})  diff {100 * (charged - direct) / direct:+.2f} %")
    print(f"  power readings integrated   : {integrated:10.1f} J  diff {100 * (integrated - direct) / direct:+.2f} %")
    print(f"  average power               : {direct / m.duration_s:10.1f} W")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
