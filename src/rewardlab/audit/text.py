"""Text measures of single completions and of groups: pure functions of strings.

- :func:`repetition_rate`: the share of a completion's word n-grams that repeat an earlier one (a loop
  scores near 1, ordinary prose near 0);
- :func:`final_answers`: the distinct final answers a completion states (``\\boxed{}``, "the answer is",
  ``#### x``, "Answer: x"), for hedging;
- :func:`pairwise_similarity`: mean Jaccard similarity of word n-gram sets over pairs of completions
  (1 - it is the group's diversity).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

_WORD = re.compile(r"\w+|[^\w\s]")
_ANSWER_PATTERNS = (
    re.compile(r"answer\s+is\s*:?\s*\$?\s*([-+]?[\w./\\{}^]+)", re.I),
    re.compile(r"\banswer\s*:\s*\$?\s*([-+]?[\w./\\{}^]+)", re.I),
    re.compile(r"####\s*([-+]?[\w./]+)"),
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def repetition_rate(text: str, n: int = 4) -> float:
    """``1 - distinct / total`` word ``n``-grams of ``text`` (0.0 when it has fewer than ``n`` words).

    "a b c a b c a b c" (n=2) has 8 bigrams, 3 distinct: 0.625."""
    grams = ngrams(words(text), n)
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def _boxed(text: str) -> list[str]:
    out: list[str] = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append(text[m.end() : i - 1])
    return out


def _norm(answer: str) -> str:
    a = answer.strip().strip(".$ ").replace(",", "").replace(" ", "").lower()
    return re.sub(r"\.0+$", "", a)


def final_answers(text: str) -> list[str]:
    """The distinct final answers stated in ``text``, normalised (commas, spaces, ``$``, a trailing
    ``.0`` dropped), in order of appearance."""
    found = _boxed(text)
    for pattern in _ANSWER_PATTERNS:
        found.extend(m.group(1) for m in pattern.finditer(text))
    seen: list[str] = []
    for a in found:
        a = _norm(a)
        if a and a not in seen:
            seen.append(a)
    return seen


def pairwise_similarity(texts: Sequence[str], n: int = 3) -> float | None:
    """Mean Jaccard similarity of the word ``n``-gram sets of every pair in ``texts`` (None for < 2)."""
    if len(texts) < 2:
        return None
    sets = [set(ngrams(words(t), n)) for t in texts]
    sims = [len(a & b) / len(a | b) if a | b else 1.0 for a, b in combinations(sets, 2)]
    return sum(sims) / len(sims)
