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


# The oldest version of each shared package that the extension's code works with: the
# built extension must ask JupyterLab for no more, or a 4.0 Lab warns "No satisfying
# version" for each and may refuse to load it.
OLDEST_SHARED = {"@jupyterlab/services": (7, 0, 0), "@jupyterlab/": (4, 0, 0), "@lumino/": (2, 0, 0)}
# How webpack writes a required range into remoteEntry: ("default", NAME, eager, [RANGE]).
_CONSUMES = re.compile(r'\("default","(@[^"]+)",(?:!0|!1|true|false),\[([^\]]*)\]')


def _oldest_allowed(name: str) -> tuple[int, ...]:
    prefix = max((p for p in OLDEST_SHARED if name.startswith(p)), key=len, default=None)
    assert prefix is not None, f"{name} is shared with JupyterLab but OLDEST_SHARED does not say which version it needs"
    return OLDEST_SHARED[prefix]


def _caret_floor(encoded: str) -> tuple[int, ...] | None:
    """The floor of a caret range as webpack encodes it (``^4.0.0`` is ``1,4,0,0``: one
    leading part held, then the version); None for any other kind of range."""
    parts = encoded.split(",")
    if parts[0] != "1" or len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
        return None
    return tuple(int(p) for p in parts[1:])


def test_built_extension_asks_lab_for_no_newer_packages_than_its_code_needs():
    installed = _installed()
    assert installed, "no installed jupyter-carbon labextension found on the Jupyter path"
    built = json.loads((installed[0] / "package.json").read_text())
    (entry,) = (installed[0] / "static").glob("remoteEntry.*.js")
    consumed = _CONSUMES.findall(entry.read_text())
    assert {name for name, _ in consumed} >= {"@jupyterlab/notebook", "@lumino/widgets"}, consumed
    too_new = {
        name: encoded for name, encoded in consumed
        if _caret_floor(encoded) is None or _caret_floor(encoded) > _oldest_allowed(name)
    }  # fmt: skip
    assert not too_new, f"remoteEntry requires newer than ^{OLDEST_SHARED} (webpack's encoding, '1,4,6,4' is ^4.6.4): {too_new}"
    shared = built["jupyterlab"].get("sharedPackages", {})
    bundled = {name for name, spec in shared.items() if spec is False}  # the extension's own copy, not Lab's
    for name, spec in shared.items():
        if name in bundled:
            assert name not in {n for n, _ in consumed}, f"{name} is bundled, yet the built extension asks Lab for it"
            continue
        floor = tuple(int(p) for p in re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", spec["requiredVersion"]).groups())
        assert floor <= _oldest_allowed(name), (name, spec)
    for name, spec in built["dependencies"].items():
        if name in bundled:
            continue
        floor = tuple(int(p) for p in re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", spec).groups())
        assert floor <= _oldest_allowed(name), (name, spec)
