"""Issue 23: processes a cell detaches (``nohup cmd &`` in ``%%bash``, a double fork) are
charged while they live. The kernel is a process of its own here, leading its session (as
Jupyter starts kernels) or only its process group (terminal IPython from a shell)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")

BURN_S = 1.5

KERNEL = r"""
import json, os, subprocess, sys, time
from jupyter_carbon.energy.process import ProcessTree

burn_s, folder, how = float(sys.argv[1]), sys.argv[2], sys.argv[3]
BURNER = (
    "import os, sys, time\n"
    "end = time.process_time() + float(sys.argv[1])\n"
    "while time.process_time() < end: pass\n"
    "open(sys.argv[2] + '.done', 'w').close()\n"
    "while not os.path.exists(sys.argv[2] + '.exit'): time.sleep(0.02)\n"
)

def wait_for(path):
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert time.monotonic() < deadline, path
        time.sleep(0.02)

tree = ProcessTree()
tree.refresh_cpu()
start = tree.cpu_seconds()
flag = os.path.join(folder, "burner")
if how == "nohup":
    # as %%bash does: bash exits at once, its background job lives on, re-parented to init
    subprocess.run(["bash", "-c", 'nohup "$0" -c "$1" "$2" "$3" >/dev/null 2>&1 &', sys.executable, BURNER, str(burn_s), flag], check=True)
else:
    pid = os.fork()
    if pid == 0:  # the classic double fork: the middle process exits at once
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", BURNER, str(burn_s), flag])
        os._exit(0)
    os.waitpid(pid, 0)
wait_for(flag + ".done")
tree.refresh_cpu()  # the cell's end
during = tree.cpu_seconds() - start
open(flag + ".exit", "w").close()
time.sleep(0.5)
tree.refresh()  # a sampler tick sees the burner gone
tree.refresh_cpu()
before_own = tree.cpu_seconds()
end = time.process_time() + 0.5
while time.process_time() < end: pass
tree.refresh_cpu()
print(json.dumps({"during": during, "after_exit": tree.cpu_seconds() - before_own, "marker": tree._marker, "pid": os.getpid()}))
"""


@pytest.mark.parametrize("how", ["nohup", "double-fork"])
@pytest.mark.parametrize("leads", ["session", "process group"])
def test_detached_work_is_charged_while_it_lives(tmp_path, how, leads):
    kw = {"start_new_session": True} if leads == "session" else {"process_group": 0}
    proc = subprocess.run([sys.executable, "-c", KERNEL, str(BURN_S), str(tmp_path), how], capture_output=True, text=True, timeout=120, **kw)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["marker"] == [2 if leads == "session" else 1, got["pid"]]
    assert got["during"] >= 0.9 * BURN_S, got  # was about 0: the burner had left the tree
    # Once the burner exits, what it used stays counted: the kernel's own work after it is
    # charged in full, not swallowed by the burner's time dropping out of the tree.
    assert got["after_exit"] >= 0.4, got


# A process that makes itself the subreaper of what runs below it, then starts the kernel
# through a launcher (a shell, say) in its own process group: orphans of the kernel go to it,
# inside the kernel's session, as they go to a container's first process when that is the
# shell that ran everything (it was in CI: the work escaped).
SUBREAPER = r"""
import ctypes, subprocess, sys
PR_SET_CHILD_SUBREAPER = 36
assert ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
launcher = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], process_group=0).returncode)"
sys.exit(subprocess.run([sys.executable, "-c", launcher, *sys.argv[1:]]).returncode)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreapers are Linux's")
@pytest.mark.parametrize("how", ["nohup", "double-fork"])
def test_detached_work_is_charged_when_a_subreaper_in_the_session_adopts_it(tmp_path, how):
    proc = subprocess.run([sys.executable, "-c", SUBREAPER, sys.executable, "-c", KERNEL, str(BURN_S), str(tmp_path), how],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["marker"] == [1, got["pid"]]
    assert got["during"] >= 0.9 * BURN_S, got


# ``ipython | tee log`` from a shell with job control: the kernel leads the pipeline's group
# and the shell starts its other commands in that group. Their work is not the kernel's.
PIPELINE = r"""
import json, os, subprocess, sys, time
burn_s, folder = sys.argv[1], sys.argv[2]
kernel_code = '''
import json, os, sys, time
from jupyter_carbon.energy.process import ProcessTree
tree = ProcessTree()
tree.refresh_cpu()
start = tree.cpu_seconds()
open(sys.argv[1] + "/kernel.ready", "w").close()
while not os.path.exists(sys.argv[1] + "/burner.done"): time.sleep(0.02)
tree.refresh()
tree.refresh_cpu()
print(json.dumps({"during": tree.cpu_seconds() - start, "marker": tree._marker, "pid": os.getpid()}))
'''
burner = '''
import os, sys, time
while not os.path.exists(sys.argv[2] + "/kernel.ready"): time.sleep(0.02)
end = time.process_time() + float(sys.argv[1])
while time.process_time() < end: pass
open(sys.argv[2] + "/burner.done", "w").close()
'''
kernel = subprocess.Popen([sys.executable, "-c", kernel_code, folder], process_group=0, stdout=subprocess.PIPE, text=True)
sibling = subprocess.Popen([sys.executable, "-c", burner, burn_s, folder], process_group=kernel.pid)
out, _ = kernel.communicate(timeout=60)
sibling.wait(timeout=60)
print(out.strip())
"""


def test_the_other_commands_of_the_kernels_pipeline_are_not_charged(tmp_path):
    proc = subprocess.run([sys.executable, "-c", PIPELINE, str(BURN_S), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["marker"] == [1, got["pid"]]
    assert got["during"] < 0.3 * BURN_S, got
