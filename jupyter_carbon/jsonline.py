"""A ledger line's bytes, as the standard library writes them, with two thirds of its work.

The ledger writes each record as ``json.JSONEncoder(separators=(",", ":"),
allow_nan=False)`` does: compact, ASCII only, floats spelled by ``repr``. Spelling floats
was half of that encoder's time on a record (``repr`` finds a float's shortest digits by
David Gay's algorithm, about two microseconds a value on a slow core, and a record holds
thirty), and a line was the largest single cost of a cell. orjson writes the same record
ten times faster with the same digits (the shortest that read back as the same float, the
nearest of equals) and spells them alike in plain notation from 1e-4 to 1e16; it differs
only in how it writes the others: ``1e-7`` / ``1e-07`` and ``0.000055`` / ``5.5e-05``
this module rewrites as ``repr`` does, by a look at the bytes; a smaller number orjson
writes plain is spelled by ``repr`` itself; a line with a number of 1e16 or more
(``1e16`` / ``1e+16``, rare in a record) is left to the standard library.

Nothing changes on disk: a check when first used compares this module's lines with the
standard library's on floats hard to spell at every magnitude and on strings to escape,
and if one byte differs orjson is not used; ``tests/test_jsonline.py`` compares them on
thousands of floats. orjson writes NaN and infinities as ``null`` where the standard
library refuses them: a line that does not read back as the record (that, a tuple, a
string whose text looked like a number) is the standard library's to write, and refuse
with its ValueError. (That reading back is a third of this path's cost: without it a NaN
would be written as ``null`` and the line lost in silence.)
"""

from __future__ import annotations

import functools
import json
import math
import re

#: The standard library's line: compact, ASCII, NaN refused (ValueError).
stdlib_line = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

#: What ``ensure_ascii`` escapes and orjson writes as it is: DEL and everything past ASCII.
_NOT_ASCII = re.compile("[\x7f-\U0010ffff]")
#: Every digit as 0, so that a number's form is a substring (``0e-0,``, ``0e0``).
ZEROS = bytes.maketrans(b"123456789", b"000000000")

#: Floats whose shortest digits are hard to find (halfway cases, powers of two and ten,
#: neighbours of 2**53, the ends of the plain range), checked once against ``repr``.
HARD = (
    0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 0.5, 1.5, 100.0, 123.456, 1e-4, 0.00010000000000000002,
    0.00012345678901234567, 9007199254740992.0, 9007199254740994.0, 9999999999999998.0, 1e15,
    5e-05 * 3, 2.5e-4, 4.35, 0.07, 1.005, 2.675, 1e23 / 1e10, 5424.64, 299792.458, 3.141592653589793,
    2.718281828459045, 1.7976931348623157e15, 2.2250738585072014e-4, 0.30000000000000004, 4503599627370497.5,
    5e-324, 1.7976931348623157e308, 1e-5, 9.999999999999999e-05, 1e16, 1e-7, 0.0,
)  # fmt: skip


def hard_values() -> list[float]:
    """:data:`HARD`, negated, and scaled over thirty orders of magnitude: every notation."""
    scaled = (v * 10.0**k for v in HARD for k in range(-12, 18))
    return [*HARD, *(-v for v in HARD), *(v for v in scaled if math.isfinite(v))]


#: Where a number ends.
_END = re.compile(rb"[,\]}]")


def _short_exponents(raw: bytes, zeroed: bytes) -> bytes:
    """orjson's one-digit negative exponents (``1e-7``) as ``repr`` writes them (``1e-07``)."""
    spots = []
    at = zeroed.find(b"e-0")
    while at >= 0:
        if zeroed[at + 3 : at + 4] != b"0" and zeroed[at - 1 : at] == b"0":  # one digit, after one
            spots.append(at + 2)
        at = zeroed.find(b"e-0", at + 3)
    if not spots:
        return raw
    spots.sort()
    pieces = [raw[: spots[0]]]
    for start, end in zip(spots, spots[1:] + [len(raw)]):
        pieces += (b"0", raw[start:end])
    return b"".join(pieces)


