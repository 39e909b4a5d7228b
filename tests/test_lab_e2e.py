"""End to end: a real JupyterLab in headless Chromium meters a notebook's cells.

Starts ``jupyter lab`` on 127.0.0.1 with a token in a temporary root, opens a notebook in
Debian's Chromium through Playwright, and checks what a user sees: "not metered" before
``%load_ext``, the status bar leaving zero, the line under the metered cell, the figures
saved in the cell's metadata, the totals coming back after a page reload, the panel with
the costliest cells, a CSV export downloaded from it, and the state after a kernel
restart; `%%carbon` cells; the panel fitting its box; every export downloaded with no file
left beside the notebook. The screenshot goes to ``artifacts/lab-panel-<Lab version>.png``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from browser import (
    LAB_VERSION,
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
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab: yields (base_url, token, root_dir, user_settings_dir)."""
    with jupyter_server(tmp_path, "lab") as served:
        yield served


@pytest.fixture
def lab_kernel_only(tmp_path):
    """A running JupyterLab whose server meters no kernel: a Python kernel is "not metered"
    until %load_ext, and only the kernel's own comm feeds the page (a lab without the server
    extension; tests/test_lab_server_python_e2e.py has the server's figures)."""
    with jupyter_server(tmp_path, "lab", server_metering=False) as served:
        yield served


