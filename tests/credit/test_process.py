"""Implicit process rewards (PRIME) and process + outcome advantage mixing."""

from __future__ import annotations

import numpy as np
import pytest
from _loops import implicit_loop, process_outcome_loop, rloo_loop
from _strategies import FAST, prefix_padded, reward
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_implicit_process_rewards_hand_computed() -> None:
    # beta 0.1; step 0 = tokens 0, 1: 0.1 * ((-1 + 1.5) + (-2 + 2)) = 0.05; step 1 = token 2:
    # 0.1 * (-3 + 2) = -0.1; token 3 (-1) belongs to no step
    r, m = rc.implicit_process_rewards(
        [-1.0, -2.0, -3.0, 0.0], [-1.5, -2.0, -2.0, 0.0], [0, 0, 1, -1], beta=0.1
    )
    np.testing.assert_allclose(r, [0.05, -0.1])
    assert m.tolist() == [True, True]
    # a batch whose second row has only one step: its step 1 is padding (reward 0, mask False)
    r, m = rc.implicit_process_rewards(
        [[-1.0, -2.0, -3.0], [-1.0, -1.0, 0.0]],
        [[-1.5, -2.0, -2.0], [-2.0, -2.0, 0.0]],
        [[0, 0, 1], [0, 0, -1]],
        beta=0.1,
    )
    np.testing.assert_allclose(r, [[0.05, -0.1], [0.2, 0.0]])
    assert m.tolist() == [[True, True], [True, False]]


def test_expand_to_tokens() -> None:
    out = rc.expand_to_tokens([[0.5, -1.0]], [[0, 0, 1, -1]])
    np.testing.assert_allclose(out, [[0.5, 0.5, -1.0, 0.0]])
    with pytest.raises(ArrayError, match="`step_ids`: refers to a step >= 2"):
        rc.expand_to_tokens([[0.5, -1.0]], [[0, 2]])


def test_process_outcome_advantages_hand_computed() -> None:
    # two rollouts of one prompt: steps [0.5, 0.6] (mean .55, outcome 1) and [0.2] (mean .2, outcome 0)
    steps, mask, outcome, ids = [[0.5, 0.6], [0.2, 0.0]], [[1, 1], [1, 0]], [1.0, 0.0], [7, 7]
    # rloo: b0 = 0.2 (the other's mean), row 0 centred [.3, .4] -> reward-to-go [.7, .4];
    # outcome RLOO O0 = 1 - 0 = 1 -> [1.7, 1.4]. Row 1: b1 = .55, [.2 - .55] = -.35, O1 = -1 -> -1.35
    out = rc.process_outcome_advantages(steps, mask, outcome, ids, process_weight=1.0, outcome_weight=1.0)
    np.testing.assert_allclose(out, [[1.7, 1.4], [-1.35, 0.0]])
    # mean baseline: b = (.55 + .2)/2 = .375 -> [.125, .225] -> to-go [.35, .225], O0 = 1 - .5 = .5
    out = rc.process_outcome_advantages(
        steps, mask, outcome, ids, process_weight=1, outcome_weight=1, baseline="mean"
    )
    np.testing.assert_allclose(out, [[0.85, 0.725], [-0.675, 0.0]])
    # no baseline, weights 0.5 / 2: row 0 to-go [1.1, .6] * .5 + 2 * 1 = [2.55, 2.3]; row 1: .1 + 0
    out = rc.process_outcome_advantages(
        steps, mask, outcome, ids, process_weight=0.5, outcome_weight=2, baseline="none"
    )
    np.testing.assert_allclose(out, [[2.55, 2.3], [0.1, 0.0]])


@FAST
@given(
    prefix_padded(),
    st.floats(0, 1),
    st.floats(-2, 2),
    st.floats(-2, 2),
    st.lists(reward, min_size=6, max_size=6),
)
def test_process_outcome_matches_loop(data, gamma, wp, wo, outcomes) -> None:
    steps, mask, ids = data
    o = np.array(outcomes[: steps.shape[0]])
    out = rc.process_outcome_advantages(
        steps, mask, o, ids, process_weight=wp, outcome_weight=wo, gamma=gamma
    )
    expected = process_outcome_loop(steps.tolist(), mask.tolist(), o.tolist(), ids.tolist(), wp, wo, gamma)
    np.testing.assert_allclose(out, expected, atol=1e-8)


