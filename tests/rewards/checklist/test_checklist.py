"""The "checklist" reward: rule criteria, sub-rewards, gating, per-turn evidence, judges' interface."""

from __future__ import annotations

import pickle

import pytest

import rewardlab as rl
from rewardlab import Sample
from rewardlab.rewards.checklist import Checklist, get_path, parse_path

TRIP = [  # an agent turn that searches, then an answer turn
    {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"type": "function", "function": {"name": "search_flights", "arguments": '{"to": "OSL", "max_price": 300}'}}]},
    {"role": "tool", "content": '{"flights": [{"id": "SK123", "price": 250}]}'},
    {"role": "assistant", "content": 'Booked SK123 for 250 EUR.\n```json\n{"booking": {"flight": "SK123", "price": 250}}\n```'},
]  # fmt: skip


def score(reward: Checklist, completion: object, reference: object = None) -> rl.RewardResult:
    return reward(Sample(completion=completion, reference=reference))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "tokens"),
    [
        ("a.b[0].c", ("a", "b", 0, "c")),
        ("$.items[-1]", ("items", -1)),
        ('x["key.with.dots"][2]', ("x", "key.with.dots", 2)),
        ("[0].name", (0, "name")),
        ("", ()),
    ],
)
def test_parse_path(path: str, tokens: tuple) -> None:
    assert parse_path(path) == tokens


@pytest.mark.parametrize("bad", ["a..b", "a[", "a[x]", "a b", "1abc"])
def test_parse_path_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot read path"):
        parse_path(bad)


def test_get_path() -> None:
    data = {"a": {"b": [{"c": 1}, {"c": None}]}, "k.x": True}
    assert get_path(data, "a.b[1].c") == (True, None)  # found, and the value is null
    assert get_path(data, "a.b[2].c") == (False, None)
    assert get_path(data, "a.b[-2].c") == (True, 1)
    assert get_path(data, '["k.x"]') == (True, True)
    assert get_path(data, "a.b.c") == (False, None)  # a list has no key "c"


def test_weighted_rules_with_evidence_per_turn() -> None:
    reward = Checklist(
        criteria=[
            {"id": "searched", "kind": "json_path", "field": "tool_calls", "path": "[0].name", "equals": "search_flights"},
            {"id": "budget", "kind": "json_path", "field": "tool_calls", "path": "[0].arguments.max_price", "equals": 300.0},
            {"id": "booked", "kind": "json_path", "path": "booking.flight", "equals": "SK123", "turn": "last", "weight": 2},
            {"id": "price", "kind": "regex", "pattern": r"\b\d+ EUR\b"},
            {"id": "seat", "kind": "contains", "text": "window seat", "weight": 3},
        ]
    )  # fmt: skip
    result = score(reward, TRIP)
    assert result.score == pytest.approx((1 + 1 + 2 + 1) / 8)
    assert result.components == {"searched": 1.0, "budget": 1.0, "booked": 1.0, "price": 1.0, "seat": 0.0}
    by_id = {v["id"]: v for v in result.info["criteria"]}
    assert by_id["searched"]["turn"] == 0 and by_id["searched"]["evidence"]["value"] == "search_flights"
    assert by_id["booked"]["turn"] == 1 and by_id["booked"]["evidence"] == {
        "path": "booking.flight",
        "value": "SK123",
    }
    assert by_id["price"]["evidence"] == {"span": [17, 24], "text": "250 EUR"} and by_id["price"]["turn"] == 1
    assert by_id["seat"]["passed"] is False and by_id["seat"]["evidence"] is None
    # one score per assistant turn; each is what that turn earned, and they add up to the score
    assert result.step_scores == pytest.approx([2 / 8, 3 / 8])
    assert sum(result.step_scores) == pytest.approx(result.score)


