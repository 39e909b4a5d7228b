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


def test_a_meter_without_gpus_loads_no_gpu_module():
    """No NVIDIA driver and no amdsmi here: the GPU modules would only say so, at a cost."""
    import importlib.util

    import pytest

    from jupyter_carbon.energy.sources import nvidia_driver

    if nvidia_driver() or importlib.util.find_spec("amdsmi") is not None:
        pytest.skip("this machine has an NVIDIA driver or amdsmi: the GPU modules are meant to load")
    loaded = loaded_after("import jupyter_carbon; jupyter_carbon.Meter(start=False).close()")
    gpu = {"jupyter_carbon.energy.amd", "jupyter_carbon.energy.nvml", "jupyter_carbon.energy.gpu", "pynvml", "amdsmi"}
    assert not loaded & gpu, loaded & gpu


def test_a_meter_without_rapl_zones_says_so_without_loading_the_rapl_module(tmp_path):
    from jupyter_carbon.config import CarbonMeter
    from jupyter_carbon.energy.sources import discover_sources
    from jupyter_carbon.meter import Meter

    (tmp_path / "intel-rapl").mkdir()  # no zone ("intel-rapl:0"): only the control type
    loaded = loaded_after(
        f"from jupyter_carbon import Meter; from jupyter_carbon.config import CarbonMeter; "
        f"Meter(start=False, config=CarbonMeter(powercap_root={str(tmp_path)!r})).close()"
    )
    assert "jupyter_carbon.energy.rapl" not in loaded
    meter = Meter(start=False, config=CarbonMeter(powercap_root=str(tmp_path)))
    meter.close()
    _, notes = discover_sources(CarbonMeter(powercap_root=str(tmp_path), enable_nvml=False), now=0.0, tree=meter.tree)
    assert f"CPU: no RAPL counters (no RAPL package zones under {tmp_path}); estimated instead." in notes
