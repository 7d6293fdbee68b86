"""PRM Clip and Delta (arXiv 2410.15115), min-form credit, potential-based shaping."""

from __future__ import annotations

import numpy as np
import pytest
from _loops import clip_loop, delta_loop, min_form_loop
from _strategies import FAST, unit
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError

steps = st.lists(unit, min_size=1, max_size=12)


def test_clip_hand_computed() -> None:
    # eta 0.5: min(0.9 - 0.5, 0) = 0, min(0.2 - 0.5, 0) = -0.3, min(0.7 - 0.5, 0) = 0
    np.testing.assert_allclose(rc.clip_shaping([0.9, 0.2, 0.7], 0.5), [0.0, -0.3, 0.0])


def test_delta_hand_computed() -> None:
    # 0.9 - 0.2 = 0.7, 0.2 - 0.7 = -0.5, last step keeps 0.7; the sum 0.9 is the first step's score
    out = rc.delta_shaping([0.9, 0.2, 0.7])
    np.testing.assert_allclose(out, [0.7, -0.5, 0.7])
    assert out.sum() == pytest.approx(0.9)
    # reward-to-go of step k is the PRM score of step k: [0.9, 0.2, 0.7]
    np.testing.assert_allclose(rc.discounted_returns(out, gamma=1.0), [0.9, 0.2, 0.7])


def test_delta_over_many_trajectories_uses_offsets() -> None:
    # trajectories [0.9, 0.2] and [0.5]: 0.9 - 0.2 = 0.7, 0.2 (last), 0.5 (last)
    np.testing.assert_allclose(rc.delta_shaping([0.9, 0.2, 0.5], offsets=[0, 2, 3]), [0.7, 0.2, 0.5])
    np.testing.assert_allclose(rc.delta_shaping([0.9, 0.5], offsets=[0, 0, 1, 2]), [0.9, 0.5])  # empty first


def test_min_aggregate_and_min_form_hand_computed() -> None:
    assert rc.min_aggregate([0.9, 0.2, 0.7]) == 0.2
    np.testing.assert_allclose(rc.min_aggregate([0.9, 0.2, 0.7, 0.1, 0.8], offsets=[0, 3, 5]), [0.2, 0.1])
    # suffix minima: min(.9,.2,.7) = .2, min(.2,.7) = .2, .7 | min(.1,.8) = .1, .8
    out = rc.min_form_returns([0.9, 0.2, 0.7, 0.1, 0.8], offsets=[0, 3, 5])
    np.testing.assert_allclose(out, [0.2, 0.2, 0.7, 0.1, 0.8])


def test_potential_shaping_hand_computed() -> None:
    # gamma 0.5, Phi = [1, 2, 4]: r0 + .5*2 - 1 = 0 + 0 = 0; r1 + .5*4 - 2 = 1 + 0 = 1
    np.testing.assert_allclose(rc.potential_shaping([0.0, 1.0], [1.0, 2.0, 4.0], gamma=0.5), [0.0, 1.0])
    # a done at step 1: the terminal state's potential counts as 0 -> 1 + 0 - 2 = -1
    out = rc.potential_shaping([0.0, 1.0], [1.0, 2.0, 4.0], gamma=0.5, dones=[False, True])
    np.testing.assert_allclose(out, [0.0, -1.0])


@FAST
@given(steps, st.floats(0, 1))
def test_clip_and_delta_match_loops(s, eta) -> None:
    np.testing.assert_allclose(rc.clip_shaping(s, eta), clip_loop(s, eta))
    np.testing.assert_allclose(rc.delta_shaping(s), delta_loop(s))
    np.testing.assert_allclose(rc.min_form_returns(s), min_form_loop(s))


@FAST
@given(st.lists(steps, min_size=1, max_size=6))
def test_batched_delta_and_min_form_match_per_trajectory_loops(trajectories) -> None:
    flat = [x for t in trajectories for x in t]
    offsets = np.cumsum([0] + [len(t) for t in trajectories])
    np.testing.assert_allclose(
        rc.delta_shaping(flat, offsets=offsets), [x for t in trajectories for x in delta_loop(t)]
    )
    expected = [x for t in trajectories for x in min_form_loop(t)]
    np.testing.assert_allclose(rc.min_form_returns(flat, offsets=offsets), expected)
    np.testing.assert_allclose(rc.min_aggregate(flat, offsets=offsets), [min(t) for t in trajectories])


@FAST
@given(steps, st.floats(0.9, 1.0), st.integers(1, 20), st.data(), st.floats(0, 1))
def test_padding_with_good_steps_cannot_raise_the_shaped_return(s, good, n_pad, data, eta) -> None:
    # the reward hack of arXiv 2410.15115: repeat a step the PRM likes, n_pad times, anywhere after step 1
    at = data.draw(st.integers(1, len(s)))
    padded = s[:at] + [good] * n_pad + s[at:]
    assert sum(padded) > sum(s)  # raw PRM rewards reward the padding...
    # ...Clip does not: every shaped reward is <= 0, so more steps can only lower the sum
    assert rc.clip_shaping(padded, eta).sum() <= rc.clip_shaping(s, eta).sum() + 1e-12
    # ...nor does Delta: the sum telescopes to the first step's score, which padding after it cannot change
    assert rc.delta_shaping(padded).sum() == pytest.approx(rc.delta_shaping(s).sum()) == pytest.approx(s[0])
    # Clip then Delta (the paper's combination) is bounded by the first clipped score, <= 0
    assert rc.delta_shaping(rc.clip_shaping(padded, eta)).sum() <= 1e-12


