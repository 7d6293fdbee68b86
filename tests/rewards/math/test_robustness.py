"""Hostile text through the whole math reward, in-process: never an exception other than a clear error for
a bad reference, never super-linear time. Built from the tokens the extraction and normalisation rules
look for, repeated in runs (runs are what make a backtracking regex blow up)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from rewardlab import Sample
from rewardlab.errors import Unverifiable
from rewardlab.rewards.math import MathReward

TOKENS = [
    "a", "x", "1", "9", "_", "{", "}", "=", "|", ":", ",", ".", "-", "+", " ", "\\frac", "\\text{", "\\le ",
    "<", ">", "(", ")", "[", "]", "\\boxed{", "$", "$$", "and", "or", "\\pm", "^", "\\sqrt", "\\begin{pmatrix}",
    "\\\\", "&", "\\end{pmatrix}", "**Answer:**", "\n", "%", ";", "\\{", "\\}", "The answer is ", "Therefore, ",
    "<answer>", "</answer>", "\\infty", "\\cup", "\\in ", "\\neq ", "\\,", "\\!", "€", "0.", "\\overline{",
    "AB", "_{", "'", "cm", "p.m.", "\\mathrm{", "\\left(", "\\right)", "\\approx", "</s>", "<|im_end|>",
]  # fmt: skip
REFERENCES = ["42", "x \\le 2", "(1,2)", "\\{1,2\\}", "\\frac{1}{2}", "y=2x+1", "\\text{odd}"]
REWARD = MathReward(cache_size=0)

runs = st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from([1, 1, 3, 12, 60])), max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(runs, st.sampled_from(REFERENCES), st.booleans())
def test_hostile_answers_never_crash_or_stall(
    parts: list[tuple[str, int]], reference: str, swap: bool
) -> None:
    text = "".join(token * n for token, n in parts)
    completion, ref = (reference, text[:300]) if swap and text.strip() else (text, reference)
    start = time.perf_counter()
    try:
        result = REWARD(Sample(completion=completion, reference=ref))
    except ValueError as exc:  # only a reference that is no answer at all
        assert "reference" in str(exc), exc
        return
    assert time.perf_counter() - start < 3.0
    assert result.score in (0.0, 1.0) or (result.score is None and result.error is not None)
    if result.error is not None:
        assert result.error.type in {cls.__name__ for cls in Unverifiable.__subclasses__()} | {"Unverifiable"}
