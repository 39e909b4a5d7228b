"""Regression tests of issue 23 (point 15): small figures never rounded to zero, and wording
that says a thing once and right."""

from __future__ import annotations

import csv
import re
from dataclasses import replace

import pytest
from test_report import record

from jupyter_carbon.cli import main
from jupyter_carbon.ledger import LedgerContents
from jupyter_carbon.report import Report, render
from jupyter_carbon.report.model import totals_of


def report_of(*records, **kw) -> Report:
    return Report(list(records), totals_of(records), "sess-1", "2026-11-22T04:00:00+00:00", **kw)


def test_the_model_card_keeps_a_tiny_emission(tmp_path):
    tiny = replace(record(1, 0.01), emissions_g=2.9e-6)  # 0.0029 mg
    card = render(report_of(tiny), "model-card")
    value = float(re.search(r"emissions: (\S+)", card).group(1))
    assert value == pytest.approx(2.9e-6)


def test_one_cell_is_one_cell_in_every_sentence(tmp_path, capsys):
    card = render(report_of(record(1, 100.0)), "model-card")
    assert "1 metered cells" not in card and "1 metered cell " in card
    from jupyter_carbon.ledger import Ledger

    ledger = Ledger(tmp_path / "one.jsonl", {"session_id": "sess-1"})
    ledger.append(record(1, 100.0))
    ledger.close()
    assert main(["report", str(tmp_path / "one.jsonl"), "-o", str(tmp_path / "r.md")]) == 0
    err = capsys.readouterr().err
    assert "(1 cell from" in err and "1 cells" not in err


def test_equivalents_of_a_small_run_are_not_zero(capsys):
    assert main(["estimate", "--power", "10", "--hours", "0.001", "--region", "FR"]) == 0
    out = capsys.readouterr().out
    seedlings = next(line for line in out.splitlines() if "tree seedlings" in line)
    assert not re.search(r"≈ 0\.0 ", seedlings) and re.search(r"≈ 0\.0*[1-9]", seedlings), seedlings


def test_percentages_are_written_alike(capsys):
    assert main(["estimate", "--power", "300", "--hours", "10", "--region", "PL"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\d% less", out) and not re.search(r"\d % less", out)


def test_the_pue_error_says_it_once(shell):
    from test_magics import run

    result, _ = run(shell, "%carbon pue 0.5")
    message = str(result.error_in_exec)
    assert message.count("PUE must") == 1 and message.count("e.g.") <= 1, message
    result, _ = run(shell, "%carbon pue lots")
    message = str(result.error_in_exec)
    assert message.count("PUE must") == 1 and message.count("e.g.") <= 1, message


def test_a_year_the_source_names_is_not_repeated():
    r = record(1, 100.0)
    r.intensity = {**r.intensity, "source": "Ember 2024 yearly average (CC BY 4.0)", "year": 2024}
    text = render(report_of(r), "md")
    grid = [line for line in text.splitlines() if "Ember" in line]
    assert grid and all(line.count("2024") == 1 for line in grid), grid
    r.intensity = {**r.intensity, "source": "Ember yearly average (CC BY 4.0)", "year": 2024}
    assert "Ember yearly average (CC BY 4.0) 2024" in render(report_of(r), "md")


def test_the_html_title_is_the_largest_heading_and_numbers_keep_their_units():
    page = render(report_of(record(1, 100.0), record(2, 5000.0)), "html")
    sizes = dict(re.findall(r"(h1\.jc-report|\.jc-report h2)\{font-size:(\d+)px", page))
    assert int(sizes["h1.jc-report"]) > int(sizes[".jc-report h2"]) > 13
    numbers = re.findall(r'<td class="n" style="([^"]*)"', page)
    assert numbers and all("white-space:nowrap" in style for style in numbers)


def test_regions_match_words_and_codes_before_substrings(capsys):
    assert main(["regions", "US", "--json"]) == 0
    import json

    keys = [r["key"] for r in json.loads(capsys.readouterr().out)]
    assert "US-CAL-CISO" in keys and "aws:us-east-1" in keys
    assert not [k for k in keys if k.split(":")[-1].upper().startswith(("AT", "AU", "CY"))], keys
    assert main(["regions", "mumb", "--json"]) == 0  # a part of a word still finds it when nothing else does
    assert any("Mumbai" in (r.get("city") or r["name"]) for r in json.loads(capsys.readouterr().out))


def test_every_azure_pue_cites_microsoft():
    from importlib.resources import files

    rows = list(csv.DictReader(files("jupyter_carbon").joinpath("data/cloud_regions.csv").read_text(encoding="utf-8").splitlines()))
    azure = [r for r in rows if r["provider"] == "azure"]
    assert azure and all("microsoft.com" in r["pue_source"] for r in azure)
