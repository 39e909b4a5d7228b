"""``import jupyter_carbon`` stays light: heavy modules load only when used."""

import json
import subprocess
import sys

HEAVY = ["psutil", "pynvml", "IPython", "ipywidgets", "traitlets", "numpy", "pandas", "matplotlib"]


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout))


def test_import_loads_no_heavy_module():
    loaded = loaded_after("import jupyter_carbon")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_meter_loads_on_first_use():
    loaded = loaded_after("import jupyter_carbon; jupyter_carbon.Meter(start=False).close()")
    assert "psutil" in loaded and "jupyter_carbon.meter" in loaded
    assert "IPython" not in loaded
