"""Regression tests of issue 17 for ledgers: bad lines, non-regular files, a full disk, and
which ledger ``previous`` means."""

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from IPython.core.error import UsageError
from test_magics import run
from test_report import record

from jupyter_carbon import ledger as ledger_module
from jupyter_carbon.cli import main
from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.ledger import read_ledger


BAD_VALUES = {
    "energy_j": [None, "12", [], {}, True, float("nan")],
    "by_component": [[], "cpu", {"cpu": "1"}, {"cpu": None}],
    "method": [{"cpu": {"how": "guessed"}}, ["estimated"], {"cpu": 3}],
    "index": ["1", 1.5, None, True],
    "duration_s": [None, "1"],
    "status": [3, "fine"],
    "intensity": ["FR", [], {"g_per_kwh": "56"}, {"zone": 3}],
    "emissions_g": ["1", []],
    "source": [None, 3],
    "device_by_component": [[1]],
    "magic": ["yes"],
    "cell_position": [0, "6", 2.0, True],
}


def bad_lines():
    return [(field, value) for field, values in BAD_VALUES.items() for value in values]


def write_ledger(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"type": "session", "session_id": "sess-1", "started_at": "2026-11-22T04:00:00Z", "pid": 1}) + "\n")
        for line in lines:
            f.write(json.dumps(line) + "\n")


def test_records_with_wrong_field_types_are_skipped_with_one_warning(tmp_path, caplog, capsys):
    good = [record(1, 10.0).to_dict(), record(2, 20.0).to_dict()]
    bad = [{**record(3, 5.0).to_dict(), field: value} for field, value in bad_lines()]
    path = tmp_path / "bad.jsonl"
    write_ledger(path, [good[0], *bad, good[1]])
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        contents = read_ledger(path)
    assert [r.index for r in contents.records] == [1, 2]
    assert len(contents.skipped) == len(bad)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"skipped {len(bad)} unreadable line(s)" in warnings[0]
    for fmt in ("text", "json", "csv", "md", "html", "latex"):
        assert main(["report", str(path), "--format", fmt]) == 0, fmt
    assert "2 cells" in capsys.readouterr().out


def test_a_ledger_from_before_cell_positions_reads_and_names_cells_by_execution_count(tmp_path, capsys):
    old = record(1, 10.0).to_dict()
    del old["cell_position"]
    path = tmp_path / "old.jsonl"
    write_ledger(path, [old, {**record(2, 20.0).to_dict(), "cell_position": 7}])
    contents = read_ledger(path)
    assert [r.cell_position for r in contents.records] == [None, 7] and not contents.skipped
    assert main(["report", str(path), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "| [3] |" in out and "| [4] cell 7 |" in out


def test_summary_of_a_ledger_with_wrong_types_shows_the_good_records(shell, tmp_path):
    path = tmp_path / "bad.jsonl"
    write_ledger(path, [record(1, 10.0).to_dict(), {**record(2, 5.0).to_dict(), "energy_j": None, "by_component": []}])
    result, out = run(shell, f"%carbon summary --ledger {path}")
    assert result.error_in_exec is None, out.stderr
    (shown,) = out.outputs
    assert "1 cell" in shown.data["text/plain"] and "step(1)" in shown.data["text/plain"]


def test_a_ledger_that_is_not_a_regular_file_is_refused(shell):
    result, out = run(shell, "%carbon summary --ledger /dev/zero")
    assert isinstance(result.error_in_exec, UsageError) and "not a regular file" in str(result.error_in_exec)
    with pytest.raises(OSError, match="not a regular file"):
        read_ledger("/dev/zero")


def test_an_overlong_line_is_skipped_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(ledger_module, "MAX_LINE", 1000)
    path = tmp_path / "long.jsonl"
    write_ledger(path, [record(1, 1.0).to_dict(), {**record(2, 1.0).to_dict(), "source": "x" * 5000}, record(3, 1.0).to_dict()])
    contents = read_ledger(path)
    assert [r.index for r in contents.records] == [1, 3] and contents.skipped == [3]


FULL_DISK = r"""
import json, logging, os, resource, signal, sys
sys.path.insert(0, sys.argv[2])
from fakes import FakeClock
from test_meter import ScriptedSource
from jupyter_carbon.meter import Meter
from jupyter_carbon.session import Session

logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
clock = FakeClock()
session = Session(Meter([ScriptedSource(clock)], clock=clock, start=False), ledger_dir=sys.argv[1])

def cell(source):
    c = session.begin(source=source)
    clock.advance(1.0)
    session.end(c)

cell("before = 1")
size = session.ledger.path.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, resource.RLIM_INFINITY))  # room for part of one line
for i in range(10):
    cell(f"full_{i} = 1")
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
cell("after = 1")
cell("again = 1")
session.close()
print(session.ledger.path)
"""


def test_a_full_disk_is_reported_once_and_the_records_are_written_when_it_clears(tmp_path):
    tests = os.path.dirname(__file__)
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path), tests], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    messages = proc.stderr.splitlines()
    assert len(messages) == 2, messages
    assert "cannot write" in messages[0] and "File too large" in messages[0]
    assert "writing again" in messages[1] and "10 record(s)" in messages[1]
    contents = read_ledger(proc.stdout.strip())
    assert contents.skipped == []
    assert [r.index for r in contents.records] == list(range(1, 14))
    assert [r.source for r in contents.records][-3:] == ["full_9 = 1", "after = 1", "again = 1"]


