"""The sample's time budget: what a reward reads to fit its own limits inside the runner's deadline."""

from __future__ import annotations

import time

import pytest

import rewardlab as rl
from rewardlab.core import sample_budget, time_left
from rewardlab.core.budget import RESERVE_FRACTION, RESERVE_S, deadline


def test_no_budget_outside_a_runner() -> None:
    assert time_left() is None and deadline() is None
    with sample_budget(None):
        assert time_left() is None


def test_a_budget_keeps_a_reserve_and_nested_budgets_keep_the_earlier_deadline() -> None:
    with sample_budget(10.0):
        left = time_left()
        assert left is not None and 10.0 - max(RESERVE_S, 10 * RESERVE_FRACTION) - 0.1 < left <= 9.5
        with sample_budget(100.0):  # a longer inner budget does not extend the outer one
            inner = time_left()
            assert inner is not None and inner <= left
        with sample_budget(1.0):
            short = time_left()
            assert short is not None and short <= 1.0 - RESERVE_S
        assert time_left() is not None
    assert time_left() is None


def test_a_budget_counts_from_its_start() -> None:
    with sample_budget(2.0, start=time.monotonic() - 5.0):
        left = time_left()
        assert left is not None and left < 0


def _report_budget(sample: rl.Sample) -> rl.RewardResult:
    left = time_left()
    return rl.RewardResult(score=1.0, info={"left": left})


@pytest.mark.parametrize("timeout", [None, 4.0])
def test_runner_workers_give_each_sample_the_runners_deadline_as_its_budget(timeout: float | None) -> None:
    results = rl.score(_report_budget, [{"completion": "a"}, {"completion": "b"}], workers=1, timeout=timeout)
    for r in results:
        left = r.info["left"]
        if timeout is None:
            assert left is None
        else:
            assert 3.0 < left <= 4.0 - RESERVE_S
