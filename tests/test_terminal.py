"""``%%carbon`` at a terminal IPython prompt: typed line by line it waits for the blank line
that ends a cell magic, exactly as ``%%timeit`` does, then runs once."""

from __future__ import annotations

import os
import re
import sys

import pytest

from jupyter_carbon.ledger import read_ledger

SOURCES = ["{magic}", "{magic}\n", "{magic}\nx = 1", "{magic}\nx = 1\n", "{magic}\nx = 1\n\n", "{magic}\nfor i in range(2):\n",
           "{magic}\nfor i in range(2):\n    x = i\n", "{magic}\nfor i in range(2):\n    x = i\n\n", "\n{magic}\nx = 1\n"]  # fmt: skip


@pytest.mark.parametrize("options", ["", " --quiet", " -o rec"])
@pytest.mark.parametrize("source", SOURCES)
def test_a_carbon_cell_is_complete_when_a_timeit_cell_is(shell, source, options):
    check = shell.input_transformer_manager.check_complete
    assert check(source.format(magic="%%carbon" + options)) == check(source.format(magic="%%timeit"))


def test_the_cell_still_runs_without_its_magic_line(shell):
    assert shell.input_transformer_manager.transform_cell("%%carbon --quiet\nx = 1\n") == "x = 1\n"


@pytest.fixture
def terminal(tmp_path):
    """Terminal IPython in a pty, with a profile that loads the extension."""
    pexpect = pytest.importorskip("pexpect")
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    ledgers = tmp_path / "ledgers"
    (profile / "ipython_config.py").write_text(
        "c.InteractiveShellApp.extensions = ['jupyter_carbon']\n"
        f"c.CarbonMeter.ledger_dir = {str(ledgers)!r}\n"
        "c.TerminalInteractiveShell.colors = 'nocolor'\n"
        "c.TerminalInteractiveShell.autosuggestions_provider = None\n"
        "c.HistoryManager.enabled = False\n"
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython"), "JUPYTER_CARBON_REGION": "FR", "TERM": "dumb"}
    child = pexpect.spawn(sys.executable, ["-m", "IPython", "--no-banner", "--simple-prompt"], env=env, encoding="utf-8", timeout=60)
    child.expect(r"In \[1\]: ")
    yield child, ledgers
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()


def type_cell(child, lines: list[str]) -> tuple[list[str], str]:
    """Type a cell line by line, as a user does; after each line, which prompt came back:
    ``more`` (the cell goes on) or ``ran`` (a new ``In [n]``); and what the cell printed."""
    prompts = []
    for line in lines:
        child.sendline(line)
        ran = child.expect([r"\.\.\.: ", r"In \[\d+\]: "]) == 1
        prompts.append("ran" if ran else "more")
        if ran:
            break
    return prompts, child.before


def test_typing_a_carbon_cell_line_by_line_runs_it_once_as_timeit_would(terminal):
    child, ledgers = terminal
    body = ["x = 1", "print('x is', x)", "", "", ""]
    timeit_prompts, _ = type_cell(child, ["%%timeit -n1 -r1", *body])
    carbon_prompts, output = type_cell(child, ["%%carbon", *body])
    assert carbon_prompts == timeit_prompts and carbon_prompts[-1] == "ran", (carbon_prompts, timeit_prompts)
    assert "Traceback" not in output and "Error" not in output, output
    assert output.count("x is 1") == 1, output
    assert len(re.findall(r"^carbon: .*Wh", output, re.M)) == 1, output  # the one %%carbon line
    child.sendline("%carbon")
    child.expect(r"In \[\d+\]: ")
    assert "2 cells" in child.before, child.before  # the %%timeit cell and the %%carbon cell
    [ledger] = ledgers.glob("*.jsonl")
    records = read_ledger(ledger).records
    assert [(r.source, r.magic) for r in records[:2]] == [("%%timeit -n1 -r1", False), ("x = 1", True)]
