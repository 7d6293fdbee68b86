"""Pairwise accuracy, tie policies, bootstrap, McNemar and correlations: hand-computed tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rewardlab.eval.metrics import (
    bootstrap_ci,
    credits,
    mcnemar,
    outcomes,
    pairwise_accuracy,
    pearson,
    ranks,
    spearman,
)

# chosen vs rejected: win, win, tie, loss, tie  ->  2 wins, 1 loss, 2 ties
CHOSEN = [3.0, 1.0, 2.0, 0.0, 5.0]
REJECTED = [1.0, 0.5, 2.0, 4.0, 5.0]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("wrong", 2 / 5), ("half", (2 + 0.5 * 2) / 5), ("exclude", 2 / 3)],
)
def test_tie_policies_by_hand(policy: str, expected: float) -> None:
    acc = pairwise_accuracy(CHOSEN, REJECTED, ties=policy)  # type: ignore[arg-type]
    assert (acc.n, acc.wins, acc.losses, acc.ties) == (5, 2, 1, 2)
    assert acc.accuracy == pytest.approx(expected)
    assert acc.as_dict()["tie_policy"] == policy


def test_pooled_not_mean_of_batch_means() -> None:
    # 3 pairs right in a batch of 3, then 0 of 1: pooled 3/4, while a mean of batch means would be 1/2
    acc = pairwise_accuracy([1, 1, 1, 0], [0, 0, 0, 1])
    assert acc.accuracy == 0.75


def test_outcomes_and_credits() -> None:
    o = outcomes(CHOSEN, REJECTED)
    assert o.tolist() == [1, 1, 0, -1, 0]
    assert credits(o, "half").tolist() == [1, 1, 0.5, 0, 0.5]
    assert credits(o, "exclude").tolist() == [1, 1, 0]


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(ValueError, match="`ties` must be one of"):
        pairwise_accuracy([1], [0], ties="coin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        pairwise_accuracy([math.nan], [0])
    with pytest.raises(ValueError, match="one length"):
        pairwise_accuracy([1, 2], [0])
    assert math.isnan(pairwise_accuracy([], []).accuracy)


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    x = np.r_[np.ones(70), np.zeros(30)]
    a = bootstrap_ci(x, seed=3)
    assert a == bootstrap_ci(x, seed=3)
    y = np.random.default_rng(0).normal(size=100)
    assert bootstrap_ci(y, seed=3) != bootstrap_ci(y, seed=4)
    assert a[0] < 0.7 < a[1]
    # the normal approximation: 0.7 +- 1.96 sqrt(0.21 / 100) = [0.610, 0.790]
    assert a[0] == pytest.approx(0.61, abs=0.03) and a[1] == pytest.approx(0.79, abs=0.03)
    assert bootstrap_ci(np.ones(10)) == (1.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_ci([]))


def test_bootstrap_with_a_statistic_matches_a_plain_loop() -> None:
    x = np.arange(12.0).reshape(6, 2)
    stat = lambda rows: float(rows[:, 0].sum() / rows[:, 1].sum())  # noqa: E731
    got = bootstrap_ci(x, statistic=stat, n_boot=50, seed=1)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 6, size=(50, 6))
    reps = [stat(x[i]) for i in idx]
    assert got == pytest.approx(tuple(np.quantile(reps, [0.025, 0.975])))
    with pytest.raises(ValueError, match="`confidence` of bootstrap_ci must be in"):
        bootstrap_ci(x[:, 0], confidence=1.5)


def test_mcnemar_by_hand() -> None:
    a = [1, 1, 1, 1, 1, 0, 0, 1, 0, 1]
    b = [1, 0, 0, 0, 1, 0, 1, 1, 0, 0]
    m = mcnemar(np.array(a, bool), np.array(b, bool))
    # only A right: items 1, 2, 3, 9 (b = 4); only B right: item 6 (c = 1)
    assert (m.b, m.c, m.both, m.neither) == (4, 1, 3, 2)
    # exact: 2 * (C(5,0) + C(5,1)) / 2^5 = 12 / 32
    assert m.p_exact == pytest.approx(0.375)
    assert m.chi2 == pytest.approx((3 - 1) ** 2 / 5)
    assert m.p_chi2 == pytest.approx(math.erfc(math.sqrt(0.8 / 2)))
    same = mcnemar(np.ones(3, bool), np.ones(3, bool))
    assert (same.p_exact, same.chi2) == (1.0, 0.0)


def test_ranks_and_correlations() -> None:
    assert ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4], [1, 4, 9, 100]) == pytest.approx(1.0)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert pearson(x, y) == pytest.approx(float(np.corrcoef(x, y)[0, 1]))
