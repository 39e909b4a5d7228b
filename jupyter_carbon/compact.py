"""Records kept compactly in a kernel's memory, and copies of them that share nothing.

A session holds every record it metered, for its reports and its views; as dataclasses with
their dicts a record took 1.7 KB, most of it the same intensity, methods and part names
again and again and two dozen float objects. :class:`Packed` keeps each record as one
``bytes``: the parts every record shares (its keys, zone, methods, texts) once per distinct
*shape* in the store, and the record's own values (its figures, index, times, source hash)
marshalled, floats as their 8 bytes. A record read back is built afresh, equal to the one
stored, field for field and bit for bit, so the ledger, the exports and the views cannot
tell. Nothing here imports the rest of the package.
"""

from __future__ import annotations

import datetime as _dt
import marshal
import re
from array import array
from operator import attrgetter
from collections.abc import Sequence

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MS = _dt.timedelta(milliseconds=1)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")

# Shape nodes: a value the store keeps once per shape, or the place of a record's own value.
_DICT, _LIST, _TUPLE, _CONST, _OWN = "dict", "list", "tuple", "const", "own"


def plain(value):
    """``value`` with its dicts, lists and tuples copied all the way down, as
    :func:`dataclasses.asdict` copies a record's fields, without its ``deepcopy`` of every
    leaf: a record's leaves are numbers, strings, booleans and None, which nothing changes.
    (``asdict`` made a third of a cell's cost: every ledger line and comm message copies.)"""
    kind = type(value)
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    if kind is tuple:
        return tuple([plain(v) for v in value])
    return value


def as_dict(obj, *, copy: bool = True) -> dict:
    """The fields of the dataclass instance ``obj``, in order, each a copy (:func:`plain`);
    ``copy=False``: the fields themselves, for a reader that changes nothing (``json.dumps``)."""
    if not copy:
        return {name: getattr(obj, name) for name in obj.__dataclass_fields__}
    return {name: plain(getattr(obj, name)) for name in obj.__dataclass_fields__}


#: Values kept as they are, in the shape: a record's texts, flags, counts and Nones.
_SCALARS = frozenset((str, int, bool, type(None)))


def _shape(value, own: list):
    """The shared shape of ``value``; its floats go to ``own`` (a record's own values).
    (Lists, not generators, build the tuples: a generator here left reference cycles that
    only the garbage collector freed, doubling what a cell left behind until it ran.) A dict
    or list's floats and texts are taken in line, not by a call each: most of a record's
    values are floats and texts in dicts (``by_component``, ``bounds``, ``intensity``), and
    a call per value was most of the cost."""
    kind = type(value)
    if kind is float:
        own.append(value)
        return _OWN
    if kind is dict:
        items = []
        for k, v in value.items():
            t = type(v)
            if t is float:
                own.append(v)
                items.append((k, _OWN))
            elif t in _SCALARS:
                items.append((k, (_CONST, v)))
            else:
                items.append((k, _shape(v, own)))
        return (_DICT, tuple(items))
    if kind is list or kind is tuple:
        if len(value) == 2 and type(value[0]) is float and type(value[1]) is float:  # a [low, high] pair
            own += value
            return _PAIR[kind]
        items = []
        for v in value:
            if type(v) is float:
                own.append(v)
                items.append(_OWN)
            else:
                items.append(_shape(v, own))
        return (_LIST if kind is list else _TUPLE, tuple(items))
    return (_CONST, value)


_PAIR = {list: (_LIST, (_OWN, _OWN)), tuple: (_TUPLE, (_OWN, _OWN))}


def _build(shape, own):
    """The value of ``shape``, taking its own values from the iterator ``own`` in order."""
    if shape is _OWN:
        return next(own)
    kind, inner = shape
    if kind is _CONST:
        return inner
    if kind is _DICT:
        return {k: _build(v, own) for k, v in inner}
    items = [_build(v, own) for v in inner]
    return items if kind is _LIST else tuple(items)


