"""Summaries and exports: every format renders, reads back, escapes user text, writes atomically."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from jupyter_carbon import units
from jupyter_carbon.ledger import Ledger, read_ledger
from jupyter_carbon.records import SCHEMA_VERSION, CellRecord, Totals
from jupyter_carbon.report import FORMATS, Report, Summary, chart, export, formats, latex, render, summary_text, tabular
from jupyter_carbon.report import html as report_html
from jupyter_carbon.units import format_energy, format_mass

NASTY = 'df["a|b"] = x & y  # 50% <script>alert("x")</script>, {done}_~^\\$'


def intensity(zone="DE", name="Germany", g=400.0):
    return {
        "g_per_kwh": g, "zone": zone, "zone_name": name, "source": "Ember & co", "year": 2024, "signal": "average",
        "chosen_by": "config", "guess": False, "pue": 1.5, "live": False, "fallback_reason": None,
    }  # fmt: skip


def record(index, energy_j, *, status="ok", zone="DE", name="Germany", g=400.0, priced=True, source=None, pue=1.5):
    facility = energy_j * pue
    return CellRecord(
        session_id="sess-1",
        index=index,
        execution_count=index + 2,
        cell_id=f"cell-{index}",
        source=source if source is not None else f"step({index}), 'x'",
        started_at="2026-11-22T04:00:00.000+00:00",
        ended_at="2026-11-22T04:00:01.000+00:00",
        duration_s=0.5 * index,
        status=status,
        error="ValueError: boom" if status == "error" else None,
        energy_j=energy_j,
        by_component={"gpu": energy_j * 0.5, "cpu": energy_j * 0.3, "memory": energy_j * 0.2},
        method={"gpu": "measured", "cpu": "estimated", "memory": "estimated"},
        device_energy_j=energy_j * 2,
        device_by_component={"gpu": energy_j, "cpu": energy_j * 0.6, "memory": energy_j * 0.4},
        pue=pue,
        facility_energy_j=facility,
        emissions_g=facility / 3.6e6 * g if priced else None,
        intensity=intensity(zone, name, g) if priced else None,
    )


def varied_records():
    return [
        record(1, 3600.0),
        record(2, 36000.0, source=NASTY),
        record(3, 720.0, status="error"),
        record(4, 1800.0, priced=False),
        record(5, 7200.0, status="interrupted", source="for i in range(3):\n    print(i)"),
    ]


def totals_of(records):
    t = Totals()
    for r in records:
        t.add(r)
    return t


def make_report(records=None, **kw):
    records = varied_records() if records is None else records
    return Report(records, totals_of(records), "sess-1", "2026-11-22T04:00:00.000+00:00", **kw)


SWEDEN = {"zone": "SE", "zone_name": "Sweden", "g_per_kwh": 40.0, "source": "Ember", "year": 2025}


# -- formats ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_the_session(fmt):
    text = render(make_report(hardware=["NVIDIA A100"]), fmt)
    assert text.strip()
    assert "sess-1" in text or fmt in ("csv", "latex")


def test_bad_format_names_the_valid_ones():
    with pytest.raises(ValueError, match="json, csv, md, html, latex"):
        render(make_report(), "pdf")


def test_json_round_trips_every_record():
    records = varied_records()
    data = json.loads(render(make_report(records), "json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["generator"].startswith("jupyter-carbon ")
    assert data["session"]["session_id"] == "sess-1"
    assert [CellRecord.from_dict(c) for c in data["cells"]] == records
    assert data["totals"]["cells"] == 5
    assert data["totals"]["energy_j"] == pytest.approx(sum(r.energy_j for r in records))


def test_json_replaces_nan_with_null():
    r = record(1, 100.0)
    r.duration_s = math.nan
    text = render(make_report([r]), "json")
    assert "NaN" not in text
    assert json.loads(text)["cells"][0]["duration_s"] is None


def test_csv_has_one_row_a_cell_and_the_right_sums():
    records = varied_records()
    rows = list(csv.DictReader(io.StringIO(render(make_report(records), "csv"))))
    assert len(rows) == len(records)
    assert tuple(rows[0]) == tabular.CSV_COLUMNS
    assert sum(float(r["energy_j"]) for r in rows) == pytest.approx(sum(r.energy_j for r in records))
    assert sum(float(r["gpu_j"]) for r in rows) == pytest.approx(sum(r.by_component["gpu"] for r in records))
    assert sum(float(r["emissions_g"] or 0) for r in rows) == pytest.approx(sum(r.emissions_g or 0 for r in records))
    assert rows[1]["source"] == NASTY  # commas, quotes, pipes survive quoting
    assert rows[3]["emissions_g"] == "" and rows[3]["zone"] == ""
    assert rows[2]["status"] == "error" and rows[2]["error"] == "ValueError: boom"


def test_html_escapes_user_text_and_fetches_nothing():
    page = render(make_report(hardware=["<b>GPU</b>"], alternative=SWEDEN), "html")
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "<b>GPU</b>" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "<svg" in page and page.count("<h2>All cells</h2>") == 1
    assert "Sweden" in page


def test_html_limits_the_all_cells_table(monkeypatch):
    monkeypatch.setattr(report_html, "HTML_ROW_LIMIT", 3)
    page = render(make_report(), "html")
    assert "The first 3 of 5 cells" in page


def test_markdown_escapes_pipes_and_names_the_intensity():
    md = render(make_report(), "md")
    row = next(line for line in md.splitlines() if "alert" in line)
    assert "a\\|b" in row
    assert row.count(" | ") == 6  # seven columns: the pipe in the source did not add one
    assert "400 gCO2e/kWh" in md and "Ember \\& co 2024" in md and "chosen by config" in md
    assert "estimated" in md and "measured" in md


def test_latex_escapes_specials_and_states_the_totals():
    records = varied_records()
    report = make_report(records, hardware=["Tesla_V100 & more"])
    tex = render(report, "latex")
    assert r"\emph{Tesla\_V100 \& more}" in tex
    assert r"Ember \& co 2024" in tex
    hours = sum(r.duration_s for r in records) / 3600
    assert f"{units.num(hours)} hours" in tex
    assert format_energy(sum(r.energy_j for r in records)) in tex
    assert format_energy(sum(r.facility_energy_j for r in records)) in tex
    grams = sum(r.emissions_g for r in records if r.emissions_g is not None)
    assert f"estimated $\\approx${format_mass(grams)} CO$_2$e" in tex  # estimated parts: marked so
    assert "4 of 5 cells" in tex  # one cell had no intensity
    assert r"\emph{Germany}" in tex and "400 gCO$_2$e/kWh" in tex
    assert "PUE of 1.50" in tex


def test_latex_escape_covers_every_special():
    assert latex.tex_escape(r"& % $ # _ { } ~ ^ \ ") == (
        r"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} "
    )


def test_alternative_region_sentence_and_percentage():
    records = varied_records()
    report = make_report(records, alternative=SWEDEN)
    tex = render(report, "latex")
    priced_kwh = sum(r.facility_energy_j for r in records if r.emissions_g is not None) / 3.6e6
    actual = sum(r.emissions_g for r in records if r.emissions_g is not None)
    alt = priced_kwh * 40.0
    assert actual / alt == pytest.approx(10.0)  # 400 vs 40 g/kWh on the same energy
    assert rf"Had it run in \emph{{Sweden}} (40 gCO$_2$e/kWh, Ember 2025)" in tex
    assert f"would have emitted {format_mass(alt)}CO$_2$e (90\\% less)" in tex
    assert "Had it run" not in render(make_report(records), "latex")


def test_a_dirtier_alternative_says_more():
    report = make_report(alternative={"zone": "PL", "zone_name": "Poland", "g_per_kwh": 800.0})
    assert r"(100\% more)" in render(report, "latex")


def test_mixed_zones_use_each_records_own_emissions():
    records = [record(1, 3600.0, zone="FR", name="France", g=50.0), record(2, 3600.0, zone="DE", g=400.0)]
    tex = render(make_report(records), "latex")
    assert "several grid zones (France and Germany)" in tex
    assert f"estimated $\\approx${format_mass(sum(r.emissions_g for r in records))} CO$_2$e" in tex


def test_unpriced_session_says_emissions_were_not_estimated():
    records = [record(1, 3600.0, priced=False)]
    tex = render(make_report(records, alternative=SWEDEN), "latex")
    assert "emissions were not estimated" in tex
    assert "Had it run" not in tex
    assert "not estimated" in summary_text(make_report(records))


# -- empty session --------------------------------------------------------------------------------
def test_empty_session_renders_everywhere_without_dividing_by_zero():
    empty = Report([], Totals(), "sess-0", None, alternative=SWEDEN)
    assert "no cell has been metered yet" in summary_text(empty)
    assert "no cell has been metered yet" in Summary(empty)._repr_html_()
    assert "No computation was metered" in render(empty, "latex")
    assert json.loads(render(empty, "json"))["cells"] == []
    assert list(csv.DictReader(io.StringIO(render(empty, "csv")))) == []
    assert "No cell has been metered" in render(empty, "md")
    assert "no cell has been metered yet" in render(empty, "html")


# -- summary ------------------------------------------------------------------------------------
def test_summary_text_lists_the_costliest_cells_first():
    text = summary_text(make_report(), top=2)
    lines = text.splitlines()
    costly = [line for line in lines if line.lstrip().startswith("[")]
    assert [line.split()[0] for line in costly] == ["[4]", "[7]"]  # the execution counts of cells 2 and 5
    assert "Energy per cell" in text
    assert format_energy(sum(r.energy_j for r in varied_records())) in lines[1]


def test_summary_object_shows_html_in_notebooks_and_text_elsewhere():
    s = Summary(make_report(), top=3)
    assert repr(s) == summary_text(make_report(), top=3)
    html_ = s._repr_html_()
    assert "<svg" in html_ and "<table" in html_ and "<script" not in html_
    printed = []
    s._repr_pretty_(SimpleNamespace(text=printed.append), False)
    assert printed == [repr(s)]


class TableCells(HTMLParser):
    """Each table's rows, each cell as (tag, text, its inline text-align)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            style = dict(attrs).get("style") or ""
            align = re.search(r"text-align:\s*(\w+)", style)
            self._cell = [tag, "", align.group(1) if align else None]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(tuple(self._cell))
            self._cell = None


