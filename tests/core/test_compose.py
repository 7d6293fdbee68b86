from __future__ import annotations

import math

import pytest

import rewardlab as rl
from rewardlab import ConfigError, RewardResult, Sample


@rl.reward_fn(name="const")
def _unused(sample: Sample) -> float:  # the decorator form must build a reward
    return 1.0


def test_reward_fn_decorator_builds_a_named_reward() -> None:
    assert isinstance(_unused, rl.FunctionReward) and _unused.name == "const"
    assert _unused(Sample(completion="x")) == RewardResult(score=1.0)


def const(value: float, name: str = "const") -> rl.Reward:
    return rl.FunctionReward(lambda s: value, name=name)


def failing() -> rl.Reward:
    def boom(sample: Sample) -> float:
        raise RuntimeError("component blew up")

    return rl.FunctionReward(boom, name="boom")


S = Sample(completion="x")


def test_weighted_sum_and_breakdown() -> None:
    # 1.0 * 0.5 + 0.2 * 1.0 + 1.0 * (-0.25) = 0.45
    r = rl.combine(a=const(0.5), b=const(1.0), c=const(-0.25), weights={"b": 0.2})
    out = r(S)
    assert math.isclose(out.score, 0.45)
    assert out.components == {"a": 0.5, "b": 1.0, "c": -0.25}
    assert out.error is None


def test_weights_as_a_sequence_must_match_the_component_count() -> None:
    with pytest.raises(ConfigError, match="got 1 weights for 2 components"):
        rl.combine([("a", const(1)), ("b", const(1))], weights=[1.0])


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        rl.combine(
            [("a", const(1)), ("a", const(2)), ("b", 3)],
            weights={"a": math.inf, "zzz": 1.0},
            mode="sum",
            gates={"b": "nope"},
        )
    text = "\n".join(info.value.problems)
    assert "duplicate component name 'a'" in text
    assert "weights name unknown component(s) ['zzz']" in text
    assert "weight of 'a' must be a finite number, got inf" in text
    assert "gated by unknown component 'nope'" in text
    assert "component 'b' is not a reward" in text
    assert len(info.value.problems) == 5


def test_gate_counts_a_component_only_when_its_gate_passes() -> None:
    passing = rl.combine(correct=const(1.0), style=const(0.5), gates={"style": "correct"})
    assert passing(S).score == 1.5
    failing_gate = rl.combine(correct=const(0.0), style=const(0.5), gates={"style": "correct"})
    out = failing_gate(S)
    assert out.score == 0.0
    assert out.info["gated_off"] == ["style"] and "style" not in out.components
    threshold = rl.combine(correct=const(0.6), style=const(0.5), gates={"style": ("correct", 0.5)})
    assert threshold(S).score == 1.1


def test_gate_cycles_are_rejected() -> None:
    with pytest.raises(ConfigError, match="cycle"):
        rl.combine(a=const(1), b=const(1), gates={"a": "b", "b": "a"})


def test_min_and_max() -> None:
    assert rl.combine(a=const(0.2), b=const(0.7), mode="min")(S).score == 0.2
    assert rl.combine(a=const(0.2), b=const(0.7), mode="max")(S).score == 0.7
    with pytest.raises(ConfigError, match="weights apply only to mode='sum'"):
        rl.combine(a=const(0.2), mode="min", weights={"a": 2})


def test_multiplicative_penalties() -> None:
    # 0.8 * 0.5 * 0.9 = 0.36
    r = rl.penalize(const(0.8), long=const(0.5), repeat=const(0.9))
    out = r(S)
    assert math.isclose(out.score, 0.36)
    assert out.components == {"main": 0.8, "long": 0.5, "repeat": 0.9}


def test_penalty_outside_unit_interval_is_an_error_not_a_clamp() -> None:
    out = rl.penalize(const(1.0), bad=const(1.5))(S)
    assert out.score is None and out.error is not None and "outside [0, 1]" in out.error.message


def test_a_failing_component_fails_the_composite_with_its_name() -> None:
    out = rl.combine(ok=const(1.0), broken=failing())(S)
    assert out.score is None
    assert out.error is not None and out.error.type == "ComponentError"
    assert "component 'broken' failed: RuntimeError: component blew up" in out.error.message
    assert out.components == {"ok": 1.0}  # what did succeed is still reported


def test_nested_components_are_flattened_with_dots() -> None:
    inner = rl.combine(x=const(1.0), y=const(2.0))
    out = rl.combine(outer=inner, z=const(3.0))(S)
    assert out.components == {"outer": 3.0, "outer.x": 1.0, "outer.y": 2.0, "z": 3.0}
    assert out.score == 6.0


def test_components_can_be_names_and_spec_dicts() -> None:
    r = rl.combine(correct="math", fmt={"type": "boxed_format"}, weights={"fmt": 0.1})
    out = r(Sample(completion="so \\boxed{4}", reference="4"))
    assert out.components == {"correct": 1.0, "fmt": 1.0}
    assert math.isclose(out.score, 1.1)


def test_reward_results_pass_through_unchanged() -> None:
    r = rl.FunctionReward(lambda s: RewardResult(score=0.5, info={"k": 1}), name="r")
    assert r(S).info == {"k": 1}
    with pytest.raises(ValueError, match="non-finite"):
        rl.FunctionReward(lambda s: math.nan, name="nan")(S)


def test_composites_take_reward_objects_only_and_combine_resolves_names() -> None:
    with pytest.raises(ConfigError, match=r"component 'fmt' is not a reward \(got str\)"):
        rl.Combine([("fmt", "boxed_format")])
    with pytest.raises(ConfigError, match="component 'main' is not a reward"):
        rl.Penalized({"type": "math"}, {"p": const(1.0)})  # type: ignore[arg-type]
    built = rl.combine(fmt="boxed_format", ok=const(1.0))
    assert isinstance(built, rl.Combine) and built(Sample(completion="\\boxed{1}")).score == 2.0
    pen = rl.penalize("boxed_format", half=const(0.5))
    assert pen(Sample(completion="\\boxed{1}")).score == 0.5


def test_combine_reports_component_spec_problems_with_its_own() -> None:
    with pytest.raises(ConfigError) as info:
        rl.combine(a="no_such_reward", b={"type": "math", "bogus": 1}, weights={"zzz": 1.0})
    text = "\n".join(info.value.problems)
    assert "component 'a': reward: unknown reward 'no_such_reward'" in text
    assert "component 'b': reward: reward 'math' has no option 'bogus'" in text
    assert "weights name unknown component(s) ['zzz']" in text


def test_children_and_component_keys_follow_composites() -> None:
    from rewardlab.adapters._common import component_keys
    from rewardlab.core.reward import walk

    inner = rl.combine(x=const(1.0), y=const(0.0))
    reward = rl.penalize(rl.combine(c=inner, d=const(2.0)), p=const(1.0))
    assert component_keys(reward) == ["main", "main.c", "main.c.x", "main.c.y", "main.d", "p"]
    paths = [path for path, _ in walk(reward)]
    assert paths == ["", "main", "main.c", "main.c.x", "main.c.y", "main.d", "p"]
    cosine = rl.reward("cosine_length", correct="math", max_length=10)
    assert [n for n, _ in cosine.children()] == ["correct"]
    assert component_keys(cosine) == []  # a leaf that wraps a reward is not a composite