def _pack_own(value):
    """A record's own value, smaller where it can be had back exactly: a UTC time to the
    millisecond as a float of milliseconds (exact below 2**53), a SHA-256 hex digest as its
    32 bytes. A float of the record's own stays itself inside a 1-tuple. (A time in exactly
    ``isoformat(timespec="milliseconds")``'s UTC form that parses is written back the same,
    digit for digit: :func:`_time_of` is that form; one that does not parse stays text.)"""
    kind = type(value)
    if kind is str:
        if len(value) == 29 and _ISO_MS.fullmatch(value):
            try:
                return float((_dt.datetime.fromisoformat(value) - _EPOCH) // _MS)
            except ValueError:  # 2026-02-30...: not a time, kept as written
                return value
        elif len(value) == 64 and _HEX64.fullmatch(value):
            return bytes.fromhex(value)
    elif kind is float:
        return (value,)
    return value


def _unpack_own(value):
    kind = type(value)
    if kind is float:
        return _time_of(int(value))
    if kind is bytes:
        return value.hex()
    if kind is tuple:
        return value[0]
    return value


def _time_of(ms: int) -> str:
    return (_EPOCH + ms * _MS).isoformat(timespec="milliseconds")


class Packed(Sequence):
    """A list of records of one dataclass ``cls``, each kept as one ``bytes``.

    ``own``: the fields that differ from record to record (index, times, source, hash...),
    kept with each record; every other field's shape (its keys, texts, flags) is kept once
    per distinct shape, its floats with the record. Each record read back is a new one,
    except the last appended, which is kept as given (``%%carbon -o rec``: ``rec`` is the
    session's last record). ``key(record)``: a figure kept beside
    each record in an array, so that :meth:`largest` finds the top records without reading
    them all back (the views' costliest cells).
    """

    def __init__(self, cls, own: tuple[str, ...], key=None):
        self._cls = cls
        self._names = tuple(f for f in cls.__dataclass_fields__)
        self._own = frozenset(own)
        self._is_own = tuple(name in self._own for name in self._names)
        self._fields = attrgetter(*self._names)  # every field in one call
        self._shapes: dict[tuple, int] = {}
        self._by_id: list[tuple] = []
        self._items: list[bytes] = []
        self._key = key
        self._keys = array("d")
        self._last: tuple[int, object] = (-1, None)

    def append(self, record) -> None:
        values: list = []
        shape = []
        for value, own in zip(self._fields(record), self._is_own):
            kind = type(value)
            if own:
                values.append(_pack_own(value))
                shape.append(_OWN)
            elif kind is float:
                values.append(value)
                shape.append(_OWN)
            elif kind in _SCALARS:
                shape.append((_CONST, value))
            else:
                shape.append(_shape(value, values))
        shape = tuple(shape)
        sid = self._shapes.get(shape)
        if sid is None:
            sid = self._shapes[shape] = len(self._by_id)
            self._by_id.append(shape)
        self._items.append(marshal.dumps((sid, *values)))
        self._last = (len(self._items) - 1, record)
        if self._key is not None:
            self._keys.append(self._key(record))

    def _record(self, blob: bytes):
        sid, *values = marshal.loads(blob)
        own = iter(values)
        fields = {}
        for name, shape in zip(self._names, self._by_id[sid]):
            fields[name] = _unpack_own(next(own)) if name in self._own else _build(shape, own)
        return self._cls(**fields)

    def __len__(self) -> int:
        return len(self._items)

    def _at(self, index: int, blob: bytes):
        at, record = self._last  # one read: an append on another thread replaces it whole
        return record if at == index else self._record(blob)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self._items)))]
        blob = self._items[i]  # IndexError as a list's
        return self._at(i % len(self._items), blob)

    def __iter__(self):
        items = list(self._items)
        yield from map(self._record, items[:-1])
        if items:
            yield self._at(len(items) - 1, items[-1])

    def __eq__(self, other) -> bool:
        return isinstance(other, (Sequence, Packed)) and list(self) == list(other)

    def largest(self, n: int) -> list:
        """The ``n`` records with the largest ``key``, largest first (ties: earlier first)."""
        top = sorted(range(len(self._keys)), key=self._keys.__getitem__, reverse=True)[:n]
        return [self[i] for i in top]
