"""The ``"math"`` reward: is the final answer of a completion equivalent to the reference?

Two public steps, each usable and tested on its own:

- :func:`parse` finds the final answer in a completion and normalises it (``Parsed`` or None);
- :func:`verify` decides whether a parsed answer equals a reference (given bare, boxed, or as a number).

:class:`MathReward` puts them together for the runner, caches repeated (answer, reference) pairs, and
records in ``info`` which extraction rule fired, the extracted answer and the normalised forms, so that
every 0.0 is explainable. A completion with no answer at all scores 0.0 with ``info["reason"] =
"no_answer"`` (the policy failed, not the reward). A reference that cannot be read, and a pair that would
take unbounded time to compare (:class:`TooComplex`, e.g. a power tower), and a pair on which sympy itself
fails (:class:`SymbolicError`) are errors: the reward does not know the verdict, so it does not pretend
it is 0.0. An answer that cannot be read at all (:class:`Unreadable`, malformed LaTeX) is a wrong answer.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import SymbolicError, TooComplex, Unreadable, Unverifiable
from rewardlab.rewards.math.equivalence import equivalent, sympy_equal, to_sympy
from rewardlab.rewards.math.extract import bare_answer, boxed_answer, extract_answer
from rewardlab.rewards.math.normalize import normalize

__all__ = [
    "MathReward",
    "Parsed",
    "SymbolicError",
    "TooComplex",
    "Unreadable",
    "Unverifiable",
    "parse",
    "parse_reference",
    "sympy_equal",
    "to_sympy",
    "verify",
]


@dataclass(frozen=True, slots=True)
class Parsed:
    """An extracted answer: ``raw`` as written, ``norm`` normalised, ``source`` the rule that found it."""

    raw: str
    norm: str
    source: str


def parse(text: str) -> Parsed | None:
    """Find and normalise the final answer in a completion; None when there is none."""
    if not isinstance(text, str):
        raise TypeError(f"parse expects a string, got {type(text).__name__}")
    found = extract_answer(text)
    if found is None:
        return None
    raw, source = found
    norm = normalize(raw)
    if not norm:
        return None
    return Parsed(raw=raw, norm=norm, source=source)


def parse_reference(reference: Any) -> Parsed:
    """Read a reference answer given bare (``"3/4"``, ``7``), boxed, or as a GSM8K solution (``#### 7``)."""
    if isinstance(reference, bool) or reference is None:
        raise ValueError(f"reference must be a string or a number, got {reference!r}")
    if isinstance(reference, int | float):
        text = repr(reference) if isinstance(reference, float) else str(reference)
        return Parsed(raw=text, norm=normalize(text), source="reference")
    if not isinstance(reference, str):
        raise ValueError(f"reference must be a string or a number, got {type(reference).__name__}")
    text = reference
    boxed = boxed_answer(text)
    if boxed is not None:
        text, source = boxed, "reference_boxed"
    elif "####" in text:
        text, source = text.rsplit("####", 1)[1], "reference_gsm8k"
    elif bare_answer(text) is None and (found := extract_answer(text)) is not None:
        text, source = found[0], f"reference_{found[1]}"  # a reference written as a solution
    else:
        source = "reference"
    norm = normalize(text)
    if not norm:
        raise ValueError(f"reference {reference!r} is empty after normalisation")
    return Parsed(raw=text.strip(), norm=norm, source=source)


def verify(
    pred: Parsed | str, reference: Parsed | str | int | float, *, rel_tol: float = 1e-6, ordered: bool = False
) -> bool:
    """True when ``pred`` is equivalent to ``reference``. Strings are treated as bare answers.

    A bare list ``a, b`` lists solutions and matches in any order; ``ordered=True`` reads it as a tuple
    (the Hendrycks MATH grader's convention).

    Raises :class:`TooComplex` when the pair cannot be compared in bounded time and
    :class:`SymbolicError` when sympy fails on it (both :class:`Unverifiable`: no verdict).
    """
    p = pred if isinstance(pred, Parsed) else Parsed(raw=pred, norm=normalize(pred), source="given")
    r = reference if isinstance(reference, Parsed) else parse_reference(reference)
    return equivalent(p.norm, r.norm, rel_tol=rel_tol, ordered_lists=ordered)


# Prompts whose answer is a set of values written as a list ("Enter all the solutions, separated by commas").
# A prompt that asks for an ordered answer; without one, a bare list of values ("-7, 9") lists solutions
# and matches in any order (the convention, and Math-Verify's reading of several answers).
_ORDERED_PROMPT = re.compile(
    r"ordered (?:pair|triple|quadruple|tuple|list)|\bin (?:(?:increasing|decreasing|ascending|descending|that|"
    r"this|the (?:same |given )?)\s+)?order\b|from (?:least|smallest|lowest|greatest|largest|highest) to|"
    r"\bfirst (?:\w+ )?terms\b|\bas a (?:tuple|sequence|vector)\b|\bsequence\b",
    re.IGNORECASE,
)


class MathReward(Reward):
    """1.0 when the completion's final answer equals ``sample.reference``, else 0.0.

    Options: ``rel_tol`` for numeric comparison (default 1e-6); ``list_order``: ``"auto"`` (a bare comma
    list of values lists solutions and matches in any order, unless the prompt asks for an ordered
    answer: "ordered pair", "in increasing order", "the first five terms"...), ``"ordered"`` (a bare list
    is a tuple, the Hendrycks grader's reading) or ``"unordered"``; parenthesised tuples are always
    ordered; ``cache_size`` (answer, reference) pairs kept per process; ``judge``: a table of judge
    settings (``{base_url = ..., model = ...}``, see :mod:`rewardlab.judges`). When the checker reaches no
    verdict (``Unverifiable``: a comparison too complex or a symbolic failure), the extracted answer and
    the reference go to that judge's answer-equivalence prompt (``judge_label``, guarded) and its verdict
    is the score, with ``info["judged"] = True``; a judge that abstains leaves the sample an error.
    """

    name = "math"
    preload = ("sympy", "latex2sympy2_extended")  # imported once in the runner's forkserver

    def __init__(
        self,
        rel_tol: float = 1e-6,
        list_order: str = "auto",
        cache_size: int = 100_000,
        judge: dict[str, Any] | None = None,
    ) -> None:
        if judge is not None and not isinstance(judge, dict):
            raise ValueError(f"`judge` of math must be a table of judge settings, got {type(judge).__name__}")
        self.judge = dict(judge) if judge else None
        self._judge: Any = None
        if self.judge is not None:
            from rewardlab.judges import JudgeLabel

            self._judge = JudgeLabel(**self.judge)
        if list_order not in ("auto", "ordered", "unordered"):
            raise ValueError(
                f"`list_order` of math must be 'auto', 'ordered' or 'unordered', got {list_order!r}"
            )
        self.list_order = list_order
        if not (isinstance(rel_tol, int | float) and 0 <= rel_tol < 1):
            raise ValueError(f"`rel_tol` of math must be in [0, 1), got {rel_tol!r}")
        if not (isinstance(cache_size, int) and cache_size >= 0):
            raise ValueError(f"`cache_size` of math must be an integer >= 0, got {cache_size!r}")
        self.rel_tol = float(rel_tol)
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, bool], bool] = OrderedDict()

    def warmup(self) -> None:
        """latex2sympy builds its parser and sympy its inequality solver on first use (~0.3 s in all): do
        both before the first sample's deadline."""
        equivalent("x \\le \\frac{1}{2}", "(-\\infty, \\frac{1}{2}]")

    def __getstate__(self) -> dict[str, Any]:
        state = {"rel_tol": self.rel_tol, "list_order": self.list_order, "cache_size": self.cache_size}
        return {**state, "judge": self.judge} if self.judge else state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def compute(self, sample: Sample) -> RewardResult:
        ref = parse_reference(sample.reference)
        pred = parse(sample.completion_text)
        if pred is None:
            return RewardResult(score=0.0, info={"reason": "no_answer", "reference": ref.norm})
        lists = "," in pred.norm or "," in ref.norm  # the prompt is read only when the order could matter
        ordered = self.list_order == "ordered" or (
            self.list_order == "auto" and lists and bool(_ORDERED_PROMPT.search(sample.prompt_text[-2000:]))
        )
        info: dict[str, Any] = {
            "answer": pred.raw[:200],
            "answer_norm": pred.norm[:200],
            "rule": pred.source,
            "reference": ref.norm[:200],
        }
        key = (pred.norm, ref.norm, ordered)
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = equivalent(pred.norm, ref.norm, rel_tol=self.rel_tol, ordered_lists=ordered)
            except Unverifiable as exc:  # TooComplex, SymbolicError: no verdict, recorded, never 0.0
                if self._judge is None:
                    return RewardResult(score=None, error=ErrorInfo.from_exception(exc), info=info)
                judged = self._judge.compute(
                    Sample(prompt=sample.prompt, completion=pred.raw, reference=sample.reference)
                )  # raises a JudgeError when the judge abstains: the sample stays an error
                info.update(judged=True, unverifiable=f"{type(exc).__name__}: {exc}"[:200])
                info.update({k: v for k, v in judged.info.items() if k in ("verdict", "guard", "judge")})
                return RewardResult(score=judged.score, info=info)
            if self.cache_size:
                self._cache[key] = hit
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return RewardResult(score=1.0 if hit else 0.0, info=info)
