"""Judges that compare two responses: JudgeBench's both-order net vote and LLMBar's positional agreement.

A decision is ``"A>B"``, ``"B>A"``, ``"A=B"`` (a judge's tie) or ``None`` (no parsable verdict). A pair is
judged twice: once as (A, B) and once swapped as (B, A); the swapped decision is read back in the
original order with :func:`flip`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Decision = str | None


def flip(decision: Decision) -> Decision:
    """``"A>B"`` <-> ``"B>A"``; any other decision (a tie, None) is its own flip."""
    if decision == "A>B":
        return "B>A"
    if decision == "B>A":
        return "A>B"
    return decision


def decide(score_a: float, score_b: float) -> str:
    """The decision of a scalar scorer: ``"A>B"``, ``"B>A"`` or ``"A=B"`` when the scores are equal."""
    return "A>B" if score_a > score_b else ("B>A" if score_b > score_a else "A=B")


@dataclass(frozen=True)
class NetVote:
    """Both-order judging of ``n`` pairs.

    Each pair's vote is ``v = sum_{d in (d1, flip(d2))} [d = label] - [d = flip(label)]``: correct when
    ``v > 0``, incorrect when ``v < 0``, a tie otherwise (one right and one wrong order, two judge ties,
    two missing verdicts). ``accuracy = correct / n``: a tie earns nothing (JudgeBench). ``inconsistent``
    counts pairs with ``d1 != flip(d2)``; ``positional_agreement = 1 - inconsistent / n`` (LLMBar);
    ``both_right``/``both_wrong``/``one_right`` split pairs by how many orders matched the label;
    ``missing``: pairs with at least one ``None``.
    """

    n: int
    correct: int
    incorrect: int
    ties: int
    inconsistent: int
    both_right: int
    both_wrong: int
    one_right: int
    missing: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def positional_agreement(self) -> float:
        return 1 - self.inconsistent / self.n if self.n else math.nan

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "incorrect": self.incorrect,
            "ties": self.ties,
            "inconsistent": self.inconsistent,
            "positional_agreement": self.positional_agreement,
            "both_right": self.both_right,
            "both_wrong": self.both_wrong,
            "one_right": self.one_right,
            "missing": self.missing,
        }


def votes(labels: Sequence[str], first: Sequence[Decision], swapped: Sequence[Decision]) -> list[int]:
    """The per-pair vote ``v`` of :class:`NetVote` (``swapped`` as the judge gave it, not yet flipped)."""
    if not len(labels) == len(first) == len(swapped):
        raise ValueError(
            f"`labels`, `first` and `swapped` must have one length, got {len(labels)}, {len(first)}, {len(swapped)}"
        )
    out = []
    for label, d1, d2 in zip(labels, first, swapped, strict=True):
        if label not in ("A>B", "B>A"):
            raise ValueError(f"a label must be 'A>B' or 'B>A', got {label!r}")
        v = 0
        for d in (d1, flip(d2)):
            v += 1 if d == label else (-1 if d == flip(label) else 0)
        out.append(v)
    return out


def net_vote(labels: Sequence[str], first: Sequence[Decision], swapped: Sequence[Decision]) -> NetVote:
    """JudgeBench's both-order metric (see :class:`NetVote`)."""
    v = votes(labels, first, swapped)
    back = [flip(d) for d in swapped]
    right = [int(d1 == lab) + int(d2 == lab) for lab, d1, d2 in zip(labels, first, back, strict=True)]
    return NetVote(
        n=len(v),
        correct=sum(x > 0 for x in v),
        incorrect=sum(x < 0 for x in v),
        ties=sum(x == 0 for x in v),
        inconsistent=sum(d1 != d2 for d1, d2 in zip(first, back, strict=True)),
        both_right=sum(r == 2 for r in right),
        both_wrong=sum(r == 0 for r in right),
        one_right=sum(r == 1 for r in right),
        missing=sum(d1 is None or d2 is None for d1, d2 in zip(first, swapped, strict=True)),
    )


def single_order_accuracy(labels: Sequence[str], decisions: Sequence[Decision]) -> float:
    """One order only: the fraction of pairs whose decision equals the label (a judge tie is wrong)."""
    if len(labels) != len(decisions):
        raise ValueError(
            f"`labels` and `decisions` must have one length, got {len(labels)} and {len(decisions)}"
        )
    return (
        sum(d == lab for lab, d in zip(labels, decisions, strict=True)) / len(labels) if labels else math.nan
    )


def positional_agreement(first: Sequence[Decision], swapped: Sequence[Decision]) -> float:
    """LLMBar's positional agreement rate: the fraction of pairs whose decision survives swapping the two
    responses, ``mean_i [d1_i = flip(d2_i)]`` (a missing verdict never agrees)."""
    if len(first) != len(swapped):
        raise ValueError(f"`first` and `swapped` must have one length, got {len(first)} and {len(swapped)}")
    if not first:
        return math.nan
    agree = sum(d1 is not None and d1 == flip(d2) for d1, d2 in zip(first, swapped, strict=True))
    return agree / len(first)
