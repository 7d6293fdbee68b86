"""``self_certainty``: a label-free confidence reward from the rollout's own token log-probabilities.

The rollout carries its log-probs in ``metadata["logprobs"]``: a list with one entry per generated token,
each either the chosen token's log-prob (a number) or the top-k log-probs at that step (a list of
numbers, or of ``{"logprob": x}`` as OpenAI returns them; the chosen token's first). ``mode``:

- ``"self_certainty"`` (Intuitor / RLSC): the mean over tokens of ``KL(U || p)`` on the top-k
  distribution renormalised, ``-log k - (1/k) sum_j log p_j``; 0 for a uniform step, larger when peaked;
- ``"neg_entropy"``: minus the mean entropy of the renormalised top-k distributions;
- ``"mean_logprob"``: the mean log-prob of the chosen tokens (needs only the chosen token's).

These rewards need no label and are known to collapse (the policy rewards itself for being sure): use
them with a verifiable reward or a collapse monitor. Scores are unbounded in sign and scale; normalise
them per group (``rewardlab.credit``) before mixing. A rollout without log-probs is an error, not a 0.
"""

from __future__ import annotations

import math
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError

MODES = ("self_certainty", "neg_entropy", "mean_logprob")


def _step(entry: Any) -> list[float]:
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        return [float(entry)]
    if isinstance(entry, dict) and "logprob" in entry:
        return [float(entry["logprob"])]
    if isinstance(entry, list | tuple) and entry:
        return [float(e["logprob"]) if isinstance(e, dict) else float(e) for e in entry]
    raise ValueError(
        f"a log-prob entry must be a number, a list of numbers or of {{'logprob': x}}, got {entry!r}"
    )


class SelfCertainty(Reward):
    name = "self_certainty"

    def __init__(self, mode: str = "self_certainty") -> None:
        if mode not in MODES:
            raise ConfigError(f"`mode` of self_certainty must be one of {MODES}, got {mode!r}")
        self.mode = mode

    def compute(self, sample: Sample) -> RewardResult:
        raw = sample.metadata.get("logprobs") if isinstance(sample.metadata, dict) else None
        if not isinstance(raw, list) or not raw:
            raise ValueError("self_certainty needs the rollout's token log-probs in metadata['logprobs']")
        steps = [_step(e) for e in raw]
        if any(not all(math.isfinite(x) and x <= 1e-9 for x in st) for st in steps):
            raise ValueError("log-probs must be finite and <= 0")
        if self.mode == "mean_logprob":
            value = sum(st[0] for st in steps) / len(steps)
        else:
            total = 0.0
            for st in steps:
                if len(st) < 2:
                    raise ValueError(f"mode {self.mode!r} needs the top-k log-probs (k >= 2) at every step")
                probs = [math.exp(x) for x in st]
                z = sum(probs)
                p = [x / z for x in probs]
                if self.mode == "self_certainty":
                    total += -math.log(len(p)) - sum(math.log(x) for x in p) / len(p)
                else:
                    total += sum(x * math.log(x) for x in p if x > 0)  # minus the entropy
            value = total / len(steps)
        return RewardResult(score=value, info={"tokens": len(steps), "mode": self.mode})
