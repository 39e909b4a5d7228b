"""CPU work for the process tests, importable by spawn and forkserver workers."""

from __future__ import annotations

import subprocess
import sys
import time

BURN = "import time\nt = time.process_time() + {s}\nwhile time.process_time() < t: pass\n"


def burn(seconds: float) -> float:
    """Keep one CPU busy until this process has used ``seconds`` more CPU time."""
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass
    return seconds


def short_subprocesses(count: int, seconds: float) -> None:
    """Run ``count`` Python subprocesses one after another, each busy for ``seconds``."""
    for _ in range(count):
        subprocess.run([sys.executable, "-I", "-S", "-c", BURN.format(s=seconds)], check=True)
