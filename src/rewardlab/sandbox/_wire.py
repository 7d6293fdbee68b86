"""The wire format between rewardlab and the processes inside the sandbox.

Standard library only and no rewardlab imports: this module's source is also shipped into the sandbox
(see :mod:`rewardlab.sandbox._inside`), where it runs under ``python -I -S``.

Two things live here:

- **Framing**: a message is a 4-byte big-endian length and a UTF-8 JSON document. A frame longer than
  :data:`MAX_FRAME` is a protocol error, so a hostile peer cannot make the reader allocate gigabytes.
- **A data codec** for Python values that cross between the judge (which counts the tests) and the
  candidate (which runs the submitted code). Only plain data crosses: ``None``, ``bool``, ``int``,
  ``float``, ``complex``, ``str``, ``bytes``, ``bytearray``, ``list``, ``tuple``, ``dict``, ``set``,
  ``frozenset``, ``range``, ``Fraction``, ``Decimal``, dict views, and iterators (materialised as
  lists). Subclasses of these cross as their base type, so an overridden ``__eq__`` stays behind. Anything
  else becomes an :class:`Opaque` value that keeps only its type name, ``repr`` and truth value and is
  equal to nothing but itself. Decoding never executes code (no pickle) and is bounded in depth.
"""

from __future__ import annotations

import base64
import json
import math
import os
import select
import struct
import time
from typing import Any

MAX_FRAME = 64 << 20  # bytes in one message
MAX_DEPTH = 100  # nesting of containers in one value
MAX_ITEMS = 1_000_000  # items materialised from one iterator
_HEADER = struct.Struct(">I")
_SMALL_INT = 1 << 62


class WireError(Exception):
    """A frame or value that does not follow the wire format."""


class ClosedMidFrame(WireError):
    """The peer closed the connection in the middle of a frame (it died while writing)."""


def _loads(payload: bytes | bytearray) -> Any:
    """One frame's JSON document; anything that is not one (bad UTF-8 or JSON, nesting past the parser's
    recursion limit, a document too big to build in memory) is a :class:`WireError`."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise WireError(f"frame is not a JSON document: {type(exc).__name__}: {str(exc)[:200]}") from None


class Opaque:
    """Stand-in for a value that is not plain data: its type name, ``repr`` and truth value only.

    Equal only to itself, so an object whose ``__eq__`` always answers ``True`` cannot pass a test.
    """

    __slots__ = ("repr", "truth", "type_name")

    def __init__(self, type_name: str, text: str, truth: bool) -> None:
        self.type_name = type_name
        self.repr = text
        self.truth = truth

    def __bool__(self) -> bool:
        return self.truth

    def __repr__(self) -> str:
        return self.repr

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


def _base_value(value: Any) -> tuple[str, Any] | None:
    """``(tag, payload)`` for values of a builtin data type or a subclass of one."""
    # Order matters: bool before int. Unbound base-class methods ignore a subclass's overrides.
    if isinstance(value, bool):
        return "bool", bool(value)
    if isinstance(value, int):
        return "int", int.__index__(value)
    if isinstance(value, float):
        return "float", float.__float__(value)
    if isinstance(value, str):
        return "str", str.__str__(value)
    if isinstance(value, list):
        return "list", list.copy(value)
    if isinstance(value, tuple):
        return "tuple", list(tuple.__iter__(value))
    if isinstance(value, dict):
        return "dict", list(dict.items(value))
    if isinstance(value, frozenset):
        return "frozenset", list(frozenset.__iter__(value))
    if isinstance(value, set):
        return "set", list(set.__iter__(value))
    if isinstance(value, bytes):
        return "bytes", bytes(value)
    if isinstance(value, bytearray):
        return "bytearray", bytes(value)
    if isinstance(value, complex):
        return "complex", complex(value.real, value.imag)
    return None


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able form of ``value`` (see the module docstring for what crosses)."""
    if depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind is str or kind is bool:  # the common exact types first: this is a hot path
        return value
    if kind is int and -_SMALL_INT < value < _SMALL_INT:
        return value
    if kind is list:
        return [encode(x, depth + 1) for x in value]
    base = _base_value(value)
    d = depth + 1
    if base is not None:
        tag, v = base
        if tag in ("bool", "str"):
            return v
        if tag == "int":
            return v if -_SMALL_INT < v < _SMALL_INT else {"i": hex(v)}
        if tag == "float":
            return v if math.isfinite(v) else {"f": repr(v)}
        if tag == "list":
            return [encode(x, d) for x in v]
        if tag == "tuple":
            return {"t": [encode(x, d) for x in v]}
        if tag == "dict":
            return {"d": [[encode(k, d), encode(x, d)] for k, x in v]}
        if tag in ("set", "frozenset"):
            return {tag[0] if tag == "set" else "fs": [encode(x, d) for x in v]}
        if tag in ("bytes", "bytearray"):
            return {"b" if tag == "bytes" else "ba": base64.b64encode(v).decode("ascii")}
        return {"c": [encode(v.real, d), encode(v.imag, d)]}  # complex
    return _encode_other(value, d)


