"""``jupyter carbon report`` of a ledger on disk: the same bytes as the whole-ledger reports had.

``tests/fixtures/report_golden/expected/`` holds what ``jupyter carbon report`` printed for
the two ledgers beside it before reports streamed (see ``make.py`` there): every format,
stdout and ``--output``. A record's every figure, the skipped lines' warning, the costliest
lists and the bucketed chart must come out as they did.
"""

from __future__ import annotations

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
