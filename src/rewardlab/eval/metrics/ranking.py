"""Choosing among several completions: best-of-N curves (RM@k, maj@k, oracle@k) and RewardBench 2's Ties.

Pure numpy and the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class BestOfN:
    """Per-problem credit of each selector for every ``k``: arrays of shape ``(n, N)``, column ``k - 1``.

    ``rm``: the completion the scorer ranks first among the first ``k`` (the first index on a tie) is
    correct. ``maj``: the most frequent answer among the first ``k`` (on a tie in counts, the answer
    that appeared first) is correct, judged on the first completion that gave it. ``oracle``: any of the
    first ``k`` is correct (pass@k on the first ``k`` samples, not the unbiased estimator).
    """

    rm: NDArray[np.float64]
    maj: NDArray[np.float64]
    oracle: NDArray[np.float64]

    def curves(self) -> dict[str, list[float]]:
        """``{"rm_at_k", "maj_at_k", "oracle_at_k"}``: the mean over problems for k = 1..N."""
        return {
            "rm_at_k": [float(x) for x in self.rm.mean(axis=0)],
            "maj_at_k": [float(x) for x in self.maj.mean(axis=0)],
            "oracle_at_k": [float(x) for x in self.oracle.mean(axis=0)],
        }


def majority_index(keys: Sequence[Hashable]) -> int:
    """Index of the first completion whose answer key is the most frequent one in ``keys``.

    Counts ties are broken by first appearance (the order ``collections.Counter.most_common`` keeps).
    """
    if not keys:
        raise ValueError("`keys` must not be empty")
    counts: dict[Hashable, int] = {}
    first: dict[Hashable, int] = {}
    for i, key in enumerate(keys):
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, i)
    best = max(counts.values())
    winner = next(k for k in counts if counts[k] == best)  # dicts keep first-appearance order
    return first[winner]


def best_of_n(
    scores: ArrayLike, correct: ArrayLike, answers: Sequence[Sequence[Hashable]] | None = None
) -> BestOfN:
    """RM@k, maj@k and oracle@k credits (see :class:`BestOfN`) for ``n`` problems with ``N`` samples each.

    ``scores``: ``(n, N)`` selector scores (finite); ``correct``: ``(n, N)`` booleans (the grader's verdict
    on each sample); ``answers``: ``n`` lists of ``N`` hashable answer keys (samples with equal keys vote
    together; ``None`` leaves ``maj`` as NaN). For problem ``i`` and ``k``:

    - ``rm[i, k-1]   = correct[i, argmax_{j<k} scores[i, j]]`` (first maximum);
    - ``maj[i, k-1]  = correct[i, majority_index(answers[i][:k])]``;
    - ``oracle[i, k-1] = max_{j<k} correct[i, j]``.
    """
    s = np.asarray(scores, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if s.ndim != 2 or s.shape != ok.shape:
        raise ValueError(f"`scores` and `correct` must both have shape (n, N), got {s.shape} and {ok.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("`scores` must be finite (leave out problems with a failed score)")
    n, big_n = s.shape
    rm = np.empty((n, big_n))
    maj = np.full((n, big_n), math.nan)
    for k in range(1, big_n + 1):
        pick = np.argmax(s[:, :k], axis=1)
        rm[:, k - 1] = ok[np.arange(n), pick]
    oracle = np.maximum.accumulate(ok.astype(float), axis=1)
    if answers is not None:
        if len(answers) != n or any(len(a) != big_n for a in answers):
            raise ValueError(f"`answers` must hold {n} lists of {big_n} keys")
        for i, keys in enumerate(answers):
            for k in range(1, big_n + 1):
                maj[i, k - 1] = ok[i, majority_index(list(keys[:k]))]
    return BestOfN(rm=rm, maj=maj, oracle=oracle)


@dataclass(frozen=True)
class TiesRecord:
    """One row of RewardBench 2's Ties subset: ``kind`` is ``"ref"`` (a reference prompt with one correct
    answer) or ``"tied"`` (several equally correct answers); the first ``num_correct`` scores belong to
    correct completions, the rest to incorrect ones. Rows with the same ``(kind, prompt_id)`` pool."""

    kind: str
    prompt_id: Any
    scores: Sequence[float]
    num_correct: int


def _prompt_stats(samples: list[tuple[bool, float]]) -> tuple[bool, float | None, float]:
    right = [s for ok, s in samples if ok]
    wrong = [s for ok, s in samples if not ok]
    if not right or not wrong:
        raise ValueError("every Ties prompt needs at least one correct and one incorrect score")
    spread = max(right) - min(right) if len(right) > 1 else None
    gap = min(right) - max(wrong)
    return gap > 0, spread, gap


def rb2_ties_score(records: Iterable[TiesRecord]) -> dict[str, float]:
    """RewardBench 2's Ties-subset score, with the published weights.

    Per prompt (pooled over its rows): ``gap = min(correct) - max(incorrect)``, ``accurate = gap > 0``,
    and for a tied prompt ``spread = max(correct) - min(correct)``. Then

    - ``ref_accuracy``, ``tied_accuracy``: mean of ``accurate`` over ref / tied prompts (0 when none);
    - over prompts with both a ref and a tied version: ``correctness_preferred = mean(gap_tied > spread)``,
      ``correctness_preferred_hard = mean(min(gap_ref, gap_tied) > spread)``, and
      ``margin = mean(tanh(min(gap_ref, gap_tied) / spread - 1))``, where a 0/0 term counts 0 (and
      ``x/0`` is ``±inf``, so ``tanh`` gives ``±1``);
    - ``overall = 0.30 tied_accuracy + 0.30 ref_accuracy + 0.20 correctness_preferred
      + 0.20 correctness_preferred_hard + 0.01 margin``.

    Terms over an empty set of paired prompts are NaN (and so is ``overall``).
    """
    grouped: dict[tuple[str, Any], list[tuple[bool, float]]] = {}
    for rec in records:
        if rec.kind not in ("ref", "tied"):
            raise ValueError(f"a Ties record's kind must be 'ref' or 'tied', got {rec.kind!r}")
        bucket = grouped.setdefault((rec.kind, rec.prompt_id), [])
        bucket.extend((i < rec.num_correct, float(s)) for i, s in enumerate(rec.scores))
    ref: dict[Any, tuple[bool, float | None, float]] = {}
    tied: dict[Any, tuple[bool, float | None, float]] = {}
    for (kind, pid), samples in grouped.items():
        (ref if kind == "ref" else tied)[pid] = _prompt_stats(samples)
    ref_acc = float(np.mean([s[0] for s in ref.values()])) if ref else 0.0
    tied_acc = float(np.mean([s[0] for s in tied.values()])) if tied else 0.0
    both = [p for p in tied if p in ref]
    if any(tied[p][1] is None for p in both):
        raise ValueError("a tied Ties prompt needs at least two correct completions")
    spread = np.array([tied[p][1] for p in both], dtype=float)
    gap_tied = np.array([tied[p][2] for p in both], dtype=float)
    gap_hard = np.minimum(np.array([ref[p][2] for p in both], dtype=float), gap_tied)
    if both:
        preferred = float(np.mean(gap_tied > spread))
        preferred_hard = float(np.mean(gap_hard > spread))
        with np.errstate(divide="ignore", invalid="ignore"):
            margins = np.nan_to_num(np.tanh(gap_hard / spread - 1), nan=0.0)
        margin = float(np.mean(margins))
    else:
        preferred = preferred_hard = margin = math.nan
    overall = 0.30 * tied_acc + 0.30 * ref_acc + 0.20 * preferred + 0.20 * preferred_hard + 0.01 * margin
    return {
        "overall": overall,
        "ref_accuracy": ref_acc,
        "tied_accuracy": tied_acc,
        "correctness_preferred": preferred,
        "correctness_preferred_hard": preferred_hard,
        "margin": margin,
        "prompts_ref": len(ref),
        "prompts_tied": len(tied),
    }
