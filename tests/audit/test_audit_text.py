from __future__ import annotations

import pytest

from rewardlab.audit.text import final_answers, pairwise_similarity, repetition_rate


def test_repetition_rate_counts_repeated_ngrams() -> None:
    assert repetition_rate("a b c a b c a b c", n=2) == pytest.approx(1 - 3 / 8)
    assert repetition_rate("one two three four five six", n=4) == 0.0
    assert repetition_rate("too short", n=4) == 0.0
    loop = " ".join(["so the answer is"] * 12)
    assert repetition_rate(loop) > 0.8


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("so \\boxed{12}", ["12"]),
        ("maybe \\boxed{12} or \\boxed{13}", ["12", "13"]),
        ("\\boxed{1,200} and the answer is 1200", ["1200"]),  # the same answer twice is no hedge
        ("The answer is 5. Answer: 6", ["5", "6"]),
        ("#### 18", ["18"]),
        ("\\boxed{\\frac{1}{2}}", ["\\frac{1}{2}"]),
        ("no answer here", []),
    ],
)
def test_final_answers(text: str, answers: list[str]) -> None:
    assert final_answers(text) == answers


def test_pairwise_similarity() -> None:
    assert pairwise_similarity(["a b c d", "a b c d"]) == 1.0
    assert pairwise_similarity(["a b c d", "e f g h"]) == 0.0
    assert pairwise_similarity(["only one"]) is None
    # three texts: pairs (1,2)=1, (1,3)=0, (2,3)=0
    assert pairwise_similarity(["a b c", "a b c", "x y z"]) == pytest.approx(1 / 3)
