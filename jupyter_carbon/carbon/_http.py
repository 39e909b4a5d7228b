"""Small HTTP client on urllib for the metadata probe and the live providers.

Errors come back as ``FetchError`` whose message names the URL's host and path and what went
wrong, never a header or a body: headers hold tokens, and an error page may echo them.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request


class FetchError(Exception):
    """A request that did not give a usable answer: time-out, HTTP error, bad body."""


# No proxies: a metadata address or a loopback fake must never go through one, and a live
# provider is asked directly so that time-outs mean what they say.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def fetch(url: str, *, timeout: float, headers: dict | None = None, method: str = "GET") -> bytes:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.read(1_000_000)
    except urllib.error.HTTPError as err:
        raise FetchError(f"{_where(url)} answered HTTP {err.code}") from None
    except (socket.timeout, TimeoutError):
        raise FetchError(f"{_where(url)} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise FetchError(f"{_where(url)} did not answer within {timeout:g} s") from None
        raise FetchError(f"{_where(url)} could not be reached ({type(reason).__name__})") from None
    except (OSError, ValueError) as err:
        raise FetchError(f"{_where(url)} failed ({type(err).__name__})") from None


def fetch_json(url: str, *, timeout: float, headers: dict | None = None) -> object:
    body = fetch(url, timeout=timeout, headers=headers)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchError(f"{_where(url)} answered with something that is not JSON") from None
