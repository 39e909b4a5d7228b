"""Regression tests of issue 17 for the magics and the cell hooks, in a real in-process shell."""

import gc
import os
import signal
import time

import pytest
from IPython.core.error import UsageError
from test_magics import records, run

from jupyter_carbon.kernel.extension import CarbonExtension, extension_of
from jupyter_carbon.ledger import read_ledger
from jupyter_carbon.session import Session



def test_programmatic_carbon_magic_lets_the_exception_through(shell):
    result, out = run(shell, "get_ipython().run_cell_magic('carbon', '-q', 'raise ValueError(\"boom\")')\nprint('continued')")
    assert type(result.error_in_exec) is ValueError and str(result.error_in_exec) == "boom"
    assert "continued" not in [line.strip() for line in out.stdout.splitlines()]
    assert [(r.status, r.error) for r in records(shell)] == [("error", "ValueError")]


def test_nested_carbon_magic_lets_the_exception_through(shell):
    result, _ = run(shell, "%%carbon -q\n%%carbon -q\n1/0")
    assert type(result.error_in_exec) is ZeroDivisionError
    assert [(r.status, r.error) for r in records(shell)] == [("error", "ZeroDivisionError")]


def test_programmatic_carbon_magic_keeps_the_cells_value_and_namespace(shell):
    result, out = run(shell, "%%carbon -q\n%%carbon -q\nx_17 = 6\nx_17 * 7")
    assert result.error_in_exec is None and result.result == 42 and shell.user_ns["x_17"] == 6
    shell.user_ns.pop("x_17")


def test_reset_mid_session_numbers_the_new_sessions_cells_from_one(shell):
    for cell in ("a = 1", "b = 2", "%carbon reset", "c = 3", "d = 4"):
        run(shell, cell)
    session = extension_of(shell).session
    assert [r.index for r in session.records] == [1, 2, 3]
    assert [r.source for r in session.records] == ["%carbon reset", "c = 3", "d = 4"]
    assert [r.index for r in read_ledger(session.ledger.path).records] == [1, 2, 3]


@pytest.mark.parametrize("name", ["__builtins__", "print", "class", "not a name", "1x", "x.y"])
def test_output_name_must_be_a_plain_identifier(shell, name):
    result, out = run(shell, f"%%carbon -q -o '{name}'\n1 + 1")
    assert isinstance(result.error_in_exec, UsageError), out.stdout + out.stderr
    after, _ = run(shell, "2 + 2")
    assert after.result == 4 and after.error_in_exec is None


def test_an_unclosed_quote_in_the_cell_magic_is_a_usage_error(shell):
    result, out = run(shell, "%%carbon -r 'FR\n1 + 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "Traceback" not in out.stdout + out.stderr


def test_an_interrupt_inside_the_end_hook_still_records_the_cell(shell):
    ext = extension_of(shell)
    meter = ext.session.meter
    snapshot = meter.snapshot
    calls = []

    def interrupted_snapshot(**kwargs):
        calls.append(1)
        if len(calls) == 2:  # the end of the cell: a real SIGINT lands here
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        return snapshot(**kwargs)

    meter.snapshot = interrupted_snapshot
    try:
        result, out = run(shell, "x = 1")
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped the end hook")
    finally:
        meter.snapshot = snapshot
    assert len(calls) >= 2
    assert "Error in callback" not in out.stdout and "Traceback" not in out.stdout + out.stderr
    assert [r.source for r in records(shell)] == ["x = 1"]
    assert records(shell)[0].status in ("ok", "interrupted")
    run(shell, "y = 2")
    assert [r.index for r in records(shell)] == [1, 2]


def test_unloading_frees_the_extension_and_its_session(ip, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CARBON_REGION", "FR")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path)
    from IPython.utils.capture import capture_output

    def kept():
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, (CarbonExtension, Session))}

    earlier = kept()  # other tests' shells may still be referenced by pytest's reports
    with capture_output():
        for _ in range(10):
            ip.run_line_magic("load_ext", "jupyter_carbon")
            ip.run_line_magic("unload_ext", "jupyter_carbon")
    assert kept() - earlier == set()



def test_user_code_that_replaces_the_clocks_changes_no_figure_and_prints_nothing(shell):
    """Issue 23: a notebook replacing ``time.process_time``/``time.monotonic``/``time.time``
    made every cell print a traceback and be charged 0 J."""
    run(shell, "import time as _t23; _saved_23 = (_t23.process_time, _t23.monotonic, _t23.time)")
    try:
        _, patched = run(shell, "_t23.process_time = lambda: 'frozen'; _t23.monotonic = lambda: 0.0; _t23.time = None")
        outs = [run(shell, "sum(i * i for i in range(3_000_000))")[1] for _ in range(2)]
    finally:
        run(shell, "_t23.process_time, _t23.monotonic, _t23.time = _saved_23")
    for out in (patched, *outs):
        assert out.stderr == "" and "Traceback" not in out.stdout, out.stdout + out.stderr
    busy = records(shell)[-3:-1]
    assert [r.status for r in busy] == ["ok", "ok"]
    assert all(r.energy_j > 0 and r.duration_s > 0 for r in busy), [(r.energy_j, r.duration_s) for r in busy]