def _ledger_of(folder, name, *, pid, kernel_id=None, notebook=None, started_at):
    header = {"type": "session", "session_id": name, "started_at": started_at, "pid": pid}
    if kernel_id:
        header["kernel_id"] = kernel_id
    if notebook:
        header["notebook"] = notebook
    path = folder / f"{name}.jsonl"
    path.write_text(json.dumps(header) + "\n" + json.dumps({**record(1, 1.0).to_dict(), "session_id": name}) + "\n")
    return path


@pytest.fixture
def other_kernel():
    """A live process standing for another kernel on the same data folder."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_previous_is_this_kernels_earlier_session_never_another_live_kernels(shell, other_kernel, monkeypatch):
    ext = extension_of(shell)
    folder = ext.session.ledger_dir
    mine = ext.session.ledger.path
    run(shell, "x = 1")
    run(shell, "%carbon reset")
    time.sleep(0.01)
    # Another kernel, alive, started later: newest on disk, but not this kernel's.
    _ledger_of(folder, "zz-other-live", pid=other_kernel, started_at="2099-01-01T00:00:00Z")
    report = ext.report("previous")
    assert report.session_id == mine.stem


def test_previous_after_a_restart_is_the_same_notebooks_session(tmp_path, other_kernel):
    from jupyter_carbon.ledger import previous_ledger

    dead = 2**22 + 12345  # beyond the default pid_max: no process has it
    ours = _ledger_of(tmp_path, "a-ours", pid=dead, notebook="work/a.ipynb", kernel_id="k1", started_at="2026-11-22T01:00:00Z")
    _ledger_of(tmp_path, "b-other-notebook", pid=dead, notebook="work/b.ipynb", kernel_id="k2", started_at="2026-11-22T02:00:00Z")
    _ledger_of(tmp_path, "c-live", pid=other_kernel, notebook="work/a.ipynb", kernel_id="k3", started_at="2026-11-22T03:00:00Z")
    current = _ledger_of(tmp_path, "d-current", pid=os.getpid(), notebook="work/a.ipynb", kernel_id="k1", started_at="2026-11-22T04:00:00Z")
    identity = {"pid": os.getpid(), "notebook": "work/a.ipynb", "kernel_id": "k1"}
    assert previous_ledger(tmp_path, current=current, identity=identity) == ours
    # Without a notebook, the kernel id says which sessions were this kernel's.
    identity = {"pid": os.getpid(), "kernel_id": "k2"}
    assert previous_ledger(tmp_path, current=current, identity=identity).name == "b-other-notebook.jsonl"
    assert previous_ledger(tmp_path, current=current, identity={"pid": os.getpid(), "kernel_id": "k9"}) is None


@pytest.mark.slow
def test_previous_in_real_kernels_sharing_a_data_folder(tmp_path):
    """Two kernels, two notebooks, one data folder: after a restart, kernel A's previous
    session is its own, though kernel B's live ledger is newer."""
    from jupyter_client.manager import KernelManager

    def start(notebook):
        env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path), JUPYTER_CARBON_REGION="FR", JPY_SESSION_NAME=notebook,
                   PYTHONPATH=os.pathsep.join(sys.path))  # fmt: skip
        # Named as Jupyter Server names it: kernel-<kernel id>.json
        km = KernelManager(kernel_name="python3", connection_file=str(tmp_path / f"kernel-{notebook[5]}.json"))
        km.start_kernel(env=env)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        return km, kc

    def ask(kc, code):
        out = []
        kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        lines = "".join(out).strip().splitlines()
        return lines[-1] if lines else ""

    session_id = "from jupyter_carbon.kernel.extension import extension_of as e; print(e(get_ipython()).session.session_id)"
    previous = "print(e(get_ipython()).report('previous').session_id)"
    (km_a, kc_a), (km_b, kc_b) = start("work/a.ipynb"), start("work/b.ipynb")
    try:
        ask(kc_a, "%load_ext jupyter_carbon")
        first_a = ask(kc_a, session_id)
        ask(kc_a, "x = 1")
        ask(kc_b, "%load_ext jupyter_carbon")
        live_b = ask(kc_b, session_id)
        ask(kc_b, "y = 1")
        km_a.restart_kernel(now=True)
        kc_a.wait_for_ready(timeout=60)
        ask(kc_a, "%load_ext jupyter_carbon")
        assert ask(kc_a, session_id) not in (first_a, live_b)
        assert ask(kc_a, previous) == first_a
        header = json.loads(next(tmp_path.glob(f"carbon/ledgers/{first_a}.jsonl")).read_text().splitlines()[0])
        assert header["notebook"] == "work/a.ipynb" and header["kernel_id"] == "a"
    finally:
        for km, kc in ((km_a, kc_a), (km_b, kc_b)):
            kc.stop_channels()
            km.shutdown_kernel(now=True)
