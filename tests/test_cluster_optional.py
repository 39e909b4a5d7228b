"""``distributed`` is optional: without it, and with it installed but not imported, the
extension meters cells exactly as before and never imports it."""

from __future__ import annotations

import subprocess
import sys

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
assert "jupyter_carbon.cluster.dask" not in sys.modules
print("ok")
"""

BLOCK = """
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "distributed" or name.startswith("distributed."):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Refuse())
"""


def run(block: str, blocked: bool, tmp_path) -> subprocess.CompletedProcess:
    code = SCRIPT.format(block=block, blocked=blocked)
    env = {"JUPYTER_DATA_DIR": str(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def test_without_distributed_the_extension_meters_as_before(tmp_path):
    done = run(BLOCK, True, tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
    assert "no cluster client in this kernel" in done.stdout


def test_with_distributed_installed_but_not_imported_it_is_never_imported(tmp_path):
    done = run("", False, tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
