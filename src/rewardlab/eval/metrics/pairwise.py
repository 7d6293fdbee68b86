"""Pairwise preference accuracy, pooled over pairs, with an explicit tie policy.

A pair ``i`` has the chosen score ``c_i`` and the rejected score ``r_i``. Its outcome is a win
(``c_i > r_i``), a loss (``c_i < r_i``) or a tie (``c_i == r_i``). Accuracy is pooled over every pair
(never a mean of per-batch means, which weighs a small last batch like a full one):

    accuracy = (wins + t * ties) / (n - e * ties)

where the tie policy sets ``t`` and ``e``: ``"wrong"`` (``t = 0, e = 0``; a tie is not a win, as
RewardBench and RM-Bench compare with ``>``), ``"half"`` (``t = 1/2, e = 0``; a coin flip's expected
credit) or ``"exclude"`` (``t = 0, e = 1``; ties leave the denominator). The tie count is always reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

TiePolicy = Literal["wrong", "half", "exclude"]
TIE_POLICIES: tuple[TiePolicy, ...] = ("wrong", "half", "exclude")


def check_tie_policy(ties: str) -> TiePolicy:
    if ties not in TIE_POLICIES:
        raise ValueError(f"`ties` must be one of {', '.join(TIE_POLICIES)}, got {ties!r}")
    return ties


def outcomes(chosen: ArrayLike, rejected: ArrayLike) -> NDArray[np.int8]:
    """``sign(c_i - r_i)`` for scores of shape ``(n,)``: ``1`` win, ``0`` tie, ``-1`` loss."""
    c = np.asarray(chosen, dtype=float)
    r = np.asarray(rejected, dtype=float)
    if c.shape != r.shape or c.ndim != 1:
        raise ValueError(f"`chosen` and `rejected` must be 1-d of one length, got {c.shape} and {r.shape}")
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(r))):
        raise ValueError("`chosen` and `rejected` must be finite (drop failed pairs before scoring)")
    return np.sign(c - r).astype(np.int8)


def credits(outcome: ArrayLike, ties: TiePolicy = "wrong") -> NDArray[np.float64]:
    """Per-pair credit for outcomes in ``{-1, 0, 1}``: win 1, loss 0, tie 0 (``"wrong"``) or 1/2
    (``"half"``); with ``"exclude"`` ties are dropped (the result is shorter than the input)."""
    o = np.asarray(outcome)
    check_tie_policy(ties)
    if ties == "exclude":
        o = o[o != 0]
    credit = (o > 0).astype(float)
    if ties == "half":
        credit[o == 0] = 0.5
    return credit


@dataclass(frozen=True)
class PairwiseAccuracy:
    """Pooled accuracy of ``n`` pairs: ``wins``, ``losses``, ``ties`` and the policy that scored ties."""

    n: int
    wins: int
    losses: int
    ties: int
    tie_policy: TiePolicy
    accuracy: float

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "tie_policy": self.tie_policy,
        }


def pairwise_accuracy(
    chosen: ArrayLike, rejected: ArrayLike, *, ties: TiePolicy = "wrong"
) -> PairwiseAccuracy:
    """Pooled pairwise accuracy (module docstring formula) of chosen/rejected scores, shape ``(n,)``.

    NaN accuracy when no pair counts (no pairs, or only ties under ``"exclude"``).
    """
    o = outcomes(chosen, rejected)
    c = credits(o, ties)
    acc = float(c.mean()) if c.size else math.nan
    return PairwiseAccuracy(
        n=int(o.size),
        wins=int(np.sum(o > 0)),
        losses=int(np.sum(o < 0)),
        ties=int(np.sum(o == 0)),
        tie_policy=ties,
        accuracy=acc,
    )


def best_of_n_credit(scores: ArrayLike, chosen: int = 0) -> NDArray[np.float64]:
    """RewardBench-2 best-of-N credit per prompt, for scores of shape ``(n, N)``.

    Column ``chosen`` holds the one correct completion, the others the rejected ones. With
    ``m_i = max_j s_ij`` and ``T_i = #{j : s_ij = m_i}`` (the completions tied at the top), the credit is
    ``1 / T_i`` when ``s_i,chosen = m_i`` and ``0`` otherwise: a tie at the top shares the win instead of
    counting as one (RewardBench 2's best-of-4; a plain argmax would credit whichever tied index comes
    first). The subset accuracy is the mean credit.
    """
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"`scores` must have shape (n, N) with N >= 2, got {s.shape}")
    if not 0 <= chosen < s.shape[1]:
        raise ValueError(f"`chosen` must be a column of `scores` (0..{s.shape[1] - 1}), got {chosen}")
    top = s.max(axis=1, keepdims=True)
    tied = np.sum(s == top, axis=1)
    return np.where(s[:, chosen] == top[:, 0], 1.0 / tied, 0.0)