def _encode_other(value: Any, d: int) -> Any:
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if name == "builtins.range":
        return {"r": [value.start, value.stop, value.step]}
    if name == "fractions.Fraction":
        return {"q": [encode(value.numerator, d), encode(value.denominator, d)]}
    if name == "decimal.Decimal":
        return {"dec": str(value)}
    if name == "builtins.dict_keys":
        return {"dk": [encode(x, d) for x in value]}
    if name == "builtins.dict_values":
        return {"dv": [encode(x, d) for x in value]}
    if name == "builtins.dict_items":
        return {"di": [[encode(k, d), encode(x, d)] for k, x in value]}
    if hasattr(kind, "__next__") and hasattr(kind, "__iter__"):  # generators, map, zip, iterators
        items: list[Any] = []
        for x in value:
            if len(items) >= MAX_ITEMS:
                raise WireError(f"iterator yields more than {MAX_ITEMS} items")
            items.append(encode(x, d))
        return {"it": items}
    try:
        text = repr(value)[:2000]
    except Exception as exc:
        text = f"<{kind.__qualname__} object; repr failed: {type(exc).__name__}>"
    try:
        truth = bool(value)
    except Exception:
        truth = True
    return {"o": [kind.__qualname__, text, truth]}


def decode(obj: Any, depth: int = 0) -> Any:
    """The Python value for a JSON-able form made by :func:`encode`; raises :class:`WireError`."""
    if depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    kind = type(obj)
    if obj is None or kind is str or kind is int or kind is float or kind is bool:
        return obj
    d = depth + 1
    if kind is list:
        return [decode(x, d) for x in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise WireError("malformed value")
    ((tag, v),) = obj.items()
    try:
        return _decode_tagged(tag, v, d)
    except WireError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
        raise WireError(f"malformed {tag!r} value: {exc}") from None


def _decode_tagged(tag: str, v: Any, d: int) -> Any:
    if tag == "t":
        return tuple(decode(x, d) for x in v)
    if tag == "d":
        return {decode(k, d): decode(x, d) for k, x in v}
    if tag == "s":
        return {decode(x, d) for x in v}
    if tag == "fs":
        return frozenset(decode(x, d) for x in v)
    if tag == "i":
        return int(v, 16)
    if tag == "f":
        if v not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float {v!r}")
        return float(v)
    if tag in ("b", "ba"):
        raw = base64.b64decode(v.encode("ascii"), validate=True)
        return raw if tag == "b" else bytearray(raw)
    if tag == "c":
        return complex(_number(decode(v[0], d)), _number(decode(v[1], d)))
    if tag == "r":
        return range(*(int(x) for x in v))
    if tag == "q":
        from fractions import Fraction

        return Fraction(int(decode(v[0], d)), int(decode(v[1], d)))
    if tag == "dec":
        from decimal import Decimal

        return Decimal(str(v))
    if tag == "dk":
        return dict.fromkeys(decode(x, d) for x in v).keys()
    if tag == "dv":
        return {i: decode(x, d) for i, x in enumerate(v)}.values()
    if tag == "di":
        return {decode(k, d): decode(x, d) for k, x in v}.items()
    if tag == "it":
        return iter([decode(x, d) for x in v])
    if tag == "o":
        return Opaque(str(v[0])[:200], str(v[1])[:2000], bool(v[2]))
    raise WireError(f"unknown tag {tag!r}")


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise WireError("complex parts must be numbers")
    return float(x)


# -- framing ---------------------------------------------------------------------------------------------
_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)  # reused: json.dumps with options is slow


def pack(message: Any) -> bytes:
    """One frame: length header and compact JSON."""
    payload = _JSON.encode(message).encode("utf-8")
    if len(payload) > MAX_FRAME:
        raise WireError(f"message of {len(payload)} bytes exceeds the {MAX_FRAME}-byte frame limit")
    return _HEADER.pack(len(payload)) + payload


class FrameReader:
    """Incremental decoder: :meth:`feed` bytes as they arrive, get whole messages back."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        if not self._buf and len(data) >= _HEADER.size:  # fast path: exactly one whole frame
            (size,) = _HEADER.unpack_from(data)
            if len(data) == _HEADER.size + size and size <= MAX_FRAME:
                return [_loads(data[_HEADER.size :])]
        self._buf += data
        out = []
        while len(self._buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buf)
            if size > MAX_FRAME:
                raise WireError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
            if len(self._buf) < _HEADER.size + size:
                break
            payload = bytes(self._buf[_HEADER.size : _HEADER.size + size])
            del self._buf[: _HEADER.size + size]
            out.append(_loads(payload))
        return out

    @property
    def pending(self) -> int:
        return len(self._buf)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_message(fd: int, reader: FrameReader, queue: list[Any], deadline: float | None) -> Any:
    """Next message from ``fd`` (blocking until ``deadline``, a ``time.monotonic`` value).

    Returns the message, ``None`` at end of file; raises ``TimeoutError`` at the deadline and
    :class:`WireError` on a malformed frame. ``queue`` holds messages already decoded but not returned.
    """
    while not queue:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
        data = os.read(fd, 1 << 16)
        if not data:
            if reader.pending:
                raise ClosedMidFrame("connection closed in the middle of a frame")
            return None
        queue.extend(reader.feed(data))
    return queue.pop(0)
