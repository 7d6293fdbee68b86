"""``group_coverage``: diminishing-returns coverage of facts (nuggets) across the group's rollouts.

The facts are ``reference["facts"]`` (or ``metadata["facts"]``, or a plain list as the reference): strings,
or ``{"text": ..., "weight": w}``. A rollout covers a fact when the fact's words appear in it (all of them
by default; ``match = "any"``; or ``"substring"``, case-insensitive). The group's coverage is the weighted
share of facts covered by at least one member, ``f(S) = sum_{fact covered by S} w / sum w``, which is
monotone submodular (Submodular RL's diminishing returns). A rollout scores its marginal gain:

- ``gain = "loo"`` (default): ``f(S) - f(S without it)``, what only it covers;
- ``gain = "sequential"``: ``f(first i+1) - f(first i)`` in group order (a greedy, order-dependent split
  that sums to ``f(S)``).

``info``: ``coverage`` (the group's), ``covered`` (the ids of the facts this rollout covers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rewardlab.core.group import GroupReward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError


def _facts(sample: Sample) -> list[tuple[str, float]]:
    ref = sample.reference
    raw = ref.get("facts") if isinstance(ref, dict) else ref if isinstance(ref, list) else None
    if raw is None and isinstance(sample.metadata, dict):
        raw = sample.metadata.get("facts")
    if not isinstance(raw, list) or not raw:
        raise ValueError(
            "group_coverage needs facts: reference['facts'], a list reference, or metadata['facts']"
        )
    out = []
    for f in raw:
        if isinstance(f, str):
            out.append((f, 1.0))
        elif isinstance(f, dict) and isinstance(f.get("text"), str):
            w = f.get("weight", 1.0)
            if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
                raise ValueError(f"fact weight must be a number >= 0, got {w!r}")
            out.append((f["text"], float(w)))
        else:
            raise ValueError(f"a fact must be a string or {{'text', 'weight'}}, got {f!r}")
    return out


class GroupCoverage(GroupReward):
    name = "group_coverage"

    def __init__(self, match: str = "all", gain: str = "loo") -> None:
        if match not in ("all", "any", "substring"):
            raise ConfigError(f"`match` of group_coverage must be 'all', 'any' or 'substring', got {match!r}")
        if gain not in ("loo", "sequential"):
            raise ConfigError(f"`gain` of group_coverage must be 'loo' or 'sequential', got {gain!r}")
        self.match, self.gain = match, gain

    def _covers(self, text: str, fact: str) -> bool:
        if self.match == "substring":
            return fact.lower() in text.lower()
        words = set(re.findall(r"\w+", text.lower()))
        need = re.findall(r"\w+", fact.lower())
        if not need:
            return False
        return all(w in words for w in need) if self.match == "all" else any(w in words for w in need)

    def score_group(self, samples: Sequence[Sample]) -> list[RewardResult]:
        facts = _facts(samples[0])
        total = sum(w for _, w in facts) or 1.0
        covers = [
            {j for j, (f, _) in enumerate(facts) if self._covers(s.completion_text, f)} for s in samples
        ]

        def value(members: Sequence[int]) -> float:
            got: set[int] = set().union(*(covers[i] for i in members)) if members else set()
            return sum(facts[j][1] for j in got) / total

        n = len(samples)
        whole = value(range(n))
        out = []
        for i in range(n):
            if self.gain == "loo":
                g = whole - value([j for j in range(n) if j != i])
            else:
                g = value(range(i + 1)) - value(range(i))
            out.append(RewardResult(score=g, info={"coverage": whole, "covered": sorted(covers[i])}))
        return out
