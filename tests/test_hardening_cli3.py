"""Regression tests of issue 23 (points 12-14) for ``jupyter carbon``: unknown values in a
ledger, files that are not ledgers, bad configuration, a closed pipe, the recorded hardware."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_cli_carbon import console_script
from test_report import record

from jupyter_carbon import cli
from jupyter_carbon.ledger import Ledger


@pytest.fixture
def profile(tmp_path, monkeypatch):
    """An IPython profile whose files the test writes, and an empty ledger folder."""
    ipython_dir = tmp_path / "ipython"
    folder = ipython_dir / "profile_default"
    folder.mkdir(parents=True)
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("JUPYTER_CARBON_REGION", raising=False)

    def write(name, text):
        (folder / name).write_text(text, encoding="utf-8")

    return write


def saved(tmp_path, *records, header=None, name="s1.jsonl"):
    path = tmp_path / name
    ledger = Ledger(path, header if header is not None else {"session_id": "sess-1", "started_at": "2026-11-22T04:00:00+00:00"})
    for r in records:
        ledger.append(r)
    ledger.close()
    return path


# -- 12. unknown values in a ledger; a file that is not a ledger ------------------------------
def test_an_unknown_method_is_skipped_and_counted_not_a_traceback(tmp_path, capsys, caplog):
    bad = record(2, 100.0)
    bad.method = {"gpu": "guessed", "cpu": "estimated", "memory": "estimated"}
    path = saved(tmp_path, record(1, 100.0), bad, record(3, 100.0))
    assert cli.main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out and "2 cells" in out
    assert "skipped 1 unreadable line" in caplog.text and "guessed" in caplog.text


@pytest.mark.parametrize("text", ["hello world\nthis is not json\n", "", '{"a": 1}\n', "[1, 2]\n"])
def test_a_file_that_is_not_a_ledger_says_so_with_exit_2(tmp_path, capsys, text):
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a ledger" in err and len(err.strip().splitlines()) == 1


def test_a_ledger_with_only_a_header_is_still_a_ledger(tmp_path, capsys):
    path = saved(tmp_path)
    assert cli.main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sess-1" in out and "no cell" in out


# -- 13. bad configuration: one line; a setting a command does not use never stops it ---------
BAD_CONFIGS = [
    ("ipython_config.py", "c.CarbonMeter.ledger_dir = 5\n", "c.CarbonMeter.ledger_dir"),
    ("ipython_config.py", "c.CarbonMeter.cpu_tdp_w = 'lots'\n", "c.CarbonMeter.cpu_tdp_w"),
    ("ipython_config.py", "c.CarbonMeter.region = 'FR'\nthis is (not python\n", "line 2"),
    ("ipython_config.py", "c.CarbonMeter.region = 'FR'\n\nc.CarbonMeter.pue = undefined_name\n", "line 3"),
    ("ipython_config.json", '{"CarbonMeter": {"region": "FR",}', "ipython_config.json"),
]


@pytest.mark.parametrize("name, text, said", BAD_CONFIGS)
@pytest.mark.parametrize("command", [["report", "latest"], ["devices"], ["estimate", "--power", "100", "--hours", "1"]])
def test_bad_configuration_is_one_line_in_every_command(profile, capsys, name, text, said, command):
    profile(name, text)
    code = cli.main(command)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    used = {"report": "ledger_dir", "devices": "cpu_tdp_w", "estimate": "region"}[command[0]]
    if said.startswith("c.CarbonMeter.") and not said.endswith(used):
        assert code == 0 or "no session ledger" in captured.err  # not a setting this command uses
        assert said not in captured.err
    else:
        assert code == 2, captured.err
        (line,) = captured.err.strip().splitlines()
        assert said in line and line.startswith("jupyter carbon: error:")


def test_a_wrong_secret_setting_is_named_without_its_value(profile, capsys):
    profile("ipython_config.py", "c.CarbonMeter.watttime_password = 12345678\n")
    from jupyter_carbon.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "watttime_password" in str(err.value) and "12345678" not in str(err.value)
    assert cli.main(["estimate", "--power", "100", "--hours", "1", "--region", "FR"]) == 0  # does not use it


def test_piping_to_head_ends_quietly(tmp_path):
    path = saved(tmp_path, *[record(i, 100.0 * i) for i in range(1, 400)])
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    for argv in (["report", str(path), "--format", "codecarbon", "--per-cell"], ["regions"], ["report", str(path), "--top", "300"]):
        pipe = subprocess.run(
            f"{' '.join(map(repr, console_script()))} {' '.join(argv)} | head -n 1; exit ${{PIPESTATUS[0]}}",
            shell=True, executable="/bin/bash", capture_output=True, text=True, env=env, timeout=60,
        )
        assert "Traceback" not in pipe.stderr and "BrokenPipe" not in pipe.stderr, pipe.stderr
        assert pipe.stderr == "" and len(pipe.stdout.splitlines()) == 1
        assert pipe.returncode in (0, 141)


# -- 14. the hardware in the ledger header -----------------------------------------------------
def test_a_session_records_its_hardware_and_reports_read_it(shell, capsys):
    from test_magics import run

    from jupyter_carbon.kernel.extension import extension_of
    from jupyter_carbon.ledger import read_header

    ext = extension_of(shell)
    run(shell, "x_14 = 1")
    labels = ext.hardware_labels()
    assert labels and read_header(ext.session.ledger.path)["hardware"] == labels
    path = str(ext.session.ledger.path)
    assert cli.main(["report", path]) == 0
    assert "Hardware: " + ", ".join(labels) in capsys.readouterr().out
    assert cli.main(["report", path, "--format", "model-card"]) == 0
    card = capsys.readouterr().out
    assert "not recorded" not in card and labels[0] in card


def test_a_saved_report_names_the_hardware_it_ran_on_not_the_readers(shell, tmp_path, capsys):
    from test_magics import run

    path = saved(tmp_path, record(1, 100.0), header={"session_id": "sess-1", "hardware": ["Far GPU 9000 (measured)"]})
    result, out = run(shell, f"%carbon export '{tmp_path / 'card.md'}' --ledger '{path}' --format model-card")
    assert result.error_in_exec is None, out.stdout
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    assert "Far GPU 9000 (measured)" in card
