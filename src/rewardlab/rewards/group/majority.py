"""``majority_vote``: the group's majority answer as a pseudo-label (label-free RLVR, TTRL-style).

Each rollout's final answer is read with the math reward's parser, and answers are clustered by the
math verifier (``3/4``, ``0.75`` and ``\\frac{3}{4}`` are one answer), so the vote is semantic, not string
equality. The largest cluster is the pseudo-label when its share of the group's votes reaches
``min_agreement``; a rollout scores 1.0 when its answer is in that cluster, else 0.0. Rollouts without a
readable answer do not vote and score 0.0. Below ``min_agreement`` there is no pseudo-label: every
rollout scores ``no_label_score`` (0.0 by default), ``info["pseudo_label"]`` is None, and the group says
why. A tie for the largest cluster is no majority either.

``info`` of every rollout: ``pseudo_label`` (the cluster's first-seen answer as written), ``agreement``
(its share of the votes), ``margin`` (its share minus the runner-up's), ``votes`` (answers that voted),
``clusters`` (how many distinct answers), ``answer`` (this rollout's), ``correct`` (when the sample has a
reference: whether the pseudo-label equals it, for monitoring collapse; the score never uses it).

``verifier``: ``"math"`` (the default), ``"exact"`` (whitespace- and case-normalised final line), or any
registered reward name or spec whose score is 1.0 when ``completion`` matches ``reference``
(answers are then compared pairwise through it: ``R(Sample(completion=a, reference=b))``).

Label-free rewards can collapse: the policy learns to agree with itself. ``agreement`` rising while
``correct`` falls is the signal; the audit reads both from ``info``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rewardlab.core.group import GroupReward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, Unverifiable


class MajorityVote(GroupReward):
    name = "majority_vote"

    def __init__(
        self, verifier: Any = "math", min_agreement: float = 0.0, no_label_score: float = 0.0
    ) -> None:
        if (
            not isinstance(min_agreement, int | float)
            or isinstance(min_agreement, bool)
            or not 0 <= min_agreement <= 1
        ):
            raise ConfigError(f"`min_agreement` of majority_vote must be in [0, 1], got {min_agreement!r}")
        self.verifier = verifier
        self.min_agreement = float(min_agreement)
        self.no_label_score = float(no_label_score)
        self._equal, self._read = self._build(verifier)

    def _build(self, verifier: Any) -> tuple[Callable[[Any, Any], bool], Callable[[str], Any]]:
        if verifier == "math":
            from rewardlab.rewards.math import parse, verify

            def equal_math(a: Any, b: Any) -> bool:
                try:
                    return verify(a, b)
                except Unverifiable:
                    return False  # not provably the same answer: separate clusters (never a merged guess)

            return equal_math, parse
        if verifier == "exact":

            def read_exact(text: str) -> str | None:
                lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
                return " ".join(lines[-1].lower().split()) if lines else None

            return (lambda a, b: a == b), read_exact
        from rewardlab.core.spec import as_reward

        try:
            reward = as_reward(verifier)
        except Exception as exc:
            raise ConfigError(f"`verifier` of majority_vote: {exc}") from exc

        def equal_reward(a: Any, b: Any) -> bool:
            out = reward(Sample(completion=str(a), reference=str(b)))
            return out.error is None and out.score == 1.0

        return equal_reward, lambda text: text.strip() or None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_equal", "_read")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._equal, self._read = self._build(self.verifier)

    def score_group(self, samples: Sequence[Sample]) -> list[RewardResult]:
        answers = [self._read(s.completion_text) for s in samples]
        clusters: list[list[int]] = []  # indices of samples per distinct answer
        for i, a in enumerate(answers):
            if a is None:
                continue
            for members in clusters:
                if self._equal(a, answers[members[0]]):
                    members.append(i)
                    break
            else:
                clusters.append([i])
        votes = sum(len(c) for c in clusters)
        ranked = sorted(clusters, key=len, reverse=True)
        top = ranked[0] if ranked else []
        runner_up = len(ranked[1]) if len(ranked) > 1 else 0
        agreement = len(top) / votes if votes else 0.0
        tie = bool(ranked) and runner_up == len(top)
        labelled = bool(top) and not tie and agreement >= self.min_agreement
        label = answers[top[0]] if labelled else None
        label_text = getattr(label, "raw", label)
        reason = (
            None
            if labelled
            else ("no readable answer" if not votes else "tie" if tie else "below min_agreement")
        )
        base: dict[str, Any] = {
            "pseudo_label": label_text,
            "agreement": agreement,
            "margin": (len(top) - runner_up) / votes if votes else 0.0,
            "votes": votes,
            "clusters": len(clusters),
        }
        if reason:
            base["no_label"] = reason
        truth = self._truth(samples, label) if labelled else None
        out = []
        for i, _s in enumerate(samples):
            info = {**base, "answer": getattr(answers[i], "raw", answers[i])}
            if truth is not None:
                info["correct"] = truth
            score = (1.0 if i in top else 0.0) if labelled else self.no_label_score
            out.append(RewardResult(score=score, info=info))
        return out

    def _truth(self, samples: Sequence[Sample], label: Any) -> bool | None:
        """Whether the pseudo-label equals the (unused) reference, when the samples carry one."""
        ref = next((s.reference for s in samples if s.reference is not None), None)
        if ref is None:
            return None
        try:
            if self.verifier == "math":
                from rewardlab.rewards.math import verify

                return bool(verify(label, ref))
            return bool(
                self._equal(label, ref if self.verifier != "exact" else " ".join(str(ref).lower().split()))
            )
        except (Unverifiable, ValueError, TypeError):
            return None
