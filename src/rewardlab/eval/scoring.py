"""Scoring evaluation texts: through rewardlab's runner (isolated workers, per-sample deadlines, errors
recorded), or with the built-in length-only baseline. A failed score is ``None`` with its error kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.spec import RewardSpec
from rewardlab.core.types import RewardResult, Sample

LENGTH = "length"
"""The name of the length-only baseline scorer: a response's score is its length in characters."""


@dataclass
class Scored:
    """Scores for a list of samples: ``scores[i]`` is None when sample ``i`` failed; ``errors`` lists
    ``(index, type, message)`` of every failure; ``step_scores[i]`` when the reward produced them."""

    scores: list[float | None]
    step_scores: list[list[float] | None]
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def error_types(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, kind, _ in self.errors:
            out[kind] = out.get(kind, 0) + 1
        return out


def length_scores(texts: Sequence[str]) -> list[float]:
    """The length-only baseline: ``len(text)`` in characters (Unicode code points)."""
    return [float(len(t)) for t in texts]


def score_samples(
    reward: RewardSpec,
    samples: Sequence[Sample],
    *,
    workers: int | None = None,
    timeout: float | None = None,
) -> Scored:
    """Score ``samples`` with ``reward`` (anything :func:`rewardlab.as_reward` accepts, or ``"length"``).

    Rewards run through :func:`rewardlab.runner.score` (worker processes, per-sample deadline, errors
    recorded on the result); the length baseline runs in this process.
    """
    if reward == LENGTH:
        return Scored(
            scores=list(length_scores([s.completion_text for s in samples])),
            step_scores=[None] * len(samples),
        )
    from rewardlab.runner import score

    results: list[RewardResult] = score(reward, samples, workers=workers, timeout=timeout, on_error="record")
    out = Scored(scores=[], step_scores=[])
    for i, r in enumerate(results):
        if r.error is not None or r.score is None:
            err = r.error
            out.errors.append((i, err.type if err else "NoScore", err.message if err else "no score"))
            out.scores.append(None)
            out.step_scores.append(None)
        else:
            out.scores.append(float(r.score))
            out.step_scores.append(list(r.step_scores) if r.step_scores is not None else None)
    return out


def sample(prompt: str, completion: str, reference: Any = None, **metadata: Any) -> Sample:
    return Sample(prompt=prompt, completion=completion, reference=reference, metadata=dict(metadata))