NUMERIC_COLUMNS = {"Energy", "Share", "CO₂e", "Time", "GPU", "CPU", "memory"}


@pytest.mark.parametrize("html_of", [lambda r: Summary(r, top=5)._repr_html_(), lambda r: render(r, "html")], ids=["summary", "page"])
def test_labels_and_source_align_left_and_numbers_right_whatever_the_pages_table_css(html_of):
    # Jupyter right-aligns every table cell of an output (``:not(.jp-RenderedMarkdown)
    # .jp-RenderedHTMLCommon td``), which beats a class rule; an inline style beats it.
    parsed = TableCells()
    parsed.feed(html_of(make_report()))
    totals, *cell_tables = parsed.tables
    assert cell_tables and all(align == "left" for row in totals for _, _, align in row), totals
    for table in cell_tables:
        header = [text for _, text, _ in table[0]]
        assert "Cell" in header and "Source" in header and "Energy" in header
        for row in table:
            for column, (tag, text, align) in zip(header, row, strict=True):
                assert align == ("right" if column in NUMERIC_COLUMNS else "left"), (column, tag, text, align)
    costliest = parsed.tables[1]
    assert costliest[1][0][1] == "[4]"  # the costliest cell, by the name every view gives it


def test_chart_buckets_long_sessions():
    records = [record(i, 10.0) for i in range(1, 1001)]
    series = chart.series(records)
    assert len(series.energy_j) <= chart.MAX_BARS
    assert series.bucket == 5
    assert sum(series.energy_j) == pytest.approx(10_000.0)
    assert series.cumulative_g[-1] == pytest.approx(sum(r.emissions_g for r in records))
    assert Summary(make_report(records))._repr_html_().count("<rect") == len(series.energy_j) + 1


