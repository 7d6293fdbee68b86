"""BFCL-style matching (rewards.tools.match): parameter checks, pair credit, order-insensitive pairing."""

from __future__ import annotations

import itertools
import random

import pytest

from rewardlab.core.trajectory import ToolCall
from rewardlab.rewards.tools.assign import max_assignment, perfect_matching
from rewardlab.rewards.tools.match import (
    GoldCall,
    check_pair,
    check_param,
    match_calls,
    name_jaccard,
    standardize,
)


def spec(t: str, items: str | None = None) -> dict:
    return {"type": t, **({"items": {"type": items}} if items else {})}


# (value, allowed, schema type spec, language, accepted?)
PARAMS = [
    (5, [5], spec("integer"), "python", True),
    (5.0, [5], spec("integer"), "python", False),  # BFCL: a float is not an integer
    (True, [1], spec("integer"), "python", False),  # and a bool is not an integer (True == 1 in Python)
    (5, [5.0], spec("float"), "python", True),  # int -> float for float parameters
    (
        [1, 3],
        [[1.0, 3.0]],
        spec("array", "float"),
        "python",
        True,
    ),  # ...and for float items (JSON writes 1.0 as 1)
    ("April 1, 2024", ["april 1 2024"], spec("string"), "python", True),  # BFCL string normalisation
    ("it's", ['it"s'], spec("string"), "python", True),
    ("New York", ["Los Angeles"], spec("string"), "python", False),
    ((33.4, -112.0), [[33.4, -112.0]], spec("tuple", "float"), "python", True),  # tuple -> list
    ([33.4, -112.0], [[33.4, -112.0]], spec("tuple", "float"), "python", True),
    (["A", "b"], [["a", "B"]], spec("array", "string"), "python", True),
    (["a", 1], [["a", "b"]], spec("array", "string"), "python", False),  # nested type check
    (True, [True, ""], spec("string"), "python", True),  # gold names a bool for a string param: variable rule
    ("my_data", ["my_data"], spec("any"), "python", True),
    (None, [None, ""], spec("float"), "python", True),
    ({"min": 300000, "max": 400000}, [{"min": [300000], "max": [400000]}], spec("dict"), "python", True),
    ({"min": 300000}, [{"min": [300000], "max": [400000]}], spec("dict"), "python", False),  # missing key
    ({"min": 300000}, [{"min": [300000], "max": [400000, ""]}], spec("dict"), "python", True),  # optional key
    ({"min": 1, "x": 2}, [{"min": [1]}], spec("dict"), "python", False),  # unexpected key
    (
        [{"field": "age", "op": ">"}],
        [[{"field": ["age"], "op": [">"]}]],
        spec("array", "dict"),
        "python",
        True,
    ),
    ([], [[], ""], spec("array", "dict"), "python", True),
    (
        [{"field": "job", "op": ">"}],
        [[{"field": ["age"], "op": [">"]}]],
        spec("array", "dict"),
        "python",
        False,
    ),
    # Java / JavaScript: source-literal strings and JSON-native values are both read
    ("true", [True], spec("boolean"), "java", True),
    (True, [True], spec("boolean"), "java", True),
    ("42L", [42], spec("long"), "java", True),
    ("new ArrayList<>(Arrays.asList(101, 202))", [[101, 202]], spec("ArrayList", "integer"), "java", True),
    ([101, 202], [[101, 202]], spec("ArrayList", "integer"), "java", True),
    (["userID", 42, True], [["userID", 42, True]], spec("ArrayList", "any"), "java", True),  # `any` items
    (
        {"format": "epoch_millis"},
        [{"format": "epoch_millis"}],
        spec("HashMap"),
        "java",
        True,
    ),  # bare gold value
    ("docFields", ["docFields"], spec("HashMap"), "java", True),  # a variable for a map
    ("'userInputField'", ["userInputField"], spec("String"), "javascript", True),
    ("[1, 2]", [[1, 2]], spec("array", "integer"), "javascript", True),
    (4, [4.0], spec("float"), "javascript", True),
    # no schema type: gold values decide, numbers compare by value, booleans only with booleans
    (2, [2.0], None, "python", True),
    (True, [1], None, "python", False),
    ("Paris!", ["paris!"], None, "python", True),
]


@pytest.mark.parametrize(("value", "allowed", "schema", "language", "ok"), PARAMS)
def test_check_param(value: object, allowed: list, schema: dict | None, language: str, ok: bool) -> None:
    error = check_param("p", value, allowed, schema, language)
    assert (error is None) == ok, error


def test_standardize_is_bfcls() -> None:
    assert standardize("April 1, 2024") == standardize("april-1 2024") == "april12024"
    assert standardize("It's a_b*c^d/e.f") == 'it"sabcdef'


SCHEMA = {
    "name": "f",
    "parameters": {
        "type": "dict",
        "properties": {"a": spec("integer"), "b": spec("string"), "c": spec("string"), "d": spec("boolean")},
        "required": ["a", "b"],
    },
}
GOLD = GoldCall("f", {"a": [1], "b": ["x"], "c": ["", "y"], "d": [True]})


