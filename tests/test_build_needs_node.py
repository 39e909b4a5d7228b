"""Building from source without Node.js 18+ and npm stops with one sentence (issue 23, point 16)."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hook():
    spec = importlib.util.spec_from_file_location("labextension_build", ROOT / "scripts" / "labextension_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_bin(folder: Path, **tools: str) -> str:
    folder.mkdir()
    for name, output in tools.items():
        tool = folder / name
        tool.write_text(f"#!/bin/sh\necho {output}\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return str(folder)


@pytest.mark.skipif(sys.platform == "win32", reason="shell-script fakes")
@pytest.mark.parametrize("tools, said", [
    ({}, "no node on the PATH"),
    ({"node": "v16.20.0", "npm": "8.0.0"}, "found node v16.20.0"),
    ({"node": "v20.11.0"}, "no npm on the PATH"),
])
def test_a_build_without_node_18_and_npm_says_so_in_one_sentence(hook, tmp_path, monkeypatch, tools, said):
    monkeypatch.setenv("PATH", fake_bin(tmp_path / "bin", **tools))
    with pytest.raises(SystemExit) as stop:
        hook.build("wheel", "standard", path="labextension")
    message = str(stop.value.code)
    assert message.startswith("Building jupyter-carbon from source needs Node.js 18 or newer and npm")
    assert said in message and "\n" not in message


def test_an_editable_install_without_node_goes_on_without_the_lab_extension(hook, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_bin(tmp_path / "bin"))
    with pytest.raises(RuntimeError, match="kernel side works"):  # hatch-jupyter-builder warns and goes on
        hook.build("wheel", "editable", path="labextension")


def test_the_readme_says_it_before_the_first_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_command = readme.index("```bash")
    assert "Node.js 18" in readme[:first_command] and "npm" in readme[:first_command]


def test_pyproject_names_this_hook():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'build-function = "scripts.labextension_build.build"' in text
    assert os.path.isfile(ROOT / "scripts" / "labextension_build.py")