def test_chart_axis_labels_fit_their_margins():
    """A long axis label ("0.0059 mg CO₂e") is held whole by its margin, not cut at the edge."""
    series = chart.series([record(1, 10.0)])
    svg = chart.svg(series, lambda j: "1.2345 mWh", lambda g: "0.0059 mg")
    texts = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(start|end)"[^>]*>([^<]*)</text>', svg)
    width = 720
    for x, anchor, text in texts:
        reach = len(text) * 11 * chart.LABEL_EM
        if anchor == "start":
            assert float(x) + reach <= width, (text, x)
        else:
            assert float(x) - reach >= 0, (text, x)
    assert any(t == "0.0059 mg CO₂e" for _, _, t in texts)


# -- sources of a report ------------------------------------------------------------------------
def test_from_ledger_reads_the_session_back(tmp_path):
    records = varied_records()
    ledger = Ledger(tmp_path / "s.jsonl", {"session_id": "sess-1", "started_at": "2026-11-22T04:00:00Z"})
    for r in records:
        ledger.append(r)
    ledger.close()
    report = Report.from_ledger(read_ledger(tmp_path / "s.jsonl"), hardware=["GPU"], alternative=SWEDEN)
    assert report.records == records
    assert report.session_id == "sess-1" and report.started_at == "2026-11-22T04:00:00Z"
    assert report.totals.energy_j == pytest.approx(sum(r.energy_j for r in records))
    assert report.hardware == ["GPU"] and report.alternative == SWEDEN


