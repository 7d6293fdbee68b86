"""The math reward asks a judge only when its checker reaches no verdict (``Unverifiable``)."""

from __future__ import annotations

from typing import Any

import pytest
from scripted_judge import scripted_judge, user_text

import rewardlab as rl

pytest.importorskip("openai")

TOWER = r"The answer is $\boxed{9^{9^{9^{9}}}}$."


def test_an_unverifiable_pair_goes_to_the_judge_and_only_that() -> None:
    def verdict(request: dict[str, Any], n: int) -> str:
        return (
            '{"verdict": "incorrect"}' if "9^{9^{9^{9}}}" in user_text(request) else '{"verdict": "correct"}'
        )

    with scripted_judge(verdict) as judge:
        reward = rl.reward("math", judge={"base_url": judge.url, "model": "m", "cache": False})
        tower = rl.score_one(reward, rl.Sample(completion=TOWER, reference="1"))
        plain = rl.score_one(reward, rl.Sample(completion="\\boxed{2}", reference="2"))
        assert judge.calls == 1  # the ordinary answer never reached the judge
    assert tower.score == 0.0 and tower.info["judged"] is True and "TooComplex" in tower.info["unverifiable"]
    assert plain.score == 1.0 and "judged" not in plain.info


def test_without_a_judge_it_stays_an_error_and_an_abstaining_judge_keeps_it_one() -> None:
    assert (
        rl.score_one(rl.reward("math"), rl.Sample(completion=TOWER, reference="1")).error.type == "TooComplex"
    )
    with scripted_judge(lambda req, n: "no idea") as judge:
        reward = rl.reward("math", judge={"base_url": judge.url, "model": "m", "cache": False})
        result = rl.score_one(reward, rl.Sample(completion=TOWER, reference="1"))
    assert result.score is None and result.error.type == "JudgeParseError"
