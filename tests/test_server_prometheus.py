"""The kernels' series in the server's /metrics, scraped by a real Prometheus.

A real ``jupyter server`` meters a kernel from outside; a real Prometheus (Debian's
``prometheus``), started here with a temporary configuration, scrapes the server on
127.0.0.1 every second with the server's token; the test asks Prometheus's HTTP API for the
joules and compares them with the ledger the server wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
import urllib.error

import pytest

from browser import free_port
from server_harness import jupyter_server, wait_for

PROMETHEUS = shutil.which("prometheus")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None, reason="needs Prometheus (apt-get install prometheus; .ci/run installs it)"
)

WORK = "total = sum(i * i for i in range(1_500_000))"


def _query(base: str, expr: str) -> list:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())["data"]["result"]


def _prometheus(tmp_path, target: str, token: str):
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "jupyter", "metrics_path": "/metrics", "static_configs": [{"targets": [target]}],
            "authorization": {"type": "token", "credentials": token},
        }],
    }))  # fmt: skip
    port = free_port()
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}", log




def _check_dashboard(base: str) -> None:
    """Every query of the shipped Grafana dashboard runs on this Prometheus and finds the
    kernel: the dashboard reads series the collector really exports."""
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[1] / "dashboards" / "jupyter-carbon-hub.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$user", ".*").replace("$zone", ".*").replace("$__range", "5m")
            # increase() and rate() need two scrapes in the range: wait for them
            wait_for(lambda: _query(base, expr), timeout=30, what=f"panel {panel['title']!r}: {expr}")


@pytest.mark.slow
@needs_prometheus
def test_prometheus_holds_the_kernels_joules_as_the_ledger_has_them(tmp_path):
    with jupyter_server(tmp_path) as server:
        kernel_id = server.start("python3", "scraped.ipynb")  # no %load_ext: the server meters it
        for _ in range(3):
            assert server.run(kernel_id, WORK)["status"] == "ok"
        proc, base, log = _prometheus(tmp_path, server.base.removeprefix("http://"), server.token)
        try:
            # The ledger is complete once the REST route says three cells; Prometheus's next
            # scrape after that holds the same joules.
            wait_for(lambda: server.kernel(kernel_id)["totals"]["cells"] == 3, what="three records")
            ledger = sum(r["energy_j"] for r in server.records() if r["notebook"] == "scraped.ipynb")
            expr = f'sum(jupyter_carbon_energy_joules_total{{kernel_id="{kernel_id}",part="cell"}})'
            result = wait_for(lambda: [r for r in _query(base, expr) if abs(float(r["value"][1]) - ledger) <= 1e-6 * ledger], what=f"{expr} == {ledger}")
            assert float(result[0]["value"][1]) == pytest.approx(ledger, rel=1e-6)
            assert ledger > 0
            cells = _query(base, f'sum(jupyter_carbon_cells_total{{kernel_id="{kernel_id}"}})')
            assert float(cells[0]["value"][1]) == 3
            [info] = _query(base, f'jupyter_carbon_kernel_info{{kernel_id="{kernel_id}"}}')
            assert info["metric"]["notebook"] == "scraped.ipynb" and info["metric"]["metered_by"] == "server"
            grams = _query(base, f'sum(jupyter_carbon_emissions_grams_total{{kernel_id="{kernel_id}",part="cell",zone="FR"}})')
            emitted = sum(r["emissions_g"] for r in server.records() if r["notebook"] == "scraped.ipynb")
            assert float(grams[0]["value"][1]) == pytest.approx(emitted, rel=1e-6)
            _check_dashboard(base)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
        # /metrics is authenticated as the server's other routes are.
        with pytest.raises(urllib.error.HTTPError) as denied:
            server.api("/metrics", token=False)
        assert denied.value.code == 403


@pytest.mark.slow
def test_metrics_can_be_switched_off(tmp_path):
    with jupyter_server(tmp_path, "--CarbonServer.enable_prometheus_metrics=False") as server:
        kernel_id = server.start("python3", "quiet.ipynb")
        assert server.run(kernel_id, "1 + 1")["status"] == "ok"
        metrics = server.api("/metrics")
        assert "jupyter_carbon_" not in metrics and "http_request_duration_seconds" in metrics
        assert server.kernel(kernel_id)["metered_by"] == "server"  # metering goes on