@FAST
@given(prefix_padded(), st.lists(reward, min_size=6, max_size=6))
def test_outcome_only_mixing_is_rloo_broadcast(data, outcomes) -> None:
    steps, mask, ids = data
    o = np.array(outcomes[: steps.shape[0]])
    out = rc.process_outcome_advantages(steps, mask, o, ids, process_weight=0.0, outcome_weight=1.0)
    rloo = np.array(rloo_loop(o.tolist(), ids.tolist()))
    np.testing.assert_allclose(out, np.where(mask, rloo[:, None], 0.0), atol=1e-9)


@st.composite
def token_batches(draw):
    b, length = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    lp = np.array(draw(st.lists(st.floats(-20, 0), min_size=b * length, max_size=b * length))).reshape(
        b, length
    )
    ref = np.array(draw(st.lists(st.floats(-20, 0), min_size=b * length, max_size=b * length))).reshape(
        b, length
    )
    ids = np.array(draw(st.lists(st.integers(-1, 3), min_size=b * length, max_size=b * length))).reshape(
        b, length
    )
    ids[0, 0] = 0  # at least one step
    return lp, ref, ids


@FAST
@given(token_batches(), st.floats(0.01, 1))
def test_implicit_process_rewards_match_loop(data, beta) -> None:
    lp, ref, ids = data
    r, m = rc.implicit_process_rewards(lp, ref, ids, beta=beta)
    np.testing.assert_allclose(r, implicit_loop(lp.tolist(), ref.tolist(), ids.tolist(), beta), atol=1e-9)
    for b in range(ids.shape[0]):
        assert m[b].tolist() == [k in set(ids[b].tolist()) for k in range(r.shape[1])]
    # summed over steps, the implicit reward is beta * the sequence log-ratio of the tokens in steps
    np.testing.assert_allclose(r.sum(axis=1), beta * np.where(ids >= 0, lp - ref, 0).sum(axis=1), atol=1e-9)


def test_a_group_of_one_gets_zero_and_bad_input() -> None:
    out = rc.process_outcome_advantages([[0.5]], None, [1.0], [0], process_weight=1.0, outcome_weight=1.0)
    assert out.tolist() == [[0.0]]
    with pytest.raises(ArrayError, match="`step_mask`: every trajectory needs at least one step"):
        rc.process_outcome_advantages(
            [[0.5], [0.1]], [[1], [0]], [1.0, 0.0], [0, 0], process_weight=1, outcome_weight=1
        )
    with pytest.raises(ConfigError, match="`baseline` must be one of"):
        rc.process_outcome_advantages(
            [[0.5]], None, [1.0], [0], process_weight=1, outcome_weight=1, baseline="x"
        )
    with pytest.raises(ConfigError, match="`process_weight`"):
        rc.process_outcome_advantages(
            [[0.5]], None, [1.0], [0], process_weight=float("inf"), outcome_weight=1
        )
    with pytest.raises(ArrayError, match=r"`outcome_rewards`: expected one outcome per row \(2\)"):
        rc.process_outcome_advantages([[0.5], [0.1]], None, [1.0], [0, 0], process_weight=1, outcome_weight=1)
    with pytest.raises(ArrayError, match="`step_ids`"):
        rc.implicit_process_rewards([-1.0], [-1.0], [0.5], beta=0.1)
    with pytest.raises(ArrayError, match=r"`ref_logprobs`.*does not match"):
        rc.implicit_process_rewards([-1.0, -2.0], [-1.0], [0, 0], beta=0.1)


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 8), st.integers(0, 1000))
def test_expand_to_tokens_matches_loop(b, s, length, seed) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(b, s))
    ids = rng.integers(-1, s, size=(b, length))
    out = rc.expand_to_tokens(values, ids)
    for i in range(b):
        for t in range(length):
            assert out[i, t] == (values[i, ids[i, t]] if ids[i, t] >= 0 else 0.0)
