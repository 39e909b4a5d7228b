"""What the server extension adds: per execution, and per scrape of /metrics, with 1, 10
and 50 kernels; beside jupyter-resource-usage's /metrics in the same run.

    python benchmarks/server.py [--kernels 1 10 50] [--cells 200] [--scrapes 50] [--quick]

For each kernel count K, three real ``jupyter server`` processes on 127.0.0.1 run in turn,
each with K Python kernels: with neither extension (the baseline), with jupyter-carbon's
server extension alone, and with jupyter-resource-usage alone (its Prometheus metrics on,
as it ships). In each: the round trip of ``pass`` cells over a kernel's websocket (median
and p90; the carbon server meters each one), and the time of ``GET /metrics`` (median and
p90). Prints the added milliseconds against the baseline. Round trips are noisy on a shared
host: compare the medians, and run it again before trusting a difference under 1 ms.

Targets: <= 1 ms added per execution (median); a scrape with 50 kernels <= 20 ms added.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from common import add_quick, parse, percentile

SETUPS = {
    "baseline": {"jupyter_carbon.server": False, "jupyter_resource_usage": False},
    "jupyter-carbon": {"jupyter_carbon.server": True, "jupyter_resource_usage": False},
    "jupyter-resource-usage": {"jupyter_carbon.server": False, "jupyter_resource_usage": True},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, extensions: dict, home: Path):
        self.token, port = uuid.uuid4().hex, free_port()
        self.base = f"http://127.0.0.1:{port}"
        root = home / "root"
        root.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_CARBON_REGION": "FR"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}", "--allow-root",
             f"--ServerApp.jpserver_extensions={json.dumps(extensions).replace('false', 'False').replace('true', 'True')}",
             f"--CarbonMeter.ledger_dir={home / 'ledgers'}"],
            env=env, stdout=subprocess.DEVNULL, stderr=(home / "server.log").open("wb"),
        )  # fmt: skip
        deadline = time.monotonic() + 120  # a loaded machine starts a server slowly
        while True:
            try:
                self.get("/api/status")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    said = (home / "server.log").read_text(errors="replace").strip().splitlines()[-15:]
                    raise RuntimeError("jupyter server did not start; its last words:\n" + "\n".join(said)) from None
                time.sleep(0.3)

    def get(self, path, method="GET", body=None):
        request = urllib.request.Request(f"{self.base}{path}", method=method, data=json.dumps(body).encode() if body else None)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.read()

    def start_kernels(self, n: int) -> list[str]:
        ids = []
        for i in range(n):
            model = json.loads(self.get("/api/sessions", "POST", {"path": f"nb{i}.ipynb", "type": "notebook", "name": f"nb{i}.ipynb", "kernel": {"name": "python3"}}))
            ids.append(model["kernel"]["id"])
        return ids

    def round_trips(self, kernel_id: str, cells: int) -> list[float]:
        import websocket

        ws = websocket.create_connection(f"{self.base.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?token={self.token}", timeout=120)
        out = []
        try:
            for i in range(cells + 10):
                msg_id = uuid.uuid4().hex
                t0 = time.perf_counter()
                ws.send(json.dumps({
                    "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "b", "session": "b", "version": "5.3", "date": ""},
                    "parent_header": {}, "metadata": {}, "channel": "shell",
                    "content": {"code": "pass", "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False},
                }))  # fmt: skip
                reply = idle = False
                while not (reply and idle):
                    msg = json.loads(ws.recv())
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    reply = reply or msg["msg_type"] == "execute_reply"
                    idle = idle or (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle")
                if i >= 10:  # the first ones warm up the kernel and the server
                    out.append(time.perf_counter() - t0)
        finally:
            ws.close()
        return out

    def scrapes(self, n: int) -> tuple[list[float], int]:
        out, size = [], 0
        for _ in range(n):
            t0 = time.perf_counter()
            size = len(self.get("/metrics"))
            out.append(time.perf_counter() - t0)
        return out, size

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(setup: str, kernels: int, cells: int, scrapes: int) -> dict:
    with tempfile.TemporaryDirectory() as home:
        server = Server(SETUPS[setup], Path(home))
        try:
            ids = server.start_kernels(kernels)
            time.sleep(3 + 0.2 * kernels)  # every kernel up and, for jupyter-carbon, watched
            trips = server.round_trips(ids[0], cells)
            scraped, size = server.scrapes(scrapes)
        finally:
            server.stop()
    return {"exec_median_ms": 1e3 * statistics.median(trips), "exec_p90_ms": 1e3 * percentile(trips, 0.9),
            "scrape_median_ms": 1e3 * statistics.median(scraped), "scrape_p90_ms": 1e3 * percentile(scraped, 0.9), "metrics_bytes": size}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--scrapes", type=int, default=50)
    add_quick(parser, kernels=[1], cells=20, scrapes=5)
    args = parse(parser, argv)
    print(f"{'kernels':>7} {'setup':<24} {'exec median':>11} {'p90':>7} {'added':>7} {'scrape median':>13} {'p90':>7} {'added':>7} {'bytes':>7}")
    for k in args.kernels:
        base = None
        for setup in SETUPS:
            r = measure(setup, k, args.cells, args.scrapes)
            base = base or r
            print(f"{k:>7} {setup:<24} {r['exec_median_ms']:>9.2f}ms {r['exec_p90_ms']:>5.2f}ms {r['exec_median_ms'] - base['exec_median_ms']:>+5.2f}ms "
                  f"{r['scrape_median_ms']:>11.2f}ms {r['scrape_p90_ms']:>5.2f}ms {r['scrape_median_ms'] - base['scrape_median_ms']:>+5.2f}ms {r['metrics_bytes']:>7}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
