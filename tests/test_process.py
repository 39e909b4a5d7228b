"""The kernel's process tree, with real child processes."""

import os
import subprocess
import sys
import time

import pytest

from jupyter_carbon.energy.process import ProcessTree, SystemCpu

BURN = "import time\nt=time.process_time()+{s}\nwhile time.process_time()<t: pass\n{tail}"


def test_waited_child_cpu_time_is_counted():
    tree = ProcessTree()
    before = tree.cpu_seconds()
    subprocess.run([sys.executable, "-c", BURN.format(s=0.4, tail="")], check=True)
    used = tree.cpu_seconds() - before
    assert used >= 0.35


def test_live_child_cpu_time_is_counted_after_a_refresh():
    tree = ProcessTree()
    child = subprocess.Popen([sys.executable, "-c", BURN.format(s=0.4, tail="time.sleep(30)")])
    try:
        before = tree.cpu_seconds()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            tree.rescan_now()
            tree.refresh()
            if tree.cpu_seconds() - before >= 0.35:
                break
            time.sleep(0.05)
        assert child.pid in tree.pids()
        assert tree.cpu_seconds() - before >= 0.35
        assert tree.rss_bytes > 0
        # Reaped now: counted as waited, not twice, and the total never goes back.
        mid = tree.cpu_seconds()
    finally:
        child.kill()
        child.wait()
    after = tree.cpu_seconds()
    assert mid <= after < mid + 0.3
    tree.refresh()
    assert tree.cpu_seconds() >= after


def test_system_busy_time_grows_with_work():
    system = SystemCpu()
    assert system.logical_cpus >= 1
    a = system.busy_seconds()
    t = time.process_time() + 0.3
    while time.process_time() < t:
        pass
    assert system.busy_seconds() - a >= 0.25  # at least our own work; others may add to it


THREADS = "import threading, time\nfor _ in range(3): threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\nprint('ready', flush=True)\ntime.sleep(30)\n"


@pytest.mark.parametrize("procfs", ["/proc", "absent"])
def test_a_cell_boundary_finds_new_processes_but_not_their_threads(tmp_path, procfs):
    # Without /proc/loadavg (another OS, or PIDs that wrapped) it walks all processes instead.
    tree = ProcessTree(proc=procfs if procfs == "/proc" else tmp_path / procfs)
    child = subprocess.Popen([sys.executable, "-c", THREADS], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        tree.refresh_cpu()
        threads = {int(t) for t in os.listdir(f"/proc/{child.pid}/task")} - {child.pid}
        assert len(threads) == 3
        assert child.pid in tree.pids() and not threads & tree.pids()
    finally:
        child.kill()
        child.wait()
