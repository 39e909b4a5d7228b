"""Energy between cells: a held GPU, recorded as idle spans apart from the cells, everywhere."""

import json

import pytest
from fakes import FakeGpu, FakeNvml, FakeProcFs, run_cell

from jupyter_carbon.carbon import CarbonContext
from jupyter_carbon.config import CarbonMeter
from jupyter_carbon.energy.nvml import NvmlSource
from jupyter_carbon.ledger import read_ledger
from jupyter_carbon.meter import Meter
from jupyter_carbon.report import Report, render
from jupyter_carbon.report.text import summary_text
from jupyter_carbon.session import Session
from jupyter_carbon.text import status_line

OURS = 4242


@pytest.fixture
def carbon():
    c = CarbonContext(CarbonMeter(region="FR"), env={}, timezone="")
    yield c
    c.close()


def gpu_meter(clock, tree, tmp_path, processes):
    gpu = FakeGpu(power_w=80.0, processes=processes)  # a held GPU idles at tens of watts
    procfs = FakeProcFs(tmp_path / "fs", pids=(OURS, 999))
    src = NvmlSource(tree, clock(), nvml=FakeNvml([gpu], clock), env={}, proc_root=procfs.proc, dev_root=procfs.dev)
    return gpu, Meter([src], clock=clock, start=False)


def test_a_held_gpu_between_cells_is_an_idle_span_apart_from_the_cells(clock, tree, tmp_path, carbon):
    gpu, meter = gpu_meter(clock, tree, tmp_path, [OURS])
    session = Session(meter, carbon, ledger_dir=tmp_path)
    gpu.power_w = 300.0
    first = run_cell(session, clock, 10.0)
    gpu.power_w = 80.0
    clock.advance(30.0)  # the user reads and types; the kernel holds the GPU
    gpu.power_w = 300.0
    run_cell(session, clock, 5.0)
    assert first.by_component["gpu"] == pytest.approx(3000.0)
    [span] = session.idle_spans
    assert span.energy_j == pytest.approx(30 * 80.0)
    assert span.by_component == {"gpu": pytest.approx(2400.0)} and span.method == {"gpu": "measured"}
    assert span.before_cell == 2 and span.duration_s == pytest.approx(30.0)
    assert span.emissions_g == pytest.approx(2400.0 / 3.6e6 * span.intensity["g_per_kwh"])
    t = session.totals
    assert t.energy_j == pytest.approx(4500.0)  # the cells' figure is the cells' alone
    assert (t.idle_spans, t.idle_energy_j) == (1, pytest.approx(2400.0))
    assert "· between cells 667 mWh over 30 s" in status_line(t, enabled=True, intensity=None)

    gpu.power_w = 80.0
    clock.advance(60.0)
    session.close()  # the span the session closed on is recorded too
    back = read_ledger(session.ledger.path)
    assert [s.before_cell for s in back.idle_spans] == [2, None]
    assert len(back.records) == 2
    assert back.totals.idle_energy_j == pytest.approx(2400.0 + 60 * 80.0)
    assert back.totals.energy_j == pytest.approx(4500.0)

    report = Report.from_ledger(back)
    text = summary_text(report)
    assert "Session energy: cells 1.2 Wh · between cells 2.0 Wh (GPU 2.0 Wh) over 1 min 30 s" in text
    assert "between cells" in render(report, "md") and "between cells" in render(report, "html")
    assert "Between cells, the kernel's devices drew a further" in render(report, "latex")
    exported = json.loads(render(report, "json"))
    assert [s["type"] for s in exported["idle_spans"]] == ["idle", "idle"]
    assert exported["totals"]["idle_energy_j"] == pytest.approx(7200.0)
    rows = render(report, "csv").splitlines()
    assert len(rows) == 1 + 2 + 2 and rows[-1].split(",")[7] == "idle"


def test_a_kernel_that_holds_no_device_records_nothing_between_cells(clock, tree, tmp_path):
    _, meter = gpu_meter(clock, tree, tmp_path, [999])  # someone else's job on the GPU
    session = Session(meter, persist=False)
    run_cell(session, clock, 1.0)
    clock.advance(600.0)
    run_cell(session, clock, 1.0)
    session.close()
    assert session.idle_spans == [] and session.totals.idle_energy_j == 0.0


def test_idle_spans_can_be_switched_off(clock, tree, tmp_path):
    _, meter = gpu_meter(clock, tree, tmp_path, [OURS])
    session = Session(meter, persist=False, idle=False)
    run_cell(session, clock, 1.0)
    clock.advance(30.0)
    run_cell(session, clock, 1.0)
    assert session.idle_spans == []


def test_time_with_metering_off_is_no_idle_time(clock, tree, tmp_path):
    _, meter = gpu_meter(clock, tree, tmp_path, [OURS])
    session = Session(meter, persist=False)
    run_cell(session, clock, 1.0)
    clock.advance(30.0)  # unmetered cells run here
    session.skip_idle()
    run_cell(session, clock, 1.0)
    assert session.idle_spans == []
    clock.advance(10.0)
    run_cell(session, clock, 1.0)
    assert [s.energy_j for s in session.idle_spans] == [pytest.approx(800.0)]


