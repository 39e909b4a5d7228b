"""The server extension meters kernels of any language from outside (jupyter_carbon/server).

The rules of a cell's window are checked on plain messages; the real thing on a real
``jupyter server`` started here on 127.0.0.1, with a real R kernel (IRkernel), bash_kernel
and an IPython kernel that meters itself: each cell's record matches the CPU time its
kernel's process tree used, within the tolerance the kernel side meets (15 %), and a cell a
kernel records itself is not recorded again.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from jupyter_carbon.footprint import source_sha256
from jupyter_carbon.server.executions import Executions
from jupyter_carbon.protocol import MARKER_COMM

from server_harness import BASH_KERNEL_REASON, IR_REASON, has_bash_kernel, has_irkernel, jupyter_server, tree_cpu_seconds, wait_for


def _request(msg_id):
    return {"msg_id": msg_id, "msg_type": "execute_request"}


def _watch():
    seen = []
    return seen, Executions(lambda e: seen.append(("begin", e.msg_id)), lambda e: seen.append(("end", e)))


def test_a_cell_is_the_window_from_busy_to_idle_of_its_request():
    seen, ex = _watch()
    ex.handle("status", {"msg_id": "k", "msg_type": "kernel_info_request"}, {"execution_state": "busy"})
    ex.handle("status", _request("a"), {"execution_state": "busy"})
    ex.handle("execute_input", _request("a"), {"execution_count": 3, "code": "x <- 1\ny <- 2"})
    ex.handle("stream", _request("a"), {"text": "ignored"})
    ex.handle("status", _request("other"), {"execution_state": "idle"})  # not its idle
    assert seen == [("begin", "a")]
    ex.handle("status", _request("a"), {"execution_state": "idle"})
    end = seen[-1][1]
    assert (end.execution_count, end.source, end.status, end.metered_by_kernel) == (3, "x <- 1\ny <- 2", "ok", False)


def test_errors_interrupts_and_the_kernels_own_marker_are_read():
    seen, ex = _watch()
    for msg_id, extra in (("e", ("error", {"ename": "ZeroDivisionError"})), ("i", ("error", {"ename": "KeyboardInterrupt"})),
                          ("m", ("comm_msg", {"comm_id": MARKER_COMM, "data": {"type": "metered"}})),
                          ("c", ("comm_msg", {"comm_id": "some-widget", "data": {}}))):  # fmt: skip
        ex.handle("status", _request(msg_id), {"execution_state": "busy"})
        ex.handle(extra[0], _request(msg_id), extra[1])
        ex.handle("status", _request(msg_id), {"execution_state": "idle"})
    ends = {e.msg_id: e for kind, e in seen if kind == "end"}
    assert (ends["e"].status, ends["e"].error) == ("error", "ZeroDivisionError")
    assert ends["i"].status == "interrupted"
    assert ends["m"].metered_by_kernel and not ends["c"].metered_by_kernel


def test_a_busy_without_the_last_idle_ends_the_last_cell_first():
    seen, ex = _watch()
    ex.handle("status", _request("a"), {"execution_state": "busy"})
    ex.handle("status", _request("b"), {"execution_state": "busy"})  # a's idle was lost (restart)
    assert [(k, e if k == "begin" else e.msg_id) for k, e in seen] == [("begin", "a"), ("end", "a"), ("begin", "b")]


def _cpu_rate() -> float:
    """Joules per CPU-second of the estimate, as the server's meter derives it here."""
    from jupyter_carbon.energy.model import ModelSource
    from jupyter_carbon.energy.process import ProcessTree

    return ModelSource(ProcessTree(), time.monotonic(), memory=False).cpu_model.w_per_cpu_second


BURN = {
    "bash": "for i in $(seq 1 300000); do :; done; echo done",
    "ir": "x <- 0; for (i in 1:8000000) x <- x + i; print(x)",
}