@pytest.mark.parametrize(
    ("args", "valid", "error", "param_name", "param_value"),
    [
        ({"a": 1, "b": "x", "d": True}, True, None, 1.0, 1.0),
        ({"a": 1, "b": "x", "c": "Y", "d": True}, True, None, 1.0, 1.0),
        ({"a": 1, "b": "x", "c": "z", "d": True}, False, "value: 'c'", 1.0, 3 / 4),
        ({"a": 2, "b": "x", "d": True}, False, "value: 'a'", 1.0, 2 / 3),
        ({"a": 1, "d": True}, False, "missing required parameter 'b'", 2 / 3, 2 / 3),
        (
            {"a": 1, "b": "x"},
            False,
            "missing required parameter 'd'",
            2 / 3,
            2 / 3,
        ),  # gold-required, not schema
        ({"a": 1, "b": "x", "d": True, "e": 0}, False, "unexpected parameter 'e'", 3 / 4, 1.0),
        ({"a": "1", "b": "x", "d": True}, False, "type: 'a'", 1.0, 2 / 3),
        ({}, False, "missing required parameter 'a'", 0.0, 0.0),
    ],
)
def test_check_pair_verdict_and_credit(
    args: dict, valid: bool, error: str | None, param_name: float, param_value: float
) -> None:
    check = check_pair(ToolCall("f", args), GOLD, SCHEMA)
    assert check.valid == valid
    assert (check.error is None) if error is None else check.error.startswith(error), check.error
    assert check.param_name == pytest.approx(param_name)
    assert check.param_value == pytest.approx(param_value)


def test_wrong_name_gets_nothing() -> None:
    check = check_pair(ToolCall("g", {"a": 1, "b": "x", "d": True}), GOLD, SCHEMA)
    assert not check.valid and check.error.startswith("wrong function name") and check.credit == 0.0


def test_parallel_calls_match_in_any_order() -> None:
    golds = [GoldCall("play", {"artist": ["Taylor Swift"]}), GoldCall("play", {"artist": ["Maroon 5"]})]
    calls = [ToolCall("play", {"artist": "maroon 5"}), ToolCall("play", {"artist": "taylor swift"})]
    result = match_calls(calls, golds, None)
    assert result.exact and result.name == 1.0 and result.param_value == 1.0
    assert sorted((g, c) for g, c, _ in result.pairs) == [(0, 1), (1, 0)]


def test_a_maximum_matching_finds_what_greedy_pairing_misses() -> None:
    # Gold 0 accepts x in {1, 2}, gold 1 only x = 1. BFCL's greedy pairing gives output 0 (x=1) to gold 0
    # and then finds nothing for gold 1; the matching pairs gold 0 with x=2 and gold 1 with x=1.
    golds = [GoldCall("f", {"x": [1, 2]}), GoldCall("f", {"x": [1]})]
    calls = [ToolCall("f", {"x": 1}), ToolCall("f", {"x": 2})]
    result = match_calls(calls, golds, None)
    assert result.exact and result.param_value == 1.0


def test_counts_and_names() -> None:
    golds = [GoldCall("a", {"x": [1]}), GoldCall("b", {"y": [2]})]
    extra = match_calls(
        [ToolCall("a", {"x": 1}), ToolCall("b", {"y": 2}), ToolCall("b", {"y": 2})], golds, None
    )
    assert not extra.exact and extra.error.startswith("wrong number of calls")
    assert extra.name == pytest.approx(2 / 3) and extra.param_value == 1.0
    wrong = match_calls([ToolCall("a", {"x": 1}), ToolCall("c", {"y": 2})], golds, None)
    assert not wrong.exact and wrong.name == pytest.approx(1 / 3) and wrong.param_value == 0.5
    assert "no call of this function" in wrong.error
    dotted = match_calls(
        [ToolCall("math_sqrt", {})], [GoldCall("math.sqrt", {})], None, dots_as_underscores=True
    )
    assert dotted.exact


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([], [], 1.0),
        (["a"], [], 0.0),
        (["a", "a"], ["a"], 0.5),
        (["a", "b"], ["b", "a"], 1.0),
        (["a", "b"], ["a", "c"], 1 / 3),
    ],
)
def test_name_jaccard(a: list, b: list, expected: float) -> None:
    assert name_jaccard(a, b) == pytest.approx(expected)


def test_assignment_equals_brute_force_on_random_matrices() -> None:
    rng = random.Random(7)
    for _ in range(300):
        rows, cols = rng.randint(0, 5), rng.randint(0, 5)
        w = [[rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, rng.random()]) for _ in range(cols)] for _ in range(rows)]
        pairs = max_assignment(w)
        assert len({r for r, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
        got = sum(w[r][c] for r, c in pairs)
        best = 0.0
        for perm in itertools.permutations(range(max(rows, cols)), rows):
            best = max(best, sum(w[r][c] for r, c in enumerate(perm) if c < cols))
        assert got == pytest.approx(best)


def test_perfect_matching_against_brute_force() -> None:
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 5)
        valid = [[rng.random() < 0.4 for _ in range(n)] for _ in range(n)]
        found = perfect_matching(valid)
        exists = any(all(valid[g][c] for g, c in enumerate(p)) for p in itertools.permutations(range(n)))
        assert (found is not None) == exists
        if found is not None:
            assert sorted(found.values()) == list(range(n)) and all(valid[g][c] for g, c in found.items())
