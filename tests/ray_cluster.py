"""A Ray cluster for tests: a head node and one more node, each started by ``ray start`` from
the test process (not a child of any kernel), on the loopback address and free ports, in a temp dir
of its own, each node with its own environment (its own ``JUPYTER_CARBON_REGION``).

Ray's raylet waits a fixed time (15-30 s) for its dashboard agent to write its port files;
on a loaded machine the agent's imports can take longer and the node aborts. A cluster that
fails to start is stopped and started again (three tries); if Ray still cannot start, the
test is skipped with the reason (the machine's load, not the code under test).

Every Ray process is on the loopback address 127.0.0.2 (:data:`NODE_IP`): Ray replaces
127.0.0.1 and ``localhost`` with the host's own network address wherever a cluster may span
hosts, and keeps any other address; its setting for a one-host Ray refuses a second node."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil


NODE_IP = "127.0.0.2"
"""Every node's address, and the one a driver connects from (``ray.init(_node_ip_address=...)``)."""


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((NODE_IP, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _ray_cli() -> list[str]:
    return [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"]


def _node_args(temp_dir: Path, ports: list[int]) -> list[str]:
    names = ("--node-manager-port", "--object-manager-port", "--runtime-env-agent-port", "--dashboard-agent-grpc-port",
             "--dashboard-agent-listen-port", "--metrics-export-port")  # fmt: skip
    args = ["--node-ip-address", NODE_IP, "--temp-dir", str(temp_dir), "--num-cpus", "1", "--disable-usage-stats"]
    for name, port in zip(names, ports):
        args += [name, str(port)]
    return args


def _raylets(sessions: list[int]) -> list[psutil.Process]:
    """The raylets of these sessions, oldest first."""
    found = [p for p in _ours(sessions) if p.info["name"] == "raylet"]
    return sorted(found, key=lambda p: p.info["create_time"])


def _ours(sessions: list[int]) -> list[psutil.Process]:
    """Every process in these sessions: each ``ray start`` runs in a session of its own, and
    the processes it leaves running (GCS, raylet, agents, workers) stay in it."""
    found = []
    for proc in psutil.process_iter(["name", "create_time"]):
        with contextlib.suppress(OSError, psutil.Error):
            if os.getsid(proc.pid) in sessions:
                found.append(proc)
    return found


def stop(sessions: list[int]) -> None:
    """Stop this cluster's processes only (``ray stop`` would stop every Ray on the host)."""
    procs = _ours(sessions)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=15)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _start(args: list[str], env: dict[str, str], log: Path, timeout_s: float, sessions: list[int]) -> None:
    with open(log, "ab") as out:
        proc = subprocess.Popen([*_ray_cli(), "start", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        sessions.append(proc.pid)
        code = proc.wait(timeout=timeout_s)
    if code != 0:
        raise RuntimeError(f"ray start failed (exit {code}); see {log}")


@contextlib.contextmanager
def ray_cluster(tmp_path: Path, zones: dict[str, str], env: dict[str, str], tries: int = 3):
    """A head node and one node per further name in ``zones`` (the first name is the head's),
    each with ``JUPYTER_CARBON_REGION`` set to its zone and a resource of its name (a task
    asking ``resources={name: 1}`` runs there). Yields (GCS address, {name: raylet pid})."""
    temp_dir = Path(tempfile.mkdtemp(prefix="jc-ray-", dir="/tmp"))  # Unix socket paths must stay short
    names = list(zones)
    sessions: list[int] = []
    try:
        for attempt in range(tries):
            stop(sessions)
            sessions.clear()
            gcs, client, dashboard, *ports = free_ports(9)
            try:
                head = ["--head", "--port", str(gcs), "--ray-client-server-port", str(client), "--dashboard-port", str(dashboard),
                        "--include-dashboard", "false", "--no-monitor", "--resources", json.dumps({names[0]: 1}), *_node_args(temp_dir, ports)]  # fmt: skip
                _start(head, {**env, "JUPYTER_CARBON_REGION": zones[names[0]]}, tmp_path / f"{names[0]}.log", 240, sessions)
                for name in names[1:]:
                    _start(["--address", f"{NODE_IP}:{gcs}", "--resources", json.dumps({name: 1}), *_node_args(temp_dir, free_ports(6))],
                           {**env, "JUPYTER_CARBON_REGION": zones[name]}, tmp_path / f"{name}.log", 240, sessions)  # fmt: skip
                raylets = _raylets(sessions)
                if len(raylets) != len(names):
                    raise RuntimeError(f"{len(raylets)} raylets running, {len(names)} expected")
                break
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                if attempt == tries - 1:
                    skip_if_start_timed_out(temp_dir, err)
                    skip_if_start_timed_out(tmp_path, err)
                    raise
                time.sleep(2)
        yield f"{NODE_IP}:{gcs}", {name: p.pid for name, p in zip(names, raylets)}
    finally:
        stop(sessions)
        shutil.rmtree(temp_dir, ignore_errors=True)


START_TIMED_OUT = ("Timed out waiting for file", "timed out during startup")
"""What Ray writes when a node's processes did not start in the time Ray allows them."""


def skip_if_start_timed_out(where: Path, err: BaseException) -> None:
    """Skip (not fail) when Ray itself could not start on this machine in the time its raylet
    allows its agents: a property of the machine's load, not of the code under test."""
    import pytest

    for log in [*where.rglob("raylet.out"), *where.rglob("*.log")]:
        with contextlib.suppress(OSError):
            text = log.read_text(errors="replace")
            if any(sign in text for sign in START_TIMED_OUT):
                pytest.skip(f"Ray could not start on this machine (its processes timed out starting, {log.name}): {err}")


ONE_HOST = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""Ray's setting for a Ray on one host only (``ray.init()`` in a kernel): its processes on
127.0.0.1."""


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"),
               PYTHONPATH=os.pathsep.join(sys.path), RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")  # fmt: skip
    env.pop("JUPYTER_CARBON_REGION", None)
    env.pop("RAY_ADDRESS", None)
    return env
