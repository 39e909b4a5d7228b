"""The extension in real kernels, driven the way Jupyter drives them."""

import json
import os
import sys
import time

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

CELLS = [
    "print('hello')",
    "x = [i * i for i in range(1000)]\nsum(x)",
    "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))",
    "import sys\nprint('warn', file=sys.stderr)",
]


@pytest.fixture
def kernel_env(tmp_path):
    env = dict(os.environ)
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_CARBON_REGION="FR", PYTHONPATH=os.pathsep.join(sys.path))
    return env


def execute_notebook(cells, env):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True)
    old = dict(os.environ)
    os.environ.update(env)  # the kernel inherits the environment of its manager
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def outputs(nb, skip=0):
    return [c.outputs for c in nb.cells[skip:]]


def test_outputs_are_the_same_with_metering(kernel_env):
    plain = execute_notebook(["pass"] + CELLS + ["1/0"], kernel_env)  # same execution counts
    metered = execute_notebook(["%load_ext jupyter_carbon"] + CELLS + ["1/0"], kernel_env)
    assert "metering every cell" in metered.cells[0].outputs[0]["text"]
    assert outputs(metered, skip=1) == outputs(plain, skip=1)


def ledger_files(env):
    return sorted((os.path.join(env["JUPYTER_DATA_DIR"], "carbon", "ledgers", f) for f in os.listdir(os.path.join(env["JUPYTER_DATA_DIR"], "carbon", "ledgers"))))


def run(kc, code, timeout=60):
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    return reply["content"]


def test_interrupt_and_restart_keep_every_record(kernel_env):
    km, kc = start_new_kernel(kernel_name="python3", env=kernel_env)
    try:
        assert run(kc, "%load_ext jupyter_carbon")["status"] == "ok"
        assert run(kc, "a = 1")["status"] == "ok"
        assert run(kc, "1/0")["status"] == "error"
        msg_id = kc.execute("import time\nfor _ in range(600): time.sleep(0.05)")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error"
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=60)
        # A new kernel: a new session, and the previous one is on disk to read back.
        assert run(kc, "%load_ext jupyter_carbon")["status"] == "ok"
        code = (
            "from jupyter_carbon.ledger import list_ledgers, read_ledger\n"
            "import json\n"
            "paths = list_ledgers()\n"
            "print(json.dumps([[r.status for r in read_ledger(p).records] for p in paths]))"
        )
        out = []
        kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    statuses = json.loads("".join(out))
    # Metering starts after the %load_ext cell: a = 1, 1/0, the interrupted loop.
    assert statuses[0] == ["ok", "error", "interrupted"]
    assert len(ledger_files(kernel_env)) == 2