def test_gates_zero_everything_and_blame_the_turn() -> None:
    criteria = [
        {
            "id": "no_card",
            "kind": "regex",
            "pattern": r"\b\d{4} \d{4} \d{4} \d{4}\b",
            "negate": True,
            "gate": True,
        },
        {"id": "booked", "kind": "contains", "text": "booked"},
    ]
    reward = Checklist(criteria=criteria)
    leaked = [*TRIP[:2], {"role": "assistant", "content": "Booked with card 4111 1111 1111 1111."}]
    result = score(reward, leaked)
    assert result.score == 0.0 and result.info["gate_failed"] == ["no_card"]
    assert result.components == {"no_card": 0.0, "booked": 1.0}  # the breakdown still shows what passed
    assert result.info["criteria"][0]["evidence"]["text"] == "4111 1111 1111 1111"
    assert result.step_scores == [0.0, 0.0]
    assert score(reward, TRIP).score == 1.0
    penalised = Checklist(criteria=criteria, gate_fail_score=-1.0)
    assert score(penalised, leaked).step_scores == [0.0, -1.0]  # the penalty sits at the offending turn


def test_aggregate_all() -> None:
    reward = Checklist(
        criteria=[{"kind": "contains", "text": "a"}, {"kind": "contains", "text": "b"}], aggregate="all"
    )
    assert score(reward, "a b").score == 1.0 and score(reward, "a").score == 0.0


def test_turn_scopes() -> None:
    msgs = [{"role": "assistant", "content": "alpha"}, {"role": "assistant", "content": "beta"}]
    for turn, expected in [(0, 1.0), (1, 0.0), (-2, 1.0), ("last", 0.0), ("any", 1.0), (None, 1.0), (5, 0.0)]:
        reward = Checklist(criteria=[{"kind": "contains", "text": "alpha", "turn": turn}])
        assert score(reward, msgs).score == expected, turn


def test_tool_results_field() -> None:
    reward = Checklist(criteria=[{"kind": "regex", "field": "tool_results", "pattern": "SK\\d+", "turn": 0}])
    assert score(reward, TRIP).score == 1.0


def test_registered_rewards_as_criteria() -> None:
    reward = Checklist(
        criteria=[
            {"id": "right", "kind": "reward", "reward": "math", "reference": "250"},
            {
                "id": "tidy",
                "kind": "reward",
                "reward": {"type": "think_answer_format", "strict": False},
                "turn": "last",
            },
        ]
    )
    result = score(reward, "<think>200 + 50</think><answer>\\boxed{250}</answer>")
    assert result.score == 1.0 and result.info["criteria"][0]["evidence"] == {"score": 1.0}
    assert score(reward, "<answer>\\boxed{249}</answer>").score == 0.0


def test_a_failing_sub_reward_fails_the_checklist() -> None:
    reward = Checklist(criteria=[{"id": "ans", "kind": "reward", "reward": "math"}])
    result = score(reward, "\\boxed{3}", reference=None)  # math without a reference is an error, not a 0
    assert result.score is None and result.error is not None
    assert result.error.type == "CriterionError" and "criterion 'ans' failed" in result.error.message


def test_criteria_from_the_reference_and_per_turn_checklists() -> None:
    reward = Checklist(criteria=[{"id": "polite", "kind": "regex", "pattern": "(?i)thanks|please"}])
    reference = {
        "criteria": [{"id": "answer", "kind": "contains", "text": "Oslo"}],
        "turns": [[{"id": "t0_asks", "kind": "contains", "text": "which city"}], [{"id": "t1_confirms", "kind": "contains", "text": "booked"}]],
    }  # fmt: skip
    msgs = [
        {"role": "assistant", "content": "Thanks! Which city?"},
        {"role": "assistant", "content": "Booked Oslo."},
    ]
    result = score(reward, msgs, reference)
    assert result.score == 1.0 and set(result.components) == {"polite", "answer", "t0_asks", "t1_confirms"}
    assert [v["turn"] for v in result.info["criteria"]] == [0, 1, 0, 1]
    swapped = score(reward, msgs[::-1], reference)
    assert swapped.components["t0_asks"] == 0.0 and swapped.components["t1_confirms"] == 0.0
    assert score(Checklist(), "x", [{"kind": "contains", "text": "x"}]).score == 1.0  # a plain list works too


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ([{"kind": "regex", "pattern": "("}], "`pattern` is not a valid regular expression"),
        ({"turns": "nope"}, "reference 'turns' must be a list"),
        ([{"id": "polite", "kind": "contains", "text": "x"}], "criterion ids repeat"),
        (None, None),
    ],
)
def test_broken_reference_criteria_raise(reference: object, message: str | None) -> None:
    reward = Checklist(criteria=[{"id": "polite", "kind": "contains", "text": "hi"}])
    if message is None:
        assert score(reward, "hi", reference).score == 1.0
        with pytest.raises(ValueError, match="checklist has no criteria"):
            score(Checklist(), "hi", reference)
        return
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        score(reward, "hi", reference)


