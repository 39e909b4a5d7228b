"""The kernel's small charts (a running cell's projection, the forecast ahead) and the
forecast the panel asks for over the comm: drawn from the kernel's figures, named in words,
and asked for without holding the thread that runs cells."""

from __future__ import annotations

import re
import time

import pytest
from carbon_fakes import FakeServer
from IPython.utils.capture import capture_output
from test_carbon_forecast import uk_forecast_body
from test_frontend import FakeCommManager
from test_live_meter import FixedCarbon
from test_magics_forecast import PATH, gb_shell  # noqa: F401  (a fixture)
from test_projection import clock, quiet, session  # noqa: F401  (fixtures)
from tqdm import tqdm

from jupyter_carbon.kernel.charts import forecast_label, forecast_svg, projection_geometry, projection_svg
from jupyter_carbon.kernel.comm import FrontendChannel
from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.kernel.progress import Projector
from jupyter_carbon.kernel.widget import CarbonWidget

P = {"fraction": 0.4, "energy_j": 1000.0, "low_j": 800.0, "high_j": 1400.0, "spent_j": 400.0,
     "emissions_g": 50.0, "low_g": 40.0, "high_g": 70.0, "budget_g": None, "over_budget": False}  # fmt: skip


def test_the_projection_bar_places_its_marks_on_one_scale():
    g = projection_geometry(P, width=147)  # scale: 1400 J x 1.05 = 1470 J over 147 px
    assert g == {"spent": 40.0, "low": 80.0, "high": 140.0, "projected": 100.0, "budget": None}
    over = projection_geometry({**P, "budget_g": 40.0}, width=147)  # 40 g at 50 g per 1000 J: 800 J
    assert over["budget"] == 80.0
    beyond = projection_geometry({**P, "budget_g": 100.0}, width=210)  # 2000 J: the scale grows to it
    assert beyond["budget"] == 200.0 and beyond["high"] == 140.0
    assert projection_geometry({**P, "budget_g": 40.0, "emissions_g": None})["budget"] is None


def test_the_projection_bar_says_in_words_what_it_draws():
    svg = projection_svg(P)
    (label,) = re.findall(r"aria-label='([^']*)'", svg)
    assert label.startswith("Projected for this cell: ≈ ") and "40 % done" in label and "role='img'" in svg
    assert "var(--jp-brand-color1" in svg and "stroke-dasharray" not in svg
    assert "stroke-dasharray" in projection_svg({**P, "budget_g": 40.0})
    assert projection_svg(None) == "" and projection_svg({}) == ""


def hours(values, start="2026-12-07T22:00:00+00:00"):
    """Hourly points from ``start``, as ``forecast_data`` gives them."""
    from datetime import datetime, timedelta

    t0 = datetime.fromisoformat(start)
    return [{"start": (t0 + timedelta(hours=i)).isoformat(), "end": (t0 + timedelta(hours=i + 1)).isoformat(), "g_per_kwh": v}
            for i, v in enumerate(values)]  # fmt: skip


def test_the_forecast_chart_marks_the_cleanest_window_across_midnight():
    data = {"zone": "GB", "signal": "average", "hours": 6, "points": hours([200, 180, 60, 50, 190, 210]),
            "cleanest": {"start": "2026-12-08T00:00:00+00:00", "end": "2026-12-08T02:00:00+00:00", "g_per_kwh": 55.0},
            "saving_g": 250.0}  # fmt: skip
    svg = forecast_svg(data, width=120, height=48)
    fills = re.findall(r"<rect x='[^']*' y='[^']*' width='19' height='([^']*)' fill='([^']*)'", svg)
    assert [float(h) for h, _ in fills] == pytest.approx([200 / 210 * 44, 180 / 210 * 44, 60 / 210 * 44, 50 / 210 * 44, 190 / 210 * 44, 44.0], abs=0.05)
    assert ["success" in f for _, f in fills] == [False, False, True, True, False, False]
    assert "<rect x='40' y='45' width='40' height='3'" in svg  # the window, underlined: hours 3 and 4
    label = forecast_label(data)
    assert label.startswith("Forecast for GB (average signal): 50 to 210 g/kWh over the next 6 h; cleanest window ")
    assert label.endswith(", 55 g/kWh, saving 250 g CO2e")
    assert forecast_svg({"zone": "GB", "points": []}) == "" and forecast_label({"zone": "GB"}) == "No forecast for GB"


def test_the_live_meter_draws_the_projection_while_a_loop_runs(session, clock):  # noqa: F811
    projector = Projector(session, FixedCarbon())
    w = CarbonWidget(session, clock=clock, min_interval=0.0, projector=projector)
    session.begin()
    for _ in quiet(tqdm, range(20)):
        clock.advance(1.0)
        session.meter.tick()
    assert "Projected for this cell: ≈" in w.children[1].value and "<svg" in w.children[1].value
    w.close()
    projector.close()


