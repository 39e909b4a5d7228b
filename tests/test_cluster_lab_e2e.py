"""End to end: a cell's work on a Dask cluster, as JupyterLab shows it.

A real JupyterLab in headless Chromium runs a notebook that starts a two-worker
``distributed.LocalCluster`` and then sends about a second of CPU work to each worker.
While that cell runs the status item shows the cluster's power; once it ends, the line
under the cell names the cluster part in the words of the ``%%carbon`` line, the status
item's tooltip and the session panel carry the session's cluster work, and the panel still
fits its box. The screenshots go to ``artifacts/lab-cluster.png`` (the footers and the
status bar) and ``artifacts/lab-cluster-panel.png``.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from browser import ARTIFACTS, CHROMIUM, STATUS, browser_page, jupyter_server, run_cell, status_of, wait_status
from test_lab_e2e import FITS_ITS_BOX

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]

START_CLUSTER = """\
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = Client(cluster)"""

# Pinned to each worker in turn: both do the same CPU work.
WORK_ON_EACH_WORKER = """\
import time

def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
    return seconds

futures = [client.submit(burn, 1.5, pure=False, workers=[w]) for w in client.scheduler_info()["workers"]]
sum(client.gather(futures))"""


def cluster_notebook() -> dict:
    cells = ["%load_ext jupyter_carbon", START_CLUSTER, WORK_ON_EACH_WORKER, "client.close(); cluster.close()"]
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "id": uuid.uuid4().hex[:12], "metadata": {}, "execution_count": None, "outputs": [], "source": s}
            for s in cells
        ],
    }  # fmt: skip


def test_the_footer_status_item_and_panel_show_a_cells_cluster_part(tmp_path):
    pytest.importorskip("distributed", reason="distributed is in the test extra (jupyter-carbon[dask])")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    ARTIFACTS.mkdir(exist_ok=True)
    # The kernel's own comm charges the cluster: the server meters no kernel here.
    with jupyter_server(tmp_path, "lab", server_metering=False) as (base, token, root, _), browser_page(sync_api, "lab-cluster") as page:
        (root / "cluster.ipynb").write_text(json.dumps(cluster_notebook()))
        page.goto(f"{base}/lab/tree/cluster.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        wait_status(page, "d.status === 'unmetered'", 90000)
        run_cell(page, 0)
        wait_status(page, "d.status === 'metered'")
        run_cell(page, 1)
        wait_status(page, "d.cells === '1'", 120000)

        # While the work runs, the live text has the workers' power beside the kernel's.
        run_cell(page, 2, wait=False)
        page.wait_for_function(
            f"() => /^Carbon: .* · cluster [\\d.]+ k?W/.test(document.querySelector('{STATUS}').textContent)", timeout=60000
        )
        done = wait_status(page, "d.cells === '2' && !el.classList.contains('jp-carbon-mod-running')", 60000)

        footer = page.locator(".jp-CodeCell").nth(2).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_contain_text("cluster", timeout=30000)
        text = footer.text_content()
        # the cell's total leads, then its parts: the kernel's and the cluster's
        assert text.startswith("carbon: total "), text
        assert re.search(r" = kernel ≈?[\d.]+ (mWh|Wh|kWh) \+ cluster [\d.]+ (mWh|Wh|kWh) on 2 workers in FR → [\d.]+ (mg|g) CO2e", text), text
        # Only cells that sent work to the cluster have a cluster part.
        assert "cluster" not in page.locator(".jp-CodeCell").nth(0).locator(".jp-carbon-CellFooter").text_content()

        assert re.search(r" CO2e \(kernel [\d.]+ (mWh|Wh|kWh) \+ cluster [\d.]+ (mWh|Wh|kWh)\)$", done["text"]), done["text"]
        assert re.search(r"\nCluster: [\d.]+ (mWh|Wh|kWh) on 2 workers in FR over \d cells?, [\d.]+ (mg|g) CO2e", done["title"]), done["title"]

        page.screenshot(path=str(ARTIFACTS / "lab-cluster.png"))

        page.click(STATUS)
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel.locator(".jp-carbon-cluster")).to_contain_text("Cluster: ", timeout=30000)
        assert "on 2 workers in FR" in panel.locator(".jp-carbon-cluster").text_content()
        spills = page.evaluate(FITS_ITS_BOX, ".jp-carbon-Panel")
        assert not spills, "\n".join(spills)
        page.screenshot(path=str(ARTIFACTS / "lab-cluster-panel.png"))
        assert status_of(page)["status"] == "metered"
        page.keyboard.press("Escape")
        run_cell(page, 3)
