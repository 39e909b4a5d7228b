"""On a real NVIDIA GPU (marker ``gpu``; skipped where NVML finds none)."""

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