def test_the_live_meter_draws_the_last_forecast_asked(session):  # noqa: F811
    data = {"zone": "GB", "signal": "average", "hours": 2, "points": hours([100, 50]), "cleanest": None}
    w = CarbonWidget(session, forecast=lambda: data)
    assert "Grid ahead" in w.children[2].value and "Forecast for GB" in w.children[2].value
    w.close()
    w = CarbonWidget(session, forecast=lambda: None)
    assert "Grid ahead" not in w.children[2].value
    w.close()


def test_the_forecast_magic_shows_its_chart_with_its_name_in_words(gb_shell, ip):  # noqa: F811
    gb_shell({PATH: (200, uk_forecast_body([300, 280, 90, 80, 250, 260, 270, 280]), 0)})
    with capture_output() as out:
        ip.run_line_magic("carbon", "forecast --hours 4 --power 1000")
    assert "Cleanest 1 h window" in out.stdout
    (chart,) = out.outputs
    assert "<svg" in chart.data["text/html"] and chart.data["text/plain"].startswith("Forecast for GB (average signal): 85 to 288 g/kWh")  # 05:10-06:00: 20 min at 300, 30 at 280
    assert extension_of(ip).last_forecast["zone"] == "GB"


def ask_forecast(ip, **request):
    manager = FakeCommManager()
    channel = FrontendChannel(extension_of(ip), comm_manager=manager)
    channel.register()
    comm = manager.open()
    comm._on_msg({"content": {"data": {"type": "forecast", "request_id": "f1", **request}}})
    return channel, comm


def reply_of(comm, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = [m for m in comm.sent if m.get("request_id") == "f1"]
        if replies:
            return replies[0]
        time.sleep(0.02)
    raise AssertionError(f"no reply in {timeout} s: {comm.sent}")


def test_the_panel_asks_for_the_forecast_and_gets_the_chart_data(gb_shell, ip):  # noqa: F811
    gb_shell({PATH: (200, uk_forecast_body([300, 280, 90, 80, 250, 260, 270, 280]), 0)})
    channel, comm = ask_forecast(ip, hours=4, length="1h")
    reply = reply_of(comm)
    channel.close()
    assert reply["type"] == "forecast"
    f = reply["forecast"]
    assert f["zone"] == "GB" and f["signal"] == "average" and len(f["points"]) == 4
    assert f["cleanest"]["g_per_kwh"] == 85.0 and f["cleanest"]["start"] == "2026-12-07T06:00:00+00:00"
    assert "Cleanest 1 h window" in f["text"]


def test_a_slow_provider_holds_no_cell(gb_shell, ip):  # noqa: F811
    """The provider answers after the kernel's timeout: the request returns at once, the cell
    after it runs, and the reply says why there is no forecast."""
    gb_shell({PATH: (200, uk_forecast_body([100]), 3.0)})
    channel, comm = ask_forecast(ip, hours=4)
    assert [m["type"] for m in comm.sent] == ["hello"]  # nothing answered yet: it is asked on its own thread
    with capture_output():
        result = ip.run_cell("x = 6 * 7", store_history=True)
    assert result.error_in_exec is None and ip.user_ns["x"] == 42
    reply = reply_of(comm)
    channel.close()
    assert reply["forecast"]["points"] == [] and "did not answer within 0.5 s" in reply["forecast"]["text"]


def test_a_bad_forecast_request_is_one_error(gb_shell, ip):  # noqa: F811
    gb_shell({})
    channel, comm = ask_forecast(ip, hours=500)
    channel.close()
    assert comm.sent[-1]["type"] == "error" and "--hours must be more than 0 and at most 72" in comm.sent[-1]["message"]


def test_without_a_provider_the_reply_names_those_that_could(ip, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CARBON_REGION", "GB")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
    with capture_output():
        ip.run_line_magic("load_ext", "jupyter_carbon")
    try:
        channel, comm = ask_forecast(ip)
        reply = reply_of(comm)
        channel.close()
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")
    assert reply["forecast"]["points"] == [] and "No forecast provider is turned on" in reply["forecast"]["text"]
    assert "uk-national-grid" in reply["forecast"]["text"]



def test_the_shared_chart_cases():
    """The same cases labextension/test/charts.spec.ts checks the panel's charts against."""
    import json
    from datetime import timezone
    from pathlib import Path

    from jupyter_carbon.kernel.charts import forecast_shapes

    cases = json.loads((Path(__file__).parent / "fixtures" / "chart_cases.json").read_text(encoding="utf-8"))
    for projection, width, geometry in cases["projection"]:
        assert projection_geometry(projection, width) == geometry
    for data, width, height, label, shapes in cases["forecast"]:
        assert forecast_label(data, tz=timezone.utc) == label
        assert [[part, box] for part, box in forecast_shapes(data, width, height)] == shapes
