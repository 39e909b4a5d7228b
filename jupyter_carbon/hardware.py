"""Rated power (TDP) of CPUs, GPUs and TPUs, from the bundled ``data/hardware.csv``.

The table is derived by ``scripts/derive_data.py`` from open sources (see
``data/README.md``). Lookups are by the names machines report ("Intel(R) Xeon(R) Gold 6248
CPU @ 2.50GHz") or people type ("V100"), so names are compared as sets of tokens.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from .tables import read_table, rows_matching

#: Watts per physical core for a CPU missing from the table: Green Algorithms' value for
#: "Any" CPU (greenalgorithms-TDP_cpu.csv), the same default their calculator uses.
DEFAULT_CPU_W_PER_CORE = 12.0

_NOISE = re.compile(
    r"\((r|tm)\)|\b(cpu|processor|with radeon graphics|\d+-core|\d+ core)\b|@\s*[\d.]+\s*ghz",
    re.IGNORECASE,
)


class Hardware(NamedTuple):
    kind: str
    name: str
    tdp_w: float
    cores: int | None
    """Physical cores per package, where a source or data sheet gives them."""
    threads: int | None
    """Hardware threads (logical CPUs) per package: a data sheet's, or cores × the family's SMT rule."""
    source: str
    url: str


#: Brand words that one source writes and another leaves out ("Tesla V100-SXM2-16GB" as NVML
#: reports it, "NVIDIA Tesla V100 SXM2" in a table).
_BRANDS = frozenset({"nvidia", "tesla", "geforce", "intel", "amd"})


def tokens(name: str) -> tuple[str, ...]:
    """Lower-case words of a hardware name, without brands, trademarks and clock speeds."""
    cleaned = _NOISE.sub(" ", name.lower())
    return tuple(t for t in re.findall(r"[a-z0-9]+(?:\.[a-z0-9]+)*\+?", cleaned) if t not in _BRANDS)


#: Words that make a name a GPU's or TPU's: such a name is never looked up among CPUs.
ACCELERATOR_WORDS = frozenset(
    {"gpu", "tpu", "nvidia", "geforce", "gtx", "rtx", "quadro", "titan", "tesla", "jetson", "radeon", "rx", "instinct"}
)


def names_accelerator(name: str) -> bool:
    """Whether ``name`` says it is a GPU or TPU ("GTX 980", "Radeon RX 570", "TPU v3"). A
    CPU with integrated graphics ("Ryzen 5 5600G with Radeon Graphics") is a CPU."""
    words = re.findall(r"[a-z]+", re.sub(r"\bwith\b.*", "", name.lower()))
    return not ACCELERATOR_WORDS.isdisjoint(words)


def _row(row: dict[str, str]) -> Hardware:
    return Hardware(
        kind=row["kind"],
        name=row["name"],
        tdp_w=float(row["tdp_w"]),
        cores=int(row["cores"]) if row["cores"] else None,
        threads=int(row["threads"]) if row["threads"] else None,
        source=row["source"],
        url=row["url"],
    )


@functools.lru_cache(maxsize=1)
def table() -> tuple[Hardware, ...]:
    return tuple(_row(r) for r in read_table("hardware.csv"))


def _has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def _rows_naming(kind: str, models: list[str]) -> list[Hardware]:
    """The rows of ``kind`` whose name holds one of ``models`` (lower-case) as text: every
    row a lookup could find, from the table if parsed already, else from the raw file's
    lines, parsing only those (a kernel's one lookup at start need not parse 4,700 rows)."""
    if table.cache_info().currsize:
        return [hw for hw in table() if hw.kind == kind and any(m in hw.name.lower() for m in models)]
    pattern = f"{re.escape(kind)},.*(?:{'|'.join(map(re.escape, models))}).*"
    return [_row(r) for r in rows_matching("hardware.csv", pattern, re.IGNORECASE)]


def lookup(kind: str, name: str) -> Hardware | None:
    """The row whose every token appears in ``name``, preferring the most specific.

    "AMD EPYC 7763 64-Core Processor" finds "AMD EPYC 7763"; a name without a model number
    (a virtual machine's "AMD EPYC") finds nothing rather than a wrong guess: a row is found
    through one of its tokens that holds a digit (its model number), the first of equals in
    the table's order winning.
    """
    wanted = set(tokens(name))
    models = [t for t in wanted if _has_digit(t)]
    best: tuple[int, int, Hardware] | None = None
    for hw in _rows_naming(kind, models) if models else ():
        toks = frozenset(tokens(hw.name))
        if toks <= wanted and any(map(_has_digit, toks)):
            score = (len(toks), len(hw.name))
            if best is None or score > best[:2]:
                best = (*score, hw)
    return best[2] if best else None


def cpu_brand() -> str:
    """This machine's CPU model name, as /proc/cpuinfo (or the platform module) reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"
