"""The runner keeps each group in one worker call: whole groups, in input order, errors per group."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

import rewardlab as rl
from rewardlab.core import GroupReward


class SlowGroup(GroupReward):
    """Sleeps ``seconds`` per group (to test the group's deadline), then scores each member its index."""

    name = "slow_group"

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds

    def score_group(self, samples: Sequence[rl.Sample]) -> list[rl.RewardResult]:
        time.sleep(self.seconds)
        return [rl.RewardResult(score=float(i), info={"size": len(samples)}) for i in range(len(samples))]


def rows(groups: dict[str, list[str]]) -> list[dict]:
    return [{"completion": c, "metadata": {"group": g}} for g, cs in groups.items() for c in cs]


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_groups_stay_whole_whatever_their_order_in_the_input(workers: int) -> None:
    samples = [
        {"completion": "\\boxed{1}", "metadata": {"group": "a"}},
        {"completion": "\\boxed{7}", "metadata": {"group": "b"}},
        {"completion": "\\boxed{1}", "metadata": {"group": "a"}},
        {"completion": "\\boxed{7}", "metadata": {"group": "b"}},
        {"completion": "\\boxed{2}", "metadata": {"group": "a"}},
        {"completion": "\\boxed{8}", "metadata": {"group": "b"}},
    ]
    results = rl.score("majority_vote", samples, workers=workers)
    assert [r.score for r in results] == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    assert [r.info["pseudo_label"] for r in results] == ["1", "7", "1", "7", "1", "7"]
    assert all(r.info["votes"] == 3 for r in results)


def test_a_groups_deadline_is_the_timeout_per_member_and_a_late_group_fails_whole() -> None:
    ok = rl.score(SlowGroup(0.6), rows({"g": ["a", "b", "c"]}), workers=1, timeout=0.5)  # 1.5 s for the group
    assert [r.score for r in ok] == [0.0, 1.0, 2.0]
    late = rl.score(SlowGroup(3.0), rows({"late": ["a", "b"], "after": ["c", "d"]}), workers=1, timeout=0.5)
    assert [r.error.type if r.error else None for r in late[:2]] == ["Timeout", "Timeout"]
    assert [r.score for r in late[2:]] == [None, None]  # the same reward is slow for every group


def test_group_rewards_compose_and_singletons_are_errors_of_their_own() -> None:
    reward = rl.combine(
        correct=rl.reward("math"), vote=rl.reward("majority_vote"), weights={"correct": 0.5, "vote": 0.5}
    )
    samples = [
        {"completion": "\\boxed{4}", "reference": "4", "metadata": {"group": 1}},
        {"completion": "\\boxed{4}", "reference": "4", "metadata": {"group": 1}},
        {"completion": "\\boxed{5}", "reference": "4", "metadata": {"group": 1}},
        {"completion": "\\boxed{4}", "reference": "4"},  # no group: a group of one
    ]
    results = rl.score(reward, samples, workers=1)
    assert [r.score for r in results[:3]] == [1.0, 1.0, 0.0]
    assert results[3].error is not None and "GroupError" in results[3].error.message


def test_a_stream_whose_group_comes_back_later_is_refused_for_the_late_part() -> None:
    stream = (
        rows({"a": ["\\boxed{1}", "\\boxed{1}"]})
        + rows({"b": ["\\boxed{2}", "\\boxed{2}"]})
        + rows({"a": ["\\boxed{1}"]})
    )
    with rl.Runner("majority_vote", workers=1) as runner:
        results = list(runner.imap(iter(stream)))
    assert [r.score for r in results[:4]] == [1.0, 1.0, 1.0, 1.0]
    assert (
        results[4].error is not None
        and results[4].error.type == "GroupError"
        and "split" in results[4].error.message
    )


def test_group_size_catches_a_group_split_across_calls() -> None:
    part = [{"completion": "\\boxed{1}", "metadata": {"group": "g", "group_size": 4}} for _ in range(2)]
    results = rl.score("majority_vote", part, workers=0)
    assert all(r.error is not None and "2 of its 4" in r.error.message for r in results)


def test_the_ray_backend_refuses_group_rewards_clearly() -> None:
    pytest.importorskip("ray")
    from rewardlab.runner import RayRunner

    with pytest.raises(rl.ConfigError, match="group rewards"):
        RayRunner("majority_vote")
