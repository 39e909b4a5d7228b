"""Server power per logical CPU by microarchitecture, CPU parts and cloud instance types.

The bundled tables ``cpu_architectures.csv``, ``cpu_parts.csv`` and ``cloud_instances.csv``
are derived by ``scripts/derive_cpu.py`` from Cloud Carbon Footprint's coefficients and
lists (Apache-2.0) and the SPECpower_ssj2008 results they rest on (see ``data/README.md``).

What a row means for a cell: SPECpower measures a whole server at the wall at each load
level; its full-load watts over its hardware threads (``w_max``) is what one busy logical
CPU costs when the package is shared out by capacity, the meaning ``energy/model.py`` gives
a CPU-second. It includes the server's memory, fans and power-supply loss, so it leans high
for the CPU alone; ``w_low``/``w_high`` are the 10th and 90th percentiles of the results,
``tdp_range`` those of its parts' TDP ÷ threads: the model's bounds hold both.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from .tables import read_table, rows_matching


class Architecture(NamedTuple):
    name: str
    vendor: str
    w_idle: float
    """Watts per logical CPU at active idle (mean of the results)."""
    w_max: float
    """Watts per logical CPU at full load (mean of the results): the model's figure."""
    w_low: float
    w_high: float
    """The spread of the results (10th and 90th percentiles, widened to hold ``w_max``)."""
    results: int
    years: str
    source: str
    note: str
    tdp_range: tuple[float, float] | None = None
    """TDP ÷ threads of its parts (10th and 90th percentiles): the data sheets' view."""


class Instance(NamedTuple):
    provider: str
    name: str
    vcpus: int
    cpu: str
    architecture: str | None


@functools.lru_cache(maxsize=1)
def architectures() -> dict[str, Architecture]:
    rows = {}
    for r in read_table("cpu_architectures.csv"):
        rows[r["architecture"]] = Architecture(
            r["architecture"], r["vendor"], float(r["w_idle"]), float(r["w_max"]), float(r["w_low"]),
            float(r["w_high"]), int(r["results"]), r["years"], r["source"], r["note"],
            (float(r["tdp_low"]), float(r["tdp_high"])) if r["tdp_low"] else None,
        )  # fmt: skip
    return rows


def architecture(name: str | None) -> Architecture | None:
    return architectures().get(name) if name else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*\+?", text.lower())


def _candidate_parts(have: set[str]) -> list[dict[str, str]]:
    """The rows of ``cpu_parts.csv`` that can match a model name of the words ``have``: those
    whose part holds one of its words with a digit as a whole word ("8259CL" of "Xeon Platinum
    8259CL"), and the few with no digit at all ("Grace"). A part all of whose words are in
    ``have`` is one of these, so this is a superset of the matches, found by one pass of a
    regular expression over the table's text rather than by parsing and splitting its 1,600
    rows, which made the lookup the costliest step of ``%load_ext``."""
    numbered = sorted((w for w in have if any(ch.isdigit() for ch in w)), key=len, reverse=True)
    either = [r'[^,"\n\d]*']  # a part with no digit
    if numbered:
        word = "(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in numbered) + ")(?![a-z0-9])"
        either += [f'"[^"\n]*{word}[^"\n]*"', f'[^,"\n]*{word}[^,"\n]*']  # quoted or not
    return rows_matching("cpu_parts.csv", f"(?:{'|'.join(either)}),.*", re.IGNORECASE)


def part_architecture(model_name: str) -> tuple[str, str] | None:
    """``(part, microarchitecture)`` for a model name holding a listed part's every word
    ("Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz" -> Cascade Lake), the longest part first;
    None for a name without a listed model number ("Intel(R) Xeon(R) CPU @ 2.20GHz")."""
    have = set(_words(model_name))
    versions = {w for w in have if re.fullmatch(r"v\d", w)}
    best = None
    for row in _candidate_parts(have):  # the same answer as a scan of every row (tests/test_cpu_identity.py)
        need = frozenset(_words(row["part"]))
        if need and need <= have and versions <= need and (best is None or len(need) > best[0]):
            best = (len(need), row["part"], row["architecture"])
    return (best[1], best[2]) if best else None


@functools.lru_cache(maxsize=1)
def _instances() -> dict[str, Instance]:
    found = {}
    for r in read_table("cloud_instances.csv"):
        found.setdefault(r["instance"].lower(), Instance(r["provider"], r["instance"], int(r["vcpus"]), r["cpu"], r["architecture"] or None))
    return found


def instance(name: str) -> Instance | None:
    """A cloud instance type by name (``m5.large``, ``n2-standard-4``, ``Standard_D4s_v3``)."""
    return _instances().get(name.strip().lower()) if name else None
