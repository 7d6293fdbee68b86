"""Vector rewards: named weights, Pareto selection (Parrot), weight schedules, performance curricula."""

from __future__ import annotations

import numpy as np
import pytest
from _loops import pareto_loop
from _strategies import FAST, grid_reward
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_weighted_sum_hand_computed() -> None:
    # acc*1 + fmt*0.2: 1 + 0.1 = 1.1, 0 + 0.2 = 0.2
    out = rc.weighted_sum([[1.0, 0.5], [0.0, 1.0]], ["acc", "fmt"], {"acc": 1.0, "fmt": 0.2})
    np.testing.assert_allclose(out, [1.1, 0.2])


def test_weighted_sum_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        rc.weighted_sum([[1.0, 0.5, 0.0]], ["acc", "acc", "len"], {"acc": 1.0, "fmt": float("nan")})
    problems = info.value.problems
    assert any("duplicate objective names ['acc']" in p for p in problems)
    assert any("no weight for objective(s) ['len']" in p for p in problems)
    assert any("unknown objective(s) ['fmt']" in p for p in problems)
    assert any("weight of 'fmt' must be a finite number" in p for p in problems)
    with pytest.raises(ArrayError, match="`names`: got 1 names for 2 reward columns"):
        rc.weighted_sum([[1.0, 0.5]], ["acc"], {"acc": 1.0})


def test_pareto_mask_hand_computed() -> None:
    # (0, 0) is dominated by everything; the duplicate (1, 0) points do not dominate each other
    pts = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 0.0], [1.0, 0.0]]
    assert rc.pareto_mask(pts).tolist() == [True, True, True, False, True]
    # per group: (0, 0) alone in group 1 is its group's Pareto set
    assert rc.pareto_mask(pts, [0, 0, 0, 1, 0]).tolist() == [True, True, True, True, True]
    # minimise the second objective (e.g. length): (1, 0) dominates (0.5, 0.5) and (0, 1); (0, 0) too
    assert rc.pareto_mask(pts, maximize=[True, False]).tolist() == [True, False, False, False, True]


@st.composite
def points(draw):
    n, k = draw(st.integers(1, 25)), draw(st.integers(1, 3))
    vals = draw(st.lists(grid_reward, min_size=n * k, max_size=n * k))
    ids = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return np.array(vals).reshape(n, k), np.array(ids)


@FAST
@given(points())
def test_pareto_mask_matches_loop_and_is_a_front(data) -> None:
    pts, ids = data
    keep = rc.pareto_mask(pts, ids)
    assert keep.tolist() == pareto_loop(pts.tolist(), ids.tolist())
    for gid in np.unique(ids):
        sel = ids == gid
        assert keep[sel].any()  # every group keeps at least one sample
        # every dropped point is dominated by a kept point of its group
        kept = pts[sel & keep]
        for p in pts[sel & ~keep]:
            assert any((q >= p).all() and (q > p).any() for q in kept)


@FAST
@given(points())
def test_weighted_sum_matches_loop(data) -> None:
    pts, _ = data
    names = [f"o{j}" for j in range(pts.shape[1])]
    weights = {n: 0.5 + j for j, n in enumerate(names)}
    expected = [sum(weights[n] * row[j] for j, n in enumerate(names)) for row in pts.tolist()]
    np.testing.assert_allclose(rc.weighted_sum(pts, names, weights), expected)


def test_weight_schedule() -> None:
    sched = rc.WeightSchedule(((0, {"fmt": 1.0, "acc": 0.0}), (10, {"fmt": 0.0, "acc": 1.0})))
    assert sched(5) == {"fmt": 0.5, "acc": 0.5}  # halfway: linear interpolation
    assert sched(100) == {"fmt": 0.0, "acc": 1.0}  # after the last milestone
    step = rc.WeightSchedule(((0, {"a": 1.0}), (10, {"a": 3.0})), mode="step")
    assert step(9) == {"a": 1.0} and step(10) == {"a": 3.0}
    with pytest.raises(ConfigError) as info:
        rc.WeightSchedule(((5, {"a": 1.0}), (5, {"b": 1.0})), mode="cosine")
    assert len(info.value.problems) == 3  # mode, non-increasing steps, different names


def test_performance_curriculum() -> None:
    cur = rc.PerformanceCurriculum(levels=(0.5, 0.7, 0.9), advance_at=(0.6, 0.8), window=2)
    # i=1: mean(.5, .7) = .6 >= .6 -> stage 1 (window restarts); i=3: mean(.7, .9) = .8 >= .8 -> stage 2
    assert cur.stage([0.5, 0.7, 0.7, 0.9, 0.9]) == 2
    assert cur.level([0.5, 0.7, 0.7, 0.9, 0.9]) == 0.9
    assert cur.stage([0.5, 0.7, 0.7]) == 1  # only one value recorded in stage 1 yet
    assert cur.level([]) == 0.5
    with pytest.raises(ConfigError, match="`advance_at` needs 2 bars for 3 levels"):
        rc.PerformanceCurriculum(levels=(0.5, 0.7, 0.9), advance_at=(0.6,))


@FAST
@given(st.lists(st.floats(0, 1), max_size=30))
def test_curriculum_stage_never_decreases(history) -> None:
    cur = rc.PerformanceCurriculum(levels=(0.3, 0.5, 0.7, 0.9), advance_at=(0.4, 0.6, 0.8), window=3)
    stages = [cur.stage(history[:i]) for i in range(len(history) + 1)]
    assert stages == sorted(stages)


@FAST
@given(st.integers(0, 50), st.integers(1, 20), st.integers(-10, 80))
def test_weight_schedule_matches_a_loop_interpolation(start, length, step) -> None:
    sched = rc.WeightSchedule(((start, {"a": 2.0, "b": 0.0}), (start + length, {"a": 0.0, "b": 1.0})))
    if step <= start:
        expected = {"a": 2.0, "b": 0.0}
    elif step >= start + length:
        expected = {"a": 0.0, "b": 1.0}
    else:
        f = (step - start) / length
        expected = {"a": 2.0 * (1 - f), "b": f}
    got = sched(step)
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k]) for k in got)
    assert 0.0 <= got["b"] <= 1.0  # interpolation stays between the milestones


@FAST
@given(st.lists(st.floats(0, 1), max_size=20), st.integers(1, 3))
def test_performance_curriculum_matches_loop(history, window) -> None:
    bars = (0.4, 0.6)
    cur = rc.PerformanceCurriculum(levels=(0.5, 0.7, 0.9), advance_at=bars, window=window)
    stage, in_stage = 0, []
    for x in history:
        if stage == len(bars):
            break
        in_stage.append(x)
        if len(in_stage) >= window and sum(in_stage[-window:]) / window >= bars[stage]:
            stage, in_stage = stage + 1, []
    assert cur.stage(history) == stage
