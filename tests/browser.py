"""What every browser test needs: a Jupyter server on 127.0.0.1 in a temporary home, headless
Debian Chromium driven by Playwright, and ways to wait on the extension's status item.

The tests marked ``browser`` import from here; ``needs_chromium`` skips them, saying why,
where Chromium is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import weakref
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

STATUS = ".jp-carbon-StatusItem"
# The JupyterLab these tests drive (CI runs them on the newest and the oldest 4.x): screenshots carry it.
try:
    from jupyterlab import __version__ as LAB_VERSION
except ImportError:
    LAB_VERSION = "none"
LOAD_CELL = "%load_ext jupyter_carbon"
WORK_CELL = "total = sum(i * i for i in range(3_000_000))\ntotal"
SLOW_CELL = "import time\ntime.sleep(4)"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_json(kernel: str = "python3", language: str = "python") -> dict:
    def cell(source):
        return {"cell_type": "code", "id": uuid.uuid4().hex[:12], "metadata": {}, "execution_count": None, "outputs": [], "source": source}

    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel, "language": language}},
        "cells": [cell(LOAD_CELL), cell(WORK_CELL), cell(SLOW_CELL)],
    }


# A kernel in another language: the status-bar item has nothing to say about it.
ECHO_KERNEL = """
from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel


class EchoKernel(Kernel):
    implementation = "echo"
    implementation_version = "1.0"
    language_info = {"name": "echo", "mimetype": "text/plain", "file_extension": ".txt"}
    banner = "echo"

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, **kwargs):
        return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=EchoKernel)
