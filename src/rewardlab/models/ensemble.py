"""Ensembles of Bradley-Terry reward models: K bootstrapped heads on one backbone, or K saved models, and
uncertainty-penalised scoring.

Training (``TrainSettings(heads=K)``, ``rewardlab train bt --heads K``): the sequence classifier gets
``num_labels=K`` outputs, one reward head each (a fresh ``Linear(h, K)`` holds K independently initialised
rows). Every training pair gets one Poisson(1) weight per head, drawn once from ``(seed, head)`` over the
position of the pair in the training set, so the weights are the same on resume; the loss is the mean
over heads of the weighted Bradley-Terry (or listwise) loss of :mod:`rewardlab.models.losses`. Held-out
metrics: ``accuracy`` of the ensemble mean, ``accuracy_h<k>`` of each head and ``head_std`` (the mean
population std of the heads' rewards for the preferred response). The config block records ``heads: K``
and the per-head reward mean/std (``head_reward_mean``, ``head_reward_std``); the directory loads with
plain ``AutoModelForSequenceClassification.from_pretrained`` and returns ``(N, K)`` logits.

Scoring (the ``reward_model`` reward): the members are every head of every model in ``path`` (a directory
or a list of directories, each scored with its own tokenizer and text format), in order. ``ensemble``:

- ``"mean"``: the mean of the members (Coste et al. 2023, "mean optimisation");
- ``"min"``: the worst member (Coste et al.'s worst-case optimisation);
- ``"mean-std"``: ``mean - k * std`` (Eisenstein et al. 2023's mean-minus-std; Coste et al.'s
  uncertainty-weighted optimisation penalises the variance instead).

``std`` is the *population* standard deviation (``ddof=0``): it is defined for a single member (0, so
``mean-std`` equals ``mean``) and it is what ``torch.std(unbiased=False)``/``numpy.std`` give. With
``normalize=True`` each member is standardised by its own saved training mean/std before aggregating, so
members trained to different offsets are comparable (``min`` and ``std`` are meaningless otherwise).

Differences from the anchors, on purpose: Coste et al. and Eisenstein et al. train K full models (Coste:
different seeds, the same data; Eisenstein: different pretraining seeds); Zhang et al. 2024 (arXiv
2401.16635) share the backbone and vary only linear heads. We offer both: K heads on one backbone cost
one forward pass (heads are correlated through the shared backbone, so their spread understates the
uncertainty of K full models), K directories cost K passes. Diversity between heads comes from their
initialisation and bootstrap weights (Osband et al. 2016's bootstrapped heads on a shared torso, with
Poisson(1) weights in place of Bernoulli masks: the classic resample-with-replacement in expectation).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardlab.core.types import RewardResult
from rewardlab.errors import ConfigError
from rewardlab.models._deps import torch
from rewardlab.models.bt import Group, RankTask, grouped, pad
from rewardlab.models.losses import bradley_terry_loss, listwise_loss

ENSEMBLES = ("mean", "min", "mean-std")


# -- training -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bagged(Group):
    """A training example with one bootstrap weight per head."""

    weights: tuple[float, ...] = ()


def bootstrap_weights(n: int, heads: int, seed: int) -> np.ndarray:
    """``(heads, n)`` Poisson(1) weights: row ``k`` drawn from ``numpy.random.default_rng([seed, k])``."""
    return np.stack([np.random.default_rng([seed, k]).poisson(1.0, size=n) for k in range(heads)]).astype(
        float
    )


def bag(items: Sequence[Group], heads: int, seed: int) -> list[Bagged]:
    """``items`` with their bootstrap weights (position ``i`` gets column ``i`` of the weights)."""
    w = bootstrap_weights(len(items), heads, seed)
    return [Bagged(g.index, g.ids, g.margin, tuple(float(x) for x in w[:, i])) for i, g in enumerate(items)]


class HeadsTask(RankTask):
    """The loss and metrics of a K-head ``bt`` or ``listwise`` model (see the module docstring); batching,
    the training step and evaluation are the one-head task's, over ``(B, G, K)`` rewards."""

    def __init__(self, kind: str, pad_id: int, heads: int, center_coef: float | None = None) -> None:
        super().__init__(kind, pad_id, center_coef)
        self.heads = heads

    def _rewards(self, model: Any, items: Sequence[Group], device: Any) -> tuple[Any, Any]:
        """``(B, G, K)`` rewards (G: the longest group, padded) and the ``(B, G)`` bool mask."""
        ids, attn = pad([s for g in items for s in g.ids], self.pad_id, device)
        return grouped(model(input_ids=ids, attention_mask=attn).logits.float(), items)  # logits: (N, K)

    def _loss(self, rewards: Any, mask: Any, items: Sequence[Group]) -> Any:
        t = torch()
        w = t.tensor(
            [list(x.weights) if isinstance(x, Bagged) else [1.0] * self.heads for x in items],
            dtype=rewards.dtype,
            device=rewards.device,
        )  # (B, K); held-out items weigh 1
        margin = t.tensor([x.margin for x in items], dtype=rewards.dtype, device=rewards.device)
        has_margin = any(x.margin for x in items)
        losses = []
        for k in range(self.heads):
            r = rewards[:, :, k]
            if self.kind == "listwise":
                losses.append(listwise_loss(r, mask, center_coef=self.center_coef, weight=w[:, k]))
            else:
                m = margin if has_margin else None
                losses.append(
                    bradley_terry_loss(r[:, 0], r[:, 1], m, center_coef=self.center_coef, weight=w[:, k])
                )
        return t.stack(losses).mean()

    def _counts(self, rewards: Any, mask: Any) -> dict[str, float]:
        r = rewards.detach()
        out = RankTask.counts_of(r.mean(dim=-1), mask)  # the ensemble mean: accuracy, ties, margin
        for k in range(self.heads):
            out[f"accuracy_h{k}"] = RankTask.counts_of(r[:, :, k], mask)["accuracy"]
        out["head_std"] = float(r[:, 0, :].std(dim=-1, unbiased=False).sum())
        return out

    def reward_stats(self, model: Any, items: Sequence[Group], device: Any, limit: int) -> dict[str, Any]:
        """Mean/std of the ensemble-mean reward (``reward_mean``, ``reward_std``) and of each head
        (``head_reward_mean``, ``head_reward_std``: lists of K) over up to ``limit`` training texts."""
        t = torch()
        seqs = [s for g in items for s in g.ids]
        if not seqs or limit == 0:
            return {}
        seqs = random.Random(0).sample(seqs, min(limit, len(seqs)))
        seqs.sort(key=len)
        parts = []
        for s in range(0, len(seqs), 16):
            ids, attn = pad(seqs[s : s + 16], self.pad_id, device)
            parts.append(model(input_ids=ids, attention_mask=attn).logits.float())
        r = t.cat(parts)  # (n, K)
        many = len(r) > 1
        mean = r.mean(dim=-1)
        return {
            "reward_mean": float(mean.mean()),
            "reward_std": float(mean.std()) if many else 0.0,
            "head_reward_mean": [float(x) for x in r.mean(dim=0)],
            "head_reward_std": [float(x) for x in r.std(dim=0)] if many else [0.0] * r.shape[1],
        }


