"""``jupyter carbon enable`` / ``disable``: load the extension in every IPython kernel.

``enable`` writes one file, the profile startup file ``startup/00-jupyter-carbon.py``, which
IPython runs in every new kernel and shell of the profile, after the extensions the user's
own configuration loads. A startup file adds to what the user set, where an
``extra_extensions`` list in ``ipython_config.json`` would replace the list the user keeps
in ``ipython_config.py`` (IPython reads the JSON file last). ``disable`` removes exactly that
file, and the ``extra_extensions`` entry that earlier versions wrote, if there is one. Each
says what it wrote or removed, and where.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...files import atomic_write, make_folders
from ..errors import UsageError

EXTENSION = "jupyter_carbon"
STARTUP_FILE = "00-jupyter-carbon.py"
MARKER = "# Written by `jupyter carbon enable`; `jupyter carbon disable` removes this file."
STARTUP = f"""{MARKER}
# It loads jupyter-carbon in every new IPython kernel and shell of this profile, beside the
# extensions your own configuration loads.
__import__("IPython").get_ipython().extension_manager.load_extension("jupyter_carbon")
"""


def register(subparsers) -> None:
    for name, func, text in (
        ("enable", enable, "load jupyter-carbon in every IPython kernel of a profile"),
        ("disable", disable, "stop loading jupyter-carbon automatically"),
    ):
        parser = subparsers.add_parser(name, help=text, description=text + ", through a startup file of the IPython profile.")
        parser.add_argument("--profile", default="default", help="IPython profile (default: %(default)s)")
        parser.set_defaults(func=func)


def profile_dir(profile: str) -> Path:
    from IPython.paths import get_ipython_dir

    return Path(get_ipython_dir()) / f"profile_{profile}"


def startup_path(profile: str) -> Path:
    return profile_dir(profile) / "startup" / STARTUP_FILE


def _ours(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8").startswith(MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def _forget_json_entry(profile: str) -> Path | None:
    """Take ``jupyter_carbon`` out of ``InteractiveShellApp.extra_extensions`` in the profile's
    ``ipython_config.json`` (how earlier versions enabled it); the file's path if it was there."""
    path = profile_dir(profile) / "ipython_config.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError:
        return None  # not ours to fix
    extensions = data.get("InteractiveShellApp", {}).get("extra_extensions") if isinstance(data, dict) else None
    if not isinstance(extensions, list) or EXTENSION not in extensions:
        return None
    extensions[:] = [e for e in extensions if e != EXTENSION]
    atomic_write(path, lambda f: f.write(json.dumps(data, indent=2) + "\n"))
    return path


def enable(args) -> int:
    path = startup_path(args.profile)
    if path.exists() and not _ours(path):
        raise UsageError(f"{path} exists and was not written by jupyter carbon enable; move it away, or load the extension there yourself")
    migrated = _forget_json_entry(args.profile)
    if migrated:
        print(f"removed {EXTENSION} from InteractiveShellApp.extra_extensions in {migrated} (how earlier versions enabled it)")
    if path.exists():
        print(f"jupyter-carbon is already enabled for profile '{args.profile}' ({path})")
        return 0
    make_folders(path.parent)
    atomic_write(path, lambda f: f.write(STARTUP))
    print(
        f"jupyter-carbon enabled: wrote {path}, which loads it in every new IPython kernel and shell of "
        f"profile '{args.profile}'. Nothing else was changed; `jupyter carbon disable` removes that file."
    )
    return 0


def disable(args) -> int:
    path = startup_path(args.profile)
    removed = []
    if path.exists():
        if not _ours(path):
            raise UsageError(f"{path} was not written by jupyter carbon enable; it is left alone")
        path.unlink()
        removed.append(f"removed {path}")
    migrated = _forget_json_entry(args.profile)
    if migrated:
        removed.append(f"removed {EXTENSION} from InteractiveShellApp.extra_extensions in {migrated}")
    if not removed:
        print(f"jupyter-carbon was not enabled for profile '{args.profile}' (no {path})")
        return 0
    print(f"jupyter-carbon disabled for profile '{args.profile}': " + "; ".join(removed) + ".")
    return 0
