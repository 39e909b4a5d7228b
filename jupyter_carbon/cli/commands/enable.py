"""``jupyter carbon enable`` / ``disable``: load the extension in every IPython kernel.

Uses IPython's own configuration: the profile's ``ipython_config.json``, which terminal
IPython and every IPython kernel read, gets ``jupyter_carbon`` in
``InteractiveShellApp.extra_extensions``. That list exists for exactly this, so an
``extensions`` list the user keeps in ``ipython_config.py`` is left alone. Other settings
in the JSON file are preserved; a file that is not valid JSON is not touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...files import atomic_write
from ..errors import UsageError

EXTENSION = "jupyter_carbon"


def register(subparsers) -> None:
    for name, func, text in (
        ("enable", enable, "load jupyter-carbon in every IPython kernel of a profile"),
        ("disable", disable, "stop loading jupyter-carbon automatically"),
    ):
        parser = subparsers.add_parser(name, help=text, description=text + ", through the profile's ipython_config.json.")
        parser.add_argument("--profile", default="default", help="IPython profile (default: %(default)s)")
        parser.set_defaults(func=func)


def config_path(profile: str) -> Path:
    from IPython.paths import get_ipython_dir

    return Path(get_ipython_dir()) / f"profile_{profile}" / "ipython_config.json"


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as err:
        raise UsageError(f"{path} is not valid JSON ({err}); fix or remove it, then run this again.") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} should hold a JSON object, not {type(data).__name__}.")
    return data


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: f.write(json.dumps(data, indent=2) + "\n"), mode=0o600)


def _extensions(data: dict) -> list:
    section = data.setdefault("InteractiveShellApp", {})
    if not isinstance(section, dict):
        raise UsageError("InteractiveShellApp in ipython_config.json should be a JSON object.")
    return section.setdefault("extra_extensions", [])


def enable(args) -> int:
    path = config_path(args.profile)
    data = _read(path)
    extensions = _extensions(data)
    if EXTENSION in extensions:
        print(f"jupyter-carbon is already enabled in {path}")
        return 0
    extensions.append(EXTENSION)
    _write(path, data)
    print(f"jupyter-carbon enabled: every new IPython kernel and shell of profile '{args.profile}' meters its cells ({path}).")
    return 0


def disable(args) -> int:
    path = config_path(args.profile)
    data = _read(path)
    extensions = _extensions(data)
    if EXTENSION not in extensions:
        print(f"jupyter-carbon was not enabled in {path}")
        return 0
    extensions[:] = [e for e in extensions if e != EXTENSION]
    _write(path, data)
    print(f"jupyter-carbon disabled for profile '{args.profile}' ({path}).")
    return 0
