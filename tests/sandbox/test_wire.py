"""The wire format: plain data round-trips; anything else becomes an opaque stand-in; decoding is safe."""

from __future__ import annotations

import collections
import math
import struct
from decimal import Decimal
from fractions import Fraction

import pytest

from rewardlab.sandbox._wire import MAX_DEPTH, FrameReader, Opaque, WireError, decode, encode, pack


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**200),
        2**62,
        1.5,
        -0.0,
        "text \u00e9 \ud800",
        b"\x00\xff",
        bytearray(b"ab"),
        [1, [2, [3]]],
        (1, (2,), ()),
        {1: "a", (2, 3): [4], "k": {5}},
        {1, 2},
        frozenset({"a"}),
        3 + 4j,
        range(1, 10, 2),
        Fraction(2, 3),
        Decimal("1.10"),
        {"nested": [{"deep": (1, frozenset({2}))}]},
    ],
)
def test_plain_data_round_trips_with_its_type(value: object) -> None:
    back = decode(encode(value))
    assert back == value and type(back) is type(value)


def test_special_floats_round_trip() -> None:
    assert math.isnan(decode(encode(float("nan"))))
    assert decode(encode(float("inf"))) == float("inf")
    assert decode(encode([float("-inf")])) == [float("-inf")]


def test_subclasses_cross_as_their_base_type_without_their_overrides() -> None:
    class Liar(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    class Named(tuple):  # like a namedtuple
        pass

    counter = collections.Counter("aab")
    assert type(decode(encode(Liar(3)))) is int and decode(encode(Liar(3))) != 4
    assert decode(encode(Named((1, 2)))) == (1, 2) and type(decode(encode(Named((1, 2))))) is tuple
    assert decode(encode(counter)) == {"a": 2, "b": 1} and type(decode(encode(counter))) is dict
    assert decode(encode(collections.OrderedDict(a=1))) == {"a": 1}


def test_iterators_and_views_are_materialised() -> None:
    assert list(decode(encode(x * 2 for x in range(3)))) == [0, 2, 4]
    assert list(decode(encode(map(str, [1, 2])))) == ["1", "2"]
    keys = decode(encode({"a": 1, "b": 2}.keys()))
    assert keys == {"a", "b"} and type(keys).__name__ == "dict_keys"
    assert list(decode(encode({"a": 1}.values()))) == [1]
    assert decode(encode({"a": 1}.items())) == {("a", 1)}


def test_other_objects_become_opaque_and_equal_only_to_themselves() -> None:
    class AlwaysEqual:
        def __eq__(self, other: object) -> bool:
            return True

        def __bool__(self) -> bool:
            return False

        def __repr__(self) -> str:
            return "<always equal>"

    back = decode(encode(AlwaysEqual()))
    assert isinstance(back, Opaque)
    assert back != 1 and back != back.__class__ and not back
    assert repr(back) == "<always equal>" and back.type_name.endswith("AlwaysEqual")
    assert back == back


def test_hostile_objects_cannot_break_the_encoder() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

        def __bool__(self) -> bool:
            raise RuntimeError("no bool")

    back = decode(encode(Hostile()))
    assert isinstance(back, Opaque) and bool(back) and "repr failed" in repr(back)


def test_depth_is_bounded_both_ways() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(MAX_DEPTH + 5):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    with pytest.raises(WireError, match="deeper"):
        encode(deep)
    crafted: object = 1
    for _ in range(MAX_DEPTH + 5):
        crafted = {"t": [crafted]}
    with pytest.raises(WireError, match="deeper"):
        decode(crafted)


@pytest.mark.parametrize(
    "crafted",
    [
        {"t": [1], "s": [2]},
        {"zz": 1},
        {"f": "1e999"},
        {"s": [[1, 2]]},
        {"b": "not base64!"},
        {"c": ["a", 1]},
        {"d": [[[1], 2]]},
        {"r": [1, "x"]},
    ],
)
def test_malformed_values_are_wire_errors(crafted: object) -> None:
    with pytest.raises(WireError):
        decode(crafted)


def test_frames_split_anywhere_reassemble_and_oversized_frames_are_refused() -> None:
    data = pack({"a": 1}) + pack([2, "x"]) + pack("tail")
    reader = FrameReader()
    got = []
    for i in range(len(data)):
        got += reader.feed(data[i : i + 1])
    assert got == [{"a": 1}, [2, "x"], "tail"]
    with pytest.raises(WireError, match="exceeds"):
        FrameReader().feed(b"\xff\xff\xff\xff")
    with pytest.raises(WireError, match="not a JSON document"):
        FrameReader().feed(b"\x00\x00\x00\x02{x")


def test_a_frame_nested_past_the_parsers_limit_is_a_wire_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(WireError, match="RecursionError"):
        FrameReader().feed(struct.pack(">I", len(deep)) + deep)
