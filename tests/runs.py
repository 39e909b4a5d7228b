"""Helpers for tests that run notebooks: write one, give its kernel an environment, call the CLI."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_carbon.cli import main


def write_notebook(path: Path, cells) -> Path:
    new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    nb = nbformat.v4.new_notebook(cells=[new[kind](source) for kind, source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def kernel_env(tmp: Path) -> dict:
    return {"JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTER_CARBON_REGION": "FR", "PYTHONPATH": os.pathsep.join(sys.path)}


@contextlib.contextmanager
def environment(env: dict):
    """The kernel inherits the environment of the process that starts it."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns
