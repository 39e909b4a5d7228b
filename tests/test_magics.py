"""The extension and magics in a real (in-process) IPython shell."""

import re

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.ledger import read_ledger


def run(ip, cell):
    with capture_output() as out:
        result = ip.run_cell(cell, store_history=True)
    return result, out


def records(ip):
    return extension_of(ip).session.records


def test_loading_says_what_is_metered_and_the_zone(shell):
    assert "metering every cell" in shell.banner_text
    assert "cpu estimated" in shell.banner_text or "cpu measured" in shell.banner_text
    assert "zone FR" in shell.banner_text and "environment" in shell.banner_text


def test_metering_leaves_output_value_and_exception_unchanged(ip, tmp_path, monkeypatch):
    cells = ["print('hello'); 40 + 2", "import sys; print('to stderr', file=sys.stderr)", "1/0", "def f():\n    raise KeyError('k')\nf()"]
    plain = [run(ip, c) for c in cells]
    monkeypatch.setenv("JUPYTER_CARBON_REGION", "FR")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path)
    with capture_output():
        ip.run_line_magic("load_ext", "jupyter_carbon")
    try:
        metered = [run(ip, c) for c in cells]
        magic = [run(ip, "%%carbon -q\n" + c) for c in cells]
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")
    for (r0, o0), (r1, o1), (r2, o2) in zip(plain, metered, magic):
        assert r1.result == r0.result == r2.result
        assert type(r1.error_in_exec) is type(r0.error_in_exec) is type(r2.error_in_exec)
        assert re.sub(r"\[\d+\]", "[N]", o1.stdout) == re.sub(r"\[\d+\]", "[N]", o0.stdout)
        assert re.sub(r"\[\d+\]", "[N]", o2.stdout) == re.sub(r"\[\d+\]", "[N]", o0.stdout)
        assert o1.stderr == o0.stderr == o2.stderr


def test_every_cell_gets_a_record_with_its_status(shell):
    run(shell, "x = sum(range(10000))")
    run(shell, "1/0")
    run(shell, "raise KeyboardInterrupt")
    run(shell, "def broken(:\n    pass")
    got = [(r.source, r.status, r.error) for r in records(shell)]
    assert got == [
        ("x = sum(range(10000))", "ok", None),
        ("1/0", "error", "ZeroDivisionError"),
        ("raise KeyboardInterrupt", "interrupted", "KeyboardInterrupt"),
        ("def broken(:", "error", "SyntaxError"),
    ]
    counts = [r.execution_count for r in records(shell)]
    assert counts == sorted(counts) and len(set(counts)) == 4


def carbon_lines(out) -> list[str]:
    """The ``%%carbon`` lines a cell showed: displays marked as the extension's, whose
    text/plain is the line (JupyterLab leaves out its own footer under such a cell)."""
    return [
        o.data["text/plain"] for o in out.outputs
        if o.metadata.get("jupyter_carbon", {}).get("cell_line") is True and set(o.data) == {"text/plain"}
    ]  # fmt: skip


def test_cell_magic_shows_one_marked_line_and_runs_in_the_same_namespace(shell):
    result, out = run(shell, "%%carbon\ny = 6 * 7\ny")
    assert result.result == 42 and shell.user_ns["y"] == 42
    assert "carbon:" not in out.stdout  # shown once, as the marked display
    lines = carbon_lines(out)
    assert len(lines) == 1 and lines[0].startswith("carbon:")
    line = lines[0]
    assert "Wh" in line and "CO2e" in line and "zone FR" in line and "estimated" in line or "measured" in line
    record = records(shell)[-1]
    assert record.magic and record.source == "y = 6 * 7"


def test_cell_magic_options(shell):
    _, quiet = run(shell, "%%carbon --quiet -o rec\nz = 1")
    assert "carbon:" not in quiet.stdout and carbon_lines(quiet) == []
    rec = shell.user_ns["rec"]
    assert rec is records(shell)[-1] and rec.source == "z = 1"
    _, out = run(shell, "%%carbon --region DE\nz = 2")
    assert records(shell)[-1].intensity["zone"] == "DE"
    assert records(shell)[-1].intensity["chosen_by"] == "argument"
    assert "zone DE" in carbon_lines(out)[0]
    # The session's zone is unchanged by a one-cell override.
    run(shell, "z = 3")
    assert records(shell)[-1].intensity["zone"] == "FR"


def test_cell_magic_line_is_plain_text_in_a_terminal(shell, capsys):
    """Outside a kernel (IPython in a terminal) the line is printed as it always was."""
    shell.run_cell("%%carbon\nw = 1", store_history=True)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("carbon:")]
    assert len(printed) == 1 and "zone FR" in printed[0]


@pytest.mark.parametrize("line, message", [("--bogus", "unrecognized arguments"), ("--region atlantis", "unknown region 'atlantis'")])
def test_bad_cell_magic_options_stop_the_cell_with_a_clear_message(shell, line, message):
    result, out = run(shell, f"%%carbon {line}\nside_effect = 1")
    assert "side_effect" not in shell.user_ns
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "Traceback" not in out.stdout


def test_nested_run_cell_is_not_counted_twice(shell):
    run(shell, "get_ipython().run_cell('inner = 1')\nouter = 2")
    run(shell, "%%carbon -q\nget_ipython().run_cell('%%carbon\\ninner2 = 1')")
    assert [r.source for r in records(shell)] == [
        "get_ipython().run_cell('inner = 1')",
        "get_ipython().run_cell('%%carbon\\ninner2 = 1')",
    ]
    assert shell.user_ns["inner"] == 1 and shell.user_ns["inner2"] == 1


def test_off_stops_plain_cells_but_not_carbon_cells(shell):
    with capture_output() as out:
        shell.run_line_magic("carbon", "off")
    assert "metering off" in out.stdout
    run(shell, "a = 1")
    run(shell, "%%carbon -q\nb = 2")
    shell.run_line_magic("carbon", "on")
    run(shell, "c = 3")
    assert [r.source for r in records(shell)] == ["b = 2", "c = 3"]


def test_status_region_and_pue(shell):
    run(shell, "x = 1")
    with capture_output() as out:
        shell.run_line_magic("carbon", "")
    assert "1 cell:" in out.stdout and "zone FR" in out.stdout
    with capture_output() as out:
        shell.run_line_magic("carbon", "region quebec")
    assert "CA-QC" in out.stdout
    with capture_output():
        shell.run_line_magic("carbon", "pue 1.5")
    run(shell, "x = 2")
    r = records(shell)[-1]
    assert r.intensity["zone"] == "CA-QC" and r.pue == 1.5
    assert r.facility_energy_j == pytest.approx(1.5 * r.energy_j)


def test_loading_with_a_region_that_needs_saying_says_it(ip, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CARBON_REGION", "UK")
    ip.config.CarbonMeter.ledger_dir = str(tmp_path / "ledgers")
    with capture_output() as banner:
        ip.run_line_magic("load_ext", "jupyter_carbon")
    try:
        assert "zone GB" in banner.stdout and "GB-NIR (Northern Ireland)" in banner.stdout
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")


def test_region_by_place_name_says_how_it_was_read(shell):
    with capture_output() as out:
        shell.run_line_magic("carbon", "region mumbai")
    assert "IN-WE" in out.stdout and "Mumbai is a city in" in out.stdout


@pytest.mark.parametrize(
    "line, message",
    [
        ("sumary", "Did you mean 'summary'"),
        ("region nowhere-land", "unknown region 'nowhere-land'"),
        ("region east", "could mean"),
        ("region FR DE", "takes one zone"),
        ("pue 0.8", "at least 1.0"),
        ("pue many", "must be a number"),
        ("on now", "takes no arguments"),
        ('region "unclosed', "cannot parse"),
    ],
)
def test_bad_line_magic_input_is_a_usage_error(shell, line, message):
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("carbon", line)


def test_help_and_devices(shell):
    with capture_output() as out:
        shell.run_line_magic("carbon", "help")
        shell.run_line_magic("carbon", "devices")
    for sub in ("summary", "export", "region", "pue", "reset", "devices", "estimate"):
        assert sub in out.stdout
    assert "What this machine can meter" in out.stdout


def test_reset_starts_a_new_ledger(shell):
    run(shell, "x = 1")
    old = extension_of(shell).session.ledger.path
    with capture_output() as out:
        shell.run_line_magic("carbon", "reset")
    assert str(old) in out.stdout
    assert extension_of(shell).session.totals.cells == 0
    assert len(read_ledger(old).records) == 1


def test_a_thousand_cells_give_a_thousand_records_on_disk(shell):
    for i in range(1000):
        shell.run_cell(f"v = {i}", store_history=True)
    path = extension_of(shell).session.ledger.path
    assert len(read_ledger(path).records) == 1000


def test_unload_stops_the_sampler_and_removes_hooks_and_magics(ip, tmp_path):
    ip.config.CarbonMeter.ledger_dir = str(tmp_path)
    with capture_output():
        ip.run_line_magic("load_ext", "jupyter_carbon")
    ext = extension_of(ip)
    assert ext.meter.running
    ip.run_line_magic("unload_ext", "jupyter_carbon")
    assert not ext.meter.running
    assert ext.pre_run_cell not in ip.events.callbacks["pre_run_cell"]
    assert ext.post_run_cell not in ip.events.callbacks["post_run_cell"]
    assert "carbon" not in ip.magics_manager.magics["line"]
    result, _ = run(ip, "%%carbon\nq = 1")
    assert result.error_in_exec is not None  # the magic is gone
    assert len(ext.session.records) == 0


def test_a_broken_meter_never_breaks_the_cell(shell, monkeypatch, caplog):
    ext = extension_of(shell)

    def explode(*a, **k):
        raise RuntimeError("meter on fire")

    monkeypatch.setattr(ext.session, "begin", explode)
    result, out = run(shell, "w = 5\nw")
    assert result.result == 5 and result.error_in_exec is None
    run(shell, "w = 6")  # reported once, not per cell
    assert len([r for r in caplog.records if "metering failed" in r.getMessage()]) == 1


def test_summary_is_a_rich_display_with_the_costliest_cells(shell, monkeypatch):
    # A terminal shell computes only text/plain; a notebook frontend asks for every type.
    formatter = shell.display_formatter
    monkeypatch.setattr(formatter, "active_types", formatter.format_types)
    run(shell, "x = sum(i * i for i in range(200000))")
    run(shell, "y = 1")
    with capture_output() as out:
        shell.run_line_magic("carbon", "summary --top 1")
    (shown,) = out.outputs
    assert "text/html" in shown.data and "<svg" in shown.data["text/html"]
    text = shown.data["text/plain"]
    assert "x = sum(i * i for i in range(200000))" in text and "y = 1" not in text


def test_summary_of_the_previous_session(shell):
    run(shell, "first_session = 1")
    with capture_output():
        shell.run_line_magic("carbon", "reset")
    run(shell, "second_session = 2")
    with capture_output() as out:
        shell.run_line_magic("carbon", "summary --ledger previous")
    assert "first_session = 1" in out.outputs[0].data["text/plain"]


@pytest.mark.parametrize("name, marker", [("s.json", '"schema_version"'), ("s.csv", "energy_j"), ("s.md", "#"), ("s.html", "<svg"), ("s.tex", "kWh")])
def test_export_writes_each_format(shell, tmp_path, name, marker):
    run(shell, "x = 1")
    with capture_output() as out:
        shell.run_line_magic("carbon", f"export {tmp_path / name}")
    assert f"wrote {tmp_path / name}" in out.stdout
    assert marker in (tmp_path / name).read_text()


@pytest.mark.parametrize(
    "line, message",
    [("export report.docx", "json"), ("export {tmp}/missing/report.json", "cannot write"), ("export", "path"), ("summary --top 0", "at least 1")],
)
def test_bad_export_and_summary_input(shell, tmp_path, line, message):
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("carbon", line.format(tmp=tmp_path))


def test_widget_subcommand_and_function_show_the_live_meter(shell):
    import jupyter_carbon
    from jupyter_carbon.kernel.widget import CarbonWidget

    with capture_output() as out:
        shell.run_line_magic("carbon", "widget")
        jupyter_carbon.widget()
    ext = extension_of(shell)
    assert len(ext.widgets) == 2 and all(isinstance(w, CarbonWidget) for w in ext.widgets)
    assert len(out.outputs) == 2
    run(shell, "x = 1")
    assert all(w.session_energy_j == ext.session.totals.energy_j > 0 for w in ext.widgets)


def test_widget_function_loads_the_extension_when_needed(ip, tmp_path):
    import jupyter_carbon

    ip.config.CarbonMeter.ledger_dir = str(tmp_path)
    assert extension_of(ip) is None
    with capture_output() as out:
        jupyter_carbon.widget()
    try:
        assert "metering every cell" in out.stdout and extension_of(ip) is not None
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")
    assert extension_of(ip) is None  # IPython's %unload_ext knew it was loaded


def test_a_guessed_zone_says_how_to_set_it(ip, tmp_path, monkeypatch):
    monkeypatch.delenv("JUPYTER_CARBON_REGION", raising=False)
    monkeypatch.setenv("TZ", "Etc/UTC")  # no country: the world average, a guess
    ip.config.CarbonMeter.ledger_dir = str(tmp_path)
    with capture_output() as out:
        ip.run_line_magic("load_ext", "jupyter_carbon")
    try:
        assert "%carbon region ZONE" in out.stdout
    finally:
        ip.run_line_magic("unload_ext", "jupyter_carbon")


@pytest.mark.parametrize(
    "query, usage, option",
    [("%%carbon?", "%%carbon [-q] [-r ZONE] [-o NAME]", "-r ZONE, --region ZONE"), ("%carbon?", "%carbon [subcommand]", "estimate")],
)
def test_magics_print_generated_help(shell, query, usage, option):
    _, out = run(shell, query)
    assert usage in out.stdout and option in out.stdout


def test_estimate_subcommand_prints_the_calculator_or_says_what_is_wrong(shell):
    with capture_output() as out:
        shell.run_line_magic("carbon", "estimate --power 100 --hours 10 --region FR")
    assert "Emissions:" in out.stdout and "1.00 kWh IT" in out.stdout
    with pytest.raises(UsageError, match="unknown region 'atlantis'"):
        shell.run_line_magic("carbon", "estimate --power 100 --hours 1 --region atlantis")
    with pytest.raises(UsageError, match="required: --hours"):
        shell.run_line_magic("carbon", "estimate --power 100")


def test_records_name_the_notebook_the_front_end_names(shell, monkeypatch, tmp_path):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    run(shell, "a = 1")  # a console: no notebook
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "root" / "sub" / "nb.ipynb"))
    monkeypatch.setenv("JUPYTER_SERVER_ROOT", str(tmp_path / "root"))
    run(shell, "b = 2")  # JupyterLab / Notebook: relative to the server's root
    monkeypatch.delenv("JPY_SESSION_NAME")
    shell.user_ns["__vsc_ipynb_file__"] = "/home/me/vscode.ipynb"
    try:
        run(shell, "c = 3")  # VS Code
    finally:
        shell.user_ns.pop("__vsc_ipynb_file__")
    assert [r.notebook for r in records(shell)] == [None, "sub/nb.ipynb", "/home/me/vscode.ipynb"]
    on_disk = read_ledger(extension_of(shell).session.ledger.path).records
    assert [r.notebook for r in on_disk] == [None, "sub/nb.ipynb", "/home/me/vscode.ipynb"]


def test_export_in_the_formats_people_publish(shell, tmp_path):
    run(shell, "x = 1")
    run(shell, "y = 2")
    with capture_output() as out:
        shell.run_line_magic("carbon", f"export {tmp_path / 'emissions.csv'} --format codecarbon --per-cell")
        shell.run_line_magic("carbon", f"export {tmp_path / 'card.md'} --format model-card")
    assert "wrote" in out.stdout
    rows = (tmp_path / "emissions.csv").read_text().splitlines()
    assert rows[0].startswith("timestamp,project_name,run_id,experiment_id,duration,emissions,") and len(rows) == 3
    assert (tmp_path / "card.md").read_text().startswith("---\nco2_eq_emissions:\n  emissions: ")


def test_a_unit_declared_in_the_cell_or_for_the_session_gives_the_cells_sci(shell, capsys):
    def line(cell):
        shell.run_cell(cell, store_history=True)
        return "\n".join(l for l in capsys.readouterr().out.splitlines() if l.startswith("carbon:"))

    assert "per unit (R = 1000 samples)" in line("%%carbon -u 1000 samples\nw = 1")
    assert shell.user_ns["w"] == 1 and records(shell)[-1].functional_unit["declared_by"] == "cell"
    _, out = run(shell, "%carbon unit 10 images")
    assert "each cell counts as 10 images" in out.stdout
    assert "per unit (R = 10 images)" in line("%%carbon\nv = 2")
    result, _ = run(shell, "%carbon unit ten images")
    assert isinstance(result.error_in_exec, UsageError) and "'ten' is not a number" in str(result.error_in_exec)
    run(shell, "%carbon unit off")
    assert "SCI" not in line("%%carbon\nv = 3")
