"""``jupyter carbon enable`` / ``disable``: a profile startup file, added to what the user set."""

import json
import os
import sys

import pytest
from jupyter_client.manager import start_new_kernel

from jupyter_carbon import cli
from jupyter_carbon.cli.commands.enable import STARTUP_FILE


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path / "ipython"


def startup(ipython_dir, profile="default"):
    return ipython_dir / f"profile_{profile}" / "startup" / STARTUP_FILE


def test_enable_writes_one_file_says_where_and_disable_removes_exactly_it(ipython_dir, capsys):
    folder = ipython_dir / "profile_default"
    (folder / "startup").mkdir(parents=True)
    (folder / "startup" / "10-mine.py").write_text("x = 1\n")
    (folder / "ipython_config.json").write_text(json.dumps({"InteractiveShell": {"colors": "nocolor"}}))
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert cli.main(["enable"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {startup(ipython_dir)}" in out and "Nothing else was changed" in out
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert set(after) - set(before) == {startup(ipython_dir)} and all(after[p] == b for p, b in before.items())
    assert cli.main(["enable"]) == 0  # idempotent
    assert "already enabled" in capsys.readouterr().out
    assert cli.main(["disable"]) == 0
    assert f"removed {startup(ipython_dir)}" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert cli.main(["disable"]) == 0
    assert "was not enabled" in capsys.readouterr().out


def test_enable_other_profile(ipython_dir):
    assert cli.main(["enable", "--profile", "gpu"]) == 0
    assert startup(ipython_dir, "gpu").is_file() and not startup(ipython_dir).exists()


def test_a_startup_file_of_the_users_is_never_overwritten(ipython_dir, capsys):
    path = startup(ipython_dir)
    path.parent.mkdir(parents=True)
    path.write_text("print('mine')\n")
    assert cli.main(["enable"]) == 2
    assert "was not written by jupyter carbon enable" in capsys.readouterr().err
    assert cli.main(["disable"]) == 2
    assert path.read_text() == "print('mine')\n"


def test_the_json_entry_of_earlier_versions_is_taken_out_and_the_rest_kept(ipython_dir, capsys):
    path = ipython_dir / "profile_default" / "ipython_config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"InteractiveShell": {"colors": "nocolor"}, "InteractiveShellApp": {"extra_extensions": ["other", "jupyter_carbon"]}}))
    assert cli.main(["enable"]) == 0
    assert f"removed jupyter_carbon from InteractiveShellApp.extra_extensions in {path}" in capsys.readouterr().out
    assert json.loads(path.read_text()) == {"InteractiveShell": {"colors": "nocolor"}, "InteractiveShellApp": {"extra_extensions": ["other"]}}


def loaded_extensions(ipython_dir, tmp_path) -> set[str]:
    env = dict(os.environ, IPYTHONDIR=str(ipython_dir), JUPYTER_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=os.pathsep.join(sys.path))
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    out = []
    try:
        kc.execute_interactive(
            "print(sorted(get_ipython().extension_manager.loaded))",
            timeout=60,
            output_hook=lambda m: out.append(m["content"].get("text", "")),
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {name.rsplit(".", 1)[-1] for name in eval("".join(out))}  # "IPython.extensions.autoreload"


@pytest.mark.slow
def test_the_users_extensions_keep_loading_beside_it(ipython_dir, tmp_path):
    config = ipython_dir / "profile_default" / "ipython_config.py"
    config.parent.mkdir(parents=True)
    config.write_text("c.InteractiveShellApp.extra_extensions = ['autoreload']\n")
    assert cli.main(["enable"]) == 0
    assert {"autoreload", "jupyter_carbon"} <= loaded_extensions(ipython_dir, tmp_path)
    assert cli.main(["disable"]) == 0
    loaded = loaded_extensions(ipython_dir, tmp_path)
    assert "autoreload" in loaded and "jupyter_carbon" not in loaded
    assert config.read_text() == "c.InteractiveShellApp.extra_extensions = ['autoreload']\n"
