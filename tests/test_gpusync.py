"""Cell edges wait for queued GPU work, with fake frameworks: never importing a real one."""

import sys
import types

import pytest
from fakes import FakeGpu, FakeNvml, FakeProcFs

from jupyter_carbon.energy.nvml import NvmlSource
from jupyter_carbon.gpusync import synchronise
from jupyter_carbon.meter import Meter
from jupyter_carbon.session import Session

OURS = 4242


class FakeCuda:
    """torch.cuda with a queue of work: the GPU runs it at full power, and synchronize()
    waits (the fake clock advances) until it is done."""

    def __init__(self, clock, gpu, initialised=True, idle_w=60.0, busy_w=400.0):
        self.clock, self.gpu = clock, gpu
        self.initialised = initialised
        self.queued_s = 0.0
        self.idle_w, self.busy_w = idle_w, busy_w
        self.synchronized = []
        gpu.power_w = idle_w
        clock.on_advance(self._run)

    def _run(self, seconds):
        # The GPU draws idle power throughout (the fake NVML counts it) and the extra of
        # the work for as long as work is queued.
        busy = min(self.queued_s, seconds)
        self.gpu.energy_mj += (self.busy_w - self.idle_w) * busy * 1e3
        self.queued_s -= busy

    def launch(self, seconds):
        self.queued_s += seconds

    def is_initialized(self):
        return self.initialised

    def device_count(self):
        return 1

    def synchronize(self, device=None):
        self.synchronized.append(device)
        if self.queued_s:
            self.clock.advance(self.queued_s)


@pytest.fixture
def gpu_session(clock, tree, tmp_path):
    gpu = FakeGpu(processes=[OURS])
    procfs = FakeProcFs(tmp_path, pids=(OURS,))
    src = NvmlSource(tree, clock(), nvml=FakeNvml([gpu], clock), env={}, proc_root=procfs.proc, dev_root=procfs.dev)
    meter = Meter([src], clock=clock, start=False)

    def make(sync):
        return Session(meter, persist=False, sync=sync)

    return gpu, make


def fake_torch(clock, gpu, **kw):
    return types.SimpleNamespace(cuda=FakeCuda(clock, gpu, **kw))


def test_a_cell_is_charged_for_the_kernels_it_launched(clock, gpu_session, monkeypatch):
    gpu, make = gpu_session
    torch = fake_torch(clock, gpu)
    monkeypatch.setitem(sys.modules, "torch", torch)
    session = make(synchronise)
    cell = session.begin(source="model(x)")
    torch.cuda.launch(2.0)  # two seconds of GPU work queued; the cell's Python returns at once
    clock.advance(0.1)
    record = session.end(cell)
    assert record.duration_s == pytest.approx(2.0)  # the wait is the cell's time
    assert record.by_component["gpu"] == pytest.approx(2.0 * 400.0)
    nxt = session.begin(source="print(1)")
    clock.advance(1.0)
    assert session.end(nxt).by_component["gpu"] == pytest.approx(60.0)  # idle: nothing spilled over
    assert torch.cuda.synchronized  # both edges


def test_without_the_sync_the_work_spills_into_the_next_cell(clock, gpu_session, monkeypatch):
    gpu, make = gpu_session
    torch = fake_torch(clock, gpu)
    monkeypatch.setitem(sys.modules, "torch", torch)
    session = make(None)
    cell = session.begin(source="model(x)")
    torch.cuda.launch(2.0)
    clock.advance(0.1)
    first = session.end(cell)
    nxt = session.begin(source="print(1)")
    clock.advance(3.0)
    second = session.end(nxt)
    assert first.by_component["gpu"] == pytest.approx(0.1 * 400.0)
    assert second.by_component["gpu"] == pytest.approx(1.9 * 400.0 + 1.1 * 60.0)
    assert not torch.cuda.synchronized


def test_frameworks_without_a_gpu_context_are_left_alone(clock):
    gpu = FakeGpu()
    torch = fake_torch(clock, gpu, initialised=False)
    assert synchronise({"torch": torch}) == []
    assert torch.cuda.synchronized == []


def test_no_framework_is_ever_imported():
    before = set(sys.modules)
    assert synchronise({}) == []
    synchronise()
    assert not {"torch", "cupy", "jax"} & (set(sys.modules) - before)


def test_cupy_and_jax_are_waited_on_once_they_hold_the_gpu():
    calls = []
    pool = types.SimpleNamespace(total_bytes=lambda: 1 << 20)
    cupy = types.SimpleNamespace(
        get_default_memory_pool=lambda: pool,
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(deviceSynchronize=lambda: calls.append("cupy"))),
    )
    array = types.SimpleNamespace(block_until_ready=lambda: calls.append("jax"))
    jax = types.SimpleNamespace(live_arrays=lambda: [array, array])
    bridge = types.SimpleNamespace(_backends={"cuda": object()})
    assert synchronise({"cupy": cupy, "jax": jax, "jax._src.xla_bridge": bridge}) == ["cupy", "jax"]
    assert calls == ["cupy", "jax", "jax"]
    unused = types.SimpleNamespace(total_bytes=lambda: 0)
    cupy.get_default_memory_pool = lambda: unused
    assert synchronise({"cupy": cupy, "jax": jax, "jax._src.xla_bridge": types.SimpleNamespace(_backends={})}) == []


def test_a_framework_that_fails_to_synchronise_is_skipped(clock):
    def broken(device=None):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    torch = fake_torch(clock, FakeGpu())
    torch.cuda.synchronize = broken
    assert synchronise({"torch": torch}) == []

