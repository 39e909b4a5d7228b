"""Issue 23, files and other users: no writer replaces or writes through what is not a
regular file of ours; ledgers are private and other users' are not believed; a ledger
deleted mid-session is noticed and written again."""

import json
import logging
import os
import stat

import pytest
from fakes import FakeClock
from test_meter import ScriptedSource
from test_magics import run
from test_report import record

from jupyter_carbon import ledger as ledger_module
from jupyter_carbon.cli import main
from jupyter_carbon.files import UnsafePath, atomic_write
from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.ledger import Ledger, list_ledgers, read_ledger
from jupyter_carbon.meter import Meter
from jupyter_carbon.report import export
from jupyter_carbon.session import Session

ROOT = os.geteuid() == 0
OTHER_UID = 65534  # "nobody"


def a_report():
    from test_report import make_report

    return make_report([record(1, 10.0)])


def a_ledger(folder, name="s1", started_at="2026-11-22T00:00:00+00:00"):
    ledger = Ledger(folder / f"{name}.jsonl", {"session_id": name, "started_at": started_at})
    ledger.append(record(1, 1.0))
    ledger.close()
    return folder / f"{name}.jsonl"


# -- 1. writers -------------------------------------------------------------------------------
def _targets(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "link.md"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "would-be-created.md")
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.md"
    folder.mkdir()
    return victim, {"link": link, "dangling": dangling, "fifo": fifo, "folder": folder}


