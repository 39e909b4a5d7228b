"""The JupyterLab extension ships inside the Python package: after ``pip install .``
JupyterLab lists it as enabled, with the version and settings schema of this source tree."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_carbon

ROOT = Path(__file__).resolve().parent.parent
LABEXT = ROOT / "labextension"


def test_npm_package_version_matches_python_package():
    package = json.loads((LABEXT / "package.json").read_text())
    assert package["name"] == "jupyter-carbon"
    assert package["version"] == jupyter_carbon.__version__
    assert package["jupyterlab"]["outputDir"] == "../jupyter_carbon/labextension"


def test_settings_schema_defaults():
    schema = json.loads((LABEXT / "schema" / "plugin.json").read_text())
    props = schema["properties"]
    assert props["autoLoad"]["default"] is False
    assert props["showFooter"]["default"] is True
    assert set(props["energyUnit"]["enum"]) >= {"Wh", "kWh"}
    assert set(props["massUnit"]["enum"]) >= {"g", "kg"}


def _labextension_list() -> str:
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("jupyterlab is not installed (it is in the test extra)")
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, timeout=120,
    )
    # `list` writes to stderr in recent versions; strip the colours it adds.
    return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)


def test_jupyter_labextension_list_shows_it_enabled():
    out = _labextension_list()
    line = next((l for l in out.splitlines() if l.strip().startswith("jupyter-carbon ")), None)
    assert line is not None, f"jupyter-carbon missing from `jupyter labextension list`:\n{out}"
    assert f"v{jupyter_carbon.__version__}" in line
    assert "enabled" in line and "OK" in line, line
    if not any(p.is_symlink() for p in _installed()):  # `jupyter labextension develop` links the build, without install.json
        assert "(python, jupyter-carbon)" in line, line


def _installed() -> list[Path]:
    from jupyter_core.paths import jupyter_path

    return [Path(base) / "jupyter-carbon" for base in jupyter_path("labextensions") if (Path(base) / "jupyter-carbon").exists()]


def test_installed_extension_carries_the_settings_schema():
    installed = _installed()
    assert installed, "no installed jupyter-carbon labextension found on the Jupyter path"
    schema = installed[0] / "schemas" / "jupyter-carbon" / "plugin.json"
    assert json.loads(schema.read_text()) == json.loads((LABEXT / "schema" / "plugin.json").read_text())
