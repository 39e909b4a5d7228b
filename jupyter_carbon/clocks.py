"""The clocks metering reads, bound once, out of reach of the user's code.

A notebook may replace ``time.process_time`` or ``time.monotonic`` (to fake time in a test,
to freeze a simulation); metering must go on reading the real clocks. The functions here
come from a fresh instance of the built-in ``time`` module, made when the package loads, so
they are the real ones even where the user replaced ``time``'s attributes before the
extension was loaded. Nothing here touches ``sys.modules["time"]``: the user's replacements
stay theirs.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util


def _fresh_time_module():
    import time

    spec = importlib.machinery.BuiltinImporter.find_spec("time")
    if spec is None:  # an interpreter whose time module is not built in
        return time
    try:
        return importlib.util.module_from_spec(spec)
    except ImportError:
        return time


_time = _fresh_time_module()

monotonic = _time.monotonic
"""Seconds of a clock that never goes back (intervals, time-outs)."""
process_time = _time.process_time
"""CPU seconds of this process, all threads."""
wall = _time.time
"""Seconds since the epoch (a cluster's readings are stamped with it)."""
