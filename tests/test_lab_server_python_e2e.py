"""End to end: a Python notebook whose kernel never loaded the extension, in a real
JupyterLab in headless Chromium, metered by the server extension from outside the kernel.

The page shows the server's figures (status bar, a line under each cell that ran, the
panel with a line saying who meters it) until the user runs ``%load_ext jupyter_carbon``;
then the kernel's comm takes over: the next cell's line is the kernel's, the totals go on
from where they were, and each cell is in exactly one ledger (the server's for the cells
before, the kernel's after). The screenshots go to ``artifacts/lab-python-server-*.png``.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

import pytest
from browser import ARTIFACTS, CHROMIUM, LAB_VERSION, STATUS, browser_page, jupyter_server, run_cell, wait_status

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]

CELLS = ["before = sum(i * i for i in range(2_000_000))", "%load_ext jupyter_carbon", "after = sum(i * i for i in range(2_000_000))"]


def _notebook() -> dict:
    cells = [{"cell_type": "code", "id": uuid.uuid4().hex[:12], "metadata": {}, "execution_count": None, "outputs": [], "source": s} for s in CELLS]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}  # fmt: skip


def _saved(page) -> list[dict]:
    return page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets.map(
        c => ({id: c.model.id, count: c.model.executionCount, fp: c.model.getMetadata('jupyter_carbon') ?? null}))""")


def _ledgers(home) -> dict[str, list[list[dict]]]:
    """Every ledger in the user's data folder, by who wrote it (``server`` or ``kernel``)."""
    found: dict[str, list[list[dict]]] = {}
    for path in (home / "data" / "carbon" / "ledgers").glob("*.jsonl"):
        header, *lines = path.read_text().splitlines()
        found.setdefault(json.loads(header).get("metered_by", "kernel"), []).append([json.loads(x) for x in lines])
    return found


def _span(item) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(item["started_at"]), datetime.fromisoformat(item["ended_at"])


def test_a_python_notebook_without_load_ext_shows_the_servers_figures_then_the_kernels(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    ARTIFACTS.mkdir(exist_ok=True)
    with jupyter_server(tmp_path, "lab") as (base, token, root, _), browser_page(sync_api, "lab-python-server") as page:
        (root / "plain.ipynb").write_text(json.dumps(_notebook()))
        page.goto(f"{base}/lab/tree/plain.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        first = wait_status(page, "d.status === 'metered' && d.meteredBy === 'server'", 120000)
        assert "Metered by the Jupyter server from outside the kernel" in first["title"], first["title"]
        assert "%load_ext jupyter_carbon adds" in first["title"]

        # A cell before %load_ext: the server's figures, a line under it.
        run_cell(page, 0)
        served = wait_status(page, "d.cells === '1' && Number(d.energyJ) > 0", 60000)
        assert served["text"].startswith("Carbon: ") and "CO2e" in served["text"] and "zone FR" in served["title"]
        footers = page.locator(".jp-CodeCell .jp-carbon-CellFooter")
        sync_api.expect(page.locator(".jp-CodeCell").nth(0).locator(".jp-carbon-CellFooter")).to_be_visible(timeout=30000)
        page.click(STATUS)
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel.locator(".jp-carbon-meteredBy")).to_contain_text("Metered by the Jupyter server", timeout=30000)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(1, timeout=30000)
        assert not panel.locator(".jp-carbon-ahead").is_visible()  # a forecast is the kernel's to ask for
        page.screenshot(path=str(ARTIFACTS / f"lab-python-server-{LAB_VERSION}.png"))
        page.click(STATUS)
        sync_api.expect(panel).to_have_count(0)

        # %load_ext: the server records that cell (the extension was not loaded as it began),
        # then the kernel's comm takes over and the totals go on from there.
        run_cell(page, 1)
        switched = wait_status(page, "d.meteredBy === 'kernel' && d.cells === '2'", 60000)
        assert float(switched["energyJ"]) >= float(served["energyJ"])
        assert "Includes 2 cells the Jupyter server metered before %load_ext jupyter_carbon." in switched["title"], switched["title"]

        # The next cell is the kernel's.
        run_cell(page, 2)
        final = wait_status(page, "d.meteredBy === 'kernel' && d.cells === '3'", 60000)
        sync_api.expect(footers).to_have_count(3, timeout=30000)
        saved = _saved(page)
        page.click(STATUS)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(3, timeout=30000)
        sync_api.expect(panel.locator(".jp-carbon-meteredBy")).to_contain_text("Includes 2 cells")
        sync_api.expect(panel.locator(".jp-carbon-ahead")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"lab-python-server-switched-{LAB_VERSION}.png"))
        time.sleep(1)  # the ledgers' last lines
        ledgers = _ledgers(root.parent / "home")

    (server,) = ledgers["server"]
    (kernel,) = ledgers["kernel"]
    server_cells = [r for r in server if r.get("type", "cell") == "cell"]
    kernel_cells = [r for r in kernel if r.get("type", "cell") == "cell"]
    # One record per cell across both ledgers: the two before the kernel metered itself are
    # the server's, the one after is the kernel's.
    assert [r["execution_count"] for r in server_cells] == [1, 2]
    assert [r["execution_count"] for r in kernel_cells] == [3]
    # The status bar's total is both ledgers' cells, each once.
    assert float(final["energyJ"]) == pytest.approx(sum(r["energy_j"] for r in server_cells + kernel_cells), rel=1e-6)
    # No span of time is charged twice: the server's idle spans and the kernel's do not overlap.
    for s in (r for r in server if r.get("type") == "idle"):
        for k in (r for r in kernel if r.get("type") == "idle"):
            (s0, s1), (k0, k1) = _span(s), _span(k)
            assert s1 <= k0 or k1 <= s0, f"idle counted twice: server {s} and kernel {k}"
    # Each cell's saved line is from whoever recorded it.
    by_count = {c["count"]: c["fp"] for c in saved}
    assert by_count[1]["session_id"] == by_count[2]["session_id"] == server_cells[0]["session_id"]
    assert by_count[3]["session_id"] == kernel_cells[0]["session_id"]
    assert by_count[3]["energy_j"] == pytest.approx(kernel_cells[0]["energy_j"], rel=1e-5)


def test_notebook7_shows_the_servers_figures_for_a_python_kernel_without_load_ext(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    pytest.importorskip("notebook", reason="Notebook 7 is in the test extra")
    with jupyter_server(tmp_path, "notebook") as (base, token, root, _), browser_page(sync_api, "notebook7-python-server") as page:
        (root / "plain.ipynb").write_text(json.dumps(_notebook()))
        page.goto(f"{base}/notebooks/plain.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        first = wait_status(page, "d.status === 'metered' && d.meteredBy === 'server'", 120000)
        assert "Metered by the Jupyter server" in first["title"] and first["text"].startswith("Carbon: ")
        run_cell(page, 0)
        wait_status(page, "d.cells === '1' && Number(d.energyJ) > 0", 60000)
        footer = page.locator(".jp-CodeCell").nth(0).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_be_visible(timeout=30000)
        assert footer.text_content().startswith("carbon: ") and "FR" in footer.text_content()
