"""End to end: a real JupyterLab in headless Chromium meters a notebook's cells.

Starts ``jupyter lab`` on 127.0.0.1 with a token in a temporary root, opens a notebook in
Debian's Chromium through Playwright, and checks what a user sees: "not metered" before
``%load_ext``, the status bar leaving zero, the line under the metered cell, the figures
saved in the cell's metadata, the totals coming back after a page reload, the panel with
the costliest cells, a CSV export downloaded from it, and the state after a kernel
restart. The screenshot goes to ``artifacts/e2e-statusbar.png``.
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
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]

STATUS = ".jp-carbon-StatusItem"
LOAD_CELL = "%load_ext jupyter_carbon"
WORK_CELL = "total = sum(i * i for i in range(3_000_000))\ntotal"
SLOW_CELL = "import time\ntime.sleep(4)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(kernel: str = "python3", language: str = "python") -> dict:
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


def _install_echo_kernel(data_dir: Path, module_dir: Path) -> None:
    (module_dir / "echo_kernel.py").write_text(ECHO_KERNEL)
    spec = data_dir / "kernels" / "echo"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "echo_kernel", "-f", "{connection_file}"],
        "display_name": "Echo", "language": "echo", "env": {"PYTHONPATH": str(module_dir)},
    }))


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab: yields (base_url, token, root_dir, user_settings_dir)."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is in the test extra")
    root = tmp_path / "root"
    home = tmp_path / "home"
    root.mkdir()
    home.mkdir()
    (root / "carbon-e2e.ipynb").write_text(json.dumps(_notebook()))
    (root / "other.ipynb").write_text(json.dumps(_notebook("echo", "echo")))
    _install_echo_kernel(home / "data", tmp_path)
    # No "would you like Jupyter news?" toast over the page.
    labconfig = home / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    token = uuid.uuid4().hex
    port = _free_port()
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
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
            "--allow-root", "--LabApp.extension_manager=readonly", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token, root, home / "settings"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _status(page) -> dict:
    return page.eval_on_selector(STATUS, "el => ({...el.dataset, text: el.textContent, title: el.title})")


def _wait_status(page, condition: str, timeout_ms: int = 60000) -> dict:
    """Wait until ``condition`` (JS, over the status item's dataset ``d``) holds."""
    page.wait_for_function(
        f"() => {{ const el = document.querySelector('{STATUS}'); if (!el) return false; const d = el.dataset; return {condition}; }}",
        timeout=timeout_ms,
    )
    return _status(page)


def _run_cell(page, index: int, wait: bool = True) -> None:
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


@contextlib.contextmanager
def _page(sync_api, name: str):
    """A page in headless Chromium; on failure, a screenshot and the console go to artifacts/."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True).new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            try:
                yield page
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
                (ARTIFACTS / f"{name}-console.log").write_text("\n".join(console))
                raise
        finally:
            browser.close()


def test_status_bar_and_footer_in_a_real_browser(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, _ = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with _page(sync_api, "e2e") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)

        # A Python kernel without the extension says so, and how to fix it.
        before = _wait_status(page, "d.status === 'unmetered'", 90000)
        assert "%load_ext jupyter_carbon" in before["text"]

        # Loading it in a cell is noticed without reloading the page. The two cells run
        # back to back, as "run all" does: the work cell ends before the comm can open,
        # so its line comes from the kernel's summary once it does.
        _run_cell(page, 0, wait=False)
        _run_cell(page, 1)
        after = _wait_status(page, "Number(d.cells) >= 1 && Number(d.energyJ) > 0")
        assert after["text"].startswith("Carbon: ") and "CO2e" in after["text"]
        shown = re.match(r"Carbon: ([\d.]+) (mWh|Wh|kWh) · ", after["text"])
        assert shown and float(shown.group(1)) > 0, after["text"]
        assert "zone FR" in after["title"]

        footer = page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_be_visible(timeout=30000)
        assert footer.text_content().startswith("carbon: ")
        assert "Wh" in footer.text_content() and "FR" in footer.text_content()
        # The load cell itself is not metered: no line under it.
        assert not page.locator(".jp-CodeCell").nth(0).locator(".jp-carbon-CellFooter").is_visible()

        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = _wait_saved(root / "carbon-e2e.ipynb")
        meta = saved["cells"][1]["metadata"]["jupyter_carbon"]
        # The kernel's footprint, written as it is: the same shape `jupyter carbon run` writes.
        assert set(meta) == {
            "energy_j", "by_component", "method", "emissions_g", "duration_s", "zone", "g_per_kwh", "status", "pue", "session_id", "index",
        }  # fmt: skip
        assert meta["energy_j"] > 0 and meta["zone"] == "FR" and meta["status"] == "ok"

        # A reload re-opens the comm: the kernel's totals come back; the footer comes from the saved metadata.
        page.reload()
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        again = _wait_status(page, f"d.status === 'metered' && d.cells === '{after['cells']}'")
        assert float(again["energyJ"]) == pytest.approx(float(after["energyJ"]))
        sync_api.expect(page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")).to_have_text(
            footer.text_content(), timeout=30000
        )

        # The panel: totals, region, the costliest cells, and an export the browser downloads.
        page.click(STATUS)
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(1, timeout=30000)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_contain_text("total = sum")
        sync_api.expect(panel.locator(".jp-carbon-region")).to_contain_text("zone FR")
        with page.expect_download(timeout=60000) as download:
            panel.locator("button[data-format=csv]").click()
        csv_text = Path(download.value.path()).read_text()
        assert download.value.suggested_filename.endswith(".csv")
        assert "total = sum" in csv_text
        sync_api.expect(panel.locator(".jp-carbon-message")).to_contain_text("Downloaded")
        # The ledger and the reports name the notebook (JupyterLab tells the kernel which).
        (ledger,) = (root.parent / "home" / "data" / "carbon" / "ledgers").glob("*.jsonl")
        cells = [json.loads(line) for line in ledger.read_text().splitlines()[1:]]
        assert {c["notebook"] for c in cells} == {"carbon-e2e.ipynb"}
        with page.expect_download(timeout=60000) as download:
            panel.locator("button[data-format=html]").click()
        assert "<title>Energy and carbon report: carbon-e2e.ipynb (session " in Path(download.value.path()).read_text()
        page.screenshot(path=str(ARTIFACTS / "e2e-statusbar.png"))

        # Clicking a cell in the list goes to it.
        page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")
        panel.locator("tr.jp-carbon-cellRow").first.click()
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 1", timeout=10000)

        # A restart starts a kernel without the extension: the item says so again.
        page.keyboard.press("Escape")
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        restarted = _wait_status(page, "d.status === 'unmetered'")
        assert "%load_ext jupyter_carbon" in restarted["text"]


def test_autoload_setting_meters_without_load_ext(lab):
    """With autoLoad on, opening the notebook loads the kernel extension silently; the
    units setting applies to the status bar and the line under the cell."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, settings = lab
    (settings / "jupyter-carbon").mkdir(parents=True)
    (settings / "jupyter-carbon" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autoLoad": True, "energyUnit": "Wh", "massUnit": "g"})
    )
    with _page(sync_api, "e2e-autoload") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        _wait_status(page, "d.status === 'metered'", 90000)
        _run_cell(page, 1)  # the work cell; the %load_ext cell never runs
        after = _wait_status(page, "Number(d.cells) >= 1 && Number(d.energyJ) > 0")
        assert re.match(r"Carbon: [\d.e-]+ Wh · [\d.e-]+ g CO2e$", after["text"]), after["text"]
        footer = page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_contain_text(" Wh · ", timeout=30000)
        assert "mWh" not in footer.text_content()
        # Silent: the load left no output and no execution count anywhere.
        assert page.locator(".jp-CodeCell").nth(0).locator(".jp-OutputArea-output").count() == 0

        # While a cell runs the item shows live power and the cell's energy so far.
        _run_cell(page, 2, wait=False)
        live = _wait_status(page, "document.querySelector('.jp-carbon-mod-running') !== null && / W · cell /.test(document.querySelector('.jp-carbon-StatusItem').textContent)", 15000)
        assert re.match(r"Carbon: [\d.]+ k?W · cell [\d.e-]+ Wh$", live["text"]), live["text"]
        _wait_status(page, "d.cells === '2' && !document.querySelector('.jp-carbon-mod-running')", 30000)

        # After a restart the new kernel is loaded and metered again, from zero.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        _wait_status(page, "d.status === 'metered' && d.cells === '0'")

        # The item follows the active notebook: hidden for a kernel in another language,
        # back with this notebook's figures when it is active again.
        first = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'other.ipynb'})")
        _wait_status(page, "d.status === 'other' && d.active === 'false'", 60000)
        assert not page.locator(STATUS).is_visible()
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", first)
        _wait_status(page, "d.status === 'metered' && d.active === 'true'")


def _wait_saved(path: Path, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        nb = json.loads(path.read_text())
        if "jupyter_carbon" in nb["cells"][1].get("metadata", {}):
            return nb
        if time.monotonic() > deadline:
            pytest.fail(f"the saved notebook has no jupyter_carbon metadata: {nb['cells'][1]}")
        time.sleep(0.3)
