"""GAE and discounted returns: hand-computed values, a forward-sum loop, properties, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from _loops import gae_loop, returns_loop
from _strategies import FAST, padded, reward
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_gae_hand_computed() -> None:
    # gamma 0.9, lam 0.8 (gamma*lam = 0.72), the row ends its episode (bootstrap 0):
    # d2 = 1 + 0 - 0.7 = 0.3; d1 = 0 + 0.9*0.7 - 0.6 = 0.03; d0 = 0 + 0.9*0.6 - 0.5 = 0.04
    # A2 = 0.3; A1 = 0.03 + 0.72*0.3 = 0.246; A0 = 0.04 + 0.72*0.246 = 0.21712; returns = A + V
    adv, ret = rc.gae([0.0, 0.0, 1.0], [0.5, 0.6, 0.7], None, gamma=0.9, lam=0.8)
    np.testing.assert_allclose(adv, [0.21712, 0.246, 0.3])
    np.testing.assert_allclose(ret, [0.71712, 0.846, 1.0])


def test_gae_dones_split_episodes() -> None:
    # dones[0]: step 0 is terminal, d0 = 1 - 0.5 = 0.5; then a new episode of 2 steps:
    # d2 = 2 - 0.5 = 1.5, d1 = 0 + 0.5 - 0.5 = 0, A1 = 0 + 1.5 = 1.5 (gamma = lam = 1)
    adv, _ = rc.gae([1.0, 0.0, 2.0], [0.5, 0.5, 0.5], [True, False, False], gamma=1.0, lam=1.0)
    np.testing.assert_allclose(adv, [0.5, 1.5, 1.5])


def test_gae_skips_masked_observation_tokens() -> None:
    # column 1 is a tool observation: its reward 9 and value 99 are ignored and it gets 0.
    # d2 = 1 - 0.4 = 0.6; d0 = 0 + V(s2) - 0.2 = 0.2; A0 = 0.2 + 0.6 = 0.8
    adv, ret = rc.gae([0.0, 9.0, 1.0], [0.2, 99.0, 0.4], None, gamma=1.0, lam=1.0, mask=[1, 0, 1])
    np.testing.assert_allclose(adv, [0.8, 0.0, 0.6])
    np.testing.assert_allclose(ret, [1.0, 0.0, 1.0])


def test_gae_bootstrap_for_a_truncated_row() -> None:
    # gamma 0.5, V(s_T) = 2: d1 = 0 + 0.5*2 - 1 = 0; d0 = 0 + 0.5*1 - 1 = -0.5; A0 = -0.5 + 0.5*0
    adv, _ = rc.gae([[0.0, 0.0]], [[1.0, 1.0]], None, gamma=0.5, lam=1.0, bootstrap=[2.0])
    np.testing.assert_allclose(adv, [[-0.5, 0.0]])


def test_discounted_returns_hand_computed() -> None:
    # gamma 0.5: G2 = 3; G1 = 2 + 0.5*3 = 3.5; G0 = 1 + 0.5*3.5 = 2.75
    np.testing.assert_allclose(rc.discounted_returns([1.0, 2.0, 3.0], gamma=0.5), [2.75, 3.5, 3.0])
    # a done after step 1 cuts the sum: G1 = 2, G0 = 1 + 0.5*2 = 2, G2 = 3 (next episode)
    out = rc.discounted_returns([1.0, 2.0, 3.0], [False, True, False], gamma=0.5)
    np.testing.assert_allclose(out, [2.0, 2.0, 3.0])


@FAST
@given(padded(), st.floats(0, 1), st.floats(0, 1), st.lists(reward, min_size=5, max_size=5))
def test_gae_matches_forward_sum_loop(data, gamma, lam, boot) -> None:
    rewards, mask, dones = data
    values = np.cos(np.arange(rewards.size)).reshape(rewards.shape)
    b = np.array(boot[: rewards.shape[0]])
    adv, ret = rc.gae(rewards, values, dones, gamma=gamma, lam=lam, mask=mask, bootstrap=b)
    expected = gae_loop(
        rewards.tolist(), values.tolist(), dones.tolist(), mask.tolist(), b.tolist(), gamma, lam
    )
    np.testing.assert_allclose(adv, expected, atol=1e-8)
    np.testing.assert_allclose(ret, np.where(mask, np.asarray(expected) + values, 0.0), atol=1e-8)


@FAST
@given(padded(), st.floats(0, 1))
def test_discounted_returns_match_loop(data, gamma) -> None:
    rewards, mask, dones = data
    out = rc.discounted_returns(rewards, dones, gamma=gamma, mask=mask)
    np.testing.assert_allclose(
        out, returns_loop(rewards.tolist(), dones.tolist(), mask.tolist(), gamma), atol=1e-8
    )


@FAST
@given(padded(), st.floats(0, 1))
def test_gae_limits_lambda_one_and_zero(data, gamma) -> None:
    rewards, mask, dones = data
    values = np.sin(np.arange(rewards.size)).reshape(rewards.shape)
    # lam = 1: Monte-Carlo return minus the value
    adv1, _ = rc.gae(rewards, values, dones, gamma=gamma, lam=1.0, mask=mask)
    mc = rc.discounted_returns(rewards, dones, gamma=gamma, mask=mask)
    np.testing.assert_allclose(adv1, np.where(mask, mc - values, 0.0), atol=1e-8)
    # lam = 0: the one-step TD error, never more than one step deep
    adv0, _ = rc.gae(rewards, values, dones, gamma=gamma, lam=0.0, mask=mask)
    expected = gae_loop(
        rewards.tolist(), values.tolist(), dones.tolist(), mask.tolist(), [0.0] * len(rewards), gamma, 0.0
    )
    np.testing.assert_allclose(adv0, expected, atol=1e-8)


@FAST
@given(padded(with_dones=False))
def test_gae_is_not_whitened(data) -> None:
    # normalisation is a separate explicit step: gae returns raw advantages, masked_whiten is opt-in
    rewards, mask, _ = data
    adv, _ = rc.gae(rewards, np.zeros_like(rewards), None, gamma=1.0, lam=1.0, mask=mask)
    np.testing.assert_allclose(adv, rc.discounted_returns(rewards, gamma=1.0, mask=mask))


def test_one_row_and_a_batch_agree() -> None:
    r, v = [0.0, 1.0, 0.5], [0.1, 0.2, 0.3]
    a1, _ = rc.gae(r, v, None, gamma=0.9, lam=0.9)
    a2, _ = rc.gae([r, r], [v, v], None, gamma=0.9, lam=0.9)
    np.testing.assert_allclose(a2, [a1, a1])


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match=r"`gamma` must be a number in \[0, 1\], got 1.5"):
        rc.gae([1.0], [0.0], None, gamma=1.5, lam=1.0)
    with pytest.raises(ConfigError, match="`lam`"):
        rc.gae([1.0], [0.0], None, gamma=1.0, lam=-0.1)
    with pytest.raises(ArrayError, match=r"`values`.*does not match `rewards`"):
        rc.gae([1.0, 2.0], [0.0], None, gamma=1.0, lam=1.0)
    with pytest.raises(ArrayError, match="`dones`"):
        rc.gae([1.0, 2.0], [0.0, 0.0], [True], gamma=1.0, lam=1.0)
    with pytest.raises(ArrayError, match=r"`mask`.*0/1"):
        rc.discounted_returns([1.0, 2.0], gamma=1.0, mask=[0.5, 1.0])
    with pytest.raises(ArrayError, match=r"`bootstrap`.*one value per row"):
        rc.gae([[1.0], [2.0]], [[0.0], [0.0]], None, gamma=1.0, lam=1.0, bootstrap=[1.0, 2.0, 3.0])
    with pytest.raises(ArrayError, match=r"`values`.*non-finite"):
        rc.gae([1.0], [float("nan")], None, gamma=1.0, lam=1.0)
