"""The frontend protocol's messages (docs/protocol.md), built from a session's objects.

Two ends speak that protocol: the kernel's comm (``kernel/comm.py``) for a kernel that meters
itself, and the server's channel (``server/channel.py``) for a kernel the server meters from
outside. Both build their messages here, so a frontend reads one shape whichever end sent it.
"""

from __future__ import annotations

from .footprint import footprint

PROTOCOL = 1


def with_footprint(record) -> dict:
    """A record as ``hello`` and ``summary`` list it: its fields and its cell footprint."""
    return {**record.to_dict(), "footprint": footprint(record)}


def cell_start(cell) -> dict:
    return {
        "type": "cell_start",
        "protocol": PROTOCOL,
        "cell_id": cell.cell_id,
        "execution_count": cell.execution_count,
        "index": cell.index,
        "started_at": cell.started_at,
    }


def cell_end(record) -> dict:
    return {"type": "cell_end", "protocol": PROTOCOL, "record": record.to_dict(), "footprint": footprint(record)}


def totals(session_id: str, totals, intensity: dict | None) -> dict:
    return {"type": "totals", "protocol": PROTOCOL, "session_id": session_id, "totals": totals.to_dict(), "intensity": intensity}


def power(reading, *, cell_id, cell_energy_j, cluster=None, projection=None) -> dict:
    """A power reading; ``cell_id`` and ``cell_energy_j`` are None between cells."""
    return {
        "type": "power",
        "protocol": PROTOCOL,
        "time_s": reading.time_s,
        "by_component": dict(reading.by_component),
        "total_w": reading.total_w,
        "device_by_component": dict(reading.device_by_component),
        "cell_id": cell_id,
        "cell_energy_j": cell_energy_j,
        "cluster": cluster,
        "projection": projection,
    }
