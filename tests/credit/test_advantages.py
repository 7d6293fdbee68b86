"""GRPO, Dr. GRPO, RLOO, ReMax, REINFORCE++: hand-computed values, naive loops, properties, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _loops import grpo_loop, returns_loop, rloo_loop, whiten_loop
from _strategies import FAST, grouped, padded
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError

# Group "a": rewards 1, 0, 0, 1 -> mean 0.5, deviations +-0.5, unbiased var = 4 * 0.25 / 3 = 1/3,
# std = 1/sqrt(3) = 0.57735. Group "b": a single rollout with reward 2.
REWARDS = [1.0, 0.0, 0.0, 1.0, 2.0]
GROUPS = ["a", "a", "a", "a", "b"]


def test_grpo_hand_computed() -> None:
    # group scale, eps=0: +-0.5 / (1/sqrt(3)) = +-sqrt(3)/2 = +-0.866025; the group of one gets 0
    h = math.sqrt(3) / 2
    np.testing.assert_allclose(rc.grpo_advantages(REWARDS, GROUPS, eps=0.0), [h, -h, -h, h, 0.0])
    # default eps=1e-4 (TRL): 0.5 / (0.5773503 + 0.0001) = 0.8658758
    np.testing.assert_allclose(rc.grpo_advantages(REWARDS, GROUPS)[:2], [0.8658758, -0.8658758], rtol=1e-6)


def test_dr_grpo_is_mean_centring_only() -> None:
    # scale="none": r - group mean = +-0.5, no division (Dr. GRPO)
    np.testing.assert_allclose(rc.grpo_advantages(REWARDS, GROUPS, scale="none"), [0.5, -0.5, -0.5, 0.5, 0.0])


def test_grpo_batch_scale_hand_computed() -> None:
    # batch mean 0.8; squared deviations .04 .64 .64 .04 1.44 sum 2.8; var 2.8/4 = 0.7; std 0.836660
    # group "a": +-0.5 / 0.836660 = +-0.597614 (eps 0); the group of one still gets 0
    out = rc.grpo_advantages(REWARDS, GROUPS, scale="batch", eps=0.0)
    np.testing.assert_allclose(out, [0.597614, -0.597614, -0.597614, 0.597614, 0.0], rtol=1e-6)


def test_rloo_hand_computed() -> None:
    # A_0 = 1 - (0 + 0 + 1)/3 = 2/3, A_1 = 0 - (1 + 0 + 1)/3 = -2/3; group of one -> 0
    np.testing.assert_allclose(rc.rloo_advantages(REWARDS, GROUPS), [2 / 3, -2 / 3, -2 / 3, 2 / 3, 0.0])


def test_remax_hand_computed() -> None:
    # outcome form: r - greedy = [1 - 0.5, 0 - 0.5]
    np.testing.assert_allclose(rc.remax_advantages([1.0, 0.0], [0.5, 0.5]), [0.5, -0.5])
    # token form: reward-to-go [1, 1, 1] - 0.5 and [0.2, 0.2, pad] - 0.1
    tok = [[0.0, 0.0, 1.0], [0.0, 0.2, 0.0]]
    mask = [[1, 1, 1], [1, 1, 0]]
    np.testing.assert_allclose(
        rc.remax_advantages(tok, [0.5, 0.1], mask=mask), [[0.5, 0.5, 0.5], [0.1, 0.1, 0.0]]
    )


def test_reinforce_pp_hand_computed() -> None:
    # gamma 0.5: returns row0 [0.25, 0.5, 1], row1 [0.5, 1, pad]; real values mean 3.25/5 = 0.65,
    # squared deviations .16 .0225 .1225 .0225 .1225 = 0.45, var 0.45/4 = 0.1125, std 0.335410
    adv, ret = rc.reinforce_pp_advantages([[0, 0, 1.0], [0, 1.0, 0]], [[1, 1, 1], [1, 1, 0]], gamma=0.5)
    np.testing.assert_allclose(ret, [[0.25, 0.5, 1.0], [0.5, 1.0, 0.0]])
    s = math.sqrt(0.1125)
    expected = [[-0.4 / s, -0.15 / s, 0.35 / s], [-0.15 / s, 0.35 / s, 0.0]]
    np.testing.assert_allclose(adv, expected, rtol=1e-6)


def test_reinforce_pp_baseline_hand_computed() -> None:
    # centred by group mean: [0.5, -0.5, 0, 0]; batch mean 0, var (0.25 + 0.25)/3 = 1/6, std 0.408248
    out = rc.reinforce_pp_baseline_advantages([1.0, 0.0, 1.0, 1.0], [0, 0, 1, 1])
    np.testing.assert_allclose(out, [1.224745, -1.224745, 0.0, 0.0], rtol=1e-6)


@FAST
@given(grouped(), st.sampled_from(["group", "batch", "none"]))
def test_grpo_matches_loop(data, scale) -> None:
    r, g = data
    np.testing.assert_allclose(
        rc.grpo_advantages(r, g, scale=scale), grpo_loop(r.tolist(), g.tolist(), scale), atol=1e-9
    )


@FAST
@given(grouped())
def test_rloo_equals_the_loop_definition(data) -> None:
    r, g = data
    np.testing.assert_allclose(rc.rloo_advantages(r, g), rloo_loop(r.tolist(), g.tolist()), atol=1e-9)


@FAST
@given(grouped(), st.sampled_from(["group", "batch", "none"]))
def test_grpo_advantages_sum_to_zero_per_group(data, scale) -> None:
    r, g = data
    adv = rc.grpo_advantages(r, g, scale=scale)
    for gid in np.unique(g):
        assert abs(adv[g == gid].sum()) < 1e-9 * max(1.0, np.abs(adv).max())


@FAST
@given(grouped())
def test_rloo_sums_to_zero_and_rescales_dr_grpo(data) -> None:
    r, g = data
    adv, dr = rc.rloo_advantages(r, g), rc.grpo_advantages(r, g, scale="none")
    for gid in np.unique(g):
        sel = g == gid
        n = sel.sum()
        assert abs(adv[sel].sum()) < 1e-8
        if n > 1:  # RLOO = n/(n-1) * (r - mean)
            np.testing.assert_allclose(adv[sel], dr[sel] * n / (n - 1), atol=1e-9)


@FAST
@given(grouped(), st.floats(-100, 100, allow_nan=False))
def test_grpo_is_shift_invariant_and_permutation_equivariant(data, shift) -> None:
    r, g = data
    base = rc.grpo_advantages(r, g, scale="none")
    np.testing.assert_allclose(rc.grpo_advantages(r + shift, g, scale="none"), base, atol=1e-6)
    perm = np.random.default_rng(0).permutation(r.size)
    np.testing.assert_allclose(rc.grpo_advantages(r[perm], g[perm], scale="none"), base[perm], atol=1e-12)


@FAST
@given(padded(with_dones=False), st.floats(0, 1))
def test_reinforce_pp_matches_loop(data, gamma) -> None:
    vals, mask, _ = data
    if not mask.any():
        return
    adv, ret = rc.reinforce_pp_advantages(vals, mask, gamma=gamma)
    loop_ret = returns_loop(vals.tolist(), np.zeros_like(mask).tolist(), mask.tolist(), gamma)
    np.testing.assert_allclose(ret, loop_ret, atol=1e-8)
    np.testing.assert_allclose(adv, whiten_loop(loop_ret, mask.tolist()), atol=1e-6)


@FAST
@given(grouped())
def test_reinforce_pp_baseline_matches_loop(data) -> None:
    r, g = data
    centred = grpo_loop(r.tolist(), g.tolist(), "none")
    expected = whiten_loop([centred], [[True] * r.size])[0]
    np.testing.assert_allclose(rc.reinforce_pp_baseline_advantages(r, g), expected, atol=1e-6)


@FAST
@given(grouped())
def test_remax_matches_loop(data) -> None:
    r, g = data
    b = g.astype(float) / 4
    np.testing.assert_allclose(rc.remax_advantages(r, b), [x - y for x, y in zip(r, b, strict=True)])


@pytest.mark.parametrize("fn", [rc.grpo_advantages, rc.rloo_advantages])
def test_a_group_of_one_gets_zero_and_a_constant_group_exact_zero(fn) -> None:
    assert fn([3.0], [7]).tolist() == [0.0]
    # 0.1 * 3 is not exactly representable: float noise must not leak into the advantages
    assert fn([0.1, 0.1, 0.1, 1.0, 0.0], [0, 0, 0, 1, 1])[:3].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_rewards_raise_and_name_the_argument(bad) -> None:
    with pytest.raises(ArrayError, match=r"`rewards`.*index 1") as info:
        rc.grpo_advantages([0.0, bad, 1.0], [0, 0, 0])
    assert info.value.index == 1
    with pytest.raises(ArrayError, match="`rewards`"):
        rc.rloo_advantages([0.0, bad], [0, 0])


def test_mismatched_lengths_and_bad_options() -> None:
    with pytest.raises(ArrayError, match=r"`group_ids`.*shape \(3,\)"):
        rc.grpo_advantages([1.0, 2.0, 3.0], [0, 0])
    with pytest.raises(ArrayError, match="`greedy_rewards`"):
        rc.remax_advantages([1.0, 2.0], [0.0])
    with pytest.raises(ConfigError, match="`scale` must be one of"):
        rc.grpo_advantages([1.0], [0], scale="std")
    with pytest.raises(ArrayError, match=r"`group_ids`.*finite"):
        rc.rloo_advantages([1.0, 2.0], [0.0, float("nan")])
    with pytest.raises(ArrayError, match=r"`rewards`.*1-D"):
        rc.grpo_advantages([[1.0, 2.0]], [0])


def test_empty_input_gives_empty_output() -> None:
    for fn in (rc.grpo_advantages, rc.rloo_advantages):
        assert fn([], []).shape == (0,)


def test_string_ids_and_non_contiguous_groups() -> None:
    out = rc.rloo_advantages([1.0, 5.0, 0.0, 5.0], ["p1", "p2", "p1", "p2"])
    np.testing.assert_allclose(out, [1.0, 0.0, -1.0, 0.0])


def test_inputs_are_never_modified() -> None:
    r = np.array(REWARDS)
    before = r.copy()
    rc.grpo_advantages(r, GROUPS)
    rc.rloo_advantages(r, GROUPS)
    rc.reinforce_pp_baseline_advantages(r, GROUPS)
    np.testing.assert_array_equal(r, before)


@FAST
@given(grouped(), st.sampled_from(["group", "batch", "none"]))
def test_eps_zero_never_divides_by_zero(data, scale) -> None:
    # pytest turns RuntimeWarnings into errors: a 0/0 here would fail the test
    r, g = data
    assert np.isfinite(rc.grpo_advantages(r, g, scale=scale, eps=0.0)).all()
    assert np.isfinite(rc.masked_whiten(r, eps=0.0)).all()
    assert np.isfinite(rc.reinforce_pp_baseline_advantages(r, g, eps=0.0)).all()