def _big(zeroed: bytes) -> bool:
    """Whether orjson wrote a number of 1e16 or more: a positive exponent (``1e16``) or
    seventeen digits before a point; text in a string that looks alike says yes too."""
    if b"0" * 17 + b"." in zeroed:
        return True
    at = zeroed.find(b"e0")  # by the e: a search for a 0 among digits all 0 stops at each
    while at >= 0:
        if zeroed[at - 1 : at] == b"0" and zeroed[max(0, at - 40) : at].rstrip(b"0.-")[-1:] in (b":", b",", b"["):
            return True
        at = zeroed.find(b"e0", at + 2)
    return False


def _small(token: bytes) -> bytes:
    """A number from 1e-5 to 1e-4 orjson writes plain (``0.000055``), as ``repr`` does."""
    digits = token[6:]
    if not digits[:1].isdigit() or digits[:1] == b"0":
        return repr(float(token)).encode()  # smaller still (another orjson's choice)
    return digits[:1] + (b"." + digits[1:] if len(digits) > 1 else b"") + b"e-05"


def _plain_small(raw: bytes) -> bytes:
    """Every number ``0.0000...`` in ``raw`` as ``repr`` spells it."""
    pieces, last = [], 0
    at = raw.find(b"0.0000")
    while at >= 0:
        end = _END.search(raw, at)
        end = end.start() if end else len(raw)
        if raw[at - 1 : at] in (b":", b",", b"[", b"-"):  # a number's start
            pieces += (raw[last:at], _small(raw[at:end]))
            last = end
        at = raw.find(b"0.0000", end)
    pieces.append(raw[last:])
    return b"".join(pieces)


def _repr_spelling(raw: bytes) -> bytes | None:
    """orjson's compact text ``raw`` with its numbers spelled by ``repr``, or None for a
    number it does not know how to respell. It looks at bytes, not at JSON's grammar: text
    in a string that looks like a number may be changed too, which :func:`_fast_line`
    notices (the line no longer reads back as the record)."""
    zeroed = raw.translate(ZEROS)
    if _big(zeroed):
        return None
    raw = _short_exponents(raw, zeroed)
    if b"0.0000" in raw:
        raw = _plain_small(raw)
    return raw


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # as two UTF-16 surrogates, as json writes it
        code -= 0x10000
        return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _fast_line(obj: dict, dumps, loads) -> bytes | None:
    """``obj`` as :func:`line` writes it, by orjson, or None where it cannot say."""
    try:
        raw = dumps(obj)
    except TypeError:  # orjson.JSONEncodeError: a long integer, a lone surrogate, a subclass...
        return None
    raw = _repr_spelling(raw)
    # NaN or an infinity (orjson writes null), a tuple, a string the respelling changed: the
    # standard library's
    if raw is None or loads(raw) != obj:
        return None
    if not raw.isascii() or b"\x7f" in raw:
        raw = _NOT_ASCII.sub(_escape, raw.decode("utf-8")).encode("ascii")
    return raw


@functools.cache
def orjson_dumps():
    """orjson's ``dumps`` writing compact text, or None without orjson. Subclasses,
    dataclasses and datetimes it passes on (refused as TypeError): the standard library
    refuses or spells them its way. Each writer checks it against the standard library."""
    try:
        import orjson
    except ImportError:
        return None
    option = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    return functools.partial(orjson.dumps, option=option)


@functools.cache
def _tools():
    """(orjson's dumps, loads), or None without orjson or where it writes a hard float or
    string otherwise than the standard library."""
    dumps = orjson_dumps()
    if dumps is None:
        return None
    import orjson

    small = [v for v in hard_values() if abs(v) < 1e16]
    sample = {"f": small, "s": 'é "q" \\ \n\t\x01\x7f 😀 0e5 0.00001 e-5', "n": [None, True, False, 2**63 - 1, -3]}
    big = [v for v in hard_values() if abs(v) >= 1e16]
    if _fast_line(sample, dumps, orjson.loads) != stdlib_line(sample).encode("ascii"):
        return None
    if _fast_line(big, dumps, orjson.loads) not in (None, stdlib_line(big).encode("ascii")):
        return None
    return dumps, orjson.loads


def line(obj: dict) -> bytes:
    """``obj`` as one ledger line (without its newline): the bytes of :data:`stdlib_line`,
    written by orjson where it can; ValueError for NaN or an infinity, as there."""
    tools = _tools()
    if tools is not None:
        raw = _fast_line(obj, *tools)
        if raw is not None:
            return raw
    return stdlib_line(obj).encode("ascii")
