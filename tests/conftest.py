"""Shared fixtures: a fake clock and the hardware fakes in ``tests/fakes.py``.

Tests marked ``gpu`` need a real NVIDIA GPU and are skipped where NVML finds none.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeClock, FakePowercap, FakeSystem, FakeTree  # noqa: E402


def _real_gpu_present() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return pynvml.nvmlDeviceGetCount() > 0
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if not any("gpu" in item.keywords for item in items) or _real_gpu_present():
        return
    skip = pytest.mark.skip(reason="needs a real NVIDIA GPU (NVML found none)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def tree():
    return FakeTree()


@pytest.fixture
def system():
    return FakeSystem()


@pytest.fixture
def powercap(tmp_path, clock):
    return FakePowercap(tmp_path / "powercap", clock)


@pytest.fixture
def ip():
    """IPython's in-process test shell, created once per process."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    start_ipython()
    return InteractiveShell.instance()


@pytest.fixture
def shell(ip, tmp_path, monkeypatch):
    """The test shell with jupyter_carbon loaded, zone FR, ledgers in a temporary folder."""
    from IPython.utils.capture import capture_output

    monkeypatch.setenv("JUPYTER_CARBON_REGION", "FR")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
    with capture_output() as banner:
        ip.run_line_magic("load_ext", "jupyter_carbon")
    ip.banner_text = banner.stdout
    yield ip
    ip.run_line_magic("unload_ext", "jupyter_carbon")
    ip.user_ns.pop("rec", None)