@pytest.mark.parametrize("kind", ["link", "dangling", "fifo", "folder"])
def test_export_refuses_what_is_not_a_regular_file_and_leaves_it_as_it_was(tmp_path, kind):
    victim, targets = _targets(tmp_path)
    target = targets[kind]
    before = os.lstat(target)
    with pytest.raises(UnsafePath) as err:
        export(a_report(), target, "md")
    assert str(target) in str(err.value)
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino
    assert victim.read_text() == "precious\n" and not (tmp_path / "would-be-created.md").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_cli_says_so_in_one_line_with_exit_2(tmp_path, capsys):
    victim, targets = _targets(tmp_path)
    ledger = a_ledger(tmp_path / "ledgers")
    assert main(["report", str(ledger), "-o", str(targets["link"])]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert victim.read_text() == "precious\n" and targets["link"].is_symlink()


def test_the_magic_refuses_a_symlink(shell, tmp_path):
    victim, targets = _targets(tmp_path)
    run(shell, "x = 1")
    result, out = run(shell, f"%carbon export {targets['link']}")
    assert "symbolic link" in out.stdout + out.stderr and "Traceback" not in out.stdout + out.stderr
    assert victim.read_text() == "precious\n" and targets["link"].is_symlink()


def test_a_regular_file_of_ours_is_still_replaced_keeping_its_mode(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old\n")
    target.chmod(0o640)
    export(a_report(), target, "md")
    assert "old" not in target.read_text() and stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(not ROOT, reason="making a file of another user needs root")
def test_as_root_another_users_file_is_not_replaced(tmp_path):
    target = tmp_path / "theirs.md"
    target.write_text("theirs\n")
    os.chown(target, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafePath, match="another user"):
        atomic_write(target, lambda f: f.write("mine\n"))
    assert target.read_text() == "theirs\n" and target.stat().st_uid == OTHER_UID


# -- 2. ledgers and other users -----------------------------------------------------------------
def test_a_ledger_is_private_in_a_private_folder(tmp_path):
    path = a_ledger(tmp_path / "data" / "carbon" / "ledgers")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (tmp_path / "data", tmp_path / "data" / "carbon", tmp_path / "data" / "carbon" / "ledgers"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_ledger_is_never_opened_through_a_link_nor_over_a_file(tmp_path):
    folder = tmp_path / "ledgers"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (folder / "s1.jsonl").symlink_to(victim)
    (folder / "s2.jsonl").write_text("planted\n")
    for name in ("s1", "s2"):
        with pytest.raises(FileExistsError):
            Ledger(folder / f"{name}.jsonl", {"session_id": name})
    assert victim.read_text() == "precious\n" and (folder / "s2.jsonl").read_text() == "planted\n"


def _refused_folders(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    linked = tmp_path / "linked"
    linked.symlink_to(real)
    return {"world-writable": shared, "symlink": linked}


@pytest.mark.parametrize("kind", ["world-writable", "symlink"])
def test_a_ledger_folder_others_could_change_is_refused_for_writing_and_reading(tmp_path, kind, caplog, capsys):
    folder = _refused_folders(tmp_path)[kind]
    clock = FakeClock()
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        session = Session(Meter([ScriptedSource(clock)], clock=clock, start=False), ledger_dir=folder)
    assert session.ledger is None and list(folder.iterdir()) == []
    words = "writable by other users" if kind == "world-writable" else "symbolic link"
    assert any(words in r.getMessage() for r in caplog.records), caplog.text
    session.close()
    with pytest.raises(UnsafePath, match=words):
        list_ledgers(folder)
    assert main(["report", "latest", "--ledger-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.skipif(not ROOT, reason="making a file of another user needs root")
def test_another_users_forged_ledger_is_ignored_saying_so_once(tmp_path, caplog, capsys, monkeypatch):
    monkeypatch.setattr(ledger_module, "_warned_foreign", set())
    folder = tmp_path / "ledgers"
    mine = a_ledger(folder, "mine", started_at="2026-11-22T00:00:00+00:00")
    forged = folder / "zz-forged.jsonl"
    forged.write_text(
        json.dumps({"type": "session", "session_id": "zz-forged", "started_at": "2099-01-01T00:00:00Z", "pid": os.getpid()}) + "\n"
        + json.dumps({**record(1, 9e12).to_dict(), "session_id": "zz-forged"}) + "\n"
    )
    os.chown(forged, OTHER_UID, OTHER_UID)
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        assert list_ledgers(folder) == [mine]
        assert list_ledgers(folder) == [mine]
    said = [r.getMessage() for r in caplog.records if "another user" in r.getMessage()]
    assert len(said) == 1 and "1 ledger(s)" in said[0]
    assert ledger_module.previous_ledger(folder, identity={"pid": os.getpid()}) == mine
    assert main(["report", "latest", "--ledger-dir", str(folder), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["session"]["session_id"] == "mine"


# -- 4. a ledger deleted mid-session ------------------------------------------------------------
def test_a_ledger_deleted_mid_session_is_written_again_saying_so_once(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(Ledger, "CHECK_S", 0.0)
    clock = FakeClock()
    session = Session(Meter([ScriptedSource(clock)], clock=clock, start=False), ledger_dir=tmp_path / "ledgers")

    def cell(source):
        c = session.begin(source=source)
        clock.advance(1.0)
        session.end(c)

    cell("a = 1")
    cell("b = 2")
    path = session.ledger.path
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="jupyter_carbon"):
        cell("c = 3")
        cell("d = 4")
    said = [r.getMessage() for r in caplog.records if "deleted" in r.getMessage()]
    assert len(said) == 1 and str(path) in said[0] and "3 cell(s)" in said[0]
    assert session.ledger.path == path
    contents = read_ledger(path)
    assert [r.source for r in contents.records] == ["a = 1", "b = 2", "c = 3", "d = 4"]
    assert contents.header["session_id"] == session.session_id and contents.skipped == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session.close()
    assert [r.source for r in read_ledger(path).records] == ["a = 1", "b = 2", "c = 3", "d = 4"]


def test_a_ledger_deleted_in_a_kernel_is_noticed_within_a_second(shell, monkeypatch):
    monkeypatch.setattr(Ledger, "CHECK_S", 0.0)
    run(shell, "x = 1")
    path = extension_of(shell).session.ledger.path
    path.unlink()
    run(shell, "y = 2")
    assert [r.source for r in read_ledger(path).records] == ["x = 1", "y = 2"]
