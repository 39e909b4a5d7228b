"""A Dask cluster for tests: a scheduler and workers started by the test process, each a
process of its own (not a child of any kernel), bound to 127.0.0.1, with its own environment."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not happen within {timeout} s")


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, zones: dict[str, str], env: dict[str, str]):
    """``dask scheduler`` and one ``dask worker`` (no nanny) per name in ``zones``, each
    with ``JUPYTER_CARBON_REGION`` set to its zone. Yields (scheduler file, {name: pid})."""
    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []

    def start(args, name, extra):
        log = open(logs / f"{name}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "dask", *args], env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)], "scheduler", {})
        _wait_for(scheduler_file.exists, 60, "the scheduler's start")
        pids = {}
        for name, zone in zones.items():
            proc = start(
                ["worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--no-nanny", "--no-dashboard",
                 "--nthreads", "1", "--name", name, "--memory-limit", "0"],
                name, {"JUPYTER_CARBON_REGION": zone},
            )  # fmt: skip
            pids[name] = proc.pid

        def all_workers():
            info = json.loads(scheduler_file.read_text() or "{}")
            return info.get("address") and _worker_count(info["address"]) >= len(zones)

        _wait_for(all_workers, 90, f"{len(zones)} workers joining")
        yield scheduler_file, pids
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _worker_count(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10) as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


def cpu_seconds(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"),
               PYTHONPATH=os.pathsep.join(sys.path), DASK_DISTRIBUTED__WORKER__DAEMON="False")  # fmt: skip
    env.pop("JUPYTER_CARBON_REGION", None)
    return env
