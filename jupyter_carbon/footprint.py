"""A cell's footprint: the compact figures saved in the notebook, in each code cell's metadata.

One shape, computed here and nowhere else: ``jupyter carbon run`` writes it into the cells
of the executed copy, and the kernel sends it to JupyterLab with each ``cell_end`` (and with
each record of a summary), which writes it into the cell as it is. So a notebook reads the
same whether it ran headless or by hand. Key ``"jupyter_carbon"`` (``METADATA_KEY``)::

    {
      "total_energy_j": 4.2e4,             # the cell's total: the kernel's part + its cluster part
      "total_emissions_g": 3.1,            #   (records.cell_total); the figure a view leads with
      "energy_j": 12.5,                    # IT energy charged to the kernel, joules
      "by_component": {"cpu": 10.1, "memory": 2.4},
      "method": {"cpu": "estimated", "memory": "estimated"},   # measured | integrated | estimated
      "duration_s": 1.23,
      "emissions_g": 0.00026,              # gCO2e, IT energy × PUE × intensity; null if unpriced
      "bounds": {"energy_j": [6.2, 25.0], "emissions_g": [0.00013, 0.00052]},  # low, high (bounds.py)
      "zone": "FR", "g_per_kwh": 44.0, "pue": 1.0,
      "status": "ok",                      # ok | error | interrupted
      "session_id": "20261122T043901Z-1234-ab12cd", "index": 3,  # the record in the ledger
      "cell_id": "a1b2c3", "execution_count": 4,   # the run these figures describe: a view shows
      "source_sha256": "9f86d0…",                  # them as earlier once the cell is copied, run
                                                   # again unmetered or edited (null: unknown)
      "cluster": {"energy_j": 4.2e4, "emissions_g": 3.1, "workers": 8,   # only for a cell that
                  "zones": ["FR", "PL"], "complete": true,             # had a cluster client;
                  "note": null, "carried": false},                     # note: why incomplete
      "embodied_g": 0.0004,                # manufacturing emissions used up (not in the total)
      "lifetime_years": 5.0,
      "functional_unit": {"quantity": 1000, "unit": "samples", "declared_by": "cell"},
      "sci_g": 3.2e-6                      # SCI: (total + embodied) per unit; only with a unit
    }

``labextension/src/footprint.schema.json`` is this shape as a JSON Schema: JupyterLab checks a
saved notebook's footprints against it before showing any figure, and the tests check that
:func:`footprint` writes what it accepts.

The notebook's own metadata gets the same key with a run's totals (:func:`notebook_totals`).
``docs/protocol.md`` documents both.
"""

from __future__ import annotations

import hashlib

from .records import CellRecord, Totals, cell_sci, cell_total

METADATA_KEY = "jupyter_carbon"

#: Significant digits kept: finer than any meter, without float noise.
DIGITS = 6


def _round(x):
    return float(f"{x:.{DIGITS}g}") if isinstance(x, float) else x


def source_sha256(source: str) -> str:
    """The hash a footprint keeps of the source that ran: the browser hashes a cell's source
    the same way (SHA-256 of its UTF-8) to tell whether it was edited since."""
    return hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()


def footprint(record: CellRecord) -> dict:
    """The cell metadata for one record (shape in this module's docstring)."""
    it = record.intensity or {}
    total = cell_total(record)
    found = {
        "total_energy_j": _round(total.energy_j),
        "total_emissions_g": _round(total.emissions_g),
        "energy_j": _round(record.energy_j),
        "by_component": {c: _round(j) for c, j in record.by_component.items()},
        "method": dict(record.method),
        "duration_s": _round(record.duration_s),
        "emissions_g": _round(record.emissions_g),
        "zone": it.get("zone"),
        "g_per_kwh": it.get("g_per_kwh"),
        "pue": record.pue,
        "status": record.status,
        "session_id": record.session_id,
        "index": record.index,
        "cell_id": record.cell_id,
        "execution_count": record.execution_count,
        "source_sha256": record.source_sha256,
    }
    if record.bounds:
        b = record.bounds
        found["bounds"] = {k: [_round(float(x)) for x in b[k]] if b.get(k) else None for k in ("energy_j", "emissions_g")}
    if record.cluster:
        c = record.cluster
        found["cluster"] = {
            "energy_j": _round(c["energy_j"]), "emissions_g": _round(c.get("emissions_g")), "workers": c.get("nodes", 0),
            "zones": list(c.get("zones", [])), "complete": bool(c.get("complete", True)), "note": c.get("note"),
            "carried": bool(c.get("carried", False)),
        }  # fmt: skip
    if record.embodied:
        found["embodied_g"] = _round(record.embodied["emissions_g"])
        found["lifetime_years"] = record.embodied.get("lifetime_years")
    if record.functional_unit:
        found["functional_unit"] = dict(record.functional_unit)
        found["sci_g"] = _round(cell_sci(record))
    return found


def notebook_totals(totals: Totals, *, session_id: str | None, ok: bool) -> dict:
    """The notebook metadata for a whole run."""
    return {
        "session_id": session_id,
        "cells": totals.cells,
        "total_energy_j": _round(totals.total_energy_j),
        "total_emissions_g": _round(totals.total_emissions_g),
        "energy_j": _round(totals.energy_j),
        "emissions_g": _round(totals.emissions_g),
        "embodied_g": _round(totals.embodied_g),
        "footprint_g": _round(totals.footprint_g),
        "duration_s": _round(totals.duration_s),
        "idle_energy_j": _round(totals.idle_energy_j),
        "status": "ok" if ok else "error",
    }