def test_status_bar_and_footer_in_a_real_browser(lab_kernel_only):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, _ = lab_kernel_only
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(sync_api, "e2e") as page:
        page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)

        # A Python kernel without the extension says so, and how to fix it.
        before = wait_status(page, "d.status === 'unmetered'", 90000)
        assert before["text"] == "Carbon: not metered" and "%load_ext jupyter_carbon" in before["title"]

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

        # A %%carbon cell shows its figures once: the kernel's line, no footer; with -q the footer.
        _add_cells(page, ["%%carbon\nmagic = 1", "%%carbon -q\nquiet = 2"])
        run_cell(page, 3)
        run_cell(page, 4)
        _expect_one_line_per_cell(page, sync_api)
        after = wait_status(page, "d.cells === '3'")

        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = _wait_saved(root / "carbon-e2e.ipynb")
        meta = saved["cells"][1]["metadata"]["jupyter_carbon"]
        # The kernel's footprint, written as it is: the same shape `jupyter carbon run` writes.
        assert set(meta) == {
            "energy_j", "by_component", "method", "emissions_g", "duration_s", "zone", "g_per_kwh", "status", "pue", "session_id", "index",
            "cell_id", "execution_count", "source_sha256",
            "total_energy_j", "total_emissions_g", "bounds", "embodied_g", "lifetime_years",
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
        _expect_one_line_per_cell(page, sync_api)

        # The panel: totals, region, the costliest cells, inside its box and the window.
        page.click(STATUS)
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(3, timeout=30000)
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_contain_text(["total = sum"])
        sync_api.expect(panel.locator(".jp-carbon-region")).to_contain_text("zone FR")
        spills = page.evaluate(FITS_ITS_BOX, ".jp-carbon-Panel")
        assert not spills, "\n".join(spills)
        # Only the source gives way: no figure is cut to an ellipsis ("0.0022 …").
        cut = page.evaluate(
            "() => [...document.querySelectorAll('.jp-carbon-Panel tr.jp-carbon-cellRow td:not(.jp-carbon-source)')]"
            ".filter(td => td.scrollWidth > td.clientWidth).map(td => td.textContent)"
        )
        assert not cut, f"figures cut in the panel: {cut}"
        # The same with the widest figures the formatter writes, whatever this run's cells took:
        # the figure columns fit their text, the source column gives way, nothing leaves the box.
        widest = ["[1234] cell 1234", "0.00000068 mWh", "0.000000068 mg", "59 min 59 s"]
        # A copy of a row holds them, measured in one step (the panel redraws itself as the
        # kernel's messages come, taking the copy away), then screenshot where it is still there.
        widest_check = (
            f"(texts) => {{ const fits = {FITS_ITS_BOX};"
            " const row = document.querySelector('.jp-carbon-Panel tr.jp-carbon-cellRow');"
            " const copy = row.parentNode.appendChild(row.cloneNode(true)); copy.id = 'jp-carbon-widestRow';"
            " const tds = [...copy.querySelectorAll('td:not(.jp-carbon-source)')];"
            " tds.forEach((td, i) => { td.textContent = texts[i]; });"
            " const cut = tds.filter(td => td.scrollWidth > td.clientWidth).map(td => td.textContent);"
            " return {cut, spills: fits('.jp-carbon-Panel')}; }"
        )
        widest_seen = page.evaluate(widest_check, widest)
        assert not widest_seen["cut"], f"the widest figures are cut in the panel: {widest_seen['cut']}"
        assert not widest_seen["spills"], "\n".join(widest_seen["spills"])
        page.screenshot(path=str(ARTIFACTS / f"lab-panel-widest-{LAB_VERSION}.png"))
        page.evaluate("() => document.getElementById('jp-carbon-widestRow')?.remove()")
        _export_every_format(page, panel, sync_api, root)
        # The ledger and the reports name the notebook (JupyterLab tells the kernel which).
        # The server extension meters the kernel from outside until the kernel says it meters
        # itself: its ledger holds at most the cells before that, never one the kernel recorded.
        ledgers = {}
        for path in (root.parent / "home" / "data" / "carbon" / "ledgers").glob("*.jsonl"):
            header, *lines = path.read_text().splitlines()
            ledgers.setdefault(json.loads(header).get("metered_by", "kernel"), []).append([json.loads(x) for x in lines])
        (cells,) = ledgers.pop("kernel")
        assert set(ledgers) <= {"server"} and len(ledgers.get("server", [])) <= 1, ledgers
        by_server = [c for c in ledgers.get("server", [[]])[0] if c.get("type", "cell") == "cell"]
        assert not {c["execution_count"] for c in by_server} & {c["execution_count"] for c in cells}
        assert {c["notebook"] for c in cells} == {"carbon-e2e.ipynb"}
        page.screenshot(path=str(ARTIFACTS / f"lab-panel-{LAB_VERSION}.png"))

        # The panel redraws as the kernel's figures come: a row the keyboard is on keeps the
        # focus, through redraws that change nothing and through a new cell's row.
        focused = page.evaluate(
            "() => { const row = document.querySelector('.jp-carbon-Panel tr.jp-carbon-cellRow'); row.focus(); return row.dataset.cellId; }"
        )
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.requestExecute({code: 'after_focus = 3'})")
        sync_api.expect(panel.locator("tr.jp-carbon-cellRow")).to_have_count(4, timeout=30000)
        page.wait_for_timeout(1500)  # the messages after the cell's (totals, idle figures)
        assert page.evaluate(
            "() => { const a = document.activeElement; return a && a.matches('.jp-carbon-Panel tr.jp-carbon-cellRow') ? a.dataset.cellId : String(a && a.tagName); }"
        ) == focused

        # Clicking a cell in the list goes to it, and the panel gets out of its way.
        page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 0; nb.node.scrollTop = 0; }")
        cell_id = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.id")
        panel.locator(f"tr.jp-carbon-cellRow[data-cell-id='{cell_id}']").click()
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 1", timeout=10000)
        sync_api.expect(panel).to_have_count(0)
        page.wait_for_function(SEEN_AT_ITS_CENTRE, arg=".jp-Notebook .jp-Cell.jp-mod-active", timeout=10000)

        # A restart starts a kernel without the extension: the item says so again.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        restarted = wait_status(page, "d.status === 'unmetered'")
        assert "%load_ext jupyter_carbon" in restarted["title"]


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
        # In the chosen units, or, for a figure below a thousandth of one, in the unit that reads.
        assert re.match(r"Carbon: [\d.]+ m?Wh · [\d.]+ m?g CO2e$", after["text"]), after["text"]
        footer = page.locator(".jp-CodeCell").nth(1).locator(".jp-carbon-CellFooter")
        sync_api.expect(footer).to_contain_text("Wh · ", timeout=30000)
        assert not re.search(r"\de-\d", footer.text_content()), footer.text_content()
        # Silent: the load left no output and no execution count anywhere.
        assert page.locator(".jp-CodeCell").nth(0).locator(".jp-OutputArea-output").count() == 0

        # While a cell runs the item shows live power and the cell's energy so far.
        run_cell(page, 2, wait=False)
        live = wait_status(page, "document.querySelector('.jp-carbon-mod-running') !== null && / W · cell /.test(document.querySelector('.jp-carbon-StatusItem').textContent)", 15000)
        assert re.match(r"Carbon: [\d.]+ k?W · cell [\d.]+ m?Wh$", live["text"]), live["text"]
        wait_status(page, "d.cells === '2' && !document.querySelector('.jp-carbon-mod-running')", 30000)

        # After a restart the new kernel is loaded and metered again, from zero.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
        wait_status(page, "d.status === 'metered' && d.cells === '0'")

        # The item follows the active notebook: a kernel in another language shows the
        # server's figures of that kernel (it meters it from outside: none yet), and this
        # notebook's figures come back when it is active again.
        first = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'other.ipynb'})")
        wait_status(page, "d.status === 'metered' && d.active === 'true' && d.cells === '0'", 60000)
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", first)
        wait_status(page, "d.status === 'metered' && d.active === 'true'")


