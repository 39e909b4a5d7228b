"""The wheel's build hook: build the JupyterLab extension with npm, or stop with one sentence.

Named in ``pyproject.toml`` (``[tool.hatch.build.hooks.jupyter-builder] build-function``) in
place of ``hatch_jupyter_builder.npm_builder``, which it calls once Node.js and npm are
found. Without them npm's builder fails deep in a subprocess with a traceback; here a build
from source says what it needs. An editable install (``pip install -e .``) goes on without
the lab extension, as ``optional-editable-build`` asks: the kernel side works without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess

MIN_NODE = 18

NEEDS = (
    f"Building jupyter-carbon from source needs Node.js {MIN_NODE} or newer and npm on the PATH "
    "(e.g. apt-get install nodejs npm, or https://nodejs.org); a built wheel does not."
)


def missing_node() -> str | None:
    """What is missing for the build (e.g. ``"no npm on the PATH"``), or None."""
    node = shutil.which("node")
    if node is None:
        return "no node on the PATH"
    try:
        found = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as err:
        return f"node does not run ({err})"
    major = re.match(r"v?(\d+)\.", found)
    if major is None or int(major.group(1)) < MIN_NODE:
        return f"found node {found or 'of unknown version'}"
    if shutil.which("npm") is None:
        return "no npm on the PATH"
    return None


def build(target_name: str, version: str, **kwargs) -> None:
    """Build the lab extension (``hatch_jupyter_builder.npm_builder``'s arguments)."""
    problem = missing_node()
    if problem is not None:
        if version == "editable":
            raise RuntimeError(f"{NEEDS} ({problem}; the JupyterLab extension is not built, the kernel side works)")
        raise SystemExit(f"{NEEDS} ({problem})")
    from hatch_jupyter_builder import npm_builder

    npm_builder(target_name, version, **kwargs)
