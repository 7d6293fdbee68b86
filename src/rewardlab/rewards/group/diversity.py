"""``group_diversity``: the Vendi score of the group, and each rollout's leave-one-out share of it.

The Vendi score (Friedman & Dieng; DRAGON uses it as a diversity reward) of ``n`` items with a similarity
matrix ``K`` (``K[i, i] = 1``) is ``exp(H(λ / n))``, the exponential of the Shannon entropy of the
eigenvalues of ``K / n``: the effective number of distinct items, between 1 (all alike) and ``n`` (all
different). A rollout's bonus is its leave-one-out contribution ``VS(group) - VS(group without it)``,
clipped to [0, 1]: a member unlike all the others adds 1, a duplicate of another member adds nothing.

``similarity``: ``"ngram"`` (cosine of word n-gram counts, ``n`` words, default 2) or ``"char"``
(character 4-grams), or an import path ``"pkg.mod:function"`` of ``f(texts) -> n x n array`` (e.g. an
embedding model's cosine similarities). ``info``: ``vendi`` (the group's score), ``loo`` (this rollout's
unscaled contribution).
"""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rewardlab.core.group import GroupReward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError


def vendi(K: np.ndarray) -> float:
    """The Vendi score of a similarity matrix with a unit diagonal."""
    n = K.shape[0]
    if n == 0:
        return 0.0
    eig = np.linalg.eigvalsh((K + K.T) / 2 / n)
    eig = eig[eig > 1e-12]
    return float(math.exp(-float(np.sum(eig * np.log(eig)))))


def _grams(text: str, n: int, chars: bool) -> Counter[str]:
    if chars:
        t = " ".join(text.lower().split())
        return Counter(t[i : i + n] for i in range(max(1, len(t) - n + 1)))
    words = re.findall(r"\w+", text.lower())
    if len(words) < n:
        return Counter([" ".join(words)]) if words else Counter()
    return Counter(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))


def ngram_similarity(texts: Sequence[str], n: int = 2, chars: bool = False) -> np.ndarray:
    """Cosine similarity of n-gram count vectors (1.0 on the diagonal; two empty texts are alike)."""
    grams = [_grams(t, n, chars) for t in texts]
    vocab = {g: i for i, g in enumerate(sorted({g for c in grams for g in c}))}
    M = np.zeros((len(texts), max(1, len(vocab))))
    for row, c in enumerate(grams):
        for g, k in c.items():
            M[row, vocab[g]] = k
    norms = np.linalg.norm(M, axis=1)
    K = np.eye(len(texts))
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if norms[i] == 0 and norms[j] == 0:
                sim = 1.0
            elif norms[i] == 0 or norms[j] == 0:
                sim = 0.0
            else:
                sim = float(M[i] @ M[j] / (norms[i] * norms[j]))
            K[i, j] = K[j, i] = sim
    return K


class GroupDiversity(GroupReward):
    name = "group_diversity"

    def __init__(self, similarity: str = "ngram", n: int = 2) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"`n` of group_diversity must be an integer >= 1, got {n!r}")
        self.similarity = similarity
        self.n = n
        self._sim = self._build(similarity)

    def _build(self, similarity: str) -> Callable[[Sequence[str]], Any]:
        if similarity == "ngram":
            return lambda texts: ngram_similarity(texts, self.n)
        if similarity == "char":
            return lambda texts: ngram_similarity(texts, 4, chars=True)
        if isinstance(similarity, str) and ":" in similarity:
            mod, _, fn = similarity.partition(":")
            try:
                return getattr(importlib.import_module(mod), fn)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(
                    f"`similarity` of group_diversity: cannot import {similarity!r}: {exc}"
                ) from exc
        raise ConfigError(
            f"`similarity` of group_diversity must be 'ngram', 'char' or 'pkg.mod:function', got {similarity!r}"
        )

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_sim"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sim = self._build(self.similarity)

    def score_group(self, samples: Sequence[Sample]) -> list[RewardResult]:
        texts = [s.completion_text for s in samples]
        K = np.asarray(self._sim(texts), dtype=float)
        n = len(texts)
        if K.shape != (n, n) or not np.all(np.isfinite(K)):
            raise ValueError(
                f"group_diversity: the similarity gave a {K.shape} matrix (want {n} x {n}, finite)"
            )
        whole = vendi(K)
        out = []
        for i in range(n):
            keep = [j for j in range(n) if j != i]
            loo = whole - vendi(K[np.ix_(keep, keep)])
            bonus = min(1.0, max(0.0, loo)) if n > 1 else 0.0
            out.append(RewardResult(score=bonus, info={"vendi": whole, "loo": loo}))
        return out
