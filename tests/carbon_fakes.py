"""Helpers for the carbon tests: the raw sources, and fake HTTP servers.

The fake servers listen on 127.0.0.1 only, answer from a routing table, and stop by
themselves after a bounded number of requests or seconds, so a test that forgets one
cannot hang the suite.
"""

from __future__ import annotations

import csv
import io
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


#: The raw sources the repository carries (data-sources/README.md says where each is from).
SOURCES = REPO / "data-sources"

#: Sources whose licences keep them out of the repository, with the reason a test that needs
#: one is skipped where ``$JUPYTER_CARBON_SOURCES`` does not hold it.
EXTERNAL_SOURCES = {
    "electricitymaps-data_centers.json": "AGPL-3.0",
    **{
        f"mlco2-impact-{name}": "mlco2/impact states no licence for its data"
        for name in ("impact.csv", "gpus.csv", "instances.csv", "Readme.md")
    },
}


def source_path(name: str) -> Path:
    """A raw source file: from ``data-sources/``, or for one kept out of the repository,
    from ``$JUPYTER_CARBON_SOURCES``; skips the test, saying why, where it is missing."""
    path = SOURCES / name
    if path.is_file():
        return path
    reason = EXTERNAL_SOURCES.get(name)
    if reason is None:
        pytest.fail(f"{name} is missing from {SOURCES}")
    env = os.environ.get("JUPYTER_CARBON_SOURCES")
    if env and (Path(env) / name).is_file():
        return Path(env) / name
    pytest.skip(f"{name} is not in the repository ({reason}); set JUPYTER_CARBON_SOURCES to a folder holding it")


def read_green_algorithms(name: str) -> list[dict[str, str]]:
    """A Green Algorithms CSV, skipping its annotation row."""
    lines = source_path(name).read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))


def read_json_source(name: str):
    return json.loads(source_path(name).read_text(encoding="utf-8"))


class FakeServer:
    """A loopback HTTP server answering ``routes[path] = (status, body, delay_s[, headers])``.

    ``body`` is bytes/str sent as is, or any other object sent as JSON; ``headers`` are
    sent too (a redirect's Location). Each request is recorded in ``requests`` as
    ``(method, path_with_query, headers)``, header names in lower case. ``tls=(certfile,
    keyfile)`` serves https.
    """

    def __init__(self, routes: dict, *, max_requests: int = 50, lifetime_s: float = 20.0, tls=None):
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.max_requests = max_requests
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                fake.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                key = self.path.split("?", 1)[0]
                status, body, delay, *extra = fake.routes.get(key, (404, {"error": "no such route"}, 0))
                if delay:
                    time.sleep(delay)
                if not isinstance(body, (bytes, str)):
                    body = json.dumps(body)
                data = body.encode() if isinstance(body, str) else body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (extra[0] if extra else {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._deadline = time.monotonic() + lifetime_s
        self._thread.start()

    def _serve(self):
        self.httpd.timeout = 0.05
        while time.monotonic() < self._deadline and len(self.requests) < self.max_requests:
            self.httpd.handle_request()
        self.httpd.server_close()

    def close(self):
        self._deadline = 0
        self._thread.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_for(predicate, timeout: float = 3.0, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
