"""``%config CarbonMeter``: listed with the shell's configurables and applied from the next cell."""

import nbformat
import pytest
from IPython.utils.capture import capture_output
from nbclient import NotebookClient
from runs import environment, kernel_env
from test_magics import records, run

from jupyter_carbon.kernel.extension import extension_of


@pytest.fixture(autouse=True)
def forget_config(ip):
    """%config writes the shell's shared config; later tests' kernels would read it."""
    yield
    for name in ("region", "cpu_tdp_w"):
        ip.config.CarbonMeter.pop(name, None)


def test_config_lists_carbon_meter_and_its_settings(shell):
    _, out = run(shell, "%config")
    assert "CarbonMeter" in out.stdout
    _, out = run(shell, "%config CarbonMeter")
    assert "CarbonMeter.region" in out.stdout and "CarbonMeter.cpu_tdp_w" in out.stdout


def test_region_applies_from_the_next_cell_with_the_region_line(shell):
    _, out = run(shell, "%config CarbonMeter.region = 'DE'")
    assert out.stdout.startswith("jupyter-carbon: zone DE ") and "config" in out.stdout
    run(shell, "a = 1")
    assert records(shell)[-1].intensity["zone"] == "DE" and records(shell)[-1].intensity["chosen_by"] == "config"


def test_a_region_that_matches_nothing_is_refused_and_the_old_one_kept(shell):
    _, out = run(shell, "%config CarbonMeter.region = 'atlantis'")
    assert "CarbonMeter.region unchanged" in out.stdout and "unknown region 'atlantis'" in out.stdout
    assert extension_of(shell).config.region != "atlantis"
    run(shell, "b = 1")
    assert records(shell)[-1].intensity["zone"] == "FR"
    assert shell.config.CarbonMeter.get("region") != "atlantis"  # a reload would not fail on it


def test_energy_settings_reopen_the_sources_before_the_next_cell(shell):
    before = extension_of(shell).meter
    run(shell, "%config CarbonMeter.cpu_tdp_w = 300.0")
    assert extension_of(shell).meter is before  # not inside the running cell
    run(shell, "c = 1")
    ext = extension_of(shell)
    assert ext.meter is not before and not before.running
    assert records(shell)[-1].energy_j >= 0 and records(shell)[-1].status == "ok"
    with capture_output() as out:
        shell.run_line_magic("carbon", "devices")
    assert "300 W TDP of configured (CarbonMeter.cpu_tdp_w)" in out.stdout


@pytest.mark.slow
def test_config_region_changes_the_next_cells_zone_in_a_real_kernel(tmp_path):
    cells = [
        "%load_ext jupyter_carbon",
        "%config CarbonMeter.region = 'SE'",
        "x = 1",
        "from jupyter_carbon.kernel.extension import extension_of\nprint(extension_of(get_ipython()).session.records[-1].intensity['zone'])",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    with environment(kernel_env(tmp_path)):  # the environment says FR
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    assert nb.cells[1].outputs[0]["text"].startswith("jupyter-carbon: zone SE ")
    assert nb.cells[3].outputs[0]["text"] == "SE\n"
