"""ProcessBench: find the earliest wrong step of a solution, or say that every step is right.

A solution has steps ``0..L-1`` and a label: the index of its earliest wrong step, or ``-1`` when all are
right. A step scorer gives each step a score; with a threshold ``t`` its prediction is the first step
scoring below ``t`` (``-1`` when none does). Pure numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _matrix(step_scores: Sequence[ArrayLike]) -> NDArray[np.float64]:
    """Ragged step scores as an ``(n, L_max)`` matrix padded with ``+inf`` (never below a threshold).

    A step score may itself be ``+inf``: a step that is never flagged (an outcome score placed on the last
    step leaves the earlier ones so); NaN and ``-inf`` are errors."""
    rows = [np.asarray(s, dtype=float).ravel() for s in step_scores]
    width = max((r.size for r in rows), default=0)
    out = np.full((len(rows), max(width, 1)), np.inf)
    for i, r in enumerate(rows):
        if np.any(np.isnan(r)) or np.any(r == -np.inf):
            raise ValueError(f"step scores of solution {i} hold NaN or -inf")
        out[i, : r.size] = r
    return out


def _earliest(matrix: NDArray[np.float64], threshold: float) -> NDArray[np.int64]:
    below = matrix < threshold
    return np.where(below.any(axis=1), below.argmax(axis=1), -1).astype(np.int64)


def earliest_error(step_scores: Sequence[ArrayLike], threshold: float) -> NDArray[np.int64]:
    """Predicted earliest wrong step per solution: ``min {j : s_j < t}``, or ``-1``; shape ``(n,)``."""
    return _earliest(_matrix(step_scores), threshold)


@dataclass(frozen=True)
class ProcessBenchScore:
    """``error_accuracy``: exact earliest-step matches among solutions with an error (label >= 0);
    ``correct_accuracy``: solutions with no error predicted as ``-1``; ``f1 = 2 a b / (a + b)``, the
    harmonic mean of the two (0 when both are 0; NaN when a class is empty)."""

    n_error: int
    n_correct: int
    error_accuracy: float
    correct_accuracy: float
    f1: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "f1": self.f1,
            "error_accuracy": self.error_accuracy,
            "correct_accuracy": self.correct_accuracy,
            "n_error": self.n_error,
            "n_correct": self.n_correct,
        }


def harmonic(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def processbench_score(predictions: ArrayLike, labels: ArrayLike) -> ProcessBenchScore:
    """Score predicted earliest-error indices against labels (both shape ``(n,)``, ``-1`` = no error)."""
    p = np.asarray(predictions, dtype=np.int64)
    y = np.asarray(labels, dtype=np.int64)
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"`predictions` and `labels` must be 1-d of one length, got {p.shape} and {y.shape}")
    err = y != -1
    match = p == y
    a = float(match[err].mean()) if err.any() else math.nan
    b = float(match[~err].mean()) if (~err).any() else math.nan
    return ProcessBenchScore(int(err.sum()), int((~err).sum()), a, b, harmonic(a, b))


def candidate_thresholds(step_scores: Sequence[ArrayLike], max_candidates: int = 256) -> NDArray[np.float64]:
    """Thresholds worth trying: the distinct step scores (each one makes its own steps count as right and
    every lower one as wrong) and one above the maximum (nothing is wrong); quantiles of them when there
    are more than ``max_candidates``."""
    m = _matrix(step_scores)
    values = np.unique(m[np.isfinite(m)])
    if values.size == 0:
        return np.array([0.5])
    if values.size > max_candidates:
        values = np.unique(np.quantile(values, np.linspace(0, 1, max_candidates)))
    return np.append(values, np.nextafter(values[-1], np.inf))


def f1_by_threshold(
    step_scores: Sequence[ArrayLike], labels: ArrayLike, thresholds: ArrayLike
) -> NDArray[np.float64]:
    """ProcessBench F1 at each threshold, shape ``(len(thresholds),)``."""
    m = _matrix(step_scores)
    y = np.asarray(labels, dtype=np.int64)
    return np.array([processbench_score(_earliest(m, float(t)), y).f1 for t in np.asarray(thresholds)])


def fit_threshold(
    step_scores: Sequence[ArrayLike], labels: ArrayLike, thresholds: ArrayLike | None = None
) -> float:
    """The threshold with the highest F1 on these solutions (the smallest such threshold on a tie).

    Fit on one split and apply to another: reported on the data it was fitted on, it is an upper bound,
    not a result.
    """
    ts = candidate_thresholds(step_scores) if thresholds is None else np.asarray(thresholds, dtype=float)
    f1 = f1_by_threshold(step_scores, labels, ts)
    if np.all(np.isnan(f1)):
        raise ValueError("no threshold gives a defined F1 (both error and correct solutions are needed)")
    return float(ts[int(np.nanargmax(f1))])
