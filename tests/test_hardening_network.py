"""Regression tests of issue 17 for the live providers: credentials stay with the configured
host, a slow server cannot hold a request or an unload, server text never reaches a record."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest
from carbon_fakes import FakeServer, wait_for
from test_carbon_providers import FR, ctx_for, em_body, wt_routes

from jupyter_carbon.carbon._http import FetchError, fetch
from jupyter_carbon.carbon.providers import ElectricityMaps, WattTime

TOKEN = "em-secret-token-0123456789"
PASSWORD = "wt-secret-password-9876"
EM_PATH = "/v3/carbon-intensity/latest"


def redirect(to: str):
    return (302, b"", 0, {"Location": to})


def test_the_token_never_follows_a_redirect_to_another_host():
    with FakeServer({EM_PATH: (200, em_body(), 0)}) as other:
        with FakeServer({EM_PATH: redirect(other.url + EM_PATH + "?zone=FR")}) as configured:
            try:
                ElectricityMaps(configured.url, TOKEN).fetch(FR, 2.0)
            except FetchError:
                pass
            assert configured.requests[0][2]["auth-token"] == TOKEN
    assert all("auth-token" not in headers for _, _, headers in other.requests), other.requests


def test_watttime_credentials_never_follow_a_redirect_to_another_host():
    with FakeServer(wt_routes()) as other:
        with FakeServer({"/login": redirect(other.url + "/login")}) as configured:
            with pytest.raises(FetchError):
                WattTime(configured.url, "me", PASSWORD, "CAISO_NORTH").fetch(FR, 2.0)
    assert all("authorization" not in headers for _, _, headers in other.requests), other.requests


def test_a_redirect_on_the_same_host_keeps_the_token():
    with FakeServer({"/old" + EM_PATH: redirect("/v3/carbon-intensity/latest?zone=FR"), EM_PATH: (200, em_body(), 0)}) as fake:
        reading = ElectricityMaps(fake.url + "/old", TOKEN).fetch(FR, 2.0)
    assert reading.g_per_kwh == 52.0 and fake.requests[1][2]["auth-token"] == TOKEN


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by this process's https clients."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return str(cert), str(key)


def test_https_is_never_redirected_to_http(tls):
    with FakeServer({EM_PATH: (200, em_body(), 0)}) as plain:
        with FakeServer({EM_PATH: redirect(plain.url + EM_PATH + "?zone=FR")}, tls=tls) as secure:
            with pytest.raises(FetchError, match="https to http"):
                ElectricityMaps(secure.url, TOKEN).fetch(FR, 2.0)
            assert secure.requests and secure.requests[0][2]["auth-token"] == TOKEN  # https itself works
    assert plain.requests == []


class DripServer:
    """Accepts connections and answers one byte every ``pause`` seconds, for a long time."""

    def __init__(self, pause: float = 0.1):
        self.pause = pause
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Slow: " + b"a" * 10_000
        with conn:
            for byte in answer:
                if self._stop.wait(self.pause):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self._stop.set()
        self.sock.close()


@pytest.fixture
def drip():
    server = DripServer()
    yield server
    server.close()


def test_a_drip_fed_answer_is_cut_off_at_the_timeout(drip):
    start = time.monotonic()
    with pytest.raises(FetchError, match="within 0.5 s"):
        fetch(drip.url + "/intensity", timeout=0.5)
    assert time.monotonic() - start < 1.5


def live_threads():
    return [t for t in threading.enumerate() if t.name == "jupyter-carbon-live-intensity" and t.is_alive()]


def test_closing_never_waits_on_the_network_and_leaves_no_thread(drip):
    before = len(live_threads())
    for _ in range(3):
        ctx = ctx_for(region="GB", live_provider="uk-national-grid", uk_carbon_intensity_url=drip.url, live_timeout_s=0.5)
        assert wait_for(lambda: len(live_threads()) > before, timeout=2)
        time.sleep(0.2)  # the request is under way
        start = time.monotonic()
        ctx.close()
        assert time.monotonic() - start < 0.3
    assert wait_for(lambda: len(live_threads()) == before, timeout=3.0), live_threads()


NASTY_TOKEN = "tok'en\\with\"quotes-0123456789"


def test_server_text_never_reaches_the_reason_escaped_or_not():
    texts = (NASTY_TOKEN, repr(NASTY_TOKEN)[1:-1], json.dumps(NASTY_TOKEN)[1:-1], "tok\\'en")
    with FakeServer({EM_PATH: (200, em_body(zone=NASTY_TOKEN), 0)}) as fake:
        with ctx_for(region="FR", live_provider="electricitymaps", electricitymaps_url=fake.url, electricitymaps_token=NASTY_TOKEN) as ctx:
            assert wait_for(lambda: "zone" in (ctx.current().fallback_reason or ""))
            reason = ctx.current().fallback_reason
    assert not any(t in reason for t in texts), reason
    routes = {**wt_routes(units=NASTY_TOKEN), "/login": (200, {"token": NASTY_TOKEN}, 0)}
    with FakeServer(routes) as fake:
        with ctx_for(region="US-CA", live_provider="watttime", watttime_url=fake.url, watttime_username="me",
                     watttime_password=PASSWORD, watttime_region="CAISO_NORTH") as ctx:
            assert wait_for(lambda: "units" in (ctx.current().fallback_reason or ""))
            reason = ctx.current().fallback_reason
    assert not any(t in reason for t in texts), reason


def test_an_error_names_the_host_and_path_never_a_password_in_the_url():
    with FakeServer({"/x": (500, {}, 0)}) as fake:
        url = fake.url.replace("http://", "http://me:url-secret@") + "/x?token=query-secret"
        with pytest.raises(FetchError) as caught:
            fetch(url, timeout=2.0)
    message = str(caught.value)
    assert "127.0.0.1" in message and "/x" in message and "secret" not in message
