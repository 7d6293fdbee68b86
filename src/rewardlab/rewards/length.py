"""Length and repetition shaping: DAPO's soft overlong punishment, cosine length scaling, n-gram repetition.

Lengths are measured on the completion text, in characters (``unit="chars"``) or whitespace-separated
words (``unit="words"``); rewardlab has no tokenizer in the loop, so pick ``max_length`` in the unit you
measure (about 4 characters per token for English BPE vocabularies).

Differences from the anchors. DAPO's reference code (verl ``overlong_buffer``) computes
``min(-(len - (max - cache)) / cache * factor, 0)`` on token counts and relies on generation stopping at
``max``; here the penalty is clipped at -1 beyond ``max_length`` as in the paper, and the options are
checked on construction (``cache_length`` in ``(0, max_length]``). The cosine reward of Yeo et al. (open-r1,
ms-swift) is written with an accuracy function baked in; here correctness is any reward spec, built once,
whose failure is raised rather than scored as "wrong". Note the naming: ``min_value_*`` / ``max_value_*``
are the rewards at the *minimum* (zero) and *maximum* length, as in the paper's reference code
(``cosine_min_len_value_*``), not the smallest and largest value as in open-r1's
``get_cosine_scaled_reward``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rewardlab.core.reward import Reward, RewardLike, is_reward
from rewardlab.core.spec import as_reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import RewardLabError

UNITS = ("chars", "words")


def measure(text: str, unit: str) -> int:
    """Length of ``text`` in ``unit``: characters, or whitespace-separated words."""
    return len(text) if unit == "chars" else len(text.split())


def _check_unit(unit: Any, reward: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"`unit` of {reward} must be 'chars' or 'words', got {unit!r}")


def _check_int(value: Any, option: str, reward: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{option}` of {reward} must be an integer >= {minimum}, got {value!r}")


def _check_finite(value: Any, option: str, reward: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"`{option}` of {reward} must be a finite number, got {value!r}")


def overlong_penalty(length: int, max_length: int, cache_length: int) -> float:
    """DAPO soft overlong punishment (Yu et al. 2025, eq. 13), in ``[-1, 0]``.

    ``0`` while ``length <= max_length - cache_length``; ``(max_length - cache_length - length) /
    cache_length`` in the buffer (reaching -1 at ``max_length``); ``-1`` beyond ``max_length``.
    """
    if length > max_length:
        return -1.0
    return min(0.0, (max_length - cache_length - length) / cache_length)


class OverlongPenalty(Reward):
    """DAPO soft overlong punishment of the completion's length, in ``[-1, 0]``.

    Add it to a correctness reward (a ``sum`` node); ``info["length"]`` records the measured length.
    """

    def __init__(self, max_length: int, cache_length: int, unit: str = "chars") -> None:
        _check_int(max_length, "max_length", "overlong_penalty", 1)
        if (
            isinstance(cache_length, bool)
            or not isinstance(cache_length, int)
            or not 0 < cache_length <= max_length
        ):
            raise ValueError(
                f"`cache_length` of overlong_penalty must be in (0, max_length], got {cache_length!r}"
            )
        _check_unit(unit, "overlong_penalty")
        self.max_length = max_length
        self.cache_length = cache_length
        self.unit = unit
        self.name = "overlong_penalty"

    def compute(self, sample: Sample) -> RewardResult:
        length = measure(sample.completion_text, self.unit)
        score = overlong_penalty(length, self.max_length, self.cache_length)
        return RewardResult(score=score, info={"length": length})


def cosine_schedule(length: int, max_length: int, value_at_zero: float, value_at_max: float) -> float:
    """``value_at_max + 0.5 (value_at_zero - value_at_max) (1 + cos(pi t / T))`` with ``t = length``.

    This is the paper's ``CosFn(t, T, eta_min, eta_max) = eta_min + 0.5 (eta_max - eta_min)(1 + cos(t pi / T))``
    with ``eta_max`` the value at ``t = 0`` and ``eta_min`` the value at ``t = T``.
    """
    return value_at_max + 0.5 * (value_at_zero - value_at_max) * (
        1.0 + math.cos(math.pi * length / max_length)
    )


class CosineLength(Reward):
    """Cosine length-scaled correctness (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning").

    ``correct`` is a reward spec (a registered name, a spec dict, or a reward object) built once, here.
    A completion counts as correct when that reward scores ``>= 1.0``. The score then follows
    :func:`cosine_schedule` from ``min_value_correct`` (at length 0) to ``max_value_correct`` (at
    ``max_length``), and for wrong answers from ``min_value_wrong`` to ``max_value_wrong``: with the
    defaults, short correct answers earn most (2 -> 1) and long wrong ones are punished least (-10 -> 0).
    Beyond ``max_length`` the score is ``exceed_length`` whatever the correctness. If the correctness
    reward fails on a sample, that error is raised: a sample is never scored as "wrong" because its
    checker crashed. ``components["correct"]`` is the inner score.
    """

    def __init__(
        self,
        max_length: int,
        correct: Any = "math",
        min_value_wrong: float = -10.0,
        max_value_wrong: float = 0.0,
        min_value_correct: float = 2.0,
        max_value_correct: float = 1.0,
        exceed_length: float = -10.0,
        unit: str = "chars",
    ) -> None:
        _check_int(max_length, "max_length", "cosine_length", 1)
        for option, value in (
            ("min_value_wrong", min_value_wrong),
            ("max_value_wrong", max_value_wrong),
            ("min_value_correct", min_value_correct),
            ("max_value_correct", max_value_correct),
            ("exceed_length", exceed_length),
        ):
            _check_finite(value, option, "cosine_length")
        _check_unit(unit, "cosine_length")
        self.max_length = max_length
        self.correct = correct
        self.min_value_wrong = float(min_value_wrong)
        self.max_value_wrong = float(max_value_wrong)
        self.min_value_correct = float(min_value_correct)
        self.max_value_correct = float(max_value_correct)
        self.exceed_length = float(exceed_length)
        self.unit = unit
        self.name = "cosine_length"
        if not (is_reward(correct) or isinstance(correct, str | Mapping)):
            raise ValueError(
                "`correct` of cosine_length must be a reward name, a spec table or a reward, "
                f"got {type(correct).__name__}"
            )
        self._correct_reward = as_reward(correct)

    def children(self) -> list[tuple[str, RewardLike]]:
        return [("correct", self._correct_reward)]

    def compute(self, sample: Sample) -> RewardResult:
        inner = self._correct_reward(sample)  # an exception here propagates to the runner
        if inner.error is not None or inner.score is None:
            err = f"{inner.error.type}: {inner.error.message}" if inner.error else "no score"
            raise RewardLabError(
                f"correctness reward {self._correct_reward.name!r} of cosine_length failed: {err}"
            )
        is_correct = inner.score >= 1.0
        length = measure(sample.completion_text, self.unit)
        if length > self.max_length:
            score = self.exceed_length
        elif is_correct:
            score = cosine_schedule(length, self.max_length, self.min_value_correct, self.max_value_correct)
        else:
            score = cosine_schedule(length, self.max_length, self.min_value_wrong, self.max_value_wrong)
        info: dict[str, Any] = {"length": length, "is_correct": is_correct}
        if inner.info:
            info["correct"] = inner.info
        return RewardResult(score=score, components={"correct": inner.score}, info=info)


class RepetitionPenalty(Reward):
    """n-gram repetition penalty of Yeo et al. 2025, in ``[max_penalty, 0]``.

    ``(1 - unique_ngrams / total_ngrams) * max_penalty`` over the completion's n-grams of
    ``ngram_size`` lowercased words (``unit="words"``) or characters (``unit="chars"``); 0 when the
    completion has fewer than ``ngram_size`` units. ``info`` has ``unique`` and ``total`` n-gram counts.
    """

    def __init__(self, ngram_size: int = 3, max_penalty: float = -1.0, unit: str = "words") -> None:
        _check_int(ngram_size, "ngram_size", "repetition_penalty", 1)
        _check_finite(max_penalty, "max_penalty", "repetition_penalty")
        if max_penalty > 0:
            raise ValueError(f"`max_penalty` of repetition_penalty must be <= 0, got {max_penalty!r}")
        _check_unit(unit, "repetition_penalty")
        self.ngram_size = ngram_size
        self.max_penalty = float(max_penalty)
        self.unit = unit
        self.name = "repetition_penalty"

    def compute(self, sample: Sample) -> RewardResult:
        text = sample.completion_text.lower()
        units: list[str] | str = text.split() if self.unit == "words" else text
        n = self.ngram_size
        total = len(units) - n + 1
        if total <= 0:
            return RewardResult(score=0.0, info={"unique": 0, "total": 0})
        unique = len({tuple(units[i : i + n]) for i in range(total)})
        # `0.0 +` turns the -0.0 of a repetition-free text (0 * -1) into 0.0.
        return RewardResult(
            score=0.0 + (1.0 - unique / total) * self.max_penalty, info={"unique": unique, "total": total}
        )
