"""The lab front end in the states users put it in, driven in headless Chromium.

- Footers describe the run that produced the cell's outputs: an edited cell's figures are
  marked as those of an earlier version, a pasted copy's as another cell's, and "Clear
  Outputs of All Cells" takes them away (``artifacts/lab-footer-edited-<Lab>.png``).
- A notebook someone else saved with hostile footprints shows "unreadable footprint",
  never their numbers or markup, and nothing spills (``artifacts/lab-hostile-<Lab>.png``).
- The status item is a button the keyboard reaches: Enter opens the panel with the focus
  in it, Escape closes it wherever the focus is; on a Launcher tab the item is gone, as
  Lab's kernel item is.
- At 1024 and 1280 px beside jupyter-resource-usage the status bar keeps every item in view
  (``artifacts/lab-statusbar-<width>-<Lab>.png``).
- Two notebooks side by side: in the half-width pane ``%carbon summary`` shows its CO2e column
  and its chart's labels whole, and the live meter's wrapped lines are spaced at Lab's line
  height, not the 28 px of a widget control (``artifacts/lab-half-width-<Lab>.png``).
- Beside jupyterlab-execute-time (where installed), the footer sits apart from its line.
- A notebook whose kernel dies as it starts: within seconds the item says it has not started
  (not "connecting…"), then that it did not start, and stays in view saying so.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import pytest
from browser import (
    ARTIFACTS,
    LAB_VERSION,
    STATUS,
    browser_page,
    jupyter_server,
    needs_chromium,
    notebook_json,
    run_cell,
    wait_status,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    needs_chromium,
]

FOOTER = ".jp-carbon-CellFooter"


@pytest.fixture
def lab(tmp_path):
    # The states of the kernel's own comm: the server meters no kernel here, so a Python kernel
    # is "not metered" until %load_ext (tests/test_lab_server_python_e2e.py has the server's figures).
    with jupyter_server(tmp_path, "lab", server_metering=False) as served:
        yield served


def _open(page, base, token, name="carbon-e2e.ipynb"):
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)


def _open_unmetered(page, base, token):
    """Open the test notebook and wait until its kernel reports it is not metered yet."""
    _open(page, base, token)
    wait_status(page, "d.status === 'unmetered'", 90000)


def _footer(page, index):
    return page.locator(".jp-Notebook .jp-CodeCell").nth(index).locator(FOOTER)


def _state(page, index):
    return page.evaluate(
        "(i) => { const f = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i].querySelector('.jp-carbon-CellFooter'); return f ? f.dataset.state : null; }",
        index,
    )


def test_footers_follow_edits_copies_and_cleared_outputs(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, _ = lab
    with browser_page(sync_api, "e2e-footer-states") as page:
        _open_unmetered(page, base, token)
        run_cell(page, 0)
        wait_status(page, "d.status === 'metered'")
        run_cell(page, 1)
        wait_status(page, "Number(d.cells) >= 1")
        footer = _footer(page, 1)
        sync_api.expect(footer).to_be_visible(timeout=30000)
        page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1].querySelector('.jp-carbon-CellFooter').dataset.state === 'current'", timeout=30000)
        figures = footer.text_content()
        assert figures.startswith("carbon: ")
        # Lined up with the input box above it, and apart from the output above it.
        lined = page.evaluate(
            """() => { const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1];
                const f = cell.querySelector('.jp-carbon-CellFooter'), box = cell.querySelector('.jp-InputArea-editor');
                const left = f.getBoundingClientRect().left + parseFloat(getComputedStyle(f).paddingLeft);
                return {footer: left, box: box.getBoundingClientRect().left, gap: parseFloat(getComputedStyle(f).marginTop)}; }"""
        )
        assert abs(lined["footer"] - lined["box"]) <= 1 and lined["gap"] >= 2, lined
        # The footprint names the run it describes.
        saved = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.getMetadata('jupyter_carbon')")
        assert saved["execution_count"] >= 1 and len(saved["source_sha256"]) == 64 and saved["cell_id"]

        # Edited: the figures are marked as an earlier version's, not passed off as the new code's.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.sharedModel.setSource('total = 0')")
        page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1].querySelector('.jp-carbon-CellFooter').dataset.state === 'edited'", timeout=10000)
        assert footer.text_content().startswith("before the last edit ·")
        assert "earlier version" in footer.get_attribute("title")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".jp-Notebook .jp-CodeCell").nth(1).screenshot(path=str(ARTIFACTS / f"lab-footer-edited-{LAB_VERSION}.png"))
        # Back to what ran: current again (the hash of the source matches the kernel's).
        page.evaluate(
            "(src) => window.jupyterapp.shell.currentWidget.content.widgets[1].model.sharedModel.setSource(src)",
            "total = sum(i * i for i in range(3_000_000))\ntotal",
        )
        page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1].querySelector('.jp-carbon-CellFooter').dataset.state === 'current'", timeout=10000)

        # A pasted copy carries the metadata but never ran: not the original's figures.
        page.evaluate(
            """async () => {
                const app = window.jupyterapp;
                const nb = app.shell.currentWidget.content;
                nb.activeCellIndex = 1;
                nb.deselectAll();
                await app.commands.execute('notebook:copy-cell');
                nb.activeCellIndex = 2;
                await app.commands.execute('notebook:paste-cell-below');
            }"""
        )
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length === 4", timeout=10000)
        page.wait_for_function(
            "() => { const f = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[3].querySelector('.jp-carbon-CellFooter'); return f && ['copied', 'hidden'].includes(f.dataset.state); }",
            timeout=10000,
        )
        if _state(page, 3) == "copied":
            assert _footer(page, 3).text_content().startswith("copied from another cell, not run here ·")

        # Clear Outputs of All Cells takes the footers with the outputs, as it does execute-time's lines.
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-Notebook .jp-carbon-CellFooter')].every(f => f.classList.contains('lm-mod-hidden') || f.offsetParent === null)",
            timeout=10000,
        )
        assert not footer.is_visible()


HOSTILE = {
    "negative": {"energy_j": -5.0, "status": "ok"},
    "huge": {"energy_j": 1e304, "emissions_g": 1e304},
    "object method": {"energy_j": 3.6, "by_component": {"cpu": 3.6}, "method": {"cpu": {"how": "estimated"}}},
    "constructor": {"energy_j": 3.6, "by_component": {"constructor": 3.6}, "method": {}},
    "workers": {"energy_j": 3.6, "cluster": {"energy_j": 1.0, "workers": -3}},
    "zone": {"energy_j": 3.6, "zone": "Z" * 3000},
    "markup": {"energy_j": 3.6, "by_component": {"<img src=x onerror=window.__carbonPwned=1>": 3.6}},
}


def _hostile_notebook() -> dict:
    cells = []
    for n, (why, meta) in enumerate(HOSTILE.items(), start=1):
        cells.append({
            "cell_type": "code", "id": uuid.uuid4().hex[:12], "execution_count": n, "outputs": [],
            "metadata": {"jupyter_carbon": meta}, "source": f"# {why}\nx = {n}",
        })  # fmt: skip
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}, "cells": cells}


def test_a_notebook_someone_else_saved(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, _ = lab
    (root / "hostile.ipynb").write_text(json.dumps(_hostile_notebook()))
    with browser_page(sync_api, "e2e-hostile") as page:
        _open(page, base, token, "hostile.ipynb")
        page.wait_for_function(f"() => document.querySelectorAll('{FOOTER}').length === {len(HOSTILE)}", timeout=30000)
        page.wait_for_function(f"() => [...document.querySelectorAll('{FOOTER}')].every(f => f.dataset.state)", timeout=30000)
        footers = page.evaluate(
            f"() => [...document.querySelectorAll('{FOOTER}')].map(f => ({{state: f.dataset.state, text: f.textContent, title: f.title, "
            "width: f.scrollWidth, box: f.closest('.jp-Cell').clientWidth, html: f.innerHTML}))"
        )
        by_case = dict(zip(HOSTILE, footers))
        for why, f in by_case.items():
            everything = f["text"] + f["title"]
            assert "native code" not in everything and "[object Object]" not in everything and "-3 workers" not in everything, (why, f)
            assert "<img" not in f["html"], (why, f["html"])
            assert f["box"] and len(f["text"]) < 200, (why, f)
        for why in ("negative", "huge", "object method", "workers", "zone", "markup"):
            assert by_case[why]["state"] == "unreadable", (why, by_case[why])
            assert by_case[why]["text"] == "carbon: unreadable footprint", (why, by_case[why])
        # A component named after something on Object.prototype is just a name.
        assert by_case["constructor"]["state"] == "current"
        # (its components line, then the figures line every footer's tooltip carries)
        assert by_case["constructor"]["title"] == "constructor 1.0 mWh\nEnergy: 1.0 mWh; emissions: n/a CO2e", by_case["constructor"]
        assert page.evaluate("() => window.__carbonPwned === undefined")
        # Nothing spills across the page.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"lab-hostile-{LAB_VERSION}.png"))


def test_status_item_by_keyboard_and_on_a_launcher(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, _ = lab
    with browser_page(sync_api, "e2e-keyboard") as page:
        _open_unmetered(page, base, token)
        item = page.locator(STATUS)
        assert item.get_attribute("role") == "button" and item.get_attribute("tabindex") == "0"
        assert item.get_attribute("aria-expanded") == "false" and "not metered" in item.get_attribute("aria-label")

        # Tab reaches it from the status-bar item before it.
        page.evaluate(f"() => {{ const el = document.querySelector('{STATUS}'); let prev = null; for (const f of document.querySelectorAll('[tabindex=\"0\"], button, a[href], input')) {{ if (f === el) break; if (f.offsetParent !== null) prev = f; }} prev.focus(); }}")
        for _ in range(5):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => document.activeElement === document.querySelector('{STATUS}')"):
                break
        assert page.evaluate(f"() => document.activeElement === document.querySelector('{STATUS}')"), "Tab did not reach the status item"

        # Enter opens the panel with the focus inside; Escape closes it and gives the focus back.
        page.keyboard.press("Enter")
        panel = page.locator(".jp-carbon-Panel")
        sync_api.expect(panel).to_be_visible(timeout=10000)
        assert panel.get_attribute("role") == "dialog"
        assert page.evaluate("() => document.querySelector('.jp-carbon-Panel').contains(document.activeElement)")
        assert item.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Escape")
        sync_api.expect(panel).to_have_count(0, timeout=5000)
        assert page.evaluate(f"() => document.activeElement === document.querySelector('{STATUS}')")

        # Escape closes it with the focus elsewhere (the notebook), as Lab's popups do.
        page.keyboard.press(" ")
        sync_api.expect(panel).to_be_visible(timeout=10000)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.node.focus()")
        page.keyboard.press("Escape")
        sync_api.expect(panel).to_have_count(0, timeout=5000)

        # On a Launcher tab the item goes, as Lab's kernel item does; back with the notebook.
        notebook = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        page.evaluate("() => window.jupyterapp.commands.execute('launcher:create')")
        wait_status(page, "d.active === 'false'", 15000)
        assert not item.is_visible()
        refused = page.evaluate("() => window.jupyterapp.commands.execute('jupyter-carbon:show-session').then(() => '', e => String(e))")
        assert "not a metered notebook" in refused and panel.count() == 0
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", notebook)
        wait_status(page, "d.active === 'true' && d.status === 'unmetered'", 15000)


# What this item does to the status bar: whether it overlaps another item or leaves the window,
# and whether the bar overflows more with it than without it (JupyterLab's own items with
# resource-usage's may already be wider than a small window; that is not this item's doing).
STATUS_BAR_CLASH = """() => {
    const ours = document.querySelector('.jp-carbon-StatusItem');
    const bar = document.querySelector('.jp-StatusBar-Widget');
    const overflow = () => Math.max(0, bar.scrollWidth - bar.clientWidth);
    const withIt = overflow();
    const display = ours.style.display;
    ours.style.display = 'none';
    const without = overflow();
    ours.style.display = display;
    const problems = [];
    if (withIt > without + 1) problems.push(`the bar overflows by ${withIt} px with the item, ${without} px without`);
    const r = ours.getBoundingClientRect();
    if (r.left < 0 || r.right > window.innerWidth) problems.push(`the item leaves the window: ${JSON.stringify(r)}`);
    for (const el of document.querySelectorAll('.jp-StatusBar-Item')) {
        if (el.contains(ours) || el.offsetParent === null) continue;
        const o = el.getBoundingClientRect();
        if (o.width > 0 && r.left < o.right - 0.5 && o.left < r.right - 0.5) problems.push(`the item overlaps ${el.textContent.trim().slice(0, 40)}`);
    }
    return problems;
}"""

# Items of the status bar that overlap one another or leave the window.
ALL_CLASHES = """() => {
    const items = [...document.querySelectorAll('.jp-StatusBar-Item')].filter(el => el.offsetParent !== null && el.getBoundingClientRect().width > 0);
    const boxes = items.map(el => ({text: el.textContent.trim().slice(0, 40), r: el.getBoundingClientRect()}));
    const problems = [];
    for (const b of boxes) {
        if (b.r.left < 0 || b.r.right > window.innerWidth + 0.5) problems.push(`${b.text} leaves the window`);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r, b = boxes[j].r;
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5) problems.push(`${boxes[i].text} overlaps ${boxes[j].text}`);
    }
    const bar = document.querySelector('.jp-StatusBar-Widget');
    if (bar && bar.scrollWidth > bar.clientWidth + 1) problems.push(`status bar scrollWidth ${bar.scrollWidth} > ${bar.clientWidth}`);
    return problems;
}"""


@pytest.mark.parametrize("width", [1024, 1280])
def test_status_bar_fits_beside_resource_usage(lab, width):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, _ = lab
    with browser_page(sync_api, f"e2e-statusbar-{width}") as page:
        page.set_viewport_size({"width": width, "height": 800})
        _open_unmetered(page, base, token)
        page.wait_for_timeout(2000)  # resource-usage polls its metrics
        has_resource_usage = page.evaluate("() => /Mem:/.test(document.querySelector('.jp-StatusBar-Widget').textContent)")
        unmetered = page.locator(STATUS).text_content()
        assert unmetered == ("Carbon: off" if width < 1100 else "Carbon: not metered"), unmetered
        assert not page.evaluate(STATUS_BAR_CLASH)
        if width >= 1280:  # there all of Lab's items and resource-usage's fit beside this one
            assert not page.evaluate(ALL_CLASHES)
        run_cell(page, 0)
        run_cell(page, 1)
        metered = wait_status(page, "Number(d.cells) >= 1")
        if width < 1100:
            assert not metered["text"].startswith("Carbon:") and "Carbon:" in page.locator(STATUS).get_attribute("aria-label")
        else:
            assert metered["text"].startswith("Carbon: ")
        assert not page.evaluate(STATUS_BAR_CLASH)
        if width >= 1280:
            assert not page.evaluate(ALL_CLASHES)
        if not has_resource_usage:
            pytest.skip("jupyter-resource-usage is not loaded in this Lab: status bar checked alone, no screenshot beside it")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".jp-StatusBar-Widget").screenshot(path=str(ARTIFACTS / f"lab-statusbar-{width}-{LAB_VERSION}.png"))


def test_a_kernel_that_does_not_start_is_said_so(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, settings = lab
    # A Python kernel whose process exits at once, as one with a broken environment does.
    spec = settings.parent / "data" / "kernels" / "crashes"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Crashes at start", "language": "python"}))
    (root / "crashes.ipynb").write_text(json.dumps(notebook_json("crashes", "python")))
    with browser_page(sync_api, "e2e-kernel-fails") as page:
        _open(page, base, token, "crashes.ipynb")
        shown = time.monotonic()
        # Within seconds it says what it waits for (or already what went wrong), not "connecting…".
        early = wait_status(page, "d.stall !== undefined && d.stall !== ''", 20000)
        assert time.monotonic() - shown < 20
        assert early["text"] in ("Carbon: kernel not started yet", "Carbon: kernel did not start"), early
        # Once the server gives up on it: said, with what would put it right, and left in view.
        failed = wait_status(page, "d.status === 'failed'", 120000)
        assert failed["text"] == "Carbon: kernel did not start" and failed["stall"] == "unstarted", failed
        assert "server's log" in failed["title"] and "Change Kernel" in failed["title"]
        page.wait_for_timeout(3000)  # and it stays so (Lab drops the dead kernel from the session)
        assert page.locator(STATUS).is_visible() and page.locator(STATUS).text_content() == "Carbon: kernel did not start"
        assert "did not start" in page.locator(STATUS).get_attribute("aria-label")


# What of the summary's output is cut or needs a scroll to be read: the table wider than its
# box, a column header past the box's right edge, a chart label outside the chart.
SUMMARY_CLIPS = """() => {
    const report = [...document.querySelectorAll('.jp-OutputArea-output .jc-report')].pop();
    const box = report.getBoundingClientRect();
    const problems = [];
    if (report.scrollWidth > report.clientWidth + 1) problems.push(`the summary is ${report.scrollWidth} px wide in a ${report.clientWidth} px box`);
    for (const cell of report.querySelectorAll('th, td')) {
        const r = cell.getBoundingClientRect();
        if (r.right > box.right + 0.5) problems.push(`"${cell.textContent.slice(0, 30)}" ends at ${r.right} px, past ${box.right}`);
    }
    for (const svg of report.querySelectorAll('svg')) {
        const s = svg.getBoundingClientRect();
        if (s.right > box.right + 0.5) problems.push(`a chart ends at ${s.right} px, past ${box.right}`);
        for (const t of svg.querySelectorAll('text')) {
            const r = t.getBoundingClientRect();
            if (r.left < s.left - 0.5 || r.right > s.right + 0.5) problems.push(`chart label "${t.textContent}" is cut (${r.left}-${r.right} in ${s.left}-${s.right})`);
        }
    }
    return {problems, width: box.width};
}"""

# The distances between the wrapped lines of each of the live meter's text blocks.
METER_LINE_GAPS = """() => {
    const gaps = [];
    for (const block of document.querySelectorAll('.jupyter-carbon-meter .widget-html-content > div')) {
        const range = document.createRange();
        range.selectNodeContents(block);
        const tops = [...new Set([...range.getClientRects()].filter(r => r.height > 0).map(r => Math.round(r.bottom)))].sort((a, b) => a - b);
        for (let i = 1; i < tops.length; i++) gaps.push(tops[i] - tops[i - 1]);
    }
    const block = document.querySelector('.jupyter-carbon-meter .widget-html-content > div');
    return {gaps, lineHeight: getComputedStyle(block).lineHeight, fontSize: getComputedStyle(block).fontSize};
}"""


def test_half_width_pane_summary_and_meter(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, root, _ = lab
    (root / "beside.ipynb").write_text(json.dumps(notebook_json()))
    with browser_page(sync_api, "e2e-half-width") as page:
        _open_unmetered(page, base, token)
        left = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'beside.ipynb', options: {mode: 'split-right'}})")
        page.wait_for_function("() => document.querySelectorAll('.jp-NotebookPanel').length === 2", timeout=60000)
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", left)
        page.wait_for_function("(id) => window.jupyterapp.shell.currentWidget.id === id", arg=left, timeout=10000)
        pane = page.evaluate("() => window.jupyterapp.shell.currentWidget.node.getBoundingClientRect().width")
        assert pane < 700, f"not side by side: the notebook is {pane} px wide"
        run_cell(page, 0)
        wait_status(page, "d.status === 'metered'")
        run_cell(page, 1)
        wait_status(page, "Number(d.cells) >= 1")
        page.evaluate(
            """async () => {
                const app = window.jupyterapp;
                const notebook = app.shell.currentWidget.content;
                notebook.activeCellIndex = 1;
                await app.commands.execute('notebook:insert-cell-below');
                notebook.activeCell.model.sharedModel.setSource('%carbon summary');
                await app.commands.execute('notebook:insert-cell-below');
                notebook.activeCell.model.sharedModel.setSource('%carbon widget');
            }"""
        )
        run_cell(page, 2)
        page.wait_for_selector(".jp-OutputArea-output .jc-report svg", timeout=30000)
        clipped = page.evaluate(SUMMARY_CLIPS)
        assert not clipped["problems"], clipped
        run_cell(page, 3)
        page.wait_for_selector(".jupyter-carbon-meter .widget-html-content > div", timeout=30000)
        page.wait_for_function("() => document.querySelector('.jupyter-carbon-meter').textContent.includes('Session')", timeout=30000)
        lines = page.evaluate(METER_LINE_GAPS)
        assert lines["gaps"], f"the meter's header is one line: {lines}"
        assert all(gap < 24 for gap in lines["gaps"]), f"the meter's lines are spread as a control's: {lines}"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".jp-Notebook .jp-CodeCell").nth(2).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"lab-half-width-{LAB_VERSION}.png"))


def test_footer_apart_from_execute_time(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    base, token, _, settings = lab
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"recordTiming": True}))  # what execute-time reads
    with browser_page(sync_api, "e2e-execute-time") as page:
        _open_unmetered(page, base, token)
        # Installed (the test extra has it) and loaded: its newest releases need a newer Lab than 4.0.
        loaded = "() => window.jupyterapp.listPlugins().some(id => id.startsWith('jupyterlab-execute-time'))"
        if not page.evaluate(loaded):
            pytest.skip("jupyterlab-execute-time is not loaded in this Lab: the footer is not checked beside it")
        run_cell(page, 0)
        wait_status(page, "d.status === 'metered'")
        # A cell with no output: the footer comes right after execute-time's line.
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[2].model.sharedModel.setSource('y = sum(range(3_000_000))')")
        run_cell(page, 2)
        cell = page.locator(".jp-Notebook .jp-CodeCell").nth(2)
        sync_api.expect(cell.locator(FOOTER)).to_be_visible(timeout=30000)
        sync_api.expect(cell.locator(".execute-time")).to_be_visible(timeout=30000)
        boxes = page.evaluate(
            """() => { const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[2];
                const t = cell.querySelector('.execute-time').getBoundingClientRect(), f = cell.querySelector('.jp-carbon-CellFooter').getBoundingClientRect();
                return {time: [t.top, t.bottom], footer: [f.top, f.bottom]}; }"""
        )
        gap = boxes["footer"][0] - boxes["time"][1]
        assert gap >= 2, f"the footer sits {gap:.1f} px under execute-time's line: {boxes}"
