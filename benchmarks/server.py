"""What the server extension adds: per execution, and per scrape of /metrics, with 1, 10
and 50 kernels; beside jupyter-resource-usage's /metrics in the same run.

    python benchmarks/server.py [--kernels 1 10 50] [--rounds 6] [--cells 20] [--scrapes 10] [--quick]

For each kernel count K, three real ``jupyter server`` processes on 127.0.0.1 run side by
side, each with K Python kernels: with neither extension (the baseline), with jupyter-carbon's
server extension alone, and with jupyter-resource-usage alone (its Prometheus metrics on,
as it ships). The measurements are interleaved: in each round, each server in turn (the
order rotating from round to round) runs ``--cells`` ``pass`` cells over one kernel's
websocket (the round trip from execute_request to its reply and idle; the carbon server
meters each one) and serves ``--scrapes`` ``GET /metrics``. So a shared host's load falls on
all three alike. Prints each setup's median with its interquartile range, and what it adds
to the baseline: the median of the per-round differences, with their lowest and highest.
Trust a difference only where that range excludes zero.

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

    def round_trips(self, kernel_id: str, cells: int, warm: int = 10) -> list[float]:
        import websocket

        ws = websocket.create_connection(f"{self.base.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?token={self.token}", timeout=120)
        out = []
        try:
            for i in range(cells + warm):
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
                if i >= warm:  # the first ones warm up the kernel and the server
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


def measure(kernels: int, rounds: int, cells: int, scrapes: int) -> dict:
    """Every setup's samples, interleaved round by round: {setup: {"exec": [[s, ...] per round], ...}}."""
    with tempfile.TemporaryDirectory() as home:
        servers = {}
        try:
            for setup, extensions in SETUPS.items():
                servers[setup] = Server(extensions, Path(home) / setup)
            ids = {setup: server.start_kernels(kernels) for setup, server in servers.items()}
            time.sleep(3 + 0.2 * kernels)  # every kernel up and, for jupyter-carbon, watched
            found = {setup: {"exec": [], "scrape": [], "bytes": 0} for setup in SETUPS}
            order = list(SETUPS)
            for r in range(rounds + 1):  # round 0 warms the kernels and the servers up
                for setup in order[r % len(order):] + order[: r % len(order)]:
                    trips = servers[setup].round_trips(ids[setup][0], cells, warm=2)
                    scraped, size = servers[setup].scrapes(scrapes)
                    if r:
                        found[setup]["exec"].append(trips)
                        found[setup]["scrape"].append(scraped)
                        found[setup]["bytes"] = size
        finally:
            for server in servers.values():
                server.stop()
    return found


def describe(rounds_of: list[list[float]], base_rounds: list[list[float]]) -> str:
    """Median [p25-p75] of all samples, in ms; and the added ms against the baseline: the
    median of the per-round differences of medians [lowest, highest]."""
    flat = [x * 1e3 for xs in rounds_of for x in xs]
    diffs = sorted(1e3 * (statistics.median(a) - statistics.median(b)) for a, b in zip(rounds_of, base_rounds))
    return (f"{statistics.median(flat):7.2f} [{percentile(flat, 0.25):6.2f}-{percentile(flat, 0.75):6.2f}]"
            f" {statistics.median(diffs):+6.2f} [{diffs[0]:+6.2f}, {diffs[-1]:+6.2f}]")  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--scrapes", type=int, default=10)
    add_quick(parser, kernels=[1], rounds=2, cells=5, scrapes=3)
    args = parse(parser, argv)
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.rounds} rounds x {args.cells} cells and {args.scrapes} scrapes per setup")
    print("ms: median [p25-p75] of all samples, then added vs baseline: median of per-round differences [lowest, highest]")
    print(f"{'kernels':>7} {'setup':<24} {'execution round trip':<46} {'GET /metrics':<46} {'bytes':>7}")
    for k in args.kernels:
        found = measure(k, args.rounds, args.cells, args.scrapes)
        base = found["baseline"]
        for setup, r in found.items():
            print(f"{k:>7} {setup:<24} {describe(r['exec'], base['exec']):<46} {describe(r['scrape'], base['scrape']):<46} {r['bytes']:>7}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
