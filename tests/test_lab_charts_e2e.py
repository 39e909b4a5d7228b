"""End to end: the session panel's charts in a real JupyterLab in headless Chromium.

The kernel's forecast provider is a loopback fake in Electricity Maps' documented shape
(set in the kernel's IPython profile); the running cell drives a ``tqdm.auto`` bar. The panel
asks for the forecast, draws it, and draws the running cell's projection beside it. The
screenshot goes to ``artifacts/lab-charts-<Lab version>.png``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from browser import ARTIFACTS, CHROMIUM, LAB_VERSION, STATUS, browser_page, jupyter_server, run_cell, wait_status
from carbon_fakes import FakeServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); CI installs it"),
]

LOOP_CELL = "import time\nfrom tqdm.auto import tqdm\nfor i in tqdm(range(150)):\n    time.sleep(0.1)"
# A clean spell four to six hours ahead; everything else dirtier.
VALUES = [62, 60, 58, 55, 40, 21, 20, 35, 50, 57, 60, 61, 62, 63]


def em_forecast(now: datetime) -> dict:
    first = now.replace(minute=0, second=0, microsecond=0)
    points = [{"carbonIntensity": v, "datetime": (first + timedelta(hours=i)).isoformat().replace("+00:00", ".000Z")} for i, v in enumerate(VALUES)]
    return {"zone": "FR", "forecast": points, "updatedAt": first.isoformat().replace("+00:00", ".000Z")}


def test_the_panel_draws_the_forecast_and_the_running_projection(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    routes = {"/v3/carbon-intensity/forecast": (200, em_forecast(datetime.now(timezone.utc)), 0)}
    with FakeServer(routes, max_requests=500, lifetime_s=600) as fake, jupyter_server(tmp_path, "lab") as (base, token, root, _):
        profile = tmp_path / "home" / "ipython" / "profile_default"
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "ipython_config.py").write_text(
            "c.CarbonMeter.live_provider = 'electricitymaps'\n"
            f"c.CarbonMeter.electricitymaps_url = '{fake.url}'\n"
            "c.CarbonMeter.electricitymaps_token = 'fake-token'\n"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        with browser_page(sync_api, "lab-charts") as page:
            page.goto(f"{base}/lab/tree/carbon-e2e.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90000)
            # Run nothing before the notebook's kernel is up: a cell run without one asks which to start.
            page.wait_for_function(
                "() => { const k = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;"
                " return !!k && k.status === 'idle'; }",
                timeout=120000,
            )
            run_cell(page, 0, wait=False)
            wait_status(page, "d.status === 'metered'", 120000)
            page.evaluate(
                "(source) => { const model = window.jupyterapp.shell.currentWidget.content.model;"
                " model.sharedModel.insertCell(model.cells.length, {cell_type: 'code', source}); }",
                LOOP_CELL,
            )

            page.click(STATUS)
            panel = page.locator(".jp-carbon-Panel")
            panel.locator("button.jp-carbon-forecast").click()
            chart = panel.locator("svg.jp-carbon-forecastChart")
            sync_api.expect(chart).to_have_count(1, timeout=60000)
            label = chart.get_attribute("aria-label")
            assert label.startswith("Forecast for FR (average signal): "), label
            assert re.search(r"; cleanest window \d\d:\d\d to \d\d:\d\d, 2\d g/kWh", label), label
            assert chart.get_attribute("role") == "img"
            assert panel.locator("svg.jp-carbon-forecastChart rect.jp-carbon-chart-clean").count() >= 1
            sync_api.expect(panel.locator(".jp-carbon-forecastLabel")).to_have_text(label)

            run_cell(page, 3, wait=False)  # the tqdm loop: about 15 s
            projection = panel.locator("svg.jp-carbon-projectionChart")
            sync_api.expect(projection).to_have_count(1, timeout=60000)
            page.wait_for_function(
                "() => { const s = document.querySelector('svg.jp-carbon-projectionChart'); "
                "return s && / % done$/.test(s.getAttribute('aria-label')) && !/; [0-9] % done$/.test(s.getAttribute('aria-label')); }",
                timeout=60000,
            )  # past 10 %: bounds worth a look
            running = panel.locator(".jp-carbon-running p").text_content()
            assert running.startswith("This cell at this pace: ≈ ") and "%)" in running, running
            assert projection.get_attribute("aria-label").startswith("Projected for this cell: ≈ ")
            assert projection.locator("line.jp-carbon-chart-projected").count() == 1
            panel.screenshot(path=str(ARTIFACTS / f"lab-charts-{LAB_VERSION}.png"))
            # The cell ends: the projection goes, the forecast stays.
            sync_api.expect(projection).to_have_count(0, timeout=60000)
            sync_api.expect(chart).to_have_count(1)
        assert any(path.startswith("/v3/carbon-intensity/forecast") for _, path, _ in fake.requests)
        assert all(headers.get("auth-token") == "fake-token" for _, path, headers in fake.requests if "forecast" in path)
