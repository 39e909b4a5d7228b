"""``jupyter carbon devices`` on this machine (no GPU, no RAPL) and with fakes."""

import json
import subprocess
import sys

from jupyter_carbon import cli


def test_devices_lists_cpu_and_memory_with_how_and_advice(capsys):
    assert cli.main(["devices", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert cli.main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "cpu" in out and "memory" in out
    for device in report["devices"]:
        assert device["method"] in out and device["name"] in out
    if any(d["domain"] == "cpu:model" for d in report["devices"]):
        assert "estimated" in out and "RAPL" in out  # says what would measure instead


def test_devices_json(capsys):
    assert cli.main(["devices", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    components = {d["component"] for d in report["devices"]}
    assert {"cpu", "memory"} <= components
    assert all(d["method"] in ("measured", "integrated", "estimated") for d in report["devices"])


def test_console_script_runs_as_jupyter_subcommand():
    out = subprocess.run([sys.executable, "-m", "jupyter_carbon.cli", "devices"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "What this machine can meter" in out.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "devices" in capsys.readouterr().out
