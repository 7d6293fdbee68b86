"""The loss formulas against hand-computed values (derivations in the comments)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rewardlab.models.losses import (  # noqa: E402
    bradley_terry_loss,
    implicit_prm_loss,
    listwise_loss,
    step_cross_entropy,
)


def nls(x: float) -> float:
    """-log sigmoid(x) = log(1 + e^-x)."""
    return math.log1p(math.exp(-x))


def test_bradley_terry_by_hand() -> None:
    c, r = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    # pair 1: diff 1 -> log(1 + e^-1) = 0.313262; pair 2: diff -1 -> log(1 + e) = 1.313262; mean 0.813262
    assert float(bradley_terry_loss(c, r)) == pytest.approx(0.8132617, abs=1e-6)
    assert float(bradley_terry_loss(c, r)) == pytest.approx((nls(1) + nls(-1)) / 2, abs=1e-6)


def test_margin_is_subtracted_from_the_difference() -> None:
    c, r, m = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.0])
    # pair 1: 1 - 0 - 0.5 = 0.5 -> 0.474077; pair 2 unchanged 1.313262; mean 0.893670
    assert float(bradley_terry_loss(c, r, m)) == pytest.approx((0.4740770 + 1.3132617) / 2, abs=1e-6)


def test_centring_adds_coef_times_mean_squared_sum() -> None:
    c, r = torch.tensor([1.0, 2.0]), torch.tensor([0.0, -1.0])
    # sums 1 and 1 -> mean of squares 1.0; coef 0.1 adds 0.1
    base = (nls(1) + nls(3)) / 2
    assert float(bradley_terry_loss(c, r, center_coef=0.1)) == pytest.approx(base + 0.1, abs=1e-6)


def test_listwise_equals_bradley_terry_for_two_responses() -> None:
    rewards = torch.tensor([[1.5, -0.2], [0.3, 0.9]])
    bt = bradley_terry_loss(rewards[:, 0], rewards[:, 1])
    assert float(listwise_loss(rewards)) == pytest.approx(float(bt), abs=1e-6)


def test_listwise_three_responses_and_mask_by_hand() -> None:
    # -log(e^2 / (e^2 + e^1 + e^0)) = log(1 + e^-1 + e^-2) = 0.407606
    assert float(listwise_loss(torch.tensor([[2.0, 1.0, 0.0]]))) == pytest.approx(0.4076059, abs=1e-6)
    # the third response masked out: a pair 2 vs 1 -> log(1 + e^-1) = 0.313262
    mask = torch.tensor([[True, True, False]])
    assert float(listwise_loss(torch.tensor([[2.0, 1.0, 0.0]]), mask)) == pytest.approx(0.3132617, abs=1e-6)


def test_step_cross_entropy_reads_only_labelled_positions() -> None:
    logits = torch.zeros((1, 4, 2))
    logits[0, 1] = torch.tensor([0.0, 2.0])  # a separator labelled 1 (correct)
    logits[0, 3] = torch.tensor([1.0, 0.0])  # a separator labelled 0 (wrong)
    logits[0, 0] = torch.tensor([50.0, -50.0])  # unlabelled: would dominate if it counted
    labels = torch.tensor([[-100, 1, -100, 0]])
    # position 1: -log softmax([0, 2])[1] = log(1 + e^-2) = 0.126928; position 3: log(1 + e^-1) = 0.313262
    assert float(step_cross_entropy(logits, labels)) == pytest.approx((0.1269280 + 0.3132617) / 2, abs=1e-6)


def test_implicit_prm_outcome_loss_by_hand() -> None:
    lp = torch.tensor([[-1.0, -2.0, -0.5]])
    ref = torch.tensor([[-1.5, -2.0, -3.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])  # the last token is not part of the response
    # z = 0.5 * ((-1 + 1.5) + (-2 + 2)) = 0.25; label 1 -> -log sigmoid(0.25) = 0.575939
    loss, z = implicit_prm_loss(lp, ref, mask, torch.tensor([1.0]), beta=0.5)
    assert float(z[0]) == pytest.approx(0.25)
    assert float(loss) == pytest.approx(nls(0.25), abs=1e-6)
