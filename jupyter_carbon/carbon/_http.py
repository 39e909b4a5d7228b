"""Small HTTP client on urllib for the metadata probe and the live providers.

Errors come back as ``FetchError`` whose message names the URL's host and path and what went
wrong, never a header or a body: headers hold tokens, and an error page may echo them.

Two guards that urllib lacks:

- Credentials go only to the host configured: a redirect to another host (scheme, name or
  port) is followed without the request's headers, which carry the tokens, and a redirect
  from https to http is refused.
- ``timeout`` bounds the whole request, not each socket read: a server that answers one
  byte a second is cut off when the time is up, so a provider's thread never outlives its
  time-out by much and nothing waits on it.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request


class FetchError(Exception):
    """A request that did not give a usable answer: time-out, HTTP error, bad body."""


def _where(url: str) -> str:
    """Host, port and path: never the query, nor a ``user:password@`` the URL may hold."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{host}{port}{parts.path}"


def _origin(url: str) -> tuple:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects on the same origin as they are; to another origin without the
    request's own headers (tokens, passwords); never from https to http."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is None:
            return None
        old_origin, new_origin = _origin(req.full_url), _origin(new.full_url)
        if old_origin[0] == "https" and new_origin[0] != "https":
            raise FetchError(f"{_where(req.full_url)} redirected from https to http; not followed")
        if new_origin != old_origin:
            new.headers = {}
            new.unredirected_hdrs = {}
        return new


class _Deadline:
    """Shuts the sockets of one request down when its time is up: a blocked read then ends."""

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def _connection(base, deadline: _Deadline):
    class Connection(base):
        def connect(self):
            if deadline.expired:
                raise TimeoutError("time is up")
            super().connect()
            deadline.watch(self.sock)

    return Connection


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._class = _connection(http.client.HTTPConnection, deadline)

    def http_open(self, req):
        return self.do_open(self._class, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._class = _connection(http.client.HTTPSConnection, deadline)

    def https_open(self, req):
        return self.do_open(self._class, req, context=self._context)


def _opener(deadline: _Deadline):
    # No proxies: a metadata address or a loopback fake must never go through one, and a
    # live provider is asked directly so that time-outs mean what they say.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _Redirects(), _HTTP(deadline), _HTTPS(deadline))


def fetch(url: str, *, timeout: float, headers: dict | None = None, method: str = "GET") -> bytes:
    """The body of a 2xx answer (at most 1 MB), or FetchError; never longer than ``timeout``
    (give or take a scheduling tick)."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    late = FetchError(f"{_where(url)} did not answer within {timeout:g} s")
    with _Deadline(timeout) as deadline:
        try:
            with _opener(deadline).open(request, timeout=timeout) as response:
                body = response.read(1_000_000)
        except FetchError:
            raise
        except urllib.error.HTTPError as err:
            raise FetchError(f"{_where(url)} answered HTTP {err.code}") from None
        except (socket.timeout, TimeoutError):
            raise late from None
        except urllib.error.URLError as err:
            reason = err.reason
            if deadline.expired or isinstance(reason, (socket.timeout, TimeoutError)):
                raise late from None
            raise FetchError(f"{_where(url)} could not be reached ({type(reason).__name__})") from None
        except (OSError, ValueError, http.client.HTTPException) as err:
            if deadline.expired:
                raise late from None
            raise FetchError(f"{_where(url)} failed ({type(err).__name__})") from None
    if deadline.expired:  # a body cut short by the deadline
        raise late
    return body


def fetch_json(url: str, *, timeout: float, headers: dict | None = None) -> object:
    body = fetch(url, timeout=timeout, headers=headers)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchError(f"{_where(url)} answered with something that is not JSON") from None
