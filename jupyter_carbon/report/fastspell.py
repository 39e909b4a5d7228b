"""The standard library's JSON and CSV spelling of values, written by orjson: the same bytes, faster.

A large share of an export's time went on spelling floats: ``repr`` finds a float's shortest
digits by David Gay's algorithm, about a microsecond a value and dozens of values a cell. orjson
finds the same digits (the shortest that read back as the same float, the nearest of
equals: ``tests/test_report_fastspell.py`` compares them on 60,000 values of every
magnitude) ten times faster, and spells them alike in plain decimal notation, which
``repr`` uses from 1e-4 to 1e16. Elsewhere the two differ (``2.6e-05`` / ``0.000026``,
``1e+16`` / ``1e16``, and orjson's choice has changed between its versions): such a number,
found in orjson's text by a look at its bytes, is read back and spelled by ``repr``. orjson
writes no space after ``,`` and ``:``; those outside strings get theirs. Strings are escaped
alike (``"``, ``\\``, ``\\n`` and friends, other control characters as lowercase
``\\u00XX``, everything else as it is, as ``json`` does with ``ensure_ascii=False``).

Whatever orjson refuses (a lone surrogate, an integer past 64 bits, a key that is no
string, a subclass, a dataclass, a datetime) or a CSV row's number it would spell otherwise
(NaN, a negative number, a boolean) the callers give to the standard library. (A UUID or
an Enum, which no record holds, orjson writes where ``json`` would refuse them.) A check
when orjson is first used compares it with ``repr`` on values hard to spell; if one
differs, orjson is not used at all.
"""

from __future__ import annotations

import functools

from ..jsonline import ZEROS, hard_values, orjson_dumps

#: Where a number orjson may spell otherwise than ``repr`` can start: an exponent, plain
#: below 1e-4, plain at 1e16 or more (integers, spelled alike, never match: no point). An
#: orjson that wrote ``E`` would fail the check of :func:`_dumps` and not be used.
_CANDIDATES = ((b"0e", True), (b"0.0000", False), (b"0" * 17 + b".", True))
#: Whatever ends a number between strings in orjson's text, as a comma.
_SEPARATORS = bytes.maketrans(b":[]{}\x00", b",,,,,,")
#: What a CSV row's numbers may hold in orjson's text: digits, point, comma, exponents, ``null``.
_NUMBER_BYTES = b"0123456789.,-enul"


def _candidates(raw: bytes) -> list[int]:
    """Positions in orjson's text near which a number may be spelled otherwise than by
    ``repr`` (text in strings may match too: the callers look closer)."""
    z = raw.translate(ZEROS)  # every digit 0: "a digit then e", "17 digits then a point" are substrings
    found = []
    for pattern, zeroed in _CANDIDATES:
        text = z if zeroed else raw
        at = text.find(pattern)
        while at >= 0:
            found.append(at)
            at = text.find(pattern, at + 1)
    return found


def _respelled(raw: bytes, spans) -> bytes:
    """``raw`` with the numbers at ``spans`` ((start, end) pairs) spelled by ``repr``."""
    pieces, last = [], 0
    for start, end in sorted(set(spans)):
        if start >= last:
            pieces += (raw[last:start], repr(float(raw[start:end])).encode())
            last = end
    pieces.append(raw[last:])
    return b"".join(pieces)


@functools.cache
def _dumps():
    """orjson's ``dumps`` (in a tuple), or None without orjson or if it spells
    a hard float otherwise than ``repr`` (a future version's change would not go unnoticed)."""
    compact = orjson_dumps()
    return (compact,) if compact is not None and _agrees(compact) else None


def _agrees(compact) -> bool:
    """Whether the JSON and CSV spelling made from ``compact``'s text is ``repr``'s for
    floats hard to spell, in both notations."""
    values = hard_values()  # the ledger's writer is checked on the same values
    positive = tuple(abs(v) for v in values)
    return json_text(values, compact) == repr(values) and csv_numbers(positive, compact) == list(map(repr, positive))


def json_text(obj, compact=None) -> str | None:
    """``obj`` as ``json.dumps(obj, ensure_ascii=False)`` writes it (one line, ``", "`` and
    ``": "`` between items), or None where orjson will not write it: the standard
    library's to do.

    Once escaped backslashes and quotes are out of the way, every quote in orjson's text
    opens or closes a string: what lies between strings gets its spaces and its numbers
    respelled, the strings are left as they are."""
    compact = compact or (_dumps() or (None,))[0]
    if compact is None:
        return None
    try:
        raw = compact(obj)
    except TypeError:  # orjson.JSONEncodeError: what it will not write (NaN it writes as null, as json does here)
        return None
    escaped = b"\\" in raw
    if escaped:  # control bytes never stand bare in JSON: they can hold the escapes' place
        raw = raw.replace(b"\\\\", b"\x01").replace(b'\\"', b"\x02")
    parts = raw.split(b'"')
    outside = b"\x00".join(parts[0::2])
    at = _candidates(outside)
    if at:
        seps = outside.translate(_SEPARATORS)
        outside = _respelled(outside, ((seps.rfind(b",", 0, a) + 1, _end(seps.find(b",", a), seps)) for a in at))
    parts[0::2] = outside.replace(b",", b", ").replace(b":", b": ").split(b"\x00")
    raw = b'"'.join(parts)
    if escaped:
        raw = raw.replace(b"\x01", b"\\\\").replace(b"\x02", b'\\"')
    return raw.decode("utf-8")


def csv_numbers(values: tuple, compact=None) -> list | tuple:
    """Numbers (or None) as :mod:`csv` writes them (``repr`` of a float, ``str`` of an
    integer, an empty string for None), all as text; ``values`` themselves where orjson's
    text could differ (a negative number, NaN, a boolean, text), for the csv module to
    write as it always has. Never text that starts like a formula."""
    compact = compact or (_dumps() or (None, None))[0]
    if compact is None:
        return values
    try:
        raw = compact(values)
    except TypeError:
        return values
    inner = raw[1:-1]
    # only digits, points, commas, exponents and null (no quote, no true/false), no minus
    # but an exponent's, and as many nulls as Nones (NaN and infinities are null too, where
    # csv writes nan and inf)
    if inner.translate(None, _NUMBER_BYTES) or b",-" in inner or inner[:1] == b"-" or inner.count(b"n") != values.count(None):
        return values
    at = _candidates(inner)
    if at:
        inner = _respelled(inner, ((inner.rfind(b",", 0, a) + 1, _end(inner.find(b",", a), inner)) for a in at))
    return inner.replace(b"null", b"").decode("ascii").split(",")


def _end(at: int, text: bytes) -> int:
    return len(text) if at < 0 else at