def test_the_kernel_extension_follows_record_idle_and_sync_gpu_and_skips_unmetered_cells():
    from IPython.testing.globalipapp import get_ipython
    from traitlets.config import Config

    from jupyter_carbon.gpusync import synchronise
    from jupyter_carbon.kernel.extension import CarbonExtension

    shell = get_ipython()
    saved = shell.config
    try:
        for on in (True, False):
            shell.config = Config({"CarbonMeter": {"record_idle": on, "sync_gpu": on, "persist": False}})
            meter = Meter([], start=False)
            ext = CarbonExtension(shell, meter=meter, carbon=None)
            assert ext.session.record_idle is on
            assert (ext.session.sync is synchronise) is on
            ext.enabled = False
            ext.pre_run_cell(type("Info", (), {"raw_cell": "x = 1"})())
            ext.post_run_cell(None)
            assert ext.session._last_edge is None  # what ran unmetered is no idle time
            ext.session.close()
            meter.close()
    finally:
        shell.config = saved


def test_a_headless_run_hears_of_the_idle_spans_too(clock, tree, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from jupyter_carbon.kernel import headless

    _, meter = gpu_meter(clock, tree, tmp_path, [OURS])
    session = Session(meter, persist=False)
    monkeypatch.setattr(headless, "extension_of", lambda shell: SimpleNamespace(session=session))
    run_cell(session, clock, 1.0)
    clock.advance(2.0)
    run_cell(session, clock, 1.0)
    answer = json.loads(headless.kernel_records(None, session.session_id, 1, 0))
    assert len(answer["records"]) == 1
    assert [s["energy_j"] for s in answer["idle_spans"]] == [pytest.approx(160.0)]
    assert json.loads(headless.kernel_records(None, session.session_id, 2, 1))["idle_spans"] == []
    assert len(json.loads(headless.kernel_records(None, "an older session", 2, 1))["idle_spans"]) == 1


@pytest.mark.slow
def test_jupyter_carbon_run_reports_the_energy_between_cells(tmp_path):
    from runs import cli, environment, kernel_env, write_notebook

    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    # Resident memory priced high enough that the milliseconds between two cells of a run
    # cost more than the idle threshold, as a held GPU does.
    (profile / "ipython_kernel_config.py").write_text("c.CarbonMeter.memory_w_per_gb = 20000.0\n")
    notebook = write_notebook(tmp_path / "nb.ipynb", [("code", "x = 1"), ("code", "import time; time.sleep(0.2)"), ("code", "y = 2")])
    with environment({**kernel_env(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython")}):
        code, out, err = cli("run", notebook, "--output", tmp_path / "report.json", "--save-executed", tmp_path / "out.ipynb")
    assert code == 0, err
    report = json.loads((tmp_path / "report.json").read_text())
    spans = report["idle_spans"]
    assert spans and all(s["type"] == "idle" and s["energy_j"] >= 1.0 for s in spans)
    assert report["totals"]["idle_energy_j"] == pytest.approx(sum(s["energy_j"] for s in spans))
    assert report["totals"]["energy_j"] == pytest.approx(sum(c["energy_j"] for c in report["cells"]))
    import nbformat

    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert executed.metadata["jupyter_carbon"]["idle_energy_j"] > 0


def test_an_idle_span_held_by_a_cell_is_recorded_if_the_cell_is_ours_and_dropped_if_not(clock, tree, tmp_path, carbon):
    """A server metering a Python kernel learns only at a cell's end whether the kernel
    recorded the cell (and the time before it) itself: the span waits for that answer."""
    from jupyter_carbon.server.held import HeldIdleSession

    gpu, meter = gpu_meter(clock, tree, tmp_path, [OURS])
    session = HeldIdleSession(meter, carbon, ledger_dir=tmp_path)
    run_cell(session, clock, 1.0)
    clock.advance(20.0)
    ours = session.begin(hold_idle=True)
    assert session.idle_spans == []  # not yet: whose is this cell?
    clock.advance(1.0)
    session.end(ours)
    [span] = session.idle_spans
    assert span.duration_s == pytest.approx(20.0) and span.before_cell == 2 and span.ended_at == ours.started_at
    clock.advance(20.0)
    theirs = session.begin(hold_idle=True)
    clock.advance(1.0)
    session.discard(theirs)  # the kernel recorded it, and the 20 s before it
    clock.advance(20.0)
    run_cell(session, clock, 1.0)  # nor is the time after a discarded cell ours
    assert len(session.idle_spans) == 1 and session.totals.idle_spans == 1
    session.close()
    back = read_ledger(session.ledger.path)
    assert [s.before_cell for s in back.idle_spans][:1] == [2] and len(back.records) == 3