# -- scoring --------------------------------------------------------------------------------------------
def check_ensemble(ensemble: Any, k: Any, problems: list[str]) -> None:
    """Append the problems of the ``ensemble`` and ``k`` options of ``reward_model`` to ``problems``."""
    if ensemble not in ENSEMBLES:
        problems.append(f"`ensemble` of reward_model must be one of {', '.join(ENSEMBLES)}, got {ensemble!r}")
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k < 0:
        problems.append(f"`k` of reward_model must be a finite number >= 0, got {k!r}")


def aggregate(members: Sequence[float], how: str, k: float = 1.0) -> tuple[float, float, float]:
    """``(score, mean, std)`` of one sample's member scores; ``std`` is the population std (``ddof=0``).

    ``how``: ``"mean"`` -> mean; ``"min"`` -> the smallest member; ``"mean-std"`` -> ``mean - k * std``.
    """
    n = len(members)
    if n == 0:
        raise ValueError("an ensemble needs at least one member score")
    mean = sum(members) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in members) / n)
    if how == "mean":
        return mean, mean, std
    if how == "min":
        return min(members), mean, std
    if how == "mean-std":
        return mean - k * std, mean, std
    raise ValueError(f"unknown ensemble aggregation {how!r}; expected one of {', '.join(ENSEMBLES)}")


def member_stats(info: dict[str, Any], heads: int, path: str) -> list[tuple[float, float]]:
    """``(mean, std)`` of each head of one checkpoint, for ``normalize=True``."""
    if heads > 1:
        means, stds = info.get("head_reward_mean"), info.get("head_reward_std")
        if not (isinstance(means, list) and isinstance(stds, list) and len(means) == len(stds) == heads):
            raise ConfigError(
                f"{path}: normalize=True but the checkpoint has no saved per-head reward mean/std"
            )
        return [(float(m), float(s)) for m, s in zip(means, stds, strict=True)]
    if "reward_std" not in info:
        raise ConfigError(f"{path}: normalize=True but the checkpoint has no saved reward mean/std")
    return [(float(info["reward_mean"]), float(info["reward_std"]))]


def ensemble_results(
    columns: Sequence[Sequence[Sequence[float]]],
    stats: Sequence[Sequence[tuple[float, float]]] | None,
    tokens: Sequence[Sequence[int]],
    *,
    how: str,
    k: float,
) -> list[RewardResult]:
    """One result per sample from each model's scores.

    ``columns[m][i]``: model ``m``'s ``K_m`` head scores of sample ``i``; ``stats[m][h]`` the ``(mean, std)``
    to standardise head ``h`` of model ``m`` with (None: raw scores); ``tokens[m][i]`` the tokens model
    ``m`` read. ``info`` holds ``members`` (the scores aggregated, standardised if asked), ``mean``,
    ``std``, ``ensemble`` and ``tokens`` (and ``raw_members`` when standardised).
    """
    out = []
    for i in range(len(columns[0])):
        raw = [float(v) for m in range(len(columns)) for v in columns[m][i]]
        members = raw
        if stats is not None:
            flat = [st for m in stats for st in m]
            members = [(v - mu) / (sd or 1.0) for v, (mu, sd) in zip(raw, flat, strict=True)]
        if not all(math.isfinite(v) for v in members):
            out.append(
                RewardResult.failure(ValueError(f"the ensemble returned a non-finite score ({members})"))
            )
            continue
        score, mean, std = aggregate(members, how, k)
        info: dict[str, Any] = {
            "members": members, "mean": mean, "std": std, "ensemble": how,
            "tokens": [int(tokens[m][i]) for m in range(len(columns))],
        }  # fmt: skip
        if stats is not None:
            info["raw_members"] = raw
        out.append(RewardResult(score=score, info=info))
    return out
