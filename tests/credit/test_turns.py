"""Turn-level credit: information gain (IGPO) and the A2TGPO normalisation/accumulation variants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _loops import turn_advantages_loop
from _strategies import FAST, prefix_padded, unit
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_answer_probability_is_the_geometric_mean() -> None:
    # exp((ln .5 + ln .125)/2) = sqrt(.5 * .125) = .25
    assert rc.answer_probability([math.log(0.5), math.log(0.125)]) == pytest.approx(0.25)
    out = rc.answer_probability([[math.log(0.5), math.log(0.125)], [math.log(0.2), 0.0]], [[1, 1], [1, 0]])
    np.testing.assert_allclose(out, [0.25, 0.2])


def test_information_gain_hand_computed() -> None:
    # p before any turn .1, after turns 1..3: .4, .3, .9 -> gains .3, -.1, .6 (they sum to .9 - .1)
    np.testing.assert_allclose(rc.information_gain([0.1, 0.4, 0.3, 0.9]), [0.3, -0.1, 0.6])


def test_turn_information_gain_calls_the_model_once_per_prefix() -> None:
    calls = []
    probs = {0: 0.1, 1: 0.4, 2: 0.9}

    def answer_logprobs_given(k: int) -> list[float]:
        calls.append(k)
        return [math.log(probs[k])] * 3  # a 3-token answer, each token at probability probs[k]

    np.testing.assert_allclose(rc.turn_information_gain(answer_logprobs_given, 2), [0.3, 0.5])
    assert calls == [0, 1, 2]
    with pytest.raises(ArrayError, match="`answer_logprobs_given`: returned bad log-probs for k=0"):
        rc.turn_information_gain(lambda k: [0.5], 1)


def test_igpo_turn_rewards_put_the_outcome_on_the_last_turn() -> None:
    ig = [[0.3, -0.1, 0.6], [0.2, 0.5, 0.0]]
    out = rc.igpo_turn_rewards(ig, [1.0, 0.0], [[1, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(out, [[0.3, -0.1, 1.0], [0.2, 0.0, 0.0]])


TURNS = [[0.1, 0.2, 1.0], [0.3, 0.0, 0.0]]
TURN_MASK = [[1, 1, 1], [1, 0, 0]]


def test_turn_advantages_joint_hand_computed() -> None:
    # pooled turn rewards of the prompt: .1 .2 1 .3 -> mean .4, population var (.09+.04+.36+.01)/4 = .125,
    # std .353553 -> z = -.848528, -.565685, 1.697056 | -.282843 (eps 0)
    # discounted (gamma 1) sums from the end: row 0 [.282843, 1.131371, 1.697056], row 1 [-.282843]
    out = rc.turn_advantages(TURNS, TURN_MASK, [0, 0], eps=0.0)
    np.testing.assert_allclose(out, [[0.282843, 1.131371, 1.697056], [-0.282843, 0, 0]], atol=1e-6)
    # A2TGPO's sqrt rescaling: divide by sqrt(number of summed turns) = sqrt(3), sqrt(2), 1
    out = rc.turn_advantages(TURNS, TURN_MASK, [0, 0], eps=0.0, accumulate="sqrt")
    np.testing.assert_allclose(out, [[0.163299, 0.8, 1.697056], [-0.282843, 0, 0]], atol=1e-6)


def test_turn_advantages_per_turn_index_hand_computed() -> None:
    # (prompt, turn 0) holds .1 and .3: mean .2, population std .1 -> -1, +1; turns 1 and 2 are
    # groups of one -> 0. Accumulated: row 0 [-1 + 0 + 0, 0, 0], row 1 [1]
    out = rc.turn_advantages(TURNS, TURN_MASK, [0, 0], norm="turn", eps=0.0)
    np.testing.assert_allclose(out, [[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], atol=1e-12)


@FAST
@given(
    prefix_padded(),
    st.floats(0, 1),
    st.sampled_from(["joint", "turn"]),
    st.sampled_from(["discounted", "sqrt"]),
)
def test_turn_advantages_match_loop(data, gamma, norm, accumulate) -> None:
    rewards, mask, ids = data
    out = rc.turn_advantages(rewards, mask, ids, gamma=gamma, norm=norm, accumulate=accumulate)
    expected = turn_advantages_loop(rewards.tolist(), mask.tolist(), ids.tolist(), gamma, norm, accumulate)
    np.testing.assert_allclose(out, expected, atol=1e-7)


@FAST
@given(prefix_padded(values=unit))
def test_gamma_zero_gives_the_normalised_rewards_and_joint_z_scores_sum_to_zero(data) -> None:
    rewards, mask, ids = data
    z = rc.turn_advantages(rewards, mask, ids, gamma=0.0)
    for gid in np.unique(ids):
        assert abs(z[ids == gid][mask[ids == gid]].sum()) < 1e-6


@FAST
@given(st.lists(unit, min_size=2, max_size=10))
def test_information_gains_telescope(p) -> None:
    assert rc.information_gain(p).sum() == pytest.approx(p[-1] - p[0], abs=1e-12)


def test_bad_input() -> None:
    with pytest.raises(ArrayError, match="`answer_logprobs`: log-probabilities must be <= 0"):
        rc.answer_probability([0.5])
    with pytest.raises(ArrayError, match=r"`probabilities`: must lie in \[0, 1\]"):
        rc.information_gain([0.1, 1.5])
    with pytest.raises(ArrayError, match="`turn_mask`: real turns must come first"):
        rc.turn_advantages([[1.0, 2.0]], [[0, 1]], [0])
    with pytest.raises(ArrayError, match="`turn_mask`: every rollout needs at least one turn"):
        rc.igpo_turn_rewards([[1.0]], [1.0], [[0]])
    with pytest.raises(ConfigError, match="`norm` must be one of"):
        rc.turn_advantages([[1.0]], None, [0], norm="prompt")
    with pytest.raises(ConfigError, match="`accumulate` must be one of"):
        rc.turn_advantages([[1.0]], None, [0], accumulate="mean")


@FAST
@given(st.lists(st.floats(-5, 0), min_size=1, max_size=10), st.lists(unit, min_size=2, max_size=8))
def test_answer_probability_and_gain_match_loops(logprobs, probs) -> None:
    assert rc.answer_probability(logprobs) == pytest.approx(math.exp(sum(logprobs) / len(logprobs)))
    np.testing.assert_allclose(
        rc.information_gain(probs), [probs[t] - probs[t - 1] for t in range(1, len(probs))]
    )


@FAST
@given(prefix_padded(), st.lists(unit, min_size=6, max_size=6))
def test_igpo_turn_rewards_match_loop(data, outcomes) -> None:
    ig, mask, _ = data
    o = outcomes[: ig.shape[0]]
    out = rc.igpo_turn_rewards(ig, o, mask)
    for b in range(ig.shape[0]):
        n = int(mask[b].sum())
        expected = [ig[b, t] for t in range(n - 1)] + [o[b]] + [0.0] * (ig.shape[1] - n)
        np.testing.assert_allclose(out[b], expected)
