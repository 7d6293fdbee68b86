"""SPO segment advantages, TurningPoint-GRPO turning points, SPA progress attribution."""

from __future__ import annotations

import numpy as np
import pytest
from _loops import turning_points_loop
from _strategies import FAST, reward
from hypothesis import given
from hypothesis import strategies as st

import rewardlab.credit as rc
from rewardlab.errors import ArrayError, ConfigError


def test_mc_values_and_segment_advantages_hand_computed() -> None:
    # rollouts from cut 0 score 1, 0, 1, 1 -> V = .75; from cut 1: 0, 0 -> V = 0
    np.testing.assert_allclose(rc.mc_values([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0]]), [0.75, 0.0])
    np.testing.assert_allclose(rc.mc_values(np.array([[1.0, 0.0], [1.0, 1.0]])), [0.5, 1.0])
    # values at cuts .2 .5 .4 and the final reward 1: segments gain .3, -.1, .6
    np.testing.assert_allclose(rc.segment_advantages([0.2, 0.5, 0.4, 1.0]), [0.3, -0.1, 0.6])
    out = rc.segment_advantages([[0.2, 0.5, 1.0], [0.3, 0.0, 0.0]], [[1, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(out, [[0.3, 0.5], [-0.3, 0.0]])


def test_turning_points_hand_computed() -> None:
    # values 0, 1, .5, 2, 3: increments 1, -.5, 1.5, 1; the trajectory rises overall (+3).
    # step 1 flips the trend but downwards (against the overall trend): not a turning point;
    # step 2 flips it back upwards: a turning point, credited v_T - v_2 = 3 - .5 = 2.5
    assert rc.turning_points([0.0, 1.0, 0.5, 2.0, 3.0]).tolist() == [False, False, True, False]
    np.testing.assert_allclose(rc.turning_point_rewards([0.0, 1.0, 0.5, 2.0, 3.0]), [1.0, -0.5, 2.5, 1.0])


@FAST
@given(st.lists(st.one_of(reward, st.integers(-2, 2).map(float)), min_size=2, max_size=12))
def test_turning_points_match_loop(values) -> None:
    flags, rewards = turning_points_loop(values)
    assert rc.turning_points(values).tolist() == flags
    np.testing.assert_allclose(rc.turning_point_rewards(values), rewards, atol=1e-12)
    batch = rc.turning_points([values, values[::-1]])
    assert batch[0].tolist() == flags


@FAST
@given(st.lists(reward, min_size=2, max_size=12))
def test_segment_advantages_telescope(values) -> None:
    adv = rc.segment_advantages(values)
    np.testing.assert_allclose(adv, [values[k + 1] - values[k] for k in range(len(values) - 1)])
    assert adv.sum() == pytest.approx(values[-1] - values[0], abs=1e-9)


def test_spa_hand_computed() -> None:
    # features: trajectory A has steps x = 1, 2 (outcome 1.5), B one step x = 4 (outcome 2).
    # least squares on sums (3 -> 1.5, 4 -> 2): w = (3*1.5 + 4*2)/(9 + 16) = 0.5, so contributions
    # 0.5, 1.0 | 2.0 and each trajectory's contributions add up to its outcome
    model = rc.LinearProgressModel(l2=0.0, bias=False)
    c = rc.progress_contributions([[1.0], [2.0], [4.0]], [0, 2, 3], [1.5, 2.0], model=model)
    np.testing.assert_allclose(c, [0.5, 1.0, 2.0])
    np.testing.assert_allclose(model.coef_, [0.5])
    # dense reward alpha*c + beta*grounding: 1*[.5, 1, 2] + .5*[1, 0, 1] = [1, 1, 2.5]
    np.testing.assert_allclose(rc.spa_rewards(c, [1.0, 0.0, 1.0], alpha=1.0, beta=0.5), [1.0, 1.0, 2.5])


@st.composite
def linear_trajectories(draw):
    d = draw(st.integers(1, 4))
    lengths = draw(st.lists(st.integers(1, 5), min_size=d + 2, max_size=8))
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    x = rng.normal(size=(sum(lengths), d))
    w = rng.normal(size=d)
    offsets = np.cumsum([0, *lengths])
    outcomes = np.add.reduceat(x @ w, offsets[:-1])
    return x, offsets, outcomes


@FAST
@given(linear_trajectories())
def test_spa_contributions_add_up_to_the_outcomes(data) -> None:
    x, offsets, outcomes = data
    c = rc.progress_contributions(x, offsets, outcomes, model=rc.LinearProgressModel(l2=1e-10))
    np.testing.assert_allclose(np.add.reduceat(c, offsets[:-1]), outcomes, atol=1e-5)
    # the loop definition: each step's contribution is its feature row times the fitted weights
    model = rc.LinearProgressModel(l2=1e-10).fit(x, offsets, outcomes)
    for t in range(x.shape[0]):
        assert c[t] == pytest.approx(
            sum(x[t, j] * model.coef_[j] for j in range(x.shape[1])) + model.coef_[-1], abs=1e-9
        )


def test_spa_model_is_pluggable() -> None:
    class EvenSplit:
        """Splits each outcome equally over its trajectory's steps, ignoring the features."""

        def fit(self, step_features, offsets, outcomes):
            self.per_step_ = np.repeat(outcomes / np.diff(offsets), np.diff(offsets))
            return self

        def predict(self, step_features):
            return self.per_step_

    c = rc.progress_contributions(np.zeros((3, 2)), [0, 2, 3], [1.0, 0.5], model=EvenSplit())
    np.testing.assert_allclose(c, [0.5, 0.5, 0.5])


def test_bad_input() -> None:
    with pytest.raises(ArrayError, match="`rollout_rewards`: cut point 1 has no rollouts"):
        rc.mc_values([[1.0], []])
    with pytest.raises(ArrayError, match="`values`: need at least 2 values"):
        rc.turning_points([1.0])
    with pytest.raises(ArrayError, match=r"`outcomes`: expected one outcome per trajectory \(2\)"):
        rc.progress_contributions([[1.0], [2.0]], [0, 1, 2], [1.0])
    with pytest.raises(ArrayError, match="`model`: predict must return 2 finite contributions"):

        class Broken:
            def fit(self, *args):
                return self

            def predict(self, x):
                return np.zeros(5)

        rc.progress_contributions([[1.0], [2.0]], [0, 2], [1.0], model=Broken())
    with pytest.raises(ConfigError, match="call fit before predict"):
        rc.LinearProgressModel().predict(np.zeros((1, 1)))
    with pytest.raises(ConfigError, match="`alpha`"):
        rc.spa_rewards([1.0], alpha=float("nan"))


@FAST
@given(st.lists(st.lists(reward, min_size=1, max_size=6), min_size=1, max_size=5))
def test_mc_values_match_loop(rollouts) -> None:
    np.testing.assert_allclose(rc.mc_values(rollouts), [sum(r) / len(r) for r in rollouts], atol=1e-12)


@FAST
@given(
    st.lists(st.tuples(reward, st.sampled_from([0.0, 1.0])), min_size=1, max_size=10),
    st.floats(0, 2),
    st.floats(0, 2),
)
def test_spa_rewards_match_loop(pairs, alpha, beta) -> None:
    c, g = [p[0] for p in pairs], [p[1] for p in pairs]
    np.testing.assert_allclose(
        rc.spa_rewards(c, g, alpha=alpha, beta=beta), [alpha * x + beta * y for x, y in pairs]
    )
