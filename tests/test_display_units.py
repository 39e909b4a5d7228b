"""The kernel's views in the user's units: JupyterLab's settings (a ``settings`` message on
the comm) or ``c.CarbonMeter.energy_unit`` / ``mass_unit``; the live meter's small figures."""

from __future__ import annotations

import re

import pytest
from IPython.utils.capture import capture_output
from test_frontend import FakeComm
from test_live_meter import FixedCarbon, session  # noqa: F401  (fixture)
from test_magics import run

from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.kernel.widget import AXIS_WIDTH, CarbonWidget
from jupyter_carbon.measurement import PowerReading
from jupyter_carbon.units import display_units, format_energy, format_mass

AUTO_ENERGY = re.compile(r"\d mWh")


def frontend(ext) -> FakeComm:
    """A frontend's comm on the extension's own channel, greeted."""
    comm = FakeComm()
    ext.channel._on_open(comm, {"content": {"data": {"protocol": 1}}})
    assert comm.types() == ["hello"]
    return comm


def meter_text(meter) -> str:
    return " ".join(child.value for child in meter.children)


def test_display_units_apply_inside_the_block_only():
    assert format_energy(36.0) == "10 mWh"
    with display_units("Wh", "g"):
        # 0.0005 g is below a thousandth of a gram: said in the unit that reads.
        assert (format_energy(36.0), format_mass(0.0005)) == ("0.010 Wh", "0.50 mg")
        assert format_energy(36.0, "auto") == "10 mWh"  # an explicit unit still wins
    assert (format_energy(36.0), format_mass(0.0005)) == ("10 mWh", "0.50 mg")
    with pytest.raises(ValueError, match="unit must be one of auto, Wh, kWh, not 'J'"):
        with display_units("J", "g"):
            pass


def test_the_labs_settings_message_turns_the_meter_line_and_summary_to_its_units(shell):
    ext = extension_of(shell)
    with capture_output():
        meter = ext.show_widget()
    run(shell, "x = sum(range(1000))")
    assert AUTO_ENERGY.search(meter_text(meter))
    comm = frontend(ext)
    comm._on_msg({"content": {"data": {"type": "settings", "energy_unit": "Wh", "mass_unit": "g", "protocol": 1}}})
    assert comm.types() == ["hello"], comm.sent  # no reply, no error
    text = meter_text(meter)
    # A trivial cell's figures are below a thousandth of a Wh: the units in force say them
    # in the unit that reads, exactly as format_energy(…, "Wh") does, never in e-notation.
    totals = ext.session.totals
    assert f"{format_energy(totals.energy_j, 'Wh')} · {format_mass(totals.emissions_g, 'g')} CO2e" in text, text
    assert not re.search(r"\de-\d", text), text
    _, out = run(shell, "%%carbon\ny = 2")
    shown = "".join(o.data.get("text/plain", "") for o in out.outputs)  # the %%carbon line is a display
    last = ext.session.records[-1]
    # An estimate carries its ≈ mark (bounds); the figure after it is in the unit in force.
    energy, mass = re.escape(format_energy(last.energy_j, "Wh")), re.escape(format_mass(last.emissions_g, "g"))
    assert re.match(rf"carbon: ≈?{energy} .* → ≈?{mass} (\([^)]*\) )?CO2e", shown), shown
    assert not re.search(r"\de-\d", shown), shown
    html_formatter = shell.display_formatter.formatters["text/html"]
    was, html_formatter.enabled = html_formatter.enabled, True  # as in a notebook
    try:
        with capture_output() as shown:
            shell.run_line_magic("carbon", "summary")
    finally:
        html_formatter.enabled = was
    [summary] = shown.outputs
    totals = ext.session.totals
    assert format_energy(totals.energy_j, "Wh") in summary.data["text/html"]
    assert format_energy(totals.energy_j, "Wh") in summary.data["text/plain"]
    with capture_output() as status:
        shell.run_line_magic("carbon", "")
    assert format_energy(totals.energy_j, "Wh") in status.stdout and not re.search(r"\de-\d", status.stdout)
    meter.close()


def test_a_unit_the_kernel_does_not_know_is_an_error_and_changes_nothing(shell):
    ext = extension_of(shell)
    comm = frontend(ext)
    comm._on_msg({"content": {"data": {"type": "settings", "energy_unit": "J", "mass_unit": "g"}}})
    assert comm.sent[-1]["type"] == "error" and "unit must be one of auto, Wh, kWh, not 'J'" in comm.sent[-1]["message"]
    assert ext.settings.units() == ("auto", "auto")


def test_config_sets_the_units_where_no_lab_sends_them_and_the_lab_wins(shell):
    ext = extension_of(shell)
    with capture_output():
        meter = ext.show_widget()
        shell.run_line_magic("config", "CarbonMeter.energy_unit = 'kWh'")
    run(shell, "x = 1")
    energy = ext.session.totals.energy_j
    assert ext.settings.units() == ("kWh", "auto") and format_energy(energy, "kWh") in meter_text(meter)
    frontend(ext)._on_msg({"content": {"data": {"type": "settings", "energy_unit": "Wh", "mass_unit": "kg"}}})
    assert ext.settings.units() == ("Wh", "kg") and format_energy(energy, "Wh") in meter_text(meter)
    meter.close()
    with capture_output():
        shell.run_line_magic("config", "CarbonMeter.energy_unit = 'auto'")


def test_small_power_is_never_shown_as_zero_and_the_scale_clears_the_trace(session, clock):  # noqa: F811
    meter = CarbonWidget(session, clock=clock, min_interval=0.0)
    session.begin()
    for t in range(3):
        clock.advance(1.0)
        watts = {"cpu": 12.0 + t, "memory": 0.0041}
        meter._on_power(PowerReading(time_s=float(t), by_component=watts, device_by_component=watts, by_domain={}))
    live = meter.children[1].value
    assert "memory 0.0041 W" in live and "0.0 W" not in live, live
    svg = meter.children[2].value
    xs = [float(p.split(",")[0]) for p in re.search(r"points='([^']+)'", svg).group(1).split()]
    assert min(xs) >= AXIS_WIDTH
    label = re.search(r"<text x='(\d+)'[^>]*text-anchor='end'>([^<]+)</text>", svg)
    assert int(label.group(1)) < AXIS_WIDTH and label.group(2) == "14 W"
    meter.close()


def test_the_meters_own_units_callable_is_read_at_every_drawing(session, clock):  # noqa: F811
    units = ["auto", "auto"]
    meter = CarbonWidget(session, FixedCarbon(), clock=clock, units=lambda: tuple(units))
    cell = session.begin()
    clock.advance(2.0)
    session.meter.tick()
    session.end(cell)
    assert "mWh" in meter.children[0].value
    units[:] = ["Wh", "g"]
    meter.redraw()
    assert "mWh" not in meter.children[0].value and " Wh" in meter.children[0].value
    assert meter.summary_text().startswith("jupyter-carbon live meter: session 0.0056 Wh, 0.56 mg CO2e")
    meter.close()
