"""Novelty bonuses: global (across training, in an explicit memory) and episodic (within an episode),
and the cross-turn repetition penalty on discourse moves (MINT).

- :class:`NoveltyMemory` is the state that lives across training steps: counts of hashed features of
  what the policy has produced (the whole answer, or word n-grams), with :meth:`~NoveltyMemory.save` and
  :meth:`~NoveltyMemory.load`. It is an explicit object the adapter or training loop keeps, never a
  module global; :meth:`~NoveltyMemory.update` records a step's rollouts after they are scored.
- ``global_novelty`` scores ``1 / sqrt(1 + count)`` of a rollout's features in the memory (the mean over
  its n-grams for ``features = "ngram"``): 1.0 for something never seen, decaying with repeats. Scoring
  reads the memory; it does not change it (the caller updates it after the step, so every rollout of a
  step sees the same memory). Run it in this process (``workers=0``) or one worker, or give each step a
  fresh reward with the current memory: worker processes hold a copy.
- ``episodic_novelty`` scores the share of an episode's assistant turns that say something new within
  the episode (a turn whose n-grams mostly appeared in an earlier turn is a repeat), the per-turn values
  as ``step_scores``. Stateless.
- ``combined_novelty`` multiplies the two (the global bonus gates the episodic one, as in "Global vs
  episodic exploration bonuses"), or adds them (``combine = "sum"``).
- ``move_repetition`` is a penalty factor in [0, 1] for repeated discourse moves across turns (MINT): each
  assistant turn's move is its first sentence with numbers and names masked; the factor is the share of
  turns whose move did not occur before. Use it with ``rl.penalize``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError


def _ngrams(text: str, n: int) -> list[str]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _hash(feature: str) -> str:
    return hashlib.blake2b(feature.encode("utf-8"), digest_size=8).hexdigest()


class NoveltyMemory:
    """Counts of hashed features seen across training (see the module docstring)."""

    def __init__(self, features: str = "answer", n: int = 3, counts: dict[str, int] | None = None) -> None:
        if features not in ("answer", "ngram"):
            raise ConfigError(f"`features` of NoveltyMemory must be 'answer' or 'ngram', got {features!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"`n` of NoveltyMemory must be an integer >= 1, got {n!r}")
        self.features, self.n = features, n
        self.counts: dict[str, int] = dict(counts or {})

    def keys(self, text: str) -> list[str]:
        if self.features == "answer":
            norm = " ".join(re.findall(r"\w+", text.lower()))
            return [_hash(norm)] if norm else []
        return [_hash(g) for g in _ngrams(text, self.n)]

    def bonus(self, text: str) -> float:
        keys = self.keys(text)
        if not keys:
            return 0.0
        return sum(1.0 / math.sqrt(1 + self.counts.get(k, 0)) for k in keys) / len(keys)

    def update(self, rollouts: Iterable[Sample | str]) -> None:
        """Record rollouts (after the step that produced them is scored)."""
        for r in rollouts:
            text = r.completion_text if isinstance(r, Sample) else str(r)
            for k in self.keys(text):
                self.counts[k] = self.counts.get(k, 0) + 1

    def save(self, path: str | Path) -> Path:
        out = Path(path)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        tmp.write_text(
            json.dumps({"features": self.features, "n": self.n, "counts": self.counts}), encoding="utf-8"
        )
        os.replace(tmp, out)
        return out

    @classmethod
    def load(cls, path: str | Path) -> NoveltyMemory:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["features"], data["n"], data["counts"])


def _assistant_turns(sample: Sample) -> list[str]:
    c = sample.completion
    if isinstance(c, list):
        return [
            str(m.get("content") or "") for m in c if isinstance(m, dict) and m.get("role") == "assistant"
        ]
    return [t for t in re.split(r"\n\s*\n", str(c)) if t.strip()]


class GlobalNovelty(Reward):
    name = "global_novelty"

    def __init__(
        self, memory: NoveltyMemory | str | None = None, features: str = "answer", n: int = 3
    ) -> None:
        if isinstance(memory, str):
            memory = NoveltyMemory.load(memory) if Path(memory).exists() else NoveltyMemory(features, n)
        self.memory = memory if memory is not None else NoveltyMemory(features, n)

    def compute(self, sample: Sample) -> RewardResult:
        return RewardResult(score=self.memory.bonus(sample.completion_text))


class EpisodicNovelty(Reward):
    name = "episodic_novelty"

    def __init__(self, n: int = 3, repeat_threshold: float = 0.5) -> None:
        self.n, self.repeat_threshold = n, float(repeat_threshold)

    def compute(self, sample: Sample) -> RewardResult:
        turns = _assistant_turns(sample)
        if not turns:
            return RewardResult(score=0.0, info={"turns": 0})
        seen: set[str] = set()
        steps = []
        for t in turns:
            grams = set(_ngrams(t, self.n))
            old = len(grams & seen) / len(grams) if grams else 1.0
            steps.append(0.0 if old >= self.repeat_threshold else 1.0)
            seen |= grams
        return RewardResult(score=sum(steps) / len(steps), step_scores=steps, info={"turns": len(turns)})


class CombinedNovelty(Reward):
    name = "combined_novelty"

    def __init__(
        self, memory: NoveltyMemory | str | None = None, combine: str = "product", n: int = 3
    ) -> None:
        if combine not in ("product", "sum"):
            raise ConfigError(f"`combine` of combined_novelty must be 'product' or 'sum', got {combine!r}")
        self.combine = combine
        self.global_ = GlobalNovelty(memory, n=n)
        self.episodic = EpisodicNovelty(n=n)

    def children(self) -> list[tuple[str, Any]]:
        return [("global", self.global_), ("episodic", self.episodic)]

    def compute(self, sample: Sample) -> RewardResult:
        g = self.global_(sample).score or 0.0
        e = self.episodic(sample).score or 0.0
        score = g * e if self.combine == "product" else g + e
        return RewardResult(score=score, components={"global": g, "episodic": e})


_MASK = re.compile(r"\d+(?:[.,]\d+)*|\b[A-Z][a-z]+\b")


class MoveRepetition(Reward):
    name = "move_repetition"

    def compute(self, sample: Sample) -> RewardResult:
        turns = _assistant_turns(sample)
        if not turns:
            return RewardResult(score=1.0, info={"turns": 0})
        seen: set[str] = set()
        fresh = []
        for t in turns:
            first = re.split(r"(?<=[.!?])\s+", t.strip(), maxsplit=1)[0]
            move = " ".join(_MASK.sub("#", first).lower().split())
            fresh.append(0.0 if move in seen else 1.0)
            seen.add(move)
        return RewardResult(score=sum(fresh) / len(fresh), step_scores=fresh, info={"turns": len(turns)})


def _entropy(p: dict[Any, float]) -> float:
    return -sum(x * math.log(x) for x in p.values() if x > 0)


class InformationGain(Reward):
    """Entropy reduction over a discrete hypothesis set, turn by turn (Dialogue as Discovery).

    ``posterior`` is an import path ``"pkg.mod:fn"`` of ``fn(sample, turns) -> {hypothesis: probability}``,
    the belief after the given assistant turns (``turns`` empty: the prior). A turn's reward is
    ``H(before) - H(after)`` (``step_scores``); the score is their sum, ``H(prior) - H(final)``.
    """

    name = "information_gain"

    def __init__(self, posterior: str = "") -> None:
        import importlib

        if not isinstance(posterior, str) or ":" not in posterior:
            raise ConfigError("`posterior` of information_gain must be an import path 'pkg.mod:function'")
        mod, _, fn = posterior.partition(":")
        try:
            self._fn = getattr(importlib.import_module(mod), fn)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"`posterior` of information_gain: cannot import {posterior!r}: {exc}") from exc
        self.posterior = posterior

    def __getstate__(self) -> dict[str, Any]:
        return {"posterior": self.posterior}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["posterior"])  # type: ignore[misc]

    def _belief(self, sample: Sample, turns: Sequence[str]) -> dict[Any, float]:
        p = self._fn(sample, list(turns))
        if not isinstance(p, dict) or not p:
            raise ValueError("the posterior must return a non-empty {hypothesis: probability} dict")
        total = sum(float(v) for v in p.values())
        if not math.isfinite(total) or total <= 0 or any(float(v) < 0 for v in p.values()):
            raise ValueError("the posterior's probabilities must be >= 0 with a positive finite sum")
        return {k: float(v) / total for k, v in p.items()}

    def compute(self, sample: Sample) -> RewardResult:
        turns = _assistant_turns(sample)
        h = [_entropy(self._belief(sample, turns[:t])) for t in range(len(turns) + 1)]
        steps = [h[t] - h[t + 1] for t in range(len(turns))]
        return RewardResult(score=h[0] - h[-1], step_scores=steps or None, info={"entropy": h})
