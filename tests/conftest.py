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
