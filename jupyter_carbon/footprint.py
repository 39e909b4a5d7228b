"""A cell's footprint: the compact figures saved in the notebook, in each code cell's metadata.

One shape, computed here and nowhere else: ``jupyter carbon run`` writes it into the cells
of the executed copy, and the kernel sends it to JupyterLab with each ``cell_end`` (and with
each record of a summary), which writes it into the cell as it is. So a notebook reads the
same whether it ran headless or by hand. Key ``"jupyter_carbon"`` (``METADATA_KEY``)::

    {
      "energy_j": 12.5,                    # IT energy charged to the kernel, joules
      "by_component": {"cpu": 10.1, "memory": 2.4},
      "method": {"cpu": "estimated", "memory": "estimated"},   # measured | integrated | estimated
      "duration_s": 1.23,
      "emissions_g": 0.00026,              # gCO2e, IT energy × PUE × intensity; null if unpriced
      "bounds": {"energy_j": [6.2, 25.0], "emissions_g": [0.00013, 0.00052]},  # low, high (bounds.py)
      "zone": "FR", "g_per_kwh": 44.0, "pue": 1.0,
      "status": "ok",                      # ok | error | interrupted
      "session_id": "20261122T043901Z-1234-ab12cd", "index": 3,  # the record in the ledger
      "cluster": {"energy_j": 4.2e4, "emissions_g": 3.1, "workers": 8,   # only for a cell that
                  "zones": ["FR", "PL"], "complete": true,             # had a cluster client;
                  "note": null, "carried": false}                      # note: why incomplete
    }

The notebook's own metadata gets the same key with a run's totals (:func:`notebook_totals`).
``docs/protocol.md`` documents both.
"""

from __future__ import annotations

from .records import CellRecord, Totals

METADATA_KEY = "jupyter_carbon"

#: Significant digits kept: finer than any meter, without float noise.
DIGITS = 6


def _round(x):
    return float(f"{x:.{DIGITS}g}") if isinstance(x, float) else x


def footprint(record: CellRecord) -> dict:
    """The cell metadata for one record (shape in this module's docstring)."""
    it = record.intensity or {}
    found = {
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
    return found


def notebook_totals(totals: Totals, *, session_id: str | None, ok: bool) -> dict:
    """The notebook metadata for a whole run."""
    return {
        "session_id": session_id,
        "cells": totals.cells,
        "energy_j": _round(totals.energy_j),
        "emissions_g": _round(totals.emissions_g),
        "duration_s": _round(totals.duration_s),
        "idle_energy_j": _round(totals.idle_energy_j),
        "status": "ok" if ok else "error",
    }
