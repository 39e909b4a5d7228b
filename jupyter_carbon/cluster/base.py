"""What a cluster backend answers, and how nodes' reports become a cell's cluster part.

A backend (one module per cluster library: :mod:`.dask`, :mod:`.ray`) answers
:class:`Backend`: find the kernel's client without importing the library, install the
per-node meter (:class:`~.node.NodeMeter`) through the library's own plugin mechanism, and
read every node's energy between two wall-clock instants. :data:`BACKENDS` names each with
the module whose presence in ``sys.modules`` means the user imported the library: until
then looking for a client costs one dictionary lookup.

Each node is priced by its own zone and PUE through the one formula
(:func:`~jupyter_carbon.carbon.intensity.grams_for`); the cluster part's emissions are the
sum over nodes.
"""

from __future__ import annotations

import importlib
import sys
from typing import Protocol

from ..carbon.intensity import facility_energy_j, grams_for
from ..records import CHARGED

#: backend name -> (module the user imports, our backend module)
BACKENDS = {
    "dask": ("distributed.client", "jupyter_carbon.cluster.dask"),
    "ray": ("ray", "jupyter_carbon.cluster.ray"),
}



class Backend(Protocol):
    name: str

    def find_client(self) -> object | None:
        """The kernel's client, or None; no import, no network."""

    def install(self, client) -> bool:
        """Start the per-node meter on every node, now and on nodes that join later; True the
        first time for this client."""

    def reports(self, client, start_s: float, end_s: float, timeout_s: float, workers=None) -> dict[str, dict | str]:
        """Per node (``workers`` only, when given): :meth:`NodeMeter.report` for the window,
        or a text saying why not."""

    def activity(self) -> dict[str, tuple[bool, float]]:
        """Per node: whether it runs tasks now, and when (kernel clock) the reading pushed as
        it last began or ended its work arrived (no network)."""

    def power_w(self) -> dict[str, float]:
        """Per node: its power at its last pushed reading, in watts (no network)."""

    def pushed(self) -> dict[str, dict]:
        """Per node: the last readings it pushed (``time_s``, ``cumulative``, ``power_w``,
        ``host``, ``pid``, ``intensity``, ``method``) and ``history``, its cumulative readings
        stamped with the kernel's clock as they arrived."""

    def pending(self, client) -> bool:
        """Whether work the client submitted is still running (no network)."""

    def describe(self, client, timeout_s: float) -> dict[str, dict | str]:
        """Per node: :meth:`NodeMeter.describe`, or a text saying why not."""

    def workers(self, client) -> set[str] | None:
        """The nodes the cluster has now (one round trip to its scheduler), or None where it
        cannot say."""

    def forget(self, nodes) -> None:
        """The cluster says these nodes are gone: never take them for busy again."""


def loaded_backends() -> list[Backend]:
    """The backends whose cluster library the user has imported; imports nothing else."""
    found = []
    for name, (marker, module) in BACKENDS.items():
        if marker in sys.modules:
            found.append(importlib.import_module(module).backend())
    return found


def priced_node(node: str, report: dict, status: str) -> dict:
    """One node's share of a cell: its joules per component, priced by its own zone and PUE."""
    intensity = report.get("intensity") or {}
    by_component = {c: float(j) for c, j in (report.get("by_component") or {}).items()}
    energy = sum(by_component.values())
    pue = float(intensity.get("pue") or 1.0)
    facility = facility_energy_j(energy, pue)
    g_per_kwh = intensity.get("g_per_kwh")
    return {
        "node": node, "host": report.get("host"), "pid": report.get("pid"), "status": status,
        "energy_j": energy, "by_component": by_component, "method": dict(report.get("method") or {}),
        "zone": intensity.get("zone"), "g_per_kwh": g_per_kwh, "pue": pue, "facility_energy_j": facility,
        "emissions_g": grams_for(facility, g_per_kwh) if g_per_kwh is not None else None,
        "covered_s": float(report.get("covered_s", 0.0)), "error": report.get("error"),
    }  # fmt: skip


def missing_node(node: str, why: str) -> dict:
    return priced_node(node, {"error": why}, "missing")


def cluster_part(backend: str, nodes: list[dict], *, notes: list[str] = (), carried: bool = False) -> dict:
    """A cell's cluster part: the sum over the nodes charged, each node's detail beside it.

    Nodes ``in-kernel`` are listed but not summed (the kernel's part has them); ``notes`` say
    why the part is incomplete, if it is."""
    charged = [n for n in nodes if n["status"] in CHARGED]
    by_component: dict[str, float] = {}
    for n in charged:
        for c, j in n["by_component"].items():
            by_component[c] = by_component.get(c, 0.0) + j
    priced = [n["emissions_g"] for n in charged if n["emissions_g"] is not None]
    problems = list(notes) + [f"{n['node']}: {n['error']}" for n in nodes if n["status"] == "missing"]
    return {
        "backend": backend,
        "energy_j": sum(n["energy_j"] for n in charged),
        "facility_energy_j": sum(n["facility_energy_j"] for n in charged),
        "emissions_g": sum(priced) if priced else None,
        "by_component": by_component,
        "nodes": len(charged),
        "hosts": len({n["host"] for n in charged}),
        "zones": sorted({n["zone"] for n in charged if n["zone"]}),
        "complete": not problems,
        "note": "; ".join(problems) or None,
        "carried": carried,
        "workers": nodes,
    }