@FAST
@given(st.integers(0, 10_000), st.lists(st.floats(-5, 5), min_size=4, max_size=4), st.floats(0.5, 0.9))
def test_potential_shaping_leaves_optimal_policy_unchanged(seed, phi, gamma) -> None:
    # tiny MDP: states 0..2 plus terminal state 3, two actions, random transitions and rewards
    rng = np.random.default_rng(seed)
    n_s, n_a = 4, 2
    p = rng.dirichlet(np.ones(n_s), size=(n_s, n_a))  # P[s, a, s']
    p[3] = 0.0
    p[3, :, 3] = 1.0  # terminal is absorbing
    rew = rng.normal(size=(n_s, n_a, n_s))
    rew[3] = 0.0
    trans = np.array([(s, a, s2) for s in range(n_s) for a in range(n_a) for s2 in range(n_s)])
    potentials = np.array(phi)[trans[:, [0, 2]]]  # (n, 2): Phi(s), Phi(s') per transition
    dones = (trans[:, 2] == 3)[:, None]  # entering the terminal state ends the episode
    shaped = rc.potential_shaping(rew.reshape(-1, 1), potentials, gamma=gamma, dones=dones).reshape(rew.shape)
    shaped[3] = 0.0

    def q_star(r):
        q = np.zeros((n_s, n_a))
        for _ in range(5000):  # value iteration to convergence
            v = q.max(axis=1)
            v[3] = 0.0
            q, prev = (p * (r + gamma * v[None, None, :])).sum(axis=2), q
            if np.abs(q - prev).max() < 1e-12:
                break
        return q

    q, q_shaped = q_star(rew), q_star(shaped)
    live = slice(0, 3)
    # Q'(s, a) = Q(s, a) - Phi(s) for non-terminal s, hence the same greedy policy
    np.testing.assert_allclose(q_shaped[live], q[live] - np.array(phi)[:3, None], atol=1e-6)
    gap = np.sort(q[live], axis=1)
    clear = (gap[:, -1] - gap[:, -2]) > 1e-6
    assert (q.argmax(axis=1)[live][clear] == q_shaped.argmax(axis=1)[live][clear]).all()


@FAST
@given(
    st.lists(st.floats(-1, 1), min_size=1, max_size=10), st.lists(st.floats(-3, 3), min_size=11, max_size=11)
)
def test_potential_shaping_telescopes_over_an_episode(rewards, phi) -> None:
    # gamma 1, one episode ending in a done: sum r' = sum r - Phi(s_0)
    potentials = phi[: len(rewards) + 1]
    dones = [False] * (len(rewards) - 1) + [True]
    shaped = rc.potential_shaping(rewards, potentials, gamma=1.0, dones=dones)
    assert shaped.sum() == pytest.approx(sum(rewards) - potentials[0], abs=1e-9)


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="`eta` must be a finite number"):
        rc.clip_shaping([0.5], float("nan"))
    with pytest.raises(ArrayError, match=r"`step_rewards`.*1-D"):
        rc.delta_shaping([[0.5, 0.2]])
    with pytest.raises(ArrayError, match=r"`offsets`.*end at the number of steps \(3\)"):
        rc.delta_shaping([0.1, 0.2, 0.3], offsets=[0, 2])
    with pytest.raises(ArrayError, match="`offsets`: must be non-decreasing"):
        rc.delta_shaping([0.1, 0.2, 0.3], offsets=[0, 2, 1, 3])
    with pytest.raises(ArrayError, match="`offsets`: trajectory 1 has no steps"):
        rc.min_aggregate([0.1, 0.2], offsets=[0, 2, 2])
    with pytest.raises(ArrayError, match="empty trajectory"):
        rc.min_aggregate([])
    with pytest.raises(ArrayError, match=r"`potentials`: expected shape \(3,\)"):
        rc.potential_shaping([0.0, 1.0], [1.0, 2.0], gamma=0.9)
    assert rc.delta_shaping([]).shape == (0,)


@FAST
@given(st.lists(st.floats(-1, 1), min_size=1, max_size=8), st.floats(0, 1), st.data())
def test_potential_shaping_matches_loop(rewards, gamma, data) -> None:
    n = len(rewards)
    phi = data.draw(st.lists(st.floats(-3, 3), min_size=n + 1, max_size=n + 1))
    dones = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    out = rc.potential_shaping(rewards, phi, gamma=gamma, dones=dones)
    expected = [rewards[t] + gamma * (0.0 if dones[t] else phi[t + 1]) - phi[t] for t in range(n)]
    np.testing.assert_allclose(out, expected, atol=1e-12)
