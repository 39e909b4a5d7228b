"""``distributed`` and ``ray`` are optional: without them, and with them installed but not
imported, the extension meters cells exactly as before and never imports them."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
{block}
import jupyter_carbon
from IPython.testing.globalipapp import start_ipython
shell = start_ipython()
shell.run_line_magic("config", "CarbonMeter.persist = False")
shell.run_line_magic("load_ext", "jupyter_carbon")
shell.run_cell("x = sum(range(10000))")
shell.run_cell("%carbon cluster")
from jupyter_carbon.kernel.extension import extension_of
records = extension_of(shell).session.records
assert len(records) == 2 and records[0].cluster is None, records
assert "distributed" not in sys.modules or {blocked}, "metering imported distributed"
assert "ray" not in sys.modules or {blocked}, "metering imported ray"
assert "jupyter_carbon.cluster.dask" not in sys.modules
assert "jupyter_carbon.cluster.ray" not in sys.modules
print("ok")
"""

BLOCK = """
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("distributed", "ray"):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Refuse())
"""


def run(block: str, blocked: bool, tmp_path) -> subprocess.CompletedProcess:
    code = SCRIPT.format(block=block, blocked=blocked)
    env = {"JUPYTER_DATA_DIR": str(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def test_without_distributed_or_ray_the_extension_meters_as_before(tmp_path):
    done = run(BLOCK, True, tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
    assert "no cluster client in this kernel" in done.stdout


def test_with_distributed_and_ray_installed_but_not_imported_they_are_never_imported(tmp_path):
    done = run("", False, tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr


@pytest.mark.ray
def test_with_ray_imported_but_not_connected_nothing_is_asked(tmp_path):
    """``import ray`` alone: the backend loads, finds no connection, and connects to nothing."""
    pytest.importorskip("ray")
    code = SCRIPT.format(block="import ray", blocked=True).replace('assert "jupyter_carbon.cluster.ray" not in sys.modules', "")
    code += "assert 'jupyter_carbon.cluster.ray' in sys.modules and not ray.is_initialized()\nprint('not connected')\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180,
                          env={"JUPYTER_DATA_DIR": str(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython"), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip().endswith("not connected"), done.stderr
