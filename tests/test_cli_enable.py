"""``jupyter carbon enable`` / ``disable`` through IPython's profile configuration."""

import json
import os
import sys

import pytest
from jupyter_client.manager import start_new_kernel

from jupyter_carbon import cli


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path / "ipython"


def config(ipython_dir, profile="default"):
    return json.loads((ipython_dir / f"profile_{profile}" / "ipython_config.json").read_text())


def test_enable_and_disable_keep_other_settings(ipython_dir, capsys):
    path = ipython_dir / "profile_default" / "ipython_config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"InteractiveShell": {"colors": "nocolor"}, "InteractiveShellApp": {"extra_extensions": ["other"]}}))
    assert cli.main(["enable"]) == 0
    assert config(ipython_dir)["InteractiveShellApp"]["extra_extensions"] == ["other", "jupyter_carbon"]
    assert cli.main(["enable"]) == 0  # idempotent
    assert "already enabled" in capsys.readouterr().out
    assert config(ipython_dir)["InteractiveShellApp"]["extra_extensions"] == ["other", "jupyter_carbon"]
    assert cli.main(["disable"]) == 0
    assert config(ipython_dir) == {"InteractiveShell": {"colors": "nocolor"}, "InteractiveShellApp": {"extra_extensions": ["other"]}}


def test_enable_other_profile(ipython_dir):
    assert cli.main(["enable", "--profile", "gpu"]) == 0
    assert config(ipython_dir, "gpu")["InteractiveShellApp"]["extra_extensions"] == ["jupyter_carbon"]


def test_invalid_json_is_left_alone_with_a_clear_error(ipython_dir, capsys):
    path = ipython_dir / "profile_default" / "ipython_config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    assert cli.main(["enable"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert path.read_text() == "{broken"


@pytest.mark.slow
def test_a_new_kernel_loads_the_extension_once_enabled(ipython_dir, tmp_path):
    assert cli.main(["enable"]) == 0
    env = dict(os.environ, IPYTHONDIR=str(ipython_dir), JUPYTER_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=os.pathsep.join(sys.path))
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    out = []
    try:
        kc.execute_interactive(
            "print('jupyter_carbon' in get_ipython().extension_manager.loaded)",
            timeout=60,
            output_hook=lambda m: out.append(m["content"].get("text", "")),
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "".join(out).strip() == "True"
