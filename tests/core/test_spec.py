from __future__ import annotations

from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab import ConfigError, Sample, UnknownRewardError
from rewardlab.core.spec import load_spec

GOOD = """
[reward]
type = "sum"

[reward.components.correct]
type = "math"
rel_tol = 1e-4

[reward.components.format]
type = "boxed_format"
weight = 0.1
gate = "correct"

[runner]
workers = 1
timeout = 5
"""


def test_toml_spec_builds_and_scores(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(GOOD)
    spec = load_spec(path)
    assert spec.runner == {"workers": 1, "timeout": 5}
    reward = rl.build_reward(spec)
    out = reward(Sample(completion="\\boxed{0.5}", reference="\\frac{1}{2}"))
    assert out.components == {"correct": 1.0, "format": 1.0}
    assert out.score == pytest.approx(1.1)
    assert rl.score(path, [{"completion": "\\boxed{2}", "reference": "3"}], workers=1)[0].score == 0.0


def test_all_problems_in_a_spec_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[reward]
type = "sum"
[reward.components.correct]
type = "maths"
[reward.components.format]
type = "boxed_format"
weight = "heavy"
gate = "missing"
sinlge = true
[runner]
worker = 2
"""
    )
    with pytest.raises(ConfigError) as info:
        rl.build_reward(path)
    text = str(info.value)
    assert "runner: unknown key 'worker'" in text
    # the runner table is checked first; fix it and the reward tree's problems all show at once
    path.write_text(path.read_text().replace("worker = 2", "workers = 2"))
    with pytest.raises(ConfigError) as info:
        rl.build_reward(path)
    problems = info.value.problems
    assert any(
        "reward.components.correct: unknown reward 'maths'; did you mean 'math'" in p for p in problems
    )
    assert any("reward.components.format.weight: must be a finite number, got 'heavy'" in p for p in problems)
    assert any("reward.components.format.gate: no component named 'missing'" in p for p in problems)
    assert any("has no option 'sinlge'" in p for p in problems)
    assert len(problems) == 4


def test_bad_option_values_are_collected_after_validation() -> None:
    spec = {
        "type": "sum",
        "components": {"a": {"type": "math", "rel_tol": -1}, "b": {"type": "math", "list_order": "sorted"}},
    }
    with pytest.raises(ConfigError) as info:
        rl.build_reward(spec)
    assert len(info.value.problems) == 2
    assert "`rel_tol` of math must be in [0, 1), got -1" in str(info.value)


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownRewardError, match="did you mean 'math'"):
        rl.score("mathh", [{"completion": "1"}], workers=0)


def test_spec_file_errors() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_spec("nope.toml")


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[reward\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_spec(path)


def test_penalized_node() -> None:
    reward = rl.build_reward(
        {"type": "penalized", "main": "math", "penalties": {"fmt": {"type": "boxed_format"}}}
    )
    assert reward(Sample(completion="\\boxed{3}", reference="3")).score == 1.0
    assert reward(Sample(completion="the answer is 3", reference="3")).score == 0.0


# -- as_reward: the one resolver -------------------------------------------------------------------


def test_as_reward_accepts_every_form_a_user_may_pass(tmp_path: Path) -> None:
    from rewardlab.core.spec import Spec

    path = tmp_path / "r.toml"
    path.write_text('[reward]\ntype = "math"\n[runner]\ntimeout = 3\n')
    math_reward = rl.math_answer()

    def plain(sample: rl.Sample) -> float:
        return 0.5

    forms = {
        "name": "math",
        "import path": "rewardlab.rewards.math:MathReward",
        "dict": {"type": "math", "rel_tol": 0.01},
        "toml str": str(path),
        "toml path": path,
        "spec": Spec(reward="math"),
    }
    for what, form in forms.items():
        built = rl.as_reward(form)
        assert built(rl.Sample(completion="\\boxed{3}", reference="3")).score == 1.0, what
    assert rl.as_reward(math_reward) is math_reward
    wrapped = rl.as_reward(plain)
    assert isinstance(wrapped, rl.FunctionReward) and wrapped.name == "plain"
    assert wrapped(rl.Sample(completion="x")).score == 0.5
    assert rl.build_reward is rl.as_reward


@pytest.mark.parametrize("bad", [None, 3, ["math"]])
def test_as_reward_refuses_what_is_not_a_reward(bad: object) -> None:
    with pytest.raises(ConfigError, match="a reward is a registered name, a TOML path"):
        rl.as_reward(bad)  # type: ignore[arg-type]


def test_a_spec_table_may_hold_reward_objects() -> None:
    reward = rl.as_reward({"type": "sum", "components": {"m": rl.math_answer(), "f": "boxed_format"}})
    assert reward(rl.Sample(completion="\\boxed{3}", reference="3")).components == {"m": 1.0, "f": 1.0}
