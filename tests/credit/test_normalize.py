"""Normalisation and filtering: group/batch/rank, GDPO, ReNorm, zero variance, running statistics."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from _loops import grpo_loop, normalize_then_sum_loop, rank_loop, whiten_loop
from _strategies import FAST, grouped, padded, reward, unit
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_masked_whiten_hand_computed() -> None:
    # real values 1, 2, 3: mean 2, unbiased var (1 + 0 + 1)/2 = 1 -> -1, 0, 1; the padded 100 -> 0
    np.testing.assert_allclose(
        rc.masked_whiten([[1.0, 2.0, 3.0, 100.0]], [[1, 1, 1, 0]]), [[-1, 0, 1, 0]], atol=1e-7
    )
    # shift_mean=False keeps the location: -1 + 2, 0 + 2, 1 + 2
    out = rc.masked_whiten([[1.0, 2.0, 3.0, 100.0]], [[1, 1, 1, 0]], shift_mean=False)
    np.testing.assert_allclose(out, [[1, 2, 3, 0]], atol=1e-7)


def test_rank_normalize_hand_computed() -> None:
    # group 0: 3, 1, 2 -> ranks 2, 0, 1 -> (rank - 1)/1; group 1: 2, 5 -> ranks 0, 1 -> (rank - .5)/.5
    np.testing.assert_allclose(
        rc.rank_normalize([3.0, 1.0, 2.0, 2.0, 5.0], [0, 0, 0, 1, 1]), [1, -1, 0, -1, 1]
    )
    # ties share the average rank: 1, 1, 2 -> ranks .5, .5, 2 -> (rank - 1)/1
    np.testing.assert_allclose(rc.rank_normalize([1.0, 1.0, 2.0]), [-0.5, -0.5, 1.0])


def test_clip_rewards() -> None:
    np.testing.assert_allclose(rc.clip_rewards([-2.0, 0.5, 3.0], -1.0, 1.0), [-1.0, 0.5, 1.0])
    with pytest.raises(ConfigError, match="`low` <= `high`"):
        rc.clip_rewards([0.0], 1.0, -1.0)


def test_zero_variance_and_dynamic_sampling_catch_constant_continuous_groups() -> None:
    # group a: every F1 = 0.5 (mean inside (0, 1), yet no signal); b: spread; c: a group of one
    rewards = [0.5, 0.5, 0.5, 1.0, 0.0, 0.7]
    ids = ["a", "a", "a", "b", "b", "c"]
    assert rc.zero_variance_groups(rewards, ids).tolist() == [True, True, True, False, False, True]
    keep = rc.dynamic_sampling_mask(rewards, ids, mean_range=(0.0, 1.0))
    assert keep.tolist() == [False, False, False, True, True, False]
    # the naive mean-range filter (OpenRLHF #1270) would have kept group a: 0 < 0.5 < 1
    assert 0.0 < np.mean(rewards[:3]) < 1.0
    # atol absorbs float noise from a reward model: 0.3 vs 0.1 + 0.2
    assert rc.zero_variance_groups([0.3, 0.1 + 0.2], [0, 0], atol=1e-12).tolist() == [True, True]
    # the mean range still drops all-correct binary groups even when std is checked
    assert rc.dynamic_sampling_mask([1.0, 1.0, 0.0, 1.0], [0, 0, 1, 1], mean_range=(0, 1)).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_normalize_then_sum_hand_computed() -> None:
    # per column, per group: [1, 0] -> [+s, -s] with s = 0.5 / 0.70711 = 0.70711 (eps 0)
    # group 0: col0 [+s, -s] + col1 [-s, +s] = [0, 0]; group 1: [+s, -s] * 2 = [1.41421, -1.41421]
    # batch: mean 0, unbiased var (2 + 2)/3 = 4/3, std 1.15470 -> [0, 0, 1.22474, -1.22474]
    out = rc.normalize_then_sum([[1, 0], [0, 1], [1, 1], [0, 0]], [0, 0, 1, 1], [1.0, 1.0], eps=0.0)
    np.testing.assert_allclose(out, [0, 0, 1.224745, -1.224745], atol=1e-6)


def test_normalize_then_sum_keeps_distinct_combinations_apart() -> None:
    # GDPO's point: summing first maps (1, 0) and (0, 1) to the same advantage; decoupling does not
    rewards = np.array([[1, 0], [0, 1], [0, 0], [1, 1]], dtype=float)
    ids = [0, 0, 0, 0]
    summed = rc.grpo_advantages(rewards.sum(axis=1), ids)
    assert summed[0] == summed[1]
    weighted = rc.normalize_then_sum(rewards, ids, [2.0, 1.0])
    assert weighted[0] > weighted[1]


def test_hybrid_normalize_hand_computed() -> None:
    # success (outcome 1): steps keep 0.8, 0.6; failure (outcome 0): 0.9 - 1 = -0.1; padding -> 0
    out = rc.hybrid_normalize([[0.8, 0.6], [0.9, 0.3]], [1.0, 0.0], [[1, 1], [1, 0]])
    np.testing.assert_allclose(out, [[0.8, 0.6], [-0.1, 0.0]])
    with pytest.raises(ArrayError, match=r"`step_rewards`.*\[0, 1\]"):
        rc.hybrid_normalize([[1.5]], [1.0])


def test_running_mean_std_hand_computed() -> None:
    # 1, 2, 3, 4: mean 2.5, M2 = 2.25 + .25 + .25 + 2.25 = 5, var 5/3
    s = rc.RunningMeanStd.of([1.0, 2.0, 3.0, 4.0])
    assert (s.count, s.mean, s.m2) == (4, 2.5, 5.0)
    # merging [1, 2] (mean 1.5, M2 .5) and [3, 4] (mean 3.5, M2 .5): delta 2, M2 = .5 + .5 + 4*2*2/4 = 5
    merged = rc.RunningMeanStd.of([1.0, 2.0]) + rc.RunningMeanStd.of([3.0, 4.0])
    assert (merged.count, merged.mean, merged.m2) == (4, 2.5, 5.0)
    assert math.isclose(merged.var(), 5 / 3)
    np.testing.assert_allclose(merged.normalize([2.5, 2.5 + math.sqrt(5 / 3)], eps=0.0), [0.0, 1.0])
    assert rc.RunningMeanStd.from_dict(merged.to_dict()) == merged
    with pytest.raises(ConfigError, match="RunningMeanStd"):
        rc.RunningMeanStd(count=-1)


@FAST
@given(grouped(), st.sampled_from(["group", "batch", "none"]))
def test_group_normalize_matches_loop(data, scale) -> None:
    r, g = data
    np.testing.assert_allclose(
        rc.group_normalize(r, g, scale=scale), grpo_loop(r.tolist(), g.tolist(), scale), atol=1e-9
    )


@FAST
@given(padded(with_dones=False))
def test_masked_whiten_matches_loop_and_standardises(data) -> None:
    vals, mask, _ = data
    if not mask.any():
        assert not np.asarray(rc.masked_whiten(vals, mask)).any()
        return
    out = rc.masked_whiten(vals, mask)
    np.testing.assert_allclose(out, whiten_loop(vals.tolist(), mask.tolist()), atol=1e-7)
    sel = out[mask]
    if sel.size > 1 and vals[mask].std() > 1e-3:
        # variance of the output is var / (var + eps), not 1: eps is part of the definition
        var = vals[mask].var(ddof=1)
        assert abs(sel.mean()) < 1e-9 and abs(sel.var(ddof=1) - var / (var + 1e-8)) < 1e-9


@FAST
@given(grouped())
def test_rank_normalize_matches_loop_and_properties(data) -> None:
    r, g = data
    out = rc.rank_normalize(r, g)
    np.testing.assert_allclose(out, rank_loop(r.tolist(), g.tolist()), atol=1e-12)
    assert (np.abs(out) <= 1 + 1e-12).all()
    for gid in np.unique(g):
        sel = g == gid
        assert abs(out[sel].sum()) < 1e-9
        order = np.argsort(r[sel], kind="stable")
        assert (np.diff(out[sel][order]) >= -1e-12).all()  # order-preserving


@FAST
@given(grouped())
def test_zero_variance_groups_match_loop(data) -> None:
    r, g = data
    expected = [len({r[j] for j in range(r.size) if g[j] == g[i]}) == 1 for i in range(r.size)]
    assert rc.zero_variance_groups(r, g).tolist() == expected


@st.composite
def multi_reward(draw):
    n = draw(st.integers(2, 20))
    k = draw(st.integers(1, 3))
    vals = draw(st.lists(st.one_of(unit, st.just(float("nan"))), min_size=n * k, max_size=n * k))
    ids = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    weights = draw(st.lists(st.floats(0.1, 2), min_size=k, max_size=k))
    return np.array(vals).reshape(n, k), np.array(ids), weights


@FAST
@given(multi_reward())
def test_normalize_then_sum_matches_loop_with_missing_values(data) -> None:
    r, g, w = data
    out = rc.normalize_then_sum(r, g, w, allow_missing=True)
    np.testing.assert_allclose(out, normalize_then_sum_loop(r.tolist(), g.tolist(), w), atol=1e-7)


@FAST
@given(grouped())
def test_normalize_then_sum_of_one_reward_is_group_then_batch_zscore(data) -> None:
    r, g = data
    if r.size < 2:
        return
    one = rc.normalize_then_sum(r[:, None], g, [1.0])
    z = rc.group_normalize(r, g)
    np.testing.assert_allclose(one, (z - z.mean()) / (z.std(ddof=1) + 1e-4), atol=1e-9)


@FAST
@given(st.lists(reward, min_size=0, max_size=40), st.integers(0, 40), st.integers(0, 40))
def test_running_stats_merge_equals_one_pass(values, i, j) -> None:
    x = np.array(values)
    a, b = sorted((min(i, x.size), min(j, x.size)))
    parts = [rc.RunningMeanStd.of(p) for p in (x[:a], x[a:b], x[b:])]
    merged = functools.reduce(rc.RunningMeanStd.merge, parts)
    streamed = rc.RunningMeanStd().update(x[:a]).update(x[a:b]).update(x[b:])
    assert merged.count == streamed.count == x.size
    if x.size:
        assert math.isclose(merged.mean, x.mean(), abs_tol=1e-9)
        assert math.isclose(merged.var(ddof=0), x.var(), abs_tol=1e-7)
        assert math.isclose(streamed.var(ddof=0), x.var(), abs_tol=1e-7)


@FAST
@given(padded(values=unit, with_dones=False), st.lists(unit, min_size=5, max_size=5))
def test_hybrid_normalize_matches_loop_and_ranks_success_first(data, outcomes) -> None:
    steps, mask, _ = data
    o = np.round(np.array(outcomes[: steps.shape[0]]))  # binary outcomes
    out = rc.hybrid_normalize(steps, o, mask)
    for b in range(steps.shape[0]):
        for t in range(steps.shape[1]):
            expected = steps[b, t] + o[b] - 1 if mask[b, t] else 0.0
            assert math.isclose(out[b, t], expected, abs_tol=1e-12)
            if mask[b, t]:
                assert (out[b, t] >= 0) if o[b] == 1 else (out[b, t] <= 0)


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ArrayError, match="`weights`: got 1 weights for 2 reward columns"):
        rc.normalize_then_sum([[1.0, 2.0]], [0], [1.0])
    with pytest.raises(ArrayError, match=r"`rewards`.*non-finite"):
        rc.normalize_then_sum([[1.0, float("nan")]], [0], [1.0, 1.0])
    with pytest.raises(ArrayError, match="`mask`: expected shape"):
        rc.masked_whiten([1.0, 2.0], [1, 1, 1])
    with pytest.raises(ConfigError, match="`eps`"):
        rc.masked_whiten([1.0, 2.0], eps=-1.0)
    with pytest.raises(ConfigError, match="`mean_range`"):
        rc.dynamic_sampling_mask([1.0], [0], mean_range=(1.0, 0.0))


@FAST
@given(grouped(), st.floats(-5, 5), st.floats(0, 5))
def test_clip_rewards_matches_loop(data, low, width) -> None:
    r, _ = data
    np.testing.assert_allclose(
        rc.clip_rewards(r, low, low + width), [min(max(x, low), low + width) for x in r]
    )


@FAST
@given(grouped(), st.booleans())
def test_dynamic_sampling_mask_matches_loop(data, use_range) -> None:
    r, g = data
    keep = rc.dynamic_sampling_mask(r, g, mean_range=(-1.0, 1.0) if use_range else None)
    for i in range(r.size):
        members = [r[j] for j in range(r.size) if g[j] == g[i]]
        expected = len(set(members)) > 1 and (not use_range or -1.0 < sum(members) / len(members) < 1.0)
        assert bool(keep[i]) == expected


@FAST
@given(st.lists(reward, min_size=1, max_size=30))
def test_running_stats_match_an_elementwise_welford_loop(values) -> None:
    count, mean, m2 = 0, 0.0, 0.0
    for x in values:  # Welford's one-value update
        count += 1
        delta = x - mean
        mean += delta / count
        m2 += delta * (x - mean)
    s = rc.RunningMeanStd()
    for x in values:
        s = s.update([x])
    assert s.count == count
    assert math.isclose(s.mean, mean, abs_tol=1e-9) and math.isclose(s.m2, m2, rel_tol=1e-9, abs_tol=1e-7)


@FAST
@given(multi_reward())
def test_normalize_then_sum_with_eps_zero_stays_finite(data) -> None:
    r, g, w = data
    assert np.isfinite(rc.normalize_then_sum(r, g, w, eps=0.0, allow_missing=True)).all()
