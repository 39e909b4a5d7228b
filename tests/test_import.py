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


def test_load_ext_with_no_zone_set_loads_only_what_metering_needs(tmp_path):
    """A kernel with no zone set, no GPU, no RAPL and no live provider: ``%load_ext`` reads
    no place names, no cloud regions, no RAPL or GPU code, no provider and no projection
    arithmetic (each loads on first use), so that loading stays cheap."""
    loaded = loaded_after(
        "import io, contextlib, os; os.environ.pop('JUPYTER_CARBON_REGION', None); os.environ['TZ'] = 'UTC'; "
        f"os.environ['JUPYTER_DATA_DIR'] = {str(tmp_path)!r}; "
        "from IPython.core.interactiveshell import InteractiveShell; sh = InteractiveShell.instance(); "
        "quiet = contextlib.redirect_stdout(io.StringIO()); quiet.__enter__(); "
        "sh.run_line_magic('load_ext', 'jupyter_carbon'); quiet.__exit__(None, None, None)"
    )
    assert "jupyter_carbon.kernel.extension" in loaded and "jupyter_carbon.session" in loaded
    lazy = {"jupyter_carbon.carbon.places", "jupyter_carbon.carbon.cloud", "jupyter_carbon.carbon.providers",
            "jupyter_carbon.energy.rapl", "jupyter_carbon.energy.amd", "jupyter_carbon.projection"}  # fmt: skip
    assert not loaded & lazy, loaded & lazy


def test_load_ext_creates_only_the_records_dataclasses(tmp_path):
    """A dataclass costs a kernel's start one to three milliseconds to create (its methods
    are compiled from source); the values on the load path are NamedTuples or plain classes.
    Only the session's records and totals, whose fields the ledger and reports enumerate,
    stay dataclasses: a new one on ``%load_ext``'s path should be a NamedTuple instead."""
    code = (
        "import io, contextlib, os, json, dataclasses; os.environ['JUPYTER_CARBON_REGION'] = 'FR'; "
        f"os.environ['JUPYTER_DATA_DIR'] = {str(tmp_path)!r}; "
        "from IPython.core.interactiveshell import InteractiveShell; sh = InteractiveShell.instance(); "
        "made = []; wrapped = dataclasses._process_class; "
        "dataclasses._process_class = lambda cls, *a, **k: (made.append(cls.__module__ + '.' + cls.__qualname__), wrapped(cls, *a, **k))[1]; "
        "quiet = contextlib.redirect_stdout(io.StringIO()); quiet.__enter__(); "
        "sh.run_line_magic('load_ext', 'jupyter_carbon'); quiet.__exit__(None, None, None); print(json.dumps(made))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    made = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert made == {"jupyter_carbon.records.CellRecord", "jupyter_carbon.records.IdleSpan", "jupyter_carbon.records.Totals"}, made


def after_load_ext(tmp_path, probe: str, region: str | None = "FR", tz: str = "UTC") -> object:
    """``probe`` (an expression, JSON-able) evaluated in a fresh shell just after ``%load_ext``."""
    zone = f"os.environ['JUPYTER_CARBON_REGION'] = {region!r}; " if region else "os.environ.pop('JUPYTER_CARBON_REGION', None); "
    code = (
        f"import io, contextlib, os, json, sys; {zone}os.environ['TZ'] = {tz!r}; "
        f"os.environ['JUPYTER_DATA_DIR'] = {str(tmp_path)!r}; "
        "from IPython.core.interactiveshell import InteractiveShell; sh = InteractiveShell.instance(); "
        "quiet = contextlib.redirect_stdout(io.StringIO()); quiet.__enter__(); "
        "sh.run_line_magic('load_ext', 'jupyter_carbon'); quiet.__exit__(None, None, None); "
        f"print(json.dumps({probe}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_load_ext_builds_no_magic_parser(tmp_path):
    """The magics' argument parsers (and the help they write) are built on first need: a
    ``%carbon`` call or its ``?`` help (tests/test_magics.py), not at ``%load_ext``."""
    probe = "[name for name in ('carbon_line', 'carbon_cell') if 'parser' in vars(getattr(__import__('jupyter_carbon.kernel.magics', fromlist=['x']).CarbonMagics, name))]"
    assert after_load_ext(tmp_path, probe) == []


def test_load_ext_with_a_zone_key_parses_no_whole_table(tmp_path):
    """A zone named by its key (``FR``, as most settings name it) is read from its line of
    the zones table: ``%load_ext`` parses neither the zones nor the places table whole, and
    loads no cloud region code."""
    probe = (
        "(lambda p, z: [z.zones.cache_info().currsize, p._zone_names.cache_info().currsize, "
        "p.place_names.cache_info().currsize, 'jupyter_carbon.carbon.cloud' in sys.modules])(*[__import__(m, fromlist=['x']) for m in "
        "('jupyter_carbon.carbon.places', 'jupyter_carbon.carbon.zones')])"
    )
    assert after_load_ext(tmp_path, probe) == [0, 0, 0, False]


def test_load_ext_guessing_the_zone_from_the_time_zone_parses_no_whole_table(tmp_path):
    """No zone set (the default): the machine's time zone names it, read from its one line
    of the time zone table and the zone's one line of the zones table."""
    probe = (
        "(lambda r, z: [r.timezone_table.cache_info().currsize, z.zones.cache_info().currsize])"
        "(*[__import__(m, fromlist=['x']) for m in ('jupyter_carbon.carbon.resolve', 'jupyter_carbon.carbon.zones')])"
    )
    assert after_load_ext(tmp_path, probe, region=None, tz="Europe/Paris") == [0, 0]
