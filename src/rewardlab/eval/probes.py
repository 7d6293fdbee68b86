"""Robustness probes for scalar scorers: named, seeded transforms of real preference pairs.

Each probe rewrites one side of every pair (or the pairing itself) in a way that should not change which
response is better, or that tests one known weakness; the scorer's accuracy with and without it, and the
number of pairs whose outcome flips, show how much the scorer leans on that surface feature.

- ``verbosity``: the rejected response padded with 2-4 fluent filler sentences (seeded choice);
- ``markdown_on``: the rejected response dressed in markdown (a heading, bullet points, bold);
- ``markdown_off``: markdown stripped from the chosen response;
- ``contrast``: Contrast Instructions: the chosen response against the chosen response of another
  prompt (a seeded derangement) under the same instruction; a scorer that reads the instruction prefers
  the matched one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardlab.core.spec import RewardSpec
from rewardlab.errors import ConfigError
from rewardlab.eval import metrics as m
from rewardlab.eval.datasets import Pair, read_pairs
from rewardlab.eval.scoring import sample, score_samples

FILLER = (
    "It is worth noting that this is an important consideration.",
    "In summary, the points above cover the main aspects of the question.",
    "This approach is widely used and generally considered reliable.",
    "There are many factors to keep in mind, and each of them matters.",
    "Overall, this should give a clear and complete picture of the topic.",
    "As always, it helps to think carefully about the details involved.",
)

Transform = Callable[[list[Pair], random.Random], list[tuple[str, str, str]]]


def _verbosity(pairs: list[Pair], rng: random.Random) -> list[tuple[str, str, str]]:
    return [
        (p.prompt, p.chosen, p.rejected.rstrip() + " " + " ".join(rng.sample(FILLER, rng.randint(2, 4))))
        for p in pairs
    ]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _markdown_on(pairs: list[Pair], rng: random.Random) -> list[tuple[str, str, str]]:
    out = []
    for p in pairs:
        parts = _sentences(p.rejected)
        body = "\n".join(f"- **{s}**" if i == 0 else f"- {s}" for i, s in enumerate(parts)) or p.rejected
        out.append((p.prompt, p.chosen, f"## {rng.choice(['Answer', 'Overview', 'Summary'])}\n\n{body}"))
    return out


_MD = re.compile(r"^\s{0,3}#{1,6}\s*|^\s*[-*+]\s+|^\s*\d+\.\s+|\*\*|__|`", re.MULTILINE)


def _markdown_off(pairs: list[Pair], rng: random.Random) -> list[tuple[str, str, str]]:
    return [(p.prompt, _MD.sub("", p.chosen), p.rejected) for p in pairs]


def _contrast(pairs: list[Pair], rng: random.Random) -> list[tuple[str, str, str]]:
    n = len(pairs)
    if n < 2:
        raise ConfigError("the contrast probe needs at least two pairs")
    order = list(range(n))
    rng.shuffle(order)
    other = {order[i]: order[(i + 1) % n] for i in range(n)}  # a derangement: a cycle through a shuffle
    return [(p.prompt, p.chosen, pairs[other[i]].chosen) for i, p in enumerate(pairs)]


PROBES: dict[str, Transform] = {
    "verbosity": _verbosity,
    "markdown_on": _markdown_on,
    "markdown_off": _markdown_off,
    "contrast": _contrast,
}


def run_probes(
    data: str | Path,
    reward: RewardSpec,
    *,
    probes: Sequence[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
    timeout: float | None = 30.0,
    limit: int | None = None,
) -> dict[str, Any]:
    """Score the pairs of ``data`` as they are and under each probe; accuracy (ties are not wins), its
    drop, and the pairs whose outcome flipped. A pair with a scorer error on any side it needs is left
    out of that probe and counted."""
    names = list(probes or PROBES)
    unknown = [p for p in names if p not in PROBES]
    if unknown:
        raise ConfigError(f"unknown probe(s) {unknown}; known: {', '.join(PROBES)}")
    loaded = read_pairs(data)
    pairs = loaded.rows[:limit] if limit is not None else loaded.rows
    variants = {name: PROBES[name](pairs, random.Random(f"{seed}:{name}")) for name in names}
    texts: list[tuple[str, str]] = [(p.prompt, t) for p in pairs for t in (p.chosen, p.rejected)]
    for v in variants.values():
        texts += [(pr, t) for pr, c, r in v for t in (c, r)]
    unique = list(dict.fromkeys(texts))
    where = {t: i for i, t in enumerate(unique)}
    scored = score_samples(reward, [sample(pr, t) for pr, t in unique], workers=workers, timeout=timeout)
    s = scored.scores

    def pair_scores(items: list[tuple[str, str, str]]) -> list[tuple[float | None, float | None]]:
        return [(s[where[(pr, c)]], s[where[(pr, r)]]) for pr, c, r in items]

    base = pair_scores([(p.prompt, p.chosen, p.rejected) for p in pairs])
    out: dict[str, Any] = {}
    for name, items in variants.items():
        probed = pair_scores(items)
        ok = [i for i in range(len(pairs)) if None not in base[i] and None not in probed[i]]
        c0 = np.array([base[i][0] for i in ok], float)
        r0 = np.array([base[i][1] for i in ok], float)
        c1 = np.array([probed[i][0] for i in ok], float)
        r1 = np.array([probed[i][1] for i in ok], float)
        before = m.outcomes(c0, r0) > 0
        after = m.outcomes(c1, r1) > 0
        acc0 = float(before.mean()) if ok else None
        acc1 = float(after.mean()) if ok else None
        out[name] = {
            "n": len(ok),
            "accuracy": acc0,
            "accuracy_probed": acc1,
            "drop": None if acc0 is None or acc1 is None else acc0 - acc1,
            "flipped": int(np.sum(before != after)),
            "flipped_to_wrong": int(np.sum(before & ~after)),
            "errors": len(pairs) - len(ok),
        }
    return {
        "scorer": reward if isinstance(reward, str) else getattr(reward, "name", repr(reward)),
        "n": len(pairs),
        "seed": seed,
        "probes": out,
        "scorer_errors": scored.error_types(),
        "data": loaded.summary(),
    }
