"""Uncertainty and paired comparison: percentile bootstrap intervals, McNemar's test, correlations.

Pure numpy. Every random draw comes from ``numpy.random.default_rng(seed)``, so a seed fixes the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_BOOTSTRAP = 1000
DEFAULT_CONFIDENCE = 0.95


def _check_confidence(confidence: float, n_boot: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` of bootstrap_ci must be in (0, 1), got {confidence!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"`n_boot` of bootstrap_ci must be an integer >= 1, got {n_boot!r}")


def bootstrap_ci(
    values: ArrayLike,
    *,
    statistic: Callable[[NDArray[Any]], float] | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over the rows of ``values``.

    ``values`` has shape ``(n,)`` or ``(n, ...)``: one row per independent unit (a pair, a problem).
    Each of ``n_boot`` replicates draws ``n`` row indices uniformly with replacement,
    ``idx ~ rng.integers(0, n, size=n)``, and evaluates ``statistic(values[idx])`` (default: the mean of
    a 1-d array, computed for all replicates at once). The interval is the ``(1-c)/2`` and ``(1+c)/2``
    quantiles of the replicate statistics (numpy's linear interpolation), ``c = confidence``.
    A replicate whose statistic is NaN (e.g. an F1 with an empty class) is dropped. With no rows, the
    interval is ``(nan, nan)``.
    """
    _check_confidence(confidence, n_boot)
    arr = np.asarray(values, dtype=float)
    n = arr.shape[0] if arr.ndim else 0
    if n == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    if statistic is None:
        if arr.ndim != 1:
            raise ValueError(f"`values` must be 1-d when no statistic is given, got shape {arr.shape}")
        reps = arr[idx].mean(axis=1)
    else:
        reps = np.array([statistic(arr[i]) for i in idx], dtype=float)
    reps = reps[~np.isnan(reps)]
    if reps.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.quantile(reps, [(1 - confidence) / 2, (1 + confidence) / 2])
    return (float(lo), float(hi))


@dataclass(frozen=True)
class McNemar:
    """McNemar's paired test of two scorers on the same items.

    ``b``: items only scorer A got right; ``c``: items only B got right; ``both``/``neither``: the
    concordant counts. ``p_exact`` is the two-sided exact binomial p-value on the ``b + c`` discordant
    items, ``min(1, 2 * sum_{i <= min(b, c)} C(b+c, i) / 2^(b+c))``; ``chi2`` is the continuity-corrected
    statistic ``(|b - c| - 1)^2 / (b + c)`` (0 when ``b + c = 0``) with its 1-degree-of-freedom p-value
    ``p_chi2 = erfc(sqrt(chi2 / 2))``.
    """

    b: int
    c: int
    both: int
    neither: int
    p_exact: float
    chi2: float
    p_chi2: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "only_a": self.b,
            "only_b": self.c,
            "both": self.both,
            "neither": self.neither,
            "p_exact": self.p_exact,
            "chi2": self.chi2,
            "p_chi2": self.p_chi2,
        }


def mcnemar(correct_a: ArrayLike, correct_b: ArrayLike) -> McNemar:
    """McNemar's test on two boolean arrays of shape ``(n,)`` (item i right under scorer A / B)."""
    a = np.asarray(correct_a, dtype=bool)
    b_ = np.asarray(correct_b, dtype=bool)
    if a.shape != b_.shape or a.ndim != 1:
        raise ValueError(
            f"`correct_a` and `correct_b` must be 1-d of one length, got {a.shape} and {b_.shape}"
        )
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    m = b + c
    if m == 0:
        p_exact, chi2, p_chi2 = 1.0, 0.0, 1.0
    else:
        tail = sum(math.comb(m, i) for i in range(min(b, c) + 1)) / 2**m
        p_exact = min(1.0, 2 * tail)
        chi2 = (abs(b - c) - 1) ** 2 / m
        p_chi2 = math.erfc(math.sqrt(chi2 / 2))
    return McNemar(b, c, int(np.sum(a & b_)), int(np.sum(~a & ~b_)), p_exact, chi2, p_chi2)


def ranks(x: ArrayLike) -> NDArray[np.float64]:
    """Ranks ``1..n`` of ``x`` (shape ``(n,)``), tied values sharing their average rank."""
    arr = np.asarray(x, dtype=float)
    order = np.argsort(arr, kind="mergesort")
    sorted_vals = arr[order]
    out = np.empty(arr.size, dtype=float)
    start = 0
    while start < arr.size:
        end = start
        while end + 1 < arr.size and sorted_vals[end + 1] == sorted_vals[start]:
            end += 1
        out[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return out


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson correlation ``cov(x, y) / (sd(x) sd(y))`` of two ``(n,)`` arrays; NaN when either is constant
    or ``n < 2``."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"`x` and `y` must be 1-d of one length, got {a.shape} and {b.shape}")
    if a.size < 2:
        return math.nan
    da, db = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(np.sum(da * da)) * float(np.sum(db * db)))
    return float(np.sum(da * db) / denom) if denom > 0 else math.nan


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman rank correlation: :func:`pearson` of the average-tie :func:`ranks` of ``x`` and ``y``."""
    return pearson(ranks(x), ranks(y))
