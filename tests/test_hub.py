"""A real JupyterHub on 127.0.0.1 serves two users; the server extension in each user's
single-user server meters that user's kernels apart and labels its series with the user.

The hub (PyPI ``jupyterhub``) runs its real proxy (``configurable-http-proxy`` from npm) and
spawns each user's server with ``SimpleLocalProcessSpawner``: one process per user, a home
folder of its own, ``JUPYTERHUB_USER`` set by the hub, and nothing about jupyter-carbon in the
hub's configuration (the package's own ``jupyter_server_config.d`` enables the extension).
Both servers run as the user running the tests: system accounts would need an interpreter
every user may run, and this one may sit in a private home. A test service's token starts
the servers, runs a cell in each user's kernel through the proxy, and reads each user's
``/metrics`` and ledgers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from browser import free_port
from server_harness import Server, tree_cpu_seconds, wait_for

CHP = shutil.which("configurable-http-proxy")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHP is None, reason="needs configurable-http-proxy (npm install -g configurable-http-proxy; .ci/run installs it)"),
]
USERS = {"ada": 3_000_000, "grace": 600_000}  # each user's cell: how much it sums


def _hub_config(tmp_path: Path, port: int, token: str) -> Path:
    homes = tmp_path / "homes"
    config = tmp_path / "jupyterhub_config.py"
    config.write_text(f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{CHP!r}]
c.JupyterHub.db_url = "sqlite:///{tmp_path / 'hub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(tmp_path / 'cookie_secret')!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes / '{username}')!r}
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.environment = {{"JUPYTER_CARBON_REGION": "FR"}}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.services = [{{"name": "carbon-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "carbon-test", "services": ["carbon-test"],
    "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
""")
    return config


def _call(url: str, token: str, method: str = "GET", body=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method)
    request.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read().decode()
    return json.loads(text) if text.strip().startswith(("{", "[")) else text




def _series(text: str, name: str) -> list[tuple[dict, float]]:
    from prometheus_client.parser import text_string_to_metric_families

    return [(s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


def test_two_users_of_a_real_hub_are_metered_apart_and_labelled_by_user(tmp_path):
    pytest.importorskip("jupyterhub", reason="jupyterhub is in the test extra")
    port, token = free_port(), uuid.uuid4().hex
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "hub.log", "w")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(_hub_config(tmp_path, port, token))],
                           cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    servers = {}
    try:
        wait_for(lambda: hub.poll() is None and _call(f"{base}/hub/api/", token), 60, "the hub's API")
        for user in USERS:
            _call(f"{base}/hub/api/users/{user}", token, "POST", {})
            _call(f"{base}/hub/api/users/{user}/server", token, "POST", {})
        for user in USERS:
            wait_for(lambda user=user: _call(f"{base}/hub/api/users/{user}", token)["servers"][""]["ready"], 120, f"{user}'s server")
            homes = tmp_path / "homes" / user
            servers[user] = Server(f"{base}/user/{user}", token, homes, hub, homes, tmp_path / "hub.log")
        kernels, used = {}, {}
        for user, n in USERS.items():
            kernels[user] = servers[user].start("python3", f"{user}.ipynb")
            server_pid = _kernel_pid(servers[user], kernels[user])
            # A first cell opens the websocket and lets the kernel finish starting: that work
            # is no user's sum, and a fresh kernel spends more CPU on it than grace's cell takes.
            assert servers[user].run(kernels[user], "pass")["status"] == "ok"
            before = tree_cpu_seconds(server_pid)
            reply = servers[user].run(kernels[user], f"total = sum(i * i for i in range({n}))")
            used[user] = tree_cpu_seconds(server_pid) - before
            assert reply["status"] == "ok"
        metrics = {user: wait_for(lambda user=user: _cells_in(servers[user]), 30, f"{user}'s series") for user in USERS}
        listed = {user: servers[user].api("/api/carbon/kernels") for user in USERS}
    finally:
        for server in servers.values():
            server.close()
        hub.terminate()
        try:
            hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.kill()
        log.close()
    for user, text in metrics.items():
        joules = _series(text, "jupyter_carbon_energy_joules_total")
        assert joules and {labels["user"] for labels, _ in joules} == {user}
        assert {labels["kernel_id"] for labels, _ in joules} == {kernels[user]}  # this user's kernel only
        assert {labels["notebook"] for labels, _ in joules} == {f"{user}.ipynb"}
        records = _records(tmp_path / "homes" / user)
        cells = [r for r in records if r.get("notebook") == f"{user}.ipynb"]
        headers = [json.loads(p.read_text().splitlines()[0]) for p in (tmp_path / "homes" / user).rglob("*.jsonl")]
        assert cells and {h.get("user") for h in headers} == {user}  # each ledger names its user
        assert sum(v for labels, v in joules if labels["part"] == "cell") == pytest.approx(sum(r["energy_j"] for r in cells), rel=1e-6)
        assert [k["kernel_id"] for k in listed[user]["kernels"]] == [kernels[user]] and listed[user]["user"] == user
    ada, grace = (sum(r["energy_j"] for r in _records(tmp_path / "homes" / u) if r["execution_count"] == 2) for u in USERS)
    assert used["ada"] > used["grace"] and ada > grace  # each user is charged their own work


def _kernel_pid(server: Server, kernel_id: str):
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        if any(f"kernel-{kernel_id}.json" in part for part in proc.info["cmdline"] or []):
            return proc
    raise LookupError(kernel_id)


def _cells_in(server: Server) -> str | None:
    text = server.api("/metrics")
    return text if _series(text, "jupyter_carbon_cells_total") else None


def _records(home: Path) -> list[dict]:
    found = []
    for path in sorted(home.rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            data = json.loads(line)
            if "index" in data and "energy_j" in data and "before_cell" not in data:
                found.append(data)
    return found
