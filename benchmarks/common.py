"""What the benchmarks share: medians with their spread, interleaved plain and metered cells,
and the quick mode CI runs (``--quick``: small counts, to check a script still runs and
prints its figures; no figure of a quick run is worth quoting)."""

from __future__ import annotations

import contextlib
import io
import statistics
import time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: list[float], scale: float = 1e3) -> str:
    """``(p10-p90)`` of ``values``, scaled (milliseconds from seconds by default)."""
    return f"({percentile(values, 0.1) * scale:.3f}-{percentile(values, 0.9) * scale:.3f})"


def median_spread(values: list[float], scale: float = 1e3) -> str:
    """``1.234 (1.100-1.900)``: the median and its p10-p90 spread."""
    return f"{statistics.median(values) * scale:.3f} {spread(values, scale)}"


def timed(shell, code: str) -> float:
    t0 = time.perf_counter()
    shell.run_cell(code, store_history=False)
    return time.perf_counter() - t0


def interleaved(shell, code: str, n: int) -> tuple[list[float], list[float]]:
    """``n`` plain and ``n`` metered runs of ``code`` in a shell with the extension loaded,
    alternating (``%carbon off`` / ``%carbon on`` between them, outside the timing), so that
    the machine's drift over the run falls on both alike."""
    plain, metered = [], []
    for i in range(2 * n):
        on = i % 2 == 1
        with contextlib.redirect_stdout(io.StringIO()):  # the magic's status line
            shell.run_line_magic("carbon", "on" if on else "off")
        (metered if on else plain).append(timed(shell, code))
    return plain, metered


def add_quick(parser, **small) -> None:
    """``--quick``: the defaults of ``small`` (dest -> value) instead, for CI."""
    parser.add_argument("--quick", action="store_true", help="small counts, to check that the script runs (CI): " + ", ".join(f"{k}={v}" for k, v in small.items()))
    parser.set_defaults(_quick=small)


def parse(parser, argv=None):
    """Parse ``argv``; under ``--quick`` the quick values replace the options left at their defaults."""
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in args._quick.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    return args
