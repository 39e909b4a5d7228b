"""Which kernel this is and which notebook it runs, as whoever started it says.

Jupyter Server gives its kernels the notebook's path in ``JPY_SESSION_NAME`` (the same
after a restart) and names their connection files after the kernel id; VS Code sets
``__vsc_ipynb_file__`` in the user's namespace; the headless runner says so itself.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path


def notebook_path(vscode_file: object = None) -> str | None:
    """The notebook's path from JupyterLab and Notebook (``JPY_SESSION_NAME``, made
    relative to the server's root when it lies inside it) or VS Code; None in a console."""
    path = os.environ.get("JPY_SESSION_NAME") or vscode_file
    if not isinstance(path, str) or not path:
        return None
    root = os.environ.get("JUPYTER_SERVER_ROOT") or _server_root()
    if root and os.path.isabs(path):
        relative = os.path.relpath(path, root)
        if not relative.startswith(os.pardir):
            return relative
    return path


def kernel_identity() -> dict:
    """What tells this kernel's session ledgers from other kernels' in one data folder, so
    that ``--ledger previous`` means this kernel's own: the notebook's path, which Jupyter
    Server gives its kernels in ``JPY_SESSION_NAME`` (the same after a restart), and the
    kernel id from the connection file's name."""
    identity = {}
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        identity["notebook"] = notebook
    kernelapp = sys.modules.get("ipykernel.kernelapp")  # only in a kernel: never imported here
    if kernelapp is not None and kernelapp.IPKernelApp.initialized():
        name = Path(kernelapp.IPKernelApp.instance().connection_file or "").stem
        if name.startswith("kernel-"):
            identity["kernel_id"] = name[len("kernel-"):]
    return identity


@functools.lru_cache(maxsize=1)
def _server_root() -> str | None:
    """The root folder of the Jupyter server that started this kernel, from the server's
    runtime file (``jpserver-<pid>.json``, the server being the kernel's ``JPY_PARENT_PID``)."""
    pid = os.environ.get("JPY_PARENT_PID")
    if not pid:
        return None
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        with open(os.path.join(jupyter_runtime_dir(), f"jpserver-{int(pid)}.json"), encoding="utf-8") as f:
            root = json.load(f).get("root_dir")
    except (OSError, ValueError):
        return None
    return root if isinstance(root, str) and root else None
