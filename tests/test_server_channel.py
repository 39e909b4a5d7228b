"""The server's carbon channel (``/api/carbon/kernels/<id>/channel``): the comm protocol's
messages for a kernel the server meters from outside, over a real ``jupyter server`` on
127.0.0.1 with a real bash_kernel, as the lab extension reads them for an R or bash notebook.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from server_harness import BASH_KERNEL_REASON, has_bash_kernel, jupyter_server

pytestmark = pytest.mark.slow


def _channel(server, kernel_id, token=True):
    import websocket

    url = f"{server.base.replace('http', 'ws')}/api/carbon/kernels/{kernel_id}/channel"
    return websocket.create_connection(url + (f"?token={server.token}" if token else ""), timeout=30)


def _until(ws, kind, **fields):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("type") == kind and all(msg.get(k) == v for k, v in fields.items()):
            return msg
    pytest.fail(f"no {kind} message {fields} on the channel")


def _until_closed(ws) -> None:
    """Read until the server closes the channel; one left open times out here."""
    import websocket

    ws.settimeout(30)
    try:
        while ws.recv():
            pass
    except websocket.WebSocketConnectionClosedException:
        pass


def test_the_channel_speaks_the_comm_protocol_for_a_kernel_the_server_meters(tmp_path):
    if not has_bash_kernel():
        pytest.skip(BASH_KERNEL_REASON)
    import websocket

    with jupyter_server(tmp_path) as server:
        kernel_id = server.start("bash", "shell.ipynb")
        ws = _channel(server, kernel_id)
        hello = _until(ws, "hello")
        assert hello["protocol"] == 1 and hello["metered_by"] == "server" and hello["enabled"] is True
        assert hello["kernel_name"] == "bash" and hello["notebook"] == "shell.ipynb"
        msg_id = uuid.uuid4().hex
        server.run(kernel_id, "for i in $(seq 1 3000); do :; done; echo done", msg_id=msg_id)
        start = _until(ws, "cell_start", msg_id=msg_id)
        end = _until(ws, "cell_end", msg_id=msg_id)
        totals = _until(ws, "totals")
        assert start["index"] == end["record"]["index"]
        assert end["record"]["execution_count"] == 1 and end["record"]["status"] == "ok"
        assert end["footprint"]["execution_count"] == 1 and end["footprint"]["session_id"] == end["record"]["session_id"]
        assert totals["totals"]["cells"] == 1 and totals["intensity"]["zone"] == "FR"
        ws.send(json.dumps({"type": "summary", "top": 5, "request_id": "s1"}))
        summary = _until(ws, "summary", request_id="s1")
        ws.send(json.dumps({"type": "export", "format": "csv", "request_id": "e1", "path": None}))
        export = _until(ws, "export", request_id="e1")
        ws.send(json.dumps({"type": "export", "format": "csv", "request_id": "e2", "path": "r.csv"}))
        refused = _until(ws, "export", request_id="e2")
        ws.send(json.dumps({"type": "nonsense", "request_id": "x"}))
        error = _until(ws, "error", request_id="x")
        ws.close()
        follower = _channel(server, kernel_id)
        _until(follower, "hello")
        server.api(f"/api/kernels/{kernel_id}", "DELETE")  # the kernel shuts down: its channels close
        _until_closed(follower)
        ledger = [r for r in server.records() if r.get("notebook") == "shell.ipynb"]
        with pytest.raises(websocket.WebSocketBadStatusException) as anonymous:
            _channel(server, kernel_id, token=False)
        with pytest.raises(websocket.WebSocketBadStatusException) as unknown:
            _channel(server, "no-such-kernel")
    assert [r["energy_j"] for r in ledger] == [end["record"]["energy_j"]]
    assert summary["costliest"][0]["index"] == end["record"]["index"] and "footprint" in summary["costliest"][0]
    assert export["ok"] and export["filename"].endswith(".csv") and end["record"]["session_id"] in export["filename"]
    assert len(export["content"].splitlines()) >= 2
    assert refused["ok"] is False and "download" in refused["error"]
    assert "unknown request type" in error["message"]
    assert anonymous.value.status_code == 403 and unknown.value.status_code == 404


def test_a_server_that_meters_no_kernel_says_so_on_the_channel_and_closes_it(tmp_path):
    """A frontend then shows "not metered" (a Python kernel) or nothing, never zero, and the
    browser logs no refused upgrade."""
    import websocket

    with jupyter_server(tmp_path, "--CarbonServer.meter_kernels=False") as server:
        model = server.api("/api/sessions", "POST", {"path": "plain.ipynb", "type": "notebook", "name": "plain.ipynb", "kernel": {"name": "python3"}})
        kernel_id = model["kernel"]["id"]
        ws = _channel(server, kernel_id)
        hello = _until(ws, "hello")
        _until_closed(ws)
        closed = not ws.connected
        with pytest.raises(websocket.WebSocketBadStatusException) as anonymous:
            _channel(server, kernel_id, token=False)
    assert hello["metered_by"] is None and hello["enabled"] is False and hello["kernel_id"] == kernel_id
    assert "meter_kernels is False" in hello["reason"]
    assert closed and anonymous.value.status_code == 403
