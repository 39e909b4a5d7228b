"""End to end in Notebook 7, and the command palette in both apps.

Notebook 7 has no status bar: the meter sits in its top bar, beside the kernel logo, and a
click on it opens the same session panel as in JupyterLab. The palette of both apps lists
"Energy and carbon: show session" and one "export as" command per format; an export is a
download, nothing is written beside the notebook. Any console warning or error naming
jupyter-carbon fails the test. Screenshots go to ``artifacts/notebook7-indicator.png`` and
``artifacts/notebook7-panel.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import (
    ARTIFACTS,
    STATUS,
    browser_page,
    jupyter_server,
    needs_chromium,
    run_cell,
    wait_status,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, needs_chromium]

PANEL = ".jp-carbon-Panel"
OURS = re.compile(r"jupyter[-_]carbon", re.IGNORECASE)
PALETTE_LABELS = [
    "Energy and carbon: show session",
    "Energy and carbon: export as JSON",
    "Energy and carbon: export as CSV",
    "Energy and carbon: export as Markdown",
    "Energy and carbon: export as HTML",
    "Energy and carbon: export as LaTeX",
    "Energy and carbon: export as CodeCarbon",
    "Energy and carbon: export as Model card",
]


# How the unmetered item looks: a bordered box of grey italics reads as a search field.
UNMETERED_LOOK = f"""() => {{
    const el = document.querySelector('{STATUS}'), st = getComputedStyle(el);
    const alpha = c => {{ const m = c.match(/rgba?\\(([^)]*)\\)/); const parts = m ? m[1].split(',') : []; return parts.length === 4 ? parseFloat(parts[3]) : 1; }};
    return {{fontStyle: st.fontStyle, cursor: st.cursor, role: el.getAttribute('role'),
             borderWidth: parseFloat(st.borderTopWidth), borderAlpha: alpha(st.borderTopColor), border: st.borderTopColor}};
}}"""


def watch_console(page) -> list[str]:
    """Warnings, errors and uncaught exceptions that name jupyter-carbon, as they come."""
    ours: list[str] = []

    def on_console(message):
        if message.type in ("warning", "error") and OURS.search(message.text):
            ours.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: ours.append(f"uncaught: {error}") if OURS.search(f"{error}\n{error.stack}") else None)
    return ours


def load_and_meter(page) -> dict:
    """Run the %load_ext cell and the work cell back to back; wait for the meter to count it."""
    run_cell(page, 0, wait=False)
    run_cell(page, 1)
    return wait_status(page, "Number(d.cells) >= 1 && Number(d.energyJ) > 0")


def open_palette(page, sync_api, query: str):
    """Open the command palette the way a user does, type ``query``; return its items."""
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:activate-command-palette')")
    search = page.locator(".lm-CommandPalette-input:visible")
    sync_api.expect(search).to_be_visible(timeout=10000)
    search.fill(query)
    return page.locator(".lm-CommandPalette-item:visible")


def palette_labels(items) -> list[str]:
    return [text.strip() for text in items.locator(".lm-CommandPalette-itemLabel").all_text_contents()]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_notebook7_top_bar_meter_panel_and_palette(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    pytest.importorskip("notebook", reason="Notebook 7 is in the test extra")
    # The kernel's own comm: the server meters no kernel here ("not metered" until %load_ext).
    with jupyter_server(tmp_path, "notebook", server_metering=False) as (base, token, root, _), browser_page(sync_api, "notebook7") as page:
        ours = watch_console(page)
        # The file browser page loads the extension too, with no notebook: nothing to show.
        page.goto(f"{base}/tree?token={token}")
        page.wait_for_selector(".jp-DirListing-item", timeout=90000)
        page.wait_for_timeout(2000)
        assert not page.locator(STATUS).is_visible()
        page.goto(f"{base}/notebooks/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)

        # No status bar here: the item is in the top bar, saying how to start metering.
        before = wait_status(page, "d.status === 'unmetered'", 90000)
        assert "not metered" in before["text"] and "%load_ext jupyter_carbon" in before["title"]
        assert page.locator(STATUS).count() == 1
        assert page.locator(f"#jp-top-bar {STATUS}").is_visible()
        # A label to click, not a search field: no box drawn round grey italic words.
        look = page.evaluate(UNMETERED_LOOK)
        assert look["fontStyle"] == "normal" and look["cursor"] == "pointer", look
        assert look["borderWidth"] == 0 or look["borderAlpha"] == 0, look
        assert look["role"] == "button", look
        assert not page.evaluate("() => window.jupyterapp.commands.isEnabled('jupyter-carbon:show-session')")
        files_before = files_under(root)  # with the checkpoint Notebook 7 makes on opening

        after = load_and_meter(page)
        assert re.match(r"Carbon: [\d.]+ (mWh|Wh|kWh) · [\d.]+ (mg|g|kg) CO2e$", after["text"]), after["text"]
        assert "zone FR" in after["title"]
        # Beside the kernel logo, not over it, and inside the page.
        item, logo = box(page, STATUS), box(page, ".jp-NotebookKernelLogo")
        assert item["x"] + item["width"] <= logo["x"], (item, logo)
        assert item["y"] < logo["y"] + logo["height"] and logo["y"] < item["y"] + item["height"]
        assert item["x"] >= 0 and item["y"] >= 0

        # The line under the metered cell, in Notebook 7's notebook view too.
        footer = page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_be_visible(timeout=30000)
        assert footer.text_content().startswith("carbon: ") and "FR" in footer.text_content()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook7-indicator.png"))

        # While a cell runs: live power and the cell's energy so far, as in Lab's status bar.
        run_cell(page, 2, wait=False)
        live = wait_status(page, "document.querySelector('.jp-carbon-mod-running') !== null && / W · cell /.test(document.querySelector('.jp-carbon-StatusItem').textContent)", 15000)
        assert re.match(r"Carbon: [\d.]+ k?W · cell [\d.e-]+ (mWh|Wh)$", live["text"]), live["text"]
        wait_status(page, "d.cells === '2' && !document.querySelector('.jp-carbon-mod-running')", 30000)

        # A click opens the session panel below the item, inside the window.
        page.click(STATUS)
        panel = page.locator(PANEL)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(2, timeout=30000)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_contain_text(["total = sum", "import time"])  # costliest first
        sync_api.expect(panel.locator(".jp-carbon-region")).to_contain_text("zone FR")
        shown = box(page, PANEL)
        assert shown["y"] >= item["y"] + item["height"] - 1, (shown, item)
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= 1280, shown
        page.screenshot(path=str(ARTIFACTS / "notebook7-panel.png"))
        page.click(STATUS)  # a second click closes it
        sync_api.expect(panel).to_have_count(0)

        # The palette lists every command under its category, enabled now.
        items = open_palette(page, sync_api, "Energy and carbon")
        sync_api.expect(items.filter(has_text="export as CSV")).to_have_count(1, timeout=10000)
        assert sorted(palette_labels(items)) == sorted(PALETTE_LABELS)
        assert page.locator(".lm-CommandPalette-item.lm-mod-disabled:visible").count() == 0
        # Run from the palette: the browser downloads the kernel's CSV.
        with page.expect_download(timeout=60000) as download:
            items.filter(has_text="export as CSV").click()
        assert download.value.suggested_filename.endswith(".csv")
        assert "total = sum" in Path(download.value.path()).read_text()
        # And through the command registry, as scripts and shortcuts run it.
        with page.expect_download(timeout=60000) as download:
            page.evaluate("() => window.jupyterapp.commands.execute('jupyter-carbon:export', {format: 'csv'})")
        assert "total = sum" in Path(download.value.path()).read_text()

        # "show session" opens the same panel.
        page.evaluate("() => window.jupyterapp.commands.execute('jupyter-carbon:show-session')")
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(2, timeout=30000)

        assert files_under(root) == files_before
        assert ours == []


def test_lab_palette_shows_the_session_and_keeps_one_meter(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    # The kernel's own comm: the server meters no kernel here ("not metered" until %load_ext).
    with jupyter_server(tmp_path, "lab", server_metering=False) as (base, token, _, _), browser_page(sync_api, "lab-palette") as page:
        ours = watch_console(page)
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
        wait_status(page, "d.status === 'unmetered'", 90000)
        load_and_meter(page)

        # The status bar holds the meter; the top bar adds no second one.
        assert page.locator(STATUS).count() == 1
        assert page.locator(f".jp-StatusBar-Widget {STATUS}").is_visible()

        items = open_palette(page, sync_api, "Energy and carbon")
        sync_api.expect(items.filter(has_text="show session")).to_have_count(1, timeout=10000)
        assert sorted(palette_labels(items)) == sorted(PALETTE_LABELS)
        items.filter(has_text="show session").click()
        panel = page.locator(PANEL)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_contain_text("total = sum", timeout=30000)
        # Opened above the status bar, as a click on the item opens it.
        assert box(page, PANEL)["y"] + box(page, PANEL)["height"] <= box(page, STATUS)["y"] + 1
        assert ours == []
