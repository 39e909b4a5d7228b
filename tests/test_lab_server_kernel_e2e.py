"""End to end: an R notebook in a real JupyterLab, in headless Chromium, metered by the
server extension from outside the kernel (an R kernel cannot load the IPython extension).

The page follows the kernel over the server's carbon channel: the status bar leaves zero,
each cell that ran gets its line and its saved footprint (under the cell whose request the
page sent), the figures are the server's (the REST route's totals), and the panel lists the
cells. The screenshot goes to ``artifacts/lab-r-kernel-<Lab version>.png``.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from browser import ARTIFACTS, CHROMIUM, LAB_VERSION, STATUS, browser_page, jupyter_server, run_cell, wait_status
from server_harness import IR_REASON, has_irkernel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]

R_CELLS = ["x <- 0\nfor (i in 1:3000000) x <- x + i\nx", "y <- sqrt(2)\ny"]


def _r_notebook() -> dict:
    cells = [{"cell_type": "code", "id": uuid.uuid4().hex[:12], "metadata": {}, "execution_count": None, "outputs": [], "source": s} for s in R_CELLS]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}}  # fmt: skip


def _server_kernel(base, token, notebook):
    """The server's view of the notebook's kernel. The server learns a kernel's notebook from
    its session manager once a second, so the list is asked again for a while."""
    deadline = time.monotonic() + 20
    while True:
        with urllib.request.urlopen(f"{base}/api/carbon/kernels?token={token}", timeout=10) as r:
            kernels = json.load(r)["kernels"]
        found = [k for k in kernels if k["notebook"] == notebook]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(found) == 1, f"the server lists no one kernel of {notebook}: {kernels}"
    (kernel,) = found
    with urllib.request.urlopen(f"{base}/api/carbon/kernels/{kernel['kernel_id']}?token={token}", timeout=10) as r:
        return json.load(r)


def test_an_r_notebook_shows_its_footers_status_and_panel_from_the_server(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    if not has_irkernel():
        pytest.skip(IR_REASON)
    ARTIFACTS.mkdir(exist_ok=True)
    with jupyter_server(tmp_path, "lab") as (base, token, root, _), browser_page(sync_api, "lab-r-kernel") as page:
        (root / "analysis.ipynb").write_text(json.dumps(_r_notebook()))
        page.goto(f"{base}/lab/tree/analysis.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        wait_status(page, "d.status === 'metered' && d.cells === '0'", 120000)

        run_cell(page, 0)
        after = wait_status(page, "d.cells === '1' && Number(d.energyJ) > 0", 60000)
        assert after["text"].startswith("Carbon: ") and "CO2e" in after["text"], after["text"]
        assert "zone FR" in after["title"]
        footer = page.locator(".jp-CodeCell").nth(0).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_be_visible(timeout=30000)
        assert footer.text_content().startswith("carbon: ") and "FR" in footer.text_content()
        assert not page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter").is_visible()

        run_cell(page, 1)
        wait_status(page, "d.cells === '2'", 60000)
        sync_api.expect(page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")).to_be_visible(timeout=30000)
        saved = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets.map(
            c => ({id: c.model.id, count: c.model.executionCount, fp: c.model.getMetadata('jupyter_carbon') ?? null}))""")
        server = _server_kernel(base, token, "analysis.ipynb")
        shown = status_of_page(page)

        page.click(STATUS)
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(2, timeout=30000)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_contain_text(["x <- 0"])
        sync_api.expect(panel.locator(".jp-carbon-region")).to_contain_text("zone FR")
        page.screenshot(path=str(ARTIFACTS / f"lab-r-kernel-{LAB_VERSION}.png"))

    assert server["metered_by"] == "server" and server["kernel_name"] == "ir"
    assert float(shown["energyJ"]) == pytest.approx(server["totals"]["energy_j"], rel=1e-9)
    by_index = {r["index"]: r for r in server["costliest"]}
    for cell in saved:  # each cell carries the figures of its own run, under its own id
        fp = cell["fp"]
        assert fp is not None and fp["cell_id"] == cell["id"] and fp["execution_count"] == cell["count"]
        assert fp["energy_j"] == pytest.approx(by_index[fp["index"]]["energy_j"], rel=1e-5)
    assert saved[0]["fp"]["energy_j"] > saved[1]["fp"]["energy_j"]  # the loop burned more than sqrt


def status_of_page(page) -> dict:
    return page.eval_on_selector(STATUS, "el => ({...el.dataset})")
