"""A first look: meter a few kinds of real work on this machine and say how it was measured.

Run with ``python -m jupyter_carbon.demo``.
"""

from __future__ import annotations

import time

from .commands.devices import inventory, render
from .meter import measure


def _cpu_work(seconds: float) -> int:
    deadline = time.process_time() + seconds
    n = 0
    while time.process_time() < deadline:
        n += sum(i * i for i in range(1000))
    return n


def _memory_work(megabytes: int, seconds: float) -> int:
    block = bytearray(megabytes * 2**20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(seconds)
    return len(block)


WORKLOADS = [
    ("1 s of pure-Python arithmetic", lambda: _cpu_work(1.0)),
    ("hold 512 MB for 1 s", lambda: _memory_work(512, 1.0)),
    ("sleep 1 s", lambda: time.sleep(1.0)),
]


def format_line(label: str, m) -> str:
    parts = ", ".join(f"{c} {j:.2f} J ({m.method[c]})" for c, j in m.by_component.items())
    return f"{label:<32} {m.duration_s:6.2f} s  {m.energy_j:8.2f} J  [{parts}]"


def main() -> int:
    print(render(inventory()))
    print()
    for label, work in WORKLOADS:
        with measure() as m:
            work()
        print(format_line(label, m))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
