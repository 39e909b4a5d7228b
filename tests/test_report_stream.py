"""``jupyter carbon report`` of a ledger on disk: the same bytes as the whole-ledger reports had.

``tests/fixtures/report_golden/expected/`` holds what ``jupyter carbon report`` printed for
the two ledgers beside it before reports streamed (see ``make.py`` there): every format,
stdout and ``--output``. A record's every figure, the skipped lines' warning, the costliest
lists and the bucketed chart must come out as they did, byte for byte.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jupyter_carbon._version import __version__
from jupyter_carbon.cli.main import main

GOLDEN = Path(__file__).parent / "fixtures" / "report_golden"
#: (name of the expected file, the arguments after LEDGER)
CASES = [
    ("text", ["--format", "text"]),
    ("text-top3", ["--format", "text", "--top", "3"]),
    ("json", ["--format", "json"]),
    ("csv", ["--format", "csv"]),
    ("md", ["--format", "md"]),
    ("html", ["--format", "html"]),
    ("latex", ["--format", "latex"]),
    ("codecarbon", ["--format", "codecarbon"]),
    ("codecarbon-per-cell", ["--format", "codecarbon", "--per-cell"]),
    ("model-card", ["--format", "model-card"]),
]


def expected(ledger: str, name: str) -> str:
    text = (GOLDEN / "expected" / f"{ledger}.{name}.out").read_text(encoding="utf-8")
    return text.replace("jupyter-carbon 0.1.0", f"jupyter-carbon {__version__}")


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A copy of the ledgers, in the working folder (the text summary names the ledger as given)."""
    for name in ("rich.jsonl", "long.jsonl"):
        shutil.copy(GOLDEN / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("ledger", ["rich", "long"])
@pytest.mark.parametrize("name, args", CASES, ids=[c[0] for c in CASES])
def test_stdout_is_byte_identical_to_the_whole_ledger_report(here, capsys, caplog, ledger, name, args):
    assert main(["report", f"{ledger}.jsonl", *args]) == 0
    assert capsys.readouterr().out == expected(ledger, name)
    warned = [m for m in caplog.messages if "unreadable" in m]
    if ledger == "rich":  # its bad lines are warned about once, with their numbers
        assert len(warned) == 1 and "skipped 3 unreadable line(s) in rich.jsonl (line 22, 23, 24;" in warned[0]
    else:
        assert not warned


@pytest.mark.parametrize("ledger", ["rich", "long"])
@pytest.mark.parametrize("name, suffix", [("json", ".json"), ("csv", ".csv"), ("html", ".html"), ("md", ".md"), ("latex", ".tex")])
def test_output_file_is_byte_identical_to_the_whole_ledger_report(here, capsys, ledger, name, suffix):
    out = here / f"report{suffix}"
    assert main(["report", f"{ledger}.jsonl", "-o", str(out)]) == 0
    assert out.read_bytes() == expected(ledger, name).encode("utf-8")
    cells = {"rich": 18, "long": 250}[ledger]
    assert f"wrote {out} ({cells} cells from {ledger}.jsonl)" in capsys.readouterr().err


def long_ledger(path: Path, cells: int) -> Path:
    """The long fixture's records over and over: ``cells`` of them."""
    lines = (GOLDEN / "long.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(cells):
            f.write(lines[i % len(lines)])
    return path


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_streamed_report_holds_no_record_in_memory(tmp_path, fmt):
    import tracemalloc

    from jupyter_carbon.ledger import LedgerLines, read_ledger
    from jupyter_carbon.report.stream import stream_csv, stream_json

    ledger = long_ledger(tmp_path / "l.jsonl", 3000)  # 3 MB on disk

    def peak(run):
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    written = []
    stream = stream_csv if fmt == "csv" else (lambda lines, write: stream_json(lines, write, lambda zones: None))  # no data table loaded
    streamed = peak(lambda: stream(LedgerLines(ledger), lambda text: written.append(len(text))))
    whole = peak(lambda: read_ledger(ledger))
    assert sum(written) > 1_000_000
    assert whole > 3_000_000 and streamed < 600_000, (streamed, whole)


def test_csv_rows_are_written_before_the_ledger_is_read_to_its_end(tmp_path):
    from jupyter_carbon import ledger as ledger_module
    from jupyter_carbon.report.stream import stream_csv

    path = long_ledger(tmp_path / "l.jsonl", 10)
    events = []
    lines = ledger_module.LedgerLines(path)
    original = lines.read

    def read(only=None):
        for item in original(only):
            events.append(("read", item[0]))
            yield item

    lines.read = read
    stream_csv(lines, lambda text: events.append(("write", text.split(",")[0])))
    # the header row and the first cell's row go out before the second line is read
    assert events[:4] == [("read", 1), ("write", "index"), ("write", "1"), ("read", 2)]
    assert len([e for e in events if e[0] == "write"]) == 11


def test_a_file_that_is_no_ledger_prints_nothing_and_says_so(tmp_path, capsys):
    (tmp_path / "notes.jsonl").write_text('{"a": 1}\n[1]\n', encoding="utf-8")
    for fmt in ("csv", "json"):
        assert main(["report", str(tmp_path / "notes.jsonl"), "--format", fmt]) == 2
        out, err = capsys.readouterr()
        assert out == "" and "is not a ledger: no session header and no cell record in it (2 unreadable lines)" in err


def test_a_streamed_report_into_a_missing_folder_is_one_line(tmp_path, capsys):
    shutil.copy(GOLDEN / "rich.jsonl", tmp_path / "rich.jsonl")
    assert main(["report", str(tmp_path / "rich.jsonl"), "-o", str(tmp_path / "nowhere" / "r.json")]) == 2
    assert "the folder" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()


def test_idle_spans_only_ledger_streams_its_spans(tmp_path, capsys):
    import json

    spans = [line for line in (GOLDEN / "rich.jsonl").read_text(encoding="utf-8").splitlines() if '"type":"idle"' in line]
    assert len(spans) == 2
    (tmp_path / "idle.jsonl").write_text("\n".join(spans) + "\n", encoding="utf-8")
    assert main(["report", str(tmp_path / "idle.jsonl"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cells"] == [] and [s["before_cell"] for s in doc["idle_spans"]] == [8, None]
    assert doc["totals"]["idle_spans"] == 2 and doc["totals"]["cells"] == 0
    assert main(["report", str(tmp_path / "idle.jsonl"), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 3 and all(",(between cells)," in row for row in rows[1:])