def _check_cells(server, kernel: str, notebook: str, rate: float) -> list[float]:
    kernel_id = server.start(kernel, notebook)
    process = server.kernel_process(kernel_id)
    assert server.run(kernel_id, "echo warm" if kernel == "bash" else "1")["status"] == "ok"  # start-up is not a cell's
    used = []
    for restart in (False, False, True):
        if restart:  # a new process: the server meters the new tree
            server.restart(kernel_id)
            process = server.kernel_process(kernel_id)
            assert server.run(kernel_id, "echo warm" if kernel == "bash" else "1")["status"] == "ok"
        before = tree_cpu_seconds(process)
        assert server.run(kernel_id, BURN[kernel])["status"] == "ok"
        used.append(tree_cpu_seconds(process) - before)
    return kernel_id, used


def _records_of(server, notebook: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while True:
        records = [r for r in server.records() if r.get("notebook") == notebook]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["bash", "ir"])
def test_each_cell_of_a_non_python_kernel_is_charged_its_process_trees_cpu_time(tmp_path, kernel):
    if kernel == "bash" and not has_bash_kernel():
        pytest.skip(BASH_KERNEL_REASON)
    if kernel == "ir" and not has_irkernel():
        pytest.skip(IR_REASON)
    rate = _cpu_rate()
    notebook = f"analysis-{kernel}.ipynb"
    with jupyter_server(tmp_path) as server:
        kernel_id, used = _check_cells(server, kernel, notebook, rate)
        records = _records_of(server, notebook, 5)
        described = server.kernel(kernel_id)
    assert [r["execution_count"] for r in records] == [1, 2, 3, 1, 2]  # the restart counts from 1
    for record, cpu_s in zip([*records[1:3], records[4]], used):
        assert record["method"]["cpu"] == "estimated"
        assert record["by_component"]["cpu"] / rate == pytest.approx(cpu_s, rel=0.15, abs=0.05)
        assert cpu_s > 0.1  # the cell did burn CPU: the comparison says something
        assert record["intensity"]["zone"] == "FR" and record["emissions_g"] > 0
        assert record["source"] == BURN[kernel].splitlines()[0][:120]
        assert record["source_sha256"] == source_sha256(BURN[kernel])  # all of it: a view tells an edit by it
    assert described["metered_by"] == "server" and described["notebook"] == notebook
    assert described["totals"]["cells"] == 5
    header = json.loads(next(server.ledgers.glob("*.jsonl")).read_text().splitlines()[0])
    assert header["kernel_id"] == kernel_id and header["kernel_name"] == kernel and header["metered_by"] == "server"


@pytest.mark.slow
def test_a_python_kernel_that_meters_itself_is_counted_once(tmp_path):
    notebook = "python.ipynb"
    with jupyter_server(tmp_path) as server:
        kernel_id = server.start("python3", notebook)
        assert server.run(kernel_id, "%load_ext jupyter_carbon")["status"] == "ok"
        for _ in range(2):
            assert server.run(kernel_id, "total = sum(i * i for i in range(2_000_000))")["status"] == "ok"
        described = server.kernel(kernel_id)
        time.sleep(0.5)
        ours = [r for r in server.records() if r.get("notebook") == notebook]
        theirs = [
            json.loads(line) for path in (tmp_path / "home" / "data" / "carbon" / "ledgers").glob("*.jsonl")
            for line in path.read_text().splitlines()[1:]
        ]
    # The cell that loads the extension is not the kernel's (it was not loaded as it began):
    # the server records it; the two after it are the kernel's own, and only the kernel's.
    assert [r["execution_count"] for r in ours] == [1]
    assert [r["execution_count"] for r in theirs if "index" in r and "before_cell" not in r] == [2, 3]
    assert described["metered_by"] == "kernel" and "IPython extension" in described["reason"]