# Elements of the box (and the box) whose content is wider than they are, and whether the
# box lies inside the window: what a user sees as text spilling over the notebook. Text cut
# on purpose (text-overflow: ellipsis, the full text in a tooltip) is not spilling.
FITS_ITS_BOX = """(selector) => {
    const box = document.querySelector(selector);
    const r = box.getBoundingClientRect();
    const problems = [];
    if (r.left < 0 || r.top < 0 || r.right > window.innerWidth || r.bottom > window.innerHeight) {
        problems.push(`box at ${JSON.stringify(r)} is outside the ${window.innerWidth}x${window.innerHeight} window`);
    }
    for (const el of [box, ...box.querySelectorAll('*')]) {
        if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow !== 'ellipsis') {
            problems.push(`${el.tagName}.${el.className} scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
        }
    }
    return problems;
}"""

# The element at the centre of the first match is inside it: it is on screen and nothing covers it.
SEEN_AT_ITS_CENTRE = """(selector) => {
    const el = document.querySelector(selector);
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 20);
    return x > 0 && y > 0 && x < window.innerWidth && y < window.innerHeight && el.contains(document.elementFromPoint(x, y));
}"""


def _add_cells(page, sources: list[str]) -> None:
    page.evaluate(
        """(sources) => {
            const model = window.jupyterapp.shell.currentWidget.content.model;
            for (const source of sources) model.sharedModel.insertCell(model.cells.length, {cell_type: 'code', source});
        }""",
        sources,
    )


def _expect_one_line_per_cell(page, sync_api) -> None:
    """Cell 3 (%%carbon) shows the kernel's line and no footer; cell 4 (%%carbon -q) its footer."""
    cells = page.locator(".jp-CodeCell")
    sync_api.expect(cells.nth(3).locator(".jp-OutputArea-output")).to_contain_text("carbon: ", timeout=30000)
    sync_api.expect(cells.nth(4).locator(".jp-carbon-CellFooter")).to_be_visible(timeout=30000)
    assert cells.nth(4).locator(".jp-OutputArea-output").count() == 0
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets[3].model.getMetadata('jupyter_carbon') !== undefined", timeout=30000)
    assert cells.nth(3).locator(".jp-carbon-CellFooter").count() == 1  # drawn, and hidden
    assert not cells.nth(3).locator(".jp-carbon-CellFooter").is_visible()


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _export_every_format(page, panel, sync_api, root: Path) -> None:
    """Every button downloads its report through the browser; the server's folder is unchanged."""
    before = _listing(root)
    downloads = {}
    for button in panel.locator("button.jp-carbon-export").all():
        with page.expect_download(timeout=60000) as download:
            button.click()
        downloads[button.get_attribute("data-format")] = (download.value.suggested_filename, Path(download.value.path()).read_text())
        sync_api.expect(panel.locator(".jp-carbon-message")).to_contain_text("Downloaded")
    assert set(downloads) == {"json", "csv", "md", "html", "latex", "codecarbon", "model-card"}
    # Named by the notebook and the format: no two downloads share a name.
    names = [name for name, _ in downloads.values()]
    assert len(set(names)) == len(names) and all(n.startswith("carbon-e2e-") for n in names), names
    assert downloads["codecarbon"][0] == "carbon-e2e-codecarbon.csv" and downloads["model-card"][0] == "carbon-e2e-model-card.md"
    assert _listing(root) == before
    name, text = downloads["csv"]
    assert name.endswith(".csv") and "total = sum" in text
    name, text = downloads["html"]
    assert name.endswith(".html") and "<title>Energy and carbon report: carbon-e2e.ipynb (session " in text
    name, text = downloads["json"]
    assert name.endswith(".json") and len(json.loads(text)["cells"]) == 3
    assert downloads["latex"][0].endswith(".tex") and "\\texttt{carbon-e2e.ipynb}" in downloads["latex"][1]


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
        assert re.search(r"Session [\d.]+ m?Wh · [\d.]+ m?g CO2e", text), text
        assert not re.search(r"\de-\d", text) and "0.0 W" not in text, text
        assert re.search(r"cpu [\d.e-]+ W", text), text
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(meter).screenshot(path=str(ARTIFACTS / "widget-units.png"))
        wait_status(page, "!document.querySelector('.jp-carbon-mod-running')", 30000)
        idle = page.locator(meter).text_content()
        assert re.search(r"Idle · last cell \[\d+\] [\d.]+ m?Wh", idle), idle
