"""Helpers for tests that drive a real kernel cell by cell (the cluster tests)."""

from __future__ import annotations

BURN = '''
def burn(seconds):
    """Busy one thread for ``seconds`` of CPU time."""
    import time
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x
'''


def run(kc, code: str, timeout: float = 120) -> str:
    """Run one cell in the kernel and return what it printed and displayed; fail on an error."""
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] in ("display_data", "execute_result"):
            out.append(msg["content"]["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)