@pytest.mark.slow
def test_a_notebook_is_named_by_its_path_not_jupyterlabs_placeholder_and_follows_a_rename(tmp_path):
    """JupyterLab starts a notebook's session under a placeholder path (a bare UUID) and
    renames it to the notebook's path once the kernel has started; a user may rename the
    notebook later. The server's records and its list name the notebook as it is, never
    the placeholder."""
    placeholder = str(uuid.uuid4())
    with jupyter_server(tmp_path) as server:
        session = server.api("/api/sessions", "POST", {"path": placeholder, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        kernel_id = session["kernel"]["id"]
        wait_for(lambda: any(k["kernel_id"] == kernel_id for k in server.api("/api/carbon/kernels")["kernels"]), 30, "the kernel listed")
        time.sleep(1.5)  # the server has looked at the sessions since the kernel started
        server.api(f"/api/sessions/{session['id']}", "PATCH", {"path": "analysis.ipynb"})
        assert server.run(kernel_id, "first = 1")["status"] == "ok"
        wait_for(lambda: server.kernel(kernel_id)["notebook"] == "analysis.ipynb", 15, "the notebook's path listed")
        server.api(f"/api/sessions/{session['id']}", "PATCH", {"path": "renamed.ipynb"})
        wait_for(lambda: server.kernel(kernel_id)["notebook"] == "renamed.ipynb", 15, "the new path listed")
        assert server.run(kernel_id, "second = 2")["status"] == "ok"

        def both_records():
            found = [r for r in server.records() if r.get("execution_count") in (1, 2)]
            return found if len(found) == 2 else None

        records = wait_for(both_records, 15, "both cells' records")
        ledger_text = "".join(path.read_text() for path in server.ledgers.glob("*.jsonl"))
    assert [r["notebook"] for r in sorted(records, key=lambda r: r["execution_count"])] == ["analysis.ipynb", "renamed.ipynb"]
    assert placeholder not in ledger_text


# Burns CPU in the kernel's process between cells, so the time between them costs energy
# above the idle spans' threshold (a kernel at rest costs too little to be recorded).
BURN_BETWEEN_CELLS = "import threading\nthreading.Thread(target=lambda: sum(i * i for i in range(20_000_000)), daemon=True).start()"


def _spans_by_writer(*folders) -> dict[str, list[dict]]:
    spans: dict[str, list[dict]] = {"server": [], "kernel": []}
    for folder in folders:
        for path in folder.glob("*.jsonl"):
            header, *lines = path.read_text().splitlines()
            writer = json.loads(header).get("metered_by", "kernel")
            spans[writer] += [json.loads(x) for x in lines if "before_cell" in json.loads(x)]
    return spans


def test_the_time_before_a_cell_the_kernel_records_itself_is_not_charged_by_the_server_too(tmp_path):
    """The server cannot know as a cell begins whether the kernel will record it (the marker
    comes after): the span before it is the server's only if the cell turns out to be."""
    from datetime import datetime

    with jupyter_server(tmp_path) as server:
        kernel_id = server.start("python3", "idle.ipynb")
        assert server.run(kernel_id, BURN_BETWEEN_CELLS)["status"] == "ok"  # the server's cell
        time.sleep(2.0)  # burning: an idle span before the next cell, the server's
        assert server.run(kernel_id, "%load_ext jupyter_carbon\n" + BURN_BETWEEN_CELLS)["status"] == "ok"  # still the server's
        time.sleep(2.0)  # burning: the kernel's idle span, from the extension's load on
        assert server.run(kernel_id, "x = 1")["status"] == "ok"  # the kernel's
        time.sleep(0.5)
        spans = _spans_by_writer(server.ledgers, tmp_path / "home" / "data" / "carbon" / "ledgers")
    # The server's: before its cells (1: the kernel's start-up, 2: the burn), never before the
    # kernel's own cell 3.
    assert {s["before_cell"] for s in spans["server"]} <= {1, 2} and 2 in {s["before_cell"] for s in spans["server"]}, spans["server"]
    assert spans["kernel"], "the kernel recorded no idle span: the test burned too little between cells"
    for ours in spans["server"]:
        for theirs in spans["kernel"]:
            a0, a1, b0, b1 = (datetime.fromisoformat(x) for x in (ours["started_at"], ours["ended_at"], theirs["started_at"], theirs["ended_at"]))
            assert a1 <= b0 or b1 <= a0, f"charged twice: the server's {ours} and the kernel's {theirs}"


class _Owner:
    def __init__(self):
        from jupyter_carbon.server.settings import CarbonServer
        from jupyter_carbon.server.tally import Tally

        self.settings, self.tally, self.user, self.kernels = CarbonServer(), Tally("ada"), "ada", {}
        self.clock = time.monotonic

    def notebook_of(self, kernel_id):
        return "remote.ipynb"


def test_a_kernel_whose_processes_the_server_cannot_see_is_named_unmetered_not_charged_zero():
    from jupyter_carbon.server.kernel import MeteredKernel
    from jupyter_carbon.server.metrics import CarbonCollector

    class RemoteKernelManager:  # a gateway's kernel: no local provisioner, no process
        kernel_name = "python3"
        provisioner = object()

    owner = _Owner()
    kernel = MeteredKernel("k-1", RemoteKernelManager(), owner)
    kernel.watch()  # opens nothing
    owner.kernels["k-1"] = kernel
    assert kernel.metered_by is None and "remote kernel" in kernel.reason
    assert kernel.describe()["totals"] is None
    families = {f.name: f for f in CarbonCollector(owner).collect()}
    assert families["jupyter_carbon_energy_joules"].samples == []
    [info] = families["jupyter_carbon_kernel_info"].samples
    assert info.labels["metered_by"] == "none" and info.labels["user"] == "ada"


def test_a_self_metering_kernel_publishes_the_marker_with_the_cells_request_as_parent(monkeypatch):
    from jupyter_carbon.kernel.marker import publish_marker
    from jupyter_carbon.protocol import METERING_SERVER_ENV

    monkeypatch.setenv(METERING_SERVER_ENV, "1")  # a kernel started by a metering server

    sent = []

    class Kernel:
        iopub_socket = object()

        class session:  # noqa: N801
            @staticmethod
            def send(socket, msg_type, content, parent, ident):
                sent.append((socket, msg_type, content, parent))

        def get_parent(self, channel):
            return {"header": {"msg_id": "req-1", "msg_type": "execute_request"}}

    class Shell:
        kernel = Kernel()

    class Cell:
        index = 4

    assert publish_marker(Shell(), Cell()) is True
    [(socket, msg_type, content, parent)] = sent
    assert (msg_type, content["comm_id"], content["data"]["index"]) == ("comm_msg", MARKER_COMM, 4)
    assert parent["header"]["msg_id"] == "req-1" and socket is Kernel.iopub_socket
    assert publish_marker(object(), Cell()) is False  # a terminal IPython: no IOPub, nothing sent
    monkeypatch.delenv(METERING_SERVER_ENV)  # no metering server started this kernel: nobody reads it
    assert publish_marker(Shell(), Cell()) is False and len(sent) == 1


def test_the_server_extension_tells_the_kernels_it_starts_that_it_meters_them(monkeypatch, tmp_path):
    from jupyter_carbon.protocol import METERING_SERVER_ENV
    from jupyter_carbon.server import app

    monkeypatch.delenv(METERING_SERVER_ENV, raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    started = []

    class Meters:
        def __init__(self, *args):
            pass

        def start(self):
            started.append(self)

        def stop(self):
            pass

    import jupyter_carbon.server.meters as meters_module

    monkeypatch.setattr(meters_module, "KernelMeters", Meters)
    monkeypatch.setattr(app, "_state", {})

    from traitlets.config import Config, Configurable

    class ServerApp(Configurable):
        log = __import__("logging").getLogger("test")

        class web_app:  # noqa: N801
            settings: dict = {"base_url": "/"}

            @staticmethod
            def add_handlers(host, handlers):
                pass

    server = ServerApp(config=Config({"CarbonServer": {"enable_prometheus_metrics": False}}))
    app.load(server)
    assert started and os.environ[METERING_SERVER_ENV] == "1"
    app.unload(server)
    assert METERING_SERVER_ENV not in os.environ


def test_pip_install_enables_the_server_extension():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shared = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["jupyter-config/jupyter_server_config.d"] == "etc/jupyter/jupyter_server_config.d"
    config = json.loads((root / "jupyter-config/jupyter_server_config.d/jupyter_carbon.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"jupyter_carbon.server": True}
    import jupyter_carbon.server as extension

    assert extension._jupyter_server_extension_points() == [{"module": "jupyter_carbon.server"}]
