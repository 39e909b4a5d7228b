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


def test_an_excluded_child_is_not_counted_from_then_on_nor_when_it_is_reaped():
    """A cluster worker started by the kernel reports its own energy: once excluded, its CPU
    time is no longer the tree's, neither while it runs nor after the kernel waits for it."""
    tree = ProcessTree()
    # Burns 0.3 s, waits for a line on stdin, burns 0.8 s more, waits for another line, exits.
    wait = "import sys\nsys.stdin.readline()\n"
    code = BURN.format(s=0.3, tail=wait + BURN.format(s=0.8, tail=wait))
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    time.sleep(1.0)
    tree.rescan_now()
    tree.refresh()
    assert child.pid in tree.pids()
    assert tree.exclude(child.pid) and child.pid not in tree.pids() and child.pid in tree.excluded()
    before = tree.cpu_seconds()
    child.stdin.write(b"go\n")
    child.stdin.flush()
    time.sleep(1.5)
    tree.refresh()  # the sampler's tick; an excluded process's last tick is all it could leak
    child.stdin.close()
    child.wait(timeout=30)  # reaped: its 1.1 s now sit in this process's waited-for time
    during_reap = tree.cpu_seconds() - before
    tree.refresh_cpu()
    after = tree.cpu_seconds() - before
    assert during_reap < 0.3 and after < 0.3
    assert not tree.exclude(os.getppid())  # not a descendant: nothing changes
