"""On a real NVIDIA GPU (marker ``gpu``; skipped where NVML finds none)."""

import os
import time

import pytest

pytestmark = pytest.mark.gpu


def test_real_nvml_source_reads_every_visible_gpu():
    from jupyter_carbon.energy.nvml import NvmlSource
    from jupyter_carbon.energy.process import ProcessTree

    src = NvmlSource(ProcessTree(), time.monotonic())
    try:
        first = {r.domain: r for r in src.read(time.monotonic())}
        assert first, "NVML found GPUs but the source reads none"
        time.sleep(1.0)
        powers = src.sample(time.monotonic())
        later = {r.domain: r for r in src.read(time.monotonic())}
        for domain, r in later.items():
            assert r.device_energy_j >= first[domain].device_energy_j
            assert r.method in ("measured", "integrated")
        # An idle GPU still draws tens of watts; a second of it shows on the counter.
        assert all(p.device_power_w > 1.0 for p in powers)
        assert any(later[d].device_energy_j - first[d].device_energy_j > 1.0 for d in later)
    finally:
        src.close()


def test_gpu_work_is_charged_to_this_process():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    from jupyter_carbon.meter import Meter, measure

    a = torch.randn(8192, 8192, device="cuda")
    torch.cuda.synchronize()
    meter = Meter()
    try:
        meter.tick()  # the sampler sees this process's context
        with measure(meter) as m:
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                a = (a @ a).clamp_(-1, 1)
            torch.cuda.synchronize()
        assert m.by_component["gpu"] > 50.0  # 3 s of matmul is hundreds of joules on any data-centre GPU
        assert m.method["gpu"] in ("measured", "integrated")
    finally:
        meter.close()


def _torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    return torch


def test_the_gpu_this_process_uses_is_found_and_says_how():
    torch = _torch_cuda()
    from jupyter_carbon.energy.devfiles import DeviceFiles
    from jupyter_carbon.energy.nvml import NvmlSource
    from jupyter_carbon.energy.process import ProcessTree

    torch.zeros(1, device="cuda")
    torch.cuda.synchronize()
    held = DeviceFiles().held({os.getpid()})
    assert any(name.startswith("nvidia") and name[6:].isdigit() for name in held), held  # CUDA holds /dev/nvidia<minor>
    src = NvmlSource(ProcessTree(), time.monotonic())
    try:
        used = [g for g in src.gpus if g.use.in_use]
        assert used, [g.use.decided_by for g in src.gpus]
        print("\n".join(f"{g.domain}: {g.use.decided_by}; foreign PIDs: {src.foreign_pids}" for g in src.gpus))
    finally:
        src.close()


def test_queued_kernels_are_charged_to_the_cell_that_launched_them():
    torch = _torch_cuda()
    from jupyter_carbon.gpusync import synchronise
    from jupyter_carbon.meter import Meter
    from jupyter_carbon.session import Session

    a = torch.randn(8192, 8192, device="cuda")
    torch.cuda.synchronize()
    meter = Meter()
    session = Session(meter, persist=False, sync=synchronise)
    try:
        meter.tick()
        cell = session.begin(source="launch")
        for _ in range(200):  # seconds of matmuls, queued in a few milliseconds
            a = (a @ a).clamp_(-1, 1)
        record = session.end(cell)
        assert record.duration_s > 0.5  # the end of the cell waited for the work
        assert record.by_component["gpu"] > 50.0
    finally:
        session.close()
        meter.close()


def test_a_gpu_held_between_cells_is_an_idle_span():
    torch = _torch_cuda()
    from jupyter_carbon.meter import Meter
    from jupyter_carbon.session import Session

    held = torch.empty(1 << 28, device="cuda")  # 1 GiB held between the cells
    meter = Meter()
    session = Session(meter, persist=False)
    try:
        meter.tick()
        session.end(session.begin(source="x = 1"))
        time.sleep(5.0)
        session.end(session.begin(source="y = 2"))
        span = session.idle_spans[-1]
        assert span.before_cell == 2 and span.duration_s >= 5.0
        assert span.by_component["gpu"] / span.duration_s > 10.0  # an idle data-centre GPU draws tens of W
    finally:
        session.close()
        meter.close()
        del held