"""


def install_echo_kernel(data_dir: Path, module_dir: Path) -> None:
    (module_dir / "echo_kernel.py").write_text(ECHO_KERNEL)
    spec = data_dir / "kernels" / "echo"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "echo_kernel", "-f", "{connection_file}"],
        "display_name": "Echo", "language": "echo", "env": {"PYTHONPATH": str(module_dir)},
    }))


@contextlib.contextmanager
def jupyter_server(tmp_path: Path, app: str = "lab", server_metering: bool = True):
    """A running ``jupyter lab`` (or ``jupyter notebook``, app="notebook"): yields
    (base_url, token, root_dir, user_settings_dir).

    ``server_metering=False`` turns the server extension's metering off
    (``c.CarbonServer.meter_kernels``): a Python kernel without ``%load_ext`` is then "not
    metered", as in a server without the extension, for tests of the kernel's own comm."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is in the test extra")
    root = tmp_path / "root"
    home = tmp_path / "home"
    root.mkdir()
    home.mkdir()
    (root / "carbon-e2e.ipynb").write_text(json.dumps(notebook_json()))
    (root / "other.ipynb").write_text(json.dumps(notebook_json("echo", "echo")))
    install_echo_kernel(home / "data", tmp_path)
    # No "would you like Jupyter news?" toast over the page.
    labconfig = home / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    # Only in JupyterLab: Notebook 7 does not take LabApp's extension path, and a server
    # extension whose lab half its page lacks breaks that page's settings.
    extra = with_resource_usage(home) if app == "lab" else []
    if not server_metering:
        extra.append("--CarbonServer.meter_kernels=False")
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_CARBON_REGION": "FR",
        # the kernelspec runs `python`: make it this environment's
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    for _ in range(3):
        port = free_port()
        proc, log = _start_jupyter(tmp_path, app, port, token, root, home, env, extra)
        if not _wait_ready(proc, f"http://127.0.0.1:{port}", token, tmp_path / "lab.log"):
            break
        # Another process took the free port between our probe and the server's bind.
        log.close()
    else:
        pytest.fail(f"jupyter {app} found no free port in 3 tries:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
    base = f"http://127.0.0.1:{port}"
    try:
        if proc.poll() is not None:  # exited, or killed after 90 s without answering
            pytest.fail(f"jupyter {app} did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
        yield base, token, root, home / "settings"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _start_jupyter(tmp_path, app, port, token, root, home, env, extra):
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [
            # The app's module, run by this interpreter: `jupyter lab` would run the first
            # `jupyter-lab` script on PATH, which in an environment that borrows the system's
            # site packages is the system's, serving the system's build of this extension.
            sys.executable, "-m", {"lab": "jupyterlab", "notebook": "notebook"}[app], "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
            "--allow-root", "--LabApp.extension_manager=readonly", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
            *(notebook7_flags(home) if app == "notebook" else []),
            *extra,
        ],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return proc, log


def _wait_ready(proc, base: str, token: str, log_path: Path) -> bool:
    """Wait for the server to answer. True only when it exited because its port was taken
    (worth another port); False when it is up, or failed otherwise (the caller says why)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return False
        except OSError:
            pass
        if proc.poll() is not None:
            return "is not available" in log_path.read_text(errors="replace")
        time.sleep(0.5)
    proc.kill()
    proc.wait()
    return False


RESOURCE_USAGE_LAB = "@jupyter-server/resource-usage"
OURS_LAB = "jupyter-carbon"


def with_resource_usage(home: Path) -> list[str]:
    """Load jupyter-resource-usage beside this extension where it is installed, as users run
    them (its server extension, enabled in this home's config), and the lab extensions of the
    system's prefix (resource-usage's, ipywidgets' manager) where this environment borrows the
    system's site packages but Lab looks only in its own prefix: linked into a folder Lab is
    told of, all but this extension's own, so that the page runs this environment's build of
    it. Nothing to link where Lab finds them by itself."""
    from jupyter_core.paths import jupyter_path

    try:
        import jupyter_resource_usage  # noqa: F401
    except ImportError:
        pass
    else:
        server_config = home / ".jupyter" / "jupyter_server_config.json"
        server_config.parent.mkdir(parents=True, exist_ok=True)
        server_config.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_resource_usage": True}}}))
    own = [Path(p) for p in jupyter_path("labextensions")]
    system = Path(sys.base_prefix) / "share" / "jupyter" / "labextensions"
    borrows = any(Path(p).is_relative_to(Path(sys.base_prefix)) and Path(p).name == "site-packages" for p in sys.path)
    if not borrows or system in own or not system.is_dir():
        return []  # its own packages alone (a fresh venv), or Lab finds the system's by itself
    linked_root = home / "extra-labextensions"
    for package in sorted(system.glob("*/package.json")) + sorted(system.glob("@*/*/package.json")):
        name = str(package.parent.relative_to(system))
        if name == OURS_LAB or any((p / name / "package.json").exists() for p in own):
            continue
        link = linked_root / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(package.parent, target_is_directory=True)
    return [f"--LabApp.extra_labextensions_path={linked_root}"] if linked_root.exists() else []


def notebook7_flags(home: Path) -> list[str]:
    """Notebook 7's page reads its own app's settings, not LabApp's: expose it, and keep
    its settings and workspaces in the temporary home too."""
    return [
        "--JupyterNotebookApp.expose_app_in_browser=True",
        f"--JupyterNotebookApp.user_settings_dir={home / 'settings'}",
        f"--JupyterNotebookApp.workspaces_dir={home / 'workspaces'}",
    ]


def status_of(page) -> dict:
    return page.eval_on_selector(STATUS, "el => ({...el.dataset, text: el.textContent, title: el.title})")


def wait_status(page, condition: str, timeout_ms: int = 60000) -> dict:
    """Wait until ``condition`` (JS, over the status item's dataset ``d``) holds."""
    page.wait_for_function(
        f"() => {{ const el = document.querySelector('{STATUS}'); if (!el) return false; const d = el.dataset; return {condition}; }}",
        timeout=timeout_ms,
    )
    return status_of(page)


def run_cell(page, index: int, wait: bool = True) -> None:
    """Run one cell; with ``wait``, return once it has run."""
    page.evaluate(
        """async ([index, wait]) => {
            const app = window.jupyterapp;
            const panel = app.shell.currentWidget;
            panel.content.activeCellIndex = index;
            const done = app.commands.execute('notebook:run-cell');
            if (wait) await done;
        }""",
        [index, wait],
    )


# What marks a console message or an uncaught error as this extension's: its name, its
# plugin ids (`jupyter-carbon:plugin`), its classes, or a script served from its folder
# (webpack's "No satisfying version ... of shared module" warnings name the module, not
# the extension asking for it, but come from the extension's remoteEntry).
EXTENSION_MARKS = ("jupyter-carbon", "jupyter_carbon", "jp-carbon")
_CONSOLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# JupyterLab's warning that activating a plugin took over 5 s: the time includes activating
# everything the plugin requires (the notebook tracker and its chain), so on a loaded machine
# it names this plugin for the page's slowness. This plugin's own activate is synchronous.
SLOW_MACHINE = re.compile(r"^Plugin \S+ (is taking too long to activate\.|\(with \d+ dependants\) took [\d.]+ms to activate\.)$")


def extension_messages(page) -> list[str]:
    """The warnings and errors this extension left in the page's console so far, and the
    uncaught errors thrown from its code."""
    return [
        f"{kind} {text}" + (f" (at {where})" if where else "")
        for kind, text, where in _CONSOLES.get(page, [])
        if kind in ("warning", "error", "pageerror") and any(mark in f"{text} {where}" for mark in EXTENSION_MARKS)
        and not (kind == "warning" and SLOW_MACHINE.match(text))
    ]


def assert_no_extension_messages(page) -> None:
    """Fail, quoting them, if the extension wrote any warning or error to the console."""
    problems = extension_messages(page)
    assert not problems, "jupyter-carbon wrote to the browser console:\n" + "\n".join(problems)


@contextlib.contextmanager
def browser_page(sync_api, name: str, quiet_console: bool = True):
    """A page in headless Chromium; on failure, a screenshot and the console go to artifacts/.

    With ``quiet_console`` the test also fails if the extension wrote a warning or an
    error to the console (``assert_no_extension_messages``), checked when it ends.
    """
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True).new_page()
            console: list[tuple[str, str, str]] = []
            _CONSOLES[page] = console
            page.on("console", lambda m: console.append((m.type, m.text, m.location.get("url", ""))))
            page.on("pageerror", lambda e: console.append(("pageerror", f"{e.name}: {e.message}", e.stack or "")))
            try:
                yield page
                if quiet_console:
                    assert_no_extension_messages(page)
            except BaseException:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
                (ARTIFACTS / f"{name}-console.log").write_text("\n".join(" | ".join(entry) for entry in console))
                raise
        finally:
            browser.close()
