"""Regression tests of issue 23 (points 8-10) for the magics, in a real in-process shell."""

import pytest
from test_magics import carbon_lines, records, run

from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.ledger import read_ledger


# -- 8. quotes in magics are read as a shell reads them ----------------------------------------
@pytest.mark.parametrize("line, zone", [
    ('%carbon region "quebec city"', "CA-QC"),
    ("%carbon region 'São Paulo'", "BR"),
    ("%carbon region quebec city", "CA-QC"),  # one place in several words: unambiguous
    ("%carbon region São Paulo", "BR"),
])
def test_region_takes_quoted_and_multi_word_places(shell, line, zone):
    result, out = run(shell, line)
    assert result.error_in_exec is None, out.stdout + out.stderr
    assert extension_of(shell).intensity_dict()["zone"].startswith(zone), out.stdout


@pytest.mark.parametrize("option", ['-r "São Paulo"', "-r São Paulo", "-r 'quebec city' -q"])
def test_cell_magic_region_takes_quoted_and_multi_word_places(shell, option):
    result, out = run(shell, f"%%carbon {option}\nx_8 = 1")
    assert result.error_in_exec is None, out.stdout + out.stderr
    assert records(shell)[-1].intensity["zone"].startswith(("BR", "CA-QC"))
    assert records(shell)[-1].magic is True


def test_export_takes_a_quoted_file_name_with_a_space(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(shell, "x = 1")
    result, out = run(shell, '%carbon export "my report.md"')
    assert result.error_in_exec is None, out.stdout + out.stderr
    assert (tmp_path / "my report.md").is_file()
    assert not list(tmp_path.glob('"*'))


@pytest.mark.parametrize("hardware", ['"V100 SXM2"', "V100 SXM2", "'V100 SXM2'"])
def test_estimate_takes_quoted_and_multi_word_hardware(shell, hardware):
    result, out = run(shell, f"%carbon estimate --hardware {hardware} --hours 2 --region FR")
    assert result.error_in_exec is None, out.stdout + out.stderr
    assert "V100 SXM2" in out.stdout and '"' not in out.stdout.split("\n")[0]


def test_an_unclosed_quote_in_a_line_magic_is_one_usage_error(shell):
    result, out = run(shell, "%carbon region 'FR")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "quot" in str(result.error_in_exec)


# -- 9. stacked cell magics, in either order --------------------------------------------------
def test_stacked_carbon_lines_keep_the_outer_options(shell):
    result, out = run(shell, "%%carbon -q -o rec\n%%carbon\nx_9 = 6 * 7\nx_9")
    assert result.error_in_exec is None and result.result == 42
    assert shell.user_ns["rec"] is records(shell)[-1]
    assert carbon_lines(out) == []  # -q of the outer line holds
    assert records(shell)[-1].magic is True and records(shell)[-1].source == "x_9 = 6 * 7"


def test_stacked_carbon_lines_merge_options(shell):
    result, out = run(shell, "%%carbon -r SE\n%%carbon -q -o rec\nx_9 = 1")
    assert result.error_in_exec is None
    assert shell.user_ns["rec"].intensity["zone"] == "SE" and carbon_lines(out) == []


def test_time_over_carbon_meters_the_cell_and_shows_both_lines(shell):
    result, out = run(shell, "%%time\n%%carbon -o rec\nx_9 = sum(range(1000))\nx_9")
    assert result.error_in_exec is None and result.result == sum(range(1000))
    assert "Wall time" in out.stdout
    assert len(carbon_lines(out)) == 1
    record = records(shell)[-1]
    assert record.magic is True and shell.user_ns["rec"] is record
    assert record.source == "%%time"  # the first line of what runs, as for any %%time cell


def test_carbon_over_time_meters_the_cell_and_shows_both_lines(shell):
    result, out = run(shell, "%%carbon\n%%time\nx_9 = 2")
    assert result.error_in_exec is None and "Wall time" in out.stdout
    assert len(carbon_lines(out)) == 1 and records(shell)[-1].magic is True


def test_capture_over_carbon_keeps_the_carbon_options(shell):
    result, out = run(shell, "%%capture captured\n%%carbon -q -o rec\nprint('inside')")
    assert result.error_in_exec is None
    assert "inside" in shell.user_ns["captured"].stdout
    assert shell.user_ns["rec"] is records(shell)[-1]
    shell.user_ns.pop("captured", None)


# -- 10. --ledger previous after %carbon reset -------------------------------------------------
def test_previous_after_reset_is_this_kernels_previous_session(shell, tmp_path):
    from jupyter_carbon.ledger import Ledger

    run(shell, "x_10 = 1")
    ext = extension_of(shell)
    first = ext.session.session_id
    run(shell, "%carbon reset")
    # A newer, empty ledger of a process that has exited, with no notebook or kernel id:
    # what terminal IPython's identity matched before.
    stray = Ledger(ext.session.ledger_dir / "29990101T000000Z-999999-abcdef.jsonl",
                   {"session_id": "29990101T000000Z-999999-abcdef", "started_at": "2999-01-01T00:00:00Z", "pid": 999999})
    stray.close()
    result, out = run(shell, "%carbon summary --ledger previous")
    assert result.error_in_exec is None, out.stdout + out.stderr
    text = out.stdout + "".join(o.data.get("text/plain", "") for o in out.outputs)
    assert first in text and "x_10 = 1" in text
    assert "no cell has been metered yet in this session" not in text


def test_a_saved_session_without_cells_says_which_session_it_is(shell):
    ext = extension_of(shell)
    empty = ext.session.ledger.path
    run(shell, "%carbon reset")
    result, out = run(shell, f"%carbon summary --ledger '{empty}'")
    text = "".join(o.data.get("text/plain", "") for o in out.outputs) + out.stdout
    assert "this session" not in text
    assert empty.stem in text and str(empty) in text