def test_from_session_is_a_snapshot():
    records = varied_records()
    session = SimpleNamespace(records=records, totals=totals_of(records), session_id="live", started_at="t0")
    report = Report.from_session(session)
    records.append(record(6, 1.0))
    session.totals.add(records[-1])
    assert len(report.records) == 5 and report.totals.cells == 5


def test_from_session_recomputes_totals_that_lag_the_records():
    records = varied_records()
    session = SimpleNamespace(records=records, totals=totals_of(records[:3]), session_id="live", started_at="t0")
    assert Report.from_session(session).totals.cells == 5


# -- export -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, fmt",
    [("r.json", "json"), ("r.csv", "csv"), ("r.md", "md"), ("r.markdown", "md"), ("r.html", "html"),
     ("r.HTM", "html"), ("r.tex", "latex"), ("r.latex", "latex")],
)  # fmt: skip
def test_export_infers_the_format_from_the_suffix(tmp_path, name, fmt):
    report = make_report()
    path = export(report, tmp_path / name)
    assert path.read_text(encoding="utf-8") == render(report, fmt)


def test_export_with_an_explicit_format_ignores_the_suffix(tmp_path):
    path = export(make_report(), tmp_path / "report.txt", "latex")
    assert path.read_text(encoding="utf-8").startswith("Experiments were conducted")


def test_export_with_an_unknown_suffix_lists_the_formats(tmp_path):
    with pytest.raises(ValueError) as err:
        export(make_report(), tmp_path / "report.pdf")
    assert ".json" in str(err.value) and ".tex" in str(err.value) and "latex" in str(err.value)
    assert not list(tmp_path.iterdir())


def test_export_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export(make_report(), tmp_path / "nope" / "r.json")
    assert not (tmp_path / "nope").exists()


