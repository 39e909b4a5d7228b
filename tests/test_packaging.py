"""What a user sees of the package before running it: entry points and metadata."""

import subprocess
import sys
from importlib import metadata

from jupyter_carbon import __version__


def test_python_dash_m_is_the_command_line():
    out = subprocess.run([sys.executable, "-m", "jupyter_carbon", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"jupyter-carbon {__version__}"


def test_metadata_says_what_it_is_for():
    meta = metadata.metadata("jupyter-carbon")
    classifiers = set(meta.get_all("Classifier"))
    assert {
        "Framework :: Jupyter :: JupyterLab :: 4",
        "Framework :: Jupyter :: JupyterLab :: Extensions :: Prebuilt",
        "Programming Language :: Python :: 3.11",
    } <= classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Documentation", "Issues", "Source"} <= set(urls)
