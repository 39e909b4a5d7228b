"""End to end: a real JupyterLab in headless Chromium meters a notebook's cells.

Starts ``jupyter lab`` on 127.0.0.1 with a token in a temporary root, opens a notebook in
Debian's Chromium through Playwright, and checks what a user sees: "not metered" before
``%load_ext``, the status bar leaving zero, the line under the metered cell, the figures
saved in the cell's metadata, the totals coming back after a page reload, the panel with
the costliest cells, a CSV export downloaded from it, and the state after a kernel
restart. The screenshot goes to ``artifacts/e2e-statusbar.png``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from browser import (
    ARTIFACTS,
    CHROMIUM,
    STATUS,
    browser_page,
    jupyter_server,
    run_cell,
    wait_status,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab: yields (base_url, token, root_dir, user_settings_dir)."""
    with jupyter_server(tmp_path, "lab") as served:
        yield served


def test_status_bar_and_footer_in_a_real_browser(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, _ = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(sync_api, "e2e") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)

        # A Python kernel without the extension says so, and how to fix it.
        before = wait_status(page, "d.status === 'unmetered'", 90000)
        assert "%load_ext jupyter_carbon" in before["text"]

        # Loading it in a cell is noticed without reloading the page. The two cells run
        # back to back, as "run all" does: the work cell ends before the comm can open,
        # so its line comes from the kernel's summary once it does.
        run_cell(page, 0, wait=False)
        run_cell(page, 1)
        after = wait_status(page, "Number(d.cells) >= 1 && Number(d.energyJ) > 0")
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
        again = wait_status(page, f"d.status === 'metered' && d.cells === '{after['cells']}'")
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
        restarted = wait_status(page, "d.status === 'unmetered'")
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
    with browser_page(sync_api, "e2e-autoload") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        wait_status(page, "d.status === 'metered'", 90000)
        run_cell(page, 1)  # the work cell; the %load_ext cell never runs
        after = wait_status(page, "Number(d.cells) >= 1 && Number(d.energyJ) > 0")
        assert re.match(r"Carbon: [\d.e-]+ Wh · [\d.e-]+ g CO2e$", after["text"]), after["text"]
        footer = page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_contain_text(" Wh · ", timeout=30000)
        assert "mWh" not in footer.text_content()
        # Silent: the load left no output and no execution count anywhere.
        assert page.locator(".jp-CodeCell").nth(0).locator(".jp-OutputArea-output").count() == 0

        # While a cell runs the item shows live power and the cell's energy so far.
        run_cell(page, 2, wait=False)
        live = wait_status(page, "document.querySelector('.jp-carbon-mod-running') !== null && / W · cell /.test(document.querySelector('.jp-carbon-StatusItem').textContent)", 15000)
        assert re.match(r"Carbon: [\d.]+ k?W · cell [\d.e-]+ Wh$", live["text"]), live["text"]
        wait_status(page, "d.cells === '2' && !document.querySelector('.jp-carbon-mod-running')", 30000)

        # After a restart the new kernel is loaded and metered again, from zero.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        wait_status(page, "d.status === 'metered' && d.cells === '0'")

        # The item follows the active notebook: hidden for a kernel in another language,
        # back with this notebook's figures when it is active again.
        first = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'other.ipynb'})")
        wait_status(page, "d.status === 'other' && d.active === 'false'", 60000)
        assert not page.locator(STATUS).is_visible()
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", first)
        wait_status(page, "d.status === 'metered' && d.active === 'true'")


def _wait_saved(path: Path, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        nb = json.loads(path.read_text())
        if "jupyter_carbon" in nb["cells"][1].get("metadata", {}):
            return nb
        if time.monotonic() > deadline:
            pytest.fail(f"the saved notebook has no jupyter_carbon metadata: {nb['cells'][1]}")
        time.sleep(0.3)


def test_live_meter_follows_the_unit_setting(lab):
    """The ipywidgets live meter in JupyterLab shows figures in the units of the extension's
    settings (Wh, g), as the status bar does; small power is never "0.0 W"; its scale sits
    beside the trace. The screenshot goes to ``artifacts/widget-units.png``."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, settings = lab
    (settings / "jupyter-carbon").mkdir(parents=True)
    (settings / "jupyter-carbon" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autoLoad": True, "energyUnit": "Wh", "massUnit": "g"})
    )
    meter = ".jupyter-carbon-meter"
    with browser_page(sync_api, "e2e-widget-units") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        wait_status(page, "d.status === 'metered'", 90000)
        page.evaluate(
            """async () => {
                const app = window.jupyterapp;
                const notebook = app.shell.currentWidget.content;
                notebook.activeCellIndex = 0;
                await app.commands.execute('notebook:insert-cell-below');
                notebook.activeCell.model.sharedModel.setSource('%carbon widget');
            }"""
        )
        run_cell(page, 1)  # the meter; the work cell is now 2, the slow one 3
        page.wait_for_selector(meter, timeout=30000)
        run_cell(page, 2)
        wait_status(page, "Number(d.cells) >= 2")
        sync_api.expect(page.locator(meter)).to_contain_text(" Wh", timeout=30000)
        run_cell(page, 3, wait=False)
        sync_api.expect(page.locator(meter)).to_contain_text("Running", timeout=15000)
        page.wait_for_function(f"() => document.querySelector('{meter} polyline') !== null", timeout=15000)
        text = page.locator(meter).text_content()
        assert re.search(r"Session [\d.e-]+ Wh · [\d.e-]+ g CO2e", text), text
        assert "mWh" not in text and " mg " not in text and "0.0 W" not in text, text
        assert re.search(r"cpu [\d.e-]+ W", text), text
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(meter).screenshot(path=str(ARTIFACTS / "widget-units.png"))
        wait_status(page, "!document.querySelector('.jp-carbon-mod-running')", 30000)
        idle = page.locator(meter).text_content()
        assert re.search(r"Idle · last cell \[\d+\] [\d.e-]+ Wh", idle), idle