def test_every_bad_criterion_is_reported_at_once() -> None:
    with pytest.raises(rl.ConfigError) as exc:
        rl.reward(
            "checklist",
            criteria=[
                {"kind": "regex", "pattern": "(", "weight": -1},
                {"kind": "json_path", "path": "a[", "turn": "first"},
                {"kind": "contains", "text": "", "colour": "red"},
                {"kind": "reward", "reward": "no_such_reward"},
                {"kind": "telepathy"},
            ],
        )
    text = str(exc.value)
    for part in [
        "`weight` must be a finite number >= 0, got -1",
        "`pattern` is not a valid regular expression",
        "`turn` must be an integer, 'last' or 'any', got 'first'",
        "`path`: cannot read path",
        "`text` must be a non-empty string",
        "unknown key(s) ['colour']",
        "unknown reward 'no_such_reward'",
        "`kind` must be one of",
    ]:
        assert part in text, part
    with pytest.raises(rl.ConfigError, match="`aggregate` of checklist must be 'weighted' or 'all'"):
        rl.reward("checklist", criteria=[], aggregate="mean")
    with pytest.raises(rl.ConfigError, match="duplicate criterion id"):
        rl.reward("checklist", criteria=[{"id": "a", "kind": "contains", "text": "x"}] * 2)


class KeywordJudge:
    """A stand-in judge (no built-in LLM judge exists yet): passes when the text has the keyword."""

    def check(self, question: str, text: str, sample: Sample) -> tuple[bool, str]:
        return ("Oslo" in text, f"asked {question!r}")


def test_judge_criteria_need_a_judge() -> None:
    criteria = [{"id": "helpful", "kind": "judge", "question": "Does it name the city?"}]
    with pytest.raises(rl.ConfigError, match=r"no judge is configured"):
        rl.reward("checklist", criteria=criteria)
    with pytest.raises(ValueError, match=r"no judge is configured"):
        score(Checklist(), "Oslo", criteria)  # from a reference: that sample fails
    reward = Checklist(criteria=criteria, judge=KeywordJudge())
    result = score(reward, "Flying to Oslo.")
    assert (
        result.score == 1.0
        and result.info["criteria"][0]["evidence"]["note"] == "asked 'Does it name the city?'"
    )
    assert score(reward, "Flying to Bergen.").score == 0.0
    assert pickle.loads(pickle.dumps(reward))(Sample(completion="Oslo")).score == 1.0
    with pytest.raises(
        ValueError, match="`judge` of checklist must be a table of judge settings or have a check"
    ):
        Checklist(criteria=[], judge=object())


@pytest.mark.parametrize(
    "criteria",
    [
        [{"kind": "contains", "text": "ok", "gate": True}],  # only a gate
        [{"kind": "contains", "text": "ok", "weight": 0}, {"kind": "contains", "text": "nope", "weight": 0}],
        [{"kind": "contains", "text": "ok"}, {"kind": "contains", "text": "fine", "negate": True}],
    ],
)
def test_step_scores_always_add_up_to_the_score(criteria: list) -> None:
    msgs = [{"role": "assistant", "content": "thinking"}, {"role": "assistant", "content": "ok"}]
    for aggregate in ("weighted", "all"):
        result = score(Checklist(criteria=criteria, aggregate=aggregate), msgs)
        assert len(result.step_scores) == 2
        assert sum(result.step_scores) == pytest.approx(result.score)
