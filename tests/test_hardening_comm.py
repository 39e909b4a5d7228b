"""Regression tests of issue 17 for the comm: exports write only where asked inside the
kernel's folder (and nothing for a download); a bad open or message gets an answer and
leaves no comm behind."""

import os

import pytest
import test_frontend
from test_frontend import FakeComm, run_cell

from jupyter_carbon.kernel.comm import TARGET

channel, clock = test_frontend.channel, test_frontend.clock  # the fixtures: a channel with a fake comm manager, its clock


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_download_writes_no_file_and_returns_the_content(channel, clock, workdir):
    run_cell(channel, clock)
    comm = channel.manager.open()
    reply = comm.request(type="export", format="csv", request_id="1", path=None)
    assert reply["ok"] is True and reply["content"].startswith("index,")
    assert reply["filename"].endswith(".csv") and reply["mimetype"] == "text/csv"
    assert "path" not in reply
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("where", ["../outside.csv", "/tmp/jc-abs-{pid}.csv", "~/jc-home.csv", "sub/../../outside.csv"])
def test_a_path_outside_the_working_folder_is_refused(channel, clock, workdir, where):
    where = where.format(pid=os.getpid())
    comm = channel.manager.open()
    reply = comm.request(type="export", format="csv", request_id="1", path=where)
    assert reply["ok"] is False and "working folder" in reply["error"]
    assert not (workdir.parent / "outside.csv").exists() and not os.path.exists(f"/tmp/jc-abs-{os.getpid()}.csv")
    assert not os.path.exists(os.path.expanduser("~/jc-home.csv"))


def test_a_symlink_is_never_written_through_and_a_file_never_overwritten(channel, clock, workdir):
    secret = workdir.parent / "secret.txt"
    secret.write_text("keep me")
    secret.chmod(0o600)
    (workdir / "link.csv").symlink_to(secret)
    (workdir / "linked").symlink_to(workdir.parent, target_is_directory=True)
    (workdir / "mine.csv").write_text("mine")
    comm = channel.manager.open()
    for path in ("link.csv", "linked/x.csv", "mine.csv"):
        reply = comm.request(type="export", format="csv", request_id="1", path=path)
        assert reply["ok"] is False, path
    assert secret.read_text() == "keep me" and (secret.stat().st_mode & 0o777) == 0o600
    assert (workdir / "link.csv").is_symlink() and (workdir / "mine.csv").read_text() == "mine"
    assert not (workdir.parent / "x.csv").exists()


def test_a_path_inside_the_working_folder_is_written(channel, clock, workdir):
    (workdir / "reports").mkdir()
    comm = channel.manager.open()
    reply = comm.request(type="export", format="md", request_id="1", path="reports/r.md")
    assert reply["ok"] is True and (workdir / "reports" / "r.md").read_text().startswith("# Energy")
    assert reply["path"] == str(workdir / "reports" / "r.md")


def test_a_failed_open_leaves_no_comm_registered(channel, clock, monkeypatch):
    def broken():
        raise RuntimeError("no devices")

    monkeypatch.setattr(channel.ext.meter, "describe", broken)
    comm = FakeComm()
    channel.manager.targets[TARGET](comm, {"content": {"data": {"protocol": 1}}})
    assert channel.comms == [] and comm.closed
    assert [m["type"] for m in comm.sent] == ["error"] and "no devices" in comm.sent[0]["message"]
    monkeypatch.undo()
    run_cell(channel, clock)
    assert [m["type"] for m in comm.sent] == ["error"]


def test_an_open_with_bad_data_is_answered_and_forgotten_if_it_cannot_be(channel, clock):
    comm = FakeComm()
    channel.manager.targets[TARGET](comm, {"content": {"data": ["not", "a", "dict"]}})
    assert [m["type"] for m in comm.sent] == ["hello"]
    assert comm in channel.comms


@pytest.mark.parametrize("data", [["a list"], "text", 3, {"type": "summary", "top": "many"}, {"type": ["hello"]}])
def test_a_message_that_is_not_a_request_gets_an_error_reply(channel, clock, data):
    comm = channel.manager.open()
    comm._on_msg({"content": {"data": data}})
    assert comm.sent[-1]["type"] == "error", comm.sent[-1]


def test_a_message_without_content_gets_an_error_reply(channel, clock):
    comm = channel.manager.open()
    comm._on_msg({"content": None})
    comm._on_msg("not a message")
    assert [m["type"] for m in comm.sent[1:]] == ["error", "error"]