def test_a_failed_export_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("the previous report\n", encoding="utf-8")

    def half_then_fail(report, write):
        write("# half a rep")
        raise RuntimeError("disk gremlin")

    monkeypatch.setitem(formats.REGISTRY, "md", dataclasses.replace(formats.REGISTRY["md"], write=half_then_fail))
    with pytest.raises(RuntimeError, match="disk gremlin"):
        export(make_report(), target)
    assert target.read_text(encoding="utf-8") == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_export_replaces_an_existing_file_keeping_its_permissions(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    export(make_report(), target)
    assert target.read_text(encoding="utf-8").startswith("index,")
    assert target.stat().st_mode & 0o777 == 0o640


# -- numbers for people -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "joules, text",
    [
        (0.0, "0 mWh"),
        (0.000432, "0.00012 mWh"),
        (0.432, "0.12 mWh"),
        (3.6, "1.0 mWh"),
        (3599.0, "1.0 Wh"),  # 999.7 mWh would print as "1000 mWh"
        (3600.0, "1.0 Wh"),
        (12240.0, "3.4 Wh"),
        (3.6e6 - 1, "1.0 kWh"),
        (4.32e6, "1.2 kWh"),
        (3.6e9, "1000 kWh"),
    ],
)
def test_format_energy_picks_a_readable_unit(joules, text):
    assert format_energy(joules) == text


@pytest.mark.parametrize(
    "grams, text",
    [
        (None, "n/a"),
        (0.012, "12 mg"),
        (0.00099, "0.99 mg"),
        (3.4, "3.4 g"),
        (999.9, "1.0 kg"),
        (1200.0, "1.2 kg"),
        (1.1e6, "1.1 t"),
        (math.nan, "n/a"),
    ],
)
def test_format_mass_picks_a_readable_unit(grams, text):
    assert format_mass(grams) == text


def test_small_energies_never_print_as_zero():
    for joules in (1e-9, 1e-5, 0.01, 0.5):
        assert not re.match(r"0(\.0+)? ", format_energy(joules))


def test_each_zone_of_a_mixed_session_gets_its_own_line():
    records = [record(1, 3600.0, zone="FR", name="France", g=50.0), record(2, 3600.0), record(3, 3600.0)]
    grid = [line for line in summary_text(make_report(records)).splitlines() if line.startswith("Grid:")]
    assert grid == [
        "Grid: France (FR): 50 gCO2e/kWh; source Ember & co 2024; average signal; zone chosen by config; 1 cell",
        "Grid: Germany (DE): 400 gCO2e/kWh; source Ember & co 2024; average signal; zone chosen by config; 2 cells",
    ]


def test_a_live_intensity_that_varied_is_shown_as_its_energy_weighted_mean():
    records = [record(1, 3600.0, g=300.0), record(2, 10800.0, g=500.0)]
    text = summary_text(make_report(records))
    assert "450 gCO2e/kWh (from 300 to 500)" in text
    assert "an average carbon intensity of 450 gCO$_2$e/kWh" in render(make_report(records), "latex")


def test_emissions_without_an_intensity_still_count_as_priced():
    r = record(1, 3600.0)
    r.intensity = None
    report = make_report([r], alternative=SWEDEN)
    assert report.facts.unpriced == 0
    assert "unknown zone" in summary_text(report)
    grams, percent = report.alternative_comparison()
    assert grams == pytest.approx(r.facility_energy_j / 3.6e6 * 40.0)
    assert percent == pytest.approx(90.0)


def test_every_format_names_the_notebook():
    records = varied_records()
    for r in records:
        r.notebook = "experiments/train_&_eval.ipynb"
    report = make_report(records)
    assert render(report, "md").startswith("# Energy and carbon report: experiments/train\\_\\&\\_eval.ipynb (session sess-1)")
    assert "<title>Energy and carbon report: experiments/train_&amp;_eval.ipynb (session sess-1)</title>" in render(report, "html")
    assert summary_text(report).splitlines()[1] == "Notebook: experiments/train_&_eval.ipynb"
    assert r"\texttt{experiments/train\_\&\_eval.ipynb}" in render(report, "latex")
    assert json.loads(render(report, "json"))["session"]["notebooks"] == ["experiments/train_&_eval.ipynb"]
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert {row["notebook"] for row in rows} == {"experiments/train_&_eval.ipynb"}
    unnamed = make_report(varied_records())
    assert render(unnamed, "md").startswith("# Energy and carbon report: session sess-1\n")
