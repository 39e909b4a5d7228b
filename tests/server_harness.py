"""A real Jupyter server on 127.0.0.1 with the server extension, and a client that runs
cells in its kernels over the server's own kernel websocket, as a browser does.

The tests of the server extension (tests/test_server_*.py) import from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from browser import free_port

BASH_KERNEL_REASON = "needs bash_kernel (pip install bash_kernel; .ci/run installs it)"
IR_REASON = "needs R with IRkernel (apt-get install r-base-core r-cran-irkernel; .ci/run installs them)"


def has_bash_kernel() -> bool:
    try:
        import bash_kernel  # noqa: F401
    except ImportError:
        return False
    return shutil.which("bash") is not None


def has_irkernel() -> bool:
    if shutil.which("R") is None:
        return False
    return subprocess.run(["R", "--slave", "-e", "library(IRkernel)"], capture_output=True, timeout=60).returncode == 0


def install_kernels(data_dir: Path) -> None:
    """Kernelspecs for this Python's ipykernel, bash_kernel and IRkernel, under ``data_dir``."""
    kernels = data_dir / "kernels"
    kernels.mkdir(parents=True, exist_ok=True)
    python = kernels / "python3"
    python.mkdir(exist_ok=True)
    (python / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python",
    }))
    if has_bash_kernel():
        bash = kernels / "bash"
        bash.mkdir(exist_ok=True)
        (bash / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "bash_kernel", "-f", "{connection_file}"],
            "display_name": "Bash", "language": "bash", "env": {"PS1": "$"},
        }))
    if shutil.which("R"):
        ir = kernels / "ir"
        ir.mkdir(exist_ok=True)
        (ir / "kernel.json").write_text(json.dumps({
            "argv": ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"],
            "display_name": "R", "language": "R",
        }))


class Server:
    """A running ``jupyter server``: REST calls, sessions, cells, its kernels' processes."""

    def __init__(self, base: str, token: str, root: Path, proc: subprocess.Popen, ledgers: Path, log: Path):
        self.base, self.token, self.root, self.proc, self.ledgers, self.log = base, token, root, proc, ledgers, log
        self._sockets: dict = {}

    def api(self, path: str, method: str = "GET", body: dict | None = None, token: bool = True):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        if token:
            request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read().decode()
        return json.loads(text) if text and r.headers.get_content_type() == "application/json" else text

    def start(self, kernel: str, notebook: str) -> str:
        """A session for ``notebook`` with a new ``kernel``: its kernel id, once the server
        watches it."""
        model = self.api("/api/sessions", "POST", {"path": notebook, "type": "notebook", "name": notebook, "kernel": {"name": kernel}})
        kernel_id = model["kernel"]["id"]
        deadline = time.monotonic() + 30
        while not any(k["kernel_id"] == kernel_id and k["notebook"] for k in self.api("/api/carbon/kernels")["kernels"]):
            if time.monotonic() > deadline:
                pytest.fail(f"the server extension never watched kernel {kernel_id}")
            time.sleep(0.2)
        return kernel_id

    def restart(self, kernel_id: str) -> None:
        """Restart the kernel through the REST API, and reconnect its websocket."""
        old = self.kernel_process(kernel_id).pid
        self.api(f"/api/kernels/{kernel_id}/restart", "POST", {})
        ws = self._sockets.pop(kernel_id, None)
        if ws is not None:
            ws.close()
        deadline = time.monotonic() + 30
        while self._pid_or_none(kernel_id) in (None, old):
            if time.monotonic() > deadline:
                pytest.fail(f"kernel {kernel_id} did not restart")
            time.sleep(0.2)

    def _pid_or_none(self, kernel_id: str) -> int | None:
        try:
            return self.kernel_process(kernel_id).pid
        except (LookupError, psutil.Error):
            return None

    def kernel_process(self, kernel_id: str) -> psutil.Process:
        for child in psutil.Process(self.proc.pid).children():
            if any(f"kernel-{kernel_id}.json" in part for part in child.cmdline()):
                return child
        raise LookupError(f"no process for kernel {kernel_id}")

    def run(self, kernel_id: str, code: str, timeout: float = 120.0, msg_id: str | None = None) -> dict:
        """Run ``code`` over the kernel's websocket (one per kernel, kept open as a browser
        keeps it: opening one makes the server ask the kernel for its info, work that is
        no cell's); returns its execute_reply content."""
        ws = self._socket(kernel_id, timeout)
        if True:
            msg_id = msg_id or uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {"cellId": uuid.uuid4().hex}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False},
            }))
            reply = idle = None
            while reply is None or idle is None:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "execute_reply":
                    reply = msg["content"]
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
            return reply

    def _socket(self, kernel_id: str, timeout: float):
        import websocket

        if kernel_id not in self._sockets:
            url = f"{self.base.replace('http', 'ws')}/api/kernels/{kernel_id}/channels"
            # The token in a header, as a hub's single-user server wants it (not in the URL).
            self._sockets[kernel_id] = websocket.create_connection(url, timeout=timeout, header=[f"Authorization: token {self.token}"])
            time.sleep(1.0)  # the server's kernel_info nudge on connecting is done before any cell
        return self._sockets[kernel_id]

    def close(self) -> None:
        for ws in self._sockets.values():
            with contextlib.suppress(Exception):
                ws.close()

    def kernel(self, kernel_id: str) -> dict:
        return self.api(f"/api/carbon/kernels/{kernel_id}")

    def records(self) -> list[dict]:
        """Every cell record in the ledgers the server wrote."""
        records = []
        for path in sorted(self.ledgers.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                data = json.loads(line)
                if "index" in data and "energy_j" in data and "before_cell" not in data:
                    records.append(data)
        return records


def wait_for(condition, timeout: float = 60.0, what: str = ""):
    """``condition()``'s first true value, asked every half second (an OSError, KeyError or
    ValueError counts as not yet); the test fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = condition()
            if got:
                return got
        except (OSError, KeyError, ValueError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def tree_cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds of a process and its descendants, including the children each has waited
    for (a shell's short commands end up there)."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


@contextlib.contextmanager
def jupyter_server(tmp_path: Path, *args: str, env: dict | None = None):
    """``jupyter server`` with the extension, in a temporary home, metering from outside
    with the CPU estimate (RAPL off, so a cell's CPU energy is its CPU seconds × one rate)."""
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    ledgers = tmp_path / "ledgers"
    install_kernels(home / "data")
    token, port = uuid.uuid4().hex, free_port()
    environment = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_CARBON_REGION": "FR",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        **(env or {}),
    }
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
                '--ServerApp.jpserver_extensions={"jupyter_carbon.server": True}',
                f"--CarbonMeter.ledger_dir={ledgers}", "--CarbonMeter.enable_rapl=False", "--CarbonMeter.enable_nvml=False",
                *args,
            ],
            cwd=root, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", token, root, proc, ledgers, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.api("/api/status")
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        server.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
