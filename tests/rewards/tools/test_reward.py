"""The "bfcl" and "tool_call" rewards on hand-made samples and on the bundled BFCL sample."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab import Sample
from rewardlab.rewards.tools import BfclReward, ToolCallReward, gold_calls, read_reference

BUNDLED = Path(__file__).resolve().parents[3] / "src" / "rewardlab" / "data" / "bfcl_sample.jsonl"

FUNCTIONS = [
    {
        "name": "calculate_triangle_area",
        "parameters": {
            "type": "dict",
            "properties": {
                "base": {"type": "integer"},
                "height": {"type": "integer"},
                "unit": {"type": "string"},
            },
            "required": ["base", "height"],
        },
    },
    {"name": "math.factorial", "parameters": {"type": "dict", "properties": {"number": {"type": "integer"}}}},
]
REF = {
    "ground_truth": [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}],
    "functions": FUNCTIONS,
}


def call(name: str, args: dict | None = None, /, **kwargs: object) -> str:
    return (
        "<tool_call>" + json.dumps({"name": name, "arguments": {**(args or {}), **kwargs}}) + "</tool_call>"
    )


def both(completion: object, reference: object = REF) -> tuple[rl.RewardResult, rl.RewardResult]:
    sample = Sample(completion=completion, reference=reference)  # type: ignore[arg-type]
    return BfclReward()(sample), ToolCallReward()(sample)


CASES = [
    ("exact", call("calculate_triangle_area", base=10, height=5), 1.0, 1.0),
    ("optional given", call("calculate_triangle_area", base=10, height=5, unit="Units"), 1.0, 1.0),
    # format 1, name 1, param_name 1, param_value 1/2 -> (1 + 1 + 1 + 2 * 0.5) / 5
    ("wrong value", call("calculate_triangle_area", base=10, height=6), 0.0, 0.8),
    # param_name 1/2 (height missing), param_value 1/2 -> (1 + 1 + 0.5 + 1) / 5
    ("missing arg", call("calculate_triangle_area", base=10), 0.0, 0.7),
    # name jaccard 1/2 -> (1 + 0.5 + 1 + 2) / 5
    (
        "extra call",
        call("calculate_triangle_area", base=10, height=5) + call("math.factorial", number=3),
        0.0,
        0.9,
    ),
    ("wrong function", call("math.factorial", number=10), 0.0, 0.2),  # only the format point
    ("no call", "The area is 25.", 0.0, 0.0),
    (
        "malformed",
        '<tool_call>{"name": "calculate_triangle_area", "arguments": {base: 10}}</tool_call>',
        0.0,
        0.0,
    ),
    ("python syntax", "[calculate_triangle_area(base=10, height=5)]", 1.0, 1.0),
]


@pytest.mark.parametrize(("label", "completion", "bfcl", "partial"), CASES, ids=[c[0] for c in CASES])
def test_scores_and_sensible_order(label: str, completion: str, bfcl: float, partial: float) -> None:
    b, t = both(completion)
    assert b.score == bfcl and t.score == pytest.approx(partial)
    assert b.components == t.components  # same breakdown, different headline
    assert b.components["exact"] == bfcl and t.components["partial"] == pytest.approx(partial)
    if bfcl < 1:
        assert b.info["reason"]


def test_malformed_call_next_to_a_good_one_fails_exact_and_format() -> None:
    b, t = both(call("calculate_triangle_area", base=10, height=5) + "<tool_call>{oops</tool_call>")
    assert b.score == 0.0 and b.info["reason"] == "malformed call"
    assert t.components["format"] == 0.0 and t.score == pytest.approx(0.8)
    assert b.info["malformed"][0]["reason"].startswith("block is not a JSON call")


def test_openai_messages_and_additive_step_scores() -> None:
    ref = {"ground_truth": [{"a": {"x": [1]}}, {"b": {"y": [2]}}]}
    messages = [
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "a", "arguments": '{"x": 1}'}}]},
        {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "b", "arguments": '{"y": 2}'}}]},
        {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": "All done."},
    ]  # fmt: skip
    b, t = both(messages, ref)
    assert b.score == 1.0 and t.score == 1.0
    assert b.step_scores == [0.0, 1.0, 0.0]  # the turn that completed the answer
    assert len(t.step_scores) == 3 and sum(t.step_scores) == pytest.approx(1.0)
    assert t.step_scores[0] > 0 and t.step_scores[1] > 0 and t.step_scores[2] == 0.0
    assert both("plain text", ref)[0].step_scores is None  # step scores need a message completion


@pytest.mark.parametrize(
    ("completion", "score"),
    [
        ("I can't help with that: no tool fits.", 1.0),
        (call("math.factorial", number=3), 0.0),
        ("<tool_call>", 0.0),
    ],
)
def test_irrelevance_means_no_call(completion: str, score: float) -> None:
    for ref in (
        {"ground_truth": [], "functions": FUNCTIONS},
        {"functions": FUNCTIONS, "category": "irrelevance"},
    ):
        b, t = both(completion, ref)
        assert b.score == t.score == score
    assert read_reference({"ground_truth": []}).mode == "no_call"


def test_relevance_means_any_well_formed_call() -> None:
    ref = {"functions": FUNCTIONS, "category": "live_relevance"}
    assert both(call("math.factorial", number=3), ref)[0].score == 1.0
    assert both("no call", ref)[0].score == 0.0


def test_gold_written_as_plain_calls() -> None:
    ref = {"ground_truth": [{"name": "f", "arguments": {"q": "Paris"}}]}
    assert both(call("f", q="paris"), ref)[0].score == 1.0


def test_dots_as_underscores_option() -> None:
    ref = {"ground_truth": [{"math.factorial": {"number": [5]}}], "functions": FUNCTIONS}
    assert BfclReward()(Sample(completion=call("math_factorial", number=5), reference=ref)).score == 0.0
    assert (
        BfclReward(dots_as_underscores=True)(
            Sample(completion=call("math_factorial", number=5), reference=ref)
        ).score
        == 1.0
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "tool-call rewards need sample.reference"),
        ({"functions": FUNCTIONS}, "reference has no 'ground_truth'"),
        ({"ground_truth": {"f": {}}}, "'ground_truth' must be a list"),
        ({"ground_truth": [{"f": {"x": 1}}]}, "allowed values of 'x' must be a non-empty list"),
        ({"ground_truth": [{"f": {}, "g": {}}]}, "'ground_truth'[0] must be"),
        ({"ground_truth": [{"nope": {}}], "functions": FUNCTIONS}, "no schema for gold function(s) ['nope']"),
        ({"ground_truth": [], "functions": "f"}, "'functions' must be a list"),
        ({"ground_truth": [], "language": "rust"}, "reference 'language' must be one of"),
    ],
)
def test_a_broken_reference_raises(reference: object, message: str) -> None:
    with pytest.raises(ValueError, match=None) as exc:
        BfclReward()(Sample(completion="f(x=1)", reference=reference))
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"formats": ["xml"]}, "`formats` of tool_call has unknown format(s) ['xml']"),
        ({"formats": "hermes"}, "`formats` of tool_call must be a non-empty list"),
        ({"weights": {"format": -1}}, "`weights.format` of tool_call must be a finite number >= 0, got -1"),
        ({"weights": {"speed": 1}}, "`weights` of tool_call has unknown component(s) ['speed']"),
        ({"weights": {"format": 0, "name": 0, "param_name": 0, "param_value": 0}}, "must not all be 0"),
        ({"language": "rust"}, "`language` of tool_call must be one of"),
        ({"dots_as_underscores": "yes"}, "`dots_as_underscores` of tool_call must be true or false"),
    ],
)
def test_options_are_validated_with_their_name(options: dict, message: str) -> None:
    with pytest.raises(rl.ConfigError) as exc:
        rl.reward("tool_call", **options)
    assert message in str(exc.value)


def test_weights_change_the_mix_and_rewards_pickle() -> None:
    reward = ToolCallReward(weights={"format": 0, "name": 0, "param_name": 0, "param_value": 1})
    sample = Sample(completion=call("calculate_triangle_area", base=10, height=6), reference=REF)
    assert reward(sample).score == pytest.approx(0.5)
    clone = pickle.loads(pickle.dumps(reward))
    assert clone(sample).score == pytest.approx(0.5) and clone.weights == reward.weights


def test_language_inference() -> None:
    java = [{"name": "f", "parameters": {"properties": {"s": {"type": "String"}, "n": {"type": "long"}}}}]
    js = [{"name": "f", "parameters": {"properties": {"s": {"type": "String"}, "b": {"type": "Boolean"}}}}]
    assert read_reference({"ground_truth": [], "functions": java}).language == "java"
    assert read_reference({"ground_truth": [], "functions": js}).language == "javascript"
    assert read_reference({"ground_truth": [], "functions": FUNCTIONS}).language == "python"
    assert read_reference({"ground_truth": [], "category": "simple_javascript"}).language == "javascript"
    assert read_reference({"ground_truth": []}, language="java").language == "java"


def _bundled() -> list[dict]:
    return [json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_bundled_bfcl_sample_gold_scores_one_and_perturbations_do_not() -> None:
    rows = _bundled()
    assert len(rows) >= 30 and len({r["category"] for r in rows}) == 8
    bfcl, partial = BfclReward(), ToolCallReward()
    for row in rows:
        ref = {"ground_truth": row["ground_truth"], "functions": row["function"], "category": row["category"]}
        if row["ground_truth"] is None:  # irrelevance / relevance
            any_call = "relevance" in row["category"] and "irrelevance" not in row["category"]
            first = row["function"][0]["name"]
            assert bfcl(Sample(completion="No call.", reference=ref)).score == float(not any_call), row["id"]
            assert bfcl(Sample(completion=call(first), reference=ref)).score == float(any_call), row["id"]
            continue
        calls = gold_calls(row["ground_truth"], row["function"])
        gold = "".join(call(c["name"], c["arguments"]) for c in calls)
        assert bfcl(Sample(completion=gold, reference=ref)).score == 1.0, row["id"]
        assert partial(Sample(completion=gold, reference=ref)).score == 1.0, row["id"]
        wrong_name = call("no_such_function", calls[0]["arguments"]) + "".join(
            call(c["name"], c["arguments"]) for c in calls[1:]
        )
        extra = gold + call(calls[0]["name"], calls[0]["arguments"])
        for bad in (wrong_name, extra):
            assert bfcl(Sample(completion=bad, reference=ref)).score == 0.0, row["id"]
            assert partial(Sample(completion=bad, reference=ref)).score < 1.0, row["id"]
