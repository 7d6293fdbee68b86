"""Bradley-Terry and listwise reward models on any ``AutoModelForSequenceClassification`` backbone.

One scalar per text, read where the architecture reads it (BERT-like encoders: the pooled ``[CLS]``;
decoder LMs: the last non-padding token, found from ``config.pad_token_id``, so right padding is safe).

- ``kind="bt"``: ``-log sigmoid(r+ - r- - margin)`` per pair (a ranked list of ``K`` responses becomes
  ``K - 1`` pairs, the best against each other one), optional reward centring;
- ``kind="listwise"``: softmax cross-entropy over each list's jointly scored responses (YOJO).

Differences from the anchors, on purpose: TRL's ``RewardTrainer`` appends EOS, tokenises whole texts
and drops over-long pairs without a count; OpenRLHF's reward-model trainer truncates on the right. Here
truncation is explicit (shared prefix first by default: HH-RLHF pairs keep their differing last turn),
every cut and drop is counted in ``training.json``, and the trained reward mean/std is written into the
checkpoint's config for later normalisation.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.models._deps import quiet_transformers, torch
from rewardlab.models.data import Ranked
from rewardlab.models.encode import CutCounts, Wrap, encode_group, render
from rewardlab.models.losses import bradley_terry_loss, listwise_loss


@dataclass(frozen=True)
class Group:
    """An encoded example: ``ids[0]`` the preferred text's token ids, the rest the others'."""

    index: int
    ids: tuple[tuple[int, ...], ...]
    margin: float = 0.0


def encode_ranked(
    rows: Sequence[Ranked],
    tokenizer: Any,
    *,
    kind: str,
    max_length: int,
    side: Any,
    overflow: Any,
    chat_template: Any,
) -> tuple[list[Group], CutCounts]:
    """Render and tokenise every example (pairs for ``bt``, whole lists for ``listwise``)."""
    wrap = Wrap.of(tokenizer)
    counts = CutCounts()
    out: list[Group] = []
    with quiet_transformers():
        _encode_rows(rows, tokenizer, kind, max_length, side, overflow, chat_template, wrap, counts, out)
    return out, counts


def _encode_rows(
    rows: Sequence[Ranked], tokenizer: Any, kind: str, max_length: int, side: Any, overflow: Any,
    chat_template: Any, wrap: Wrap, counts: CutCounts, out: list[Group],
) -> None:  # fmt: skip
    for row in rows:
        texts = [render(tokenizer, row.prompt, r, chat_template=chat_template) for r in row.responses]
        groups = [texts] if kind == "listwise" else [[texts[0], other] for other in texts[1:]]
        for g in groups:
            ids = encode_group(
                tokenizer, g, max_length=max_length, side=side, overflow=overflow, wrap=wrap, counts=counts,
                index=row.index,
            )  # fmt: skip
            if ids is not None:
                out.append(Group(row.index, tuple(tuple(x) for x in ids), row.margin))


def pad(seqs: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[Any, Any]:
    """Right-padded ``(input_ids, attention_mask)``, both ``(N, max_len)``."""
    t = torch()
    n = max(len(s) for s in seqs)
    ids = t.full((len(seqs), n), pad_id, dtype=t.long)
    mask = t.zeros((len(seqs), n), dtype=t.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = t.tensor(s, dtype=t.long)
        mask[i, : len(s)] = 1
    return ids.to(device), mask.to(device)


def scalar_rewards(model: Any, seqs: Sequence[Sequence[int]], pad_id: int, device: Any) -> Any:
    """``(N,)`` rewards of ``N`` token sequences in one padded forward pass (the first logit)."""
    ids, mask = pad(seqs, pad_id, device)
    return model(input_ids=ids, attention_mask=mask).logits[:, 0].float()


def grouped(r: Any, items: Sequence[Group]) -> tuple[Any, Any]:
    """The flat rewards ``r`` (``(N, ...)``, the items' texts one after another) as ``(B, G, ...)``, ``G``
    the longest group (padded with 0), and the ``(B, G)`` bool mask of real responses."""
    t = torch()
    g = max(len(x.ids) for x in items)
    out = t.zeros((len(items), g, *r.shape[1:]), dtype=r.dtype, device=r.device)
    mask = t.zeros((len(items), g), dtype=t.bool, device=r.device)
    pos = 0
    for i, x in enumerate(items):
        out[i, : len(x.ids)] = r[pos : pos + len(x.ids)]
        mask[i, : len(x.ids)] = True
        pos += len(x.ids)
    return out, mask


class RankTask:
    """The loss and metrics of ``bt`` and ``listwise`` reward models (see the module docstring)."""

    def __init__(self, kind: str, pad_id: int, center_coef: float | None = None) -> None:
        self.kind = kind
        self.pad_id = pad_id
        self.center_coef = center_coef

    def cost(self, item: Group) -> int:
        return max(len(x) for x in item.ids) * len(item.ids)

    def tokens(self, item: Any) -> int:
        return sum(len(x) for x in item.ids)

    def _rewards(self, model: Any, items: Sequence[Group], device: Any) -> tuple[Any, Any]:
        return grouped(scalar_rewards(model, [s for g in items for s in g.ids], self.pad_id, device), items)

    def _loss(self, rewards: Any, mask: Any, items: Sequence[Group]) -> Any:
        t = torch()
        if self.kind == "listwise":
            return listwise_loss(rewards, mask, center_coef=self.center_coef)
        margin = t.tensor([g.margin for g in items], dtype=rewards.dtype, device=rewards.device)
        has_margin = any(g.margin for g in items)
        return bradley_terry_loss(
            rewards[:, 0], rewards[:, 1], margin if has_margin else None, center_coef=self.center_coef
        )

    def _counts(self, rewards: Any, mask: Any) -> dict[str, float]:
        return self.counts_of(rewards, mask)

    @staticmethod
    def counts_of(rewards: Any, mask: Any) -> dict[str, float]:
        """Summable counts of ``(B, G)`` rewards (the preferred response first): ``n``, ``accuracy``
        (the preferred one strictly above every other), ``ties`` and the summed ``margin``."""
        t = torch()
        others = rewards.detach().masked_fill(~mask, float("-inf"))[:, 1:].max(dim=-1).values
        best = rewards.detach()[:, 0]
        return {
            "n": float(len(best)),
            "accuracy": float((best > others).sum()),
            "ties": float((best == others).sum()),
            "margin": float(t.clamp(best - others, min=-1e9).sum()),
        }

    def loss(self, model: Any, items: Sequence[Group], device: Any) -> tuple[Any, dict[str, float]]:
        rewards, mask = self._rewards(model, items, device)
        return self._loss(rewards, mask, items), self._counts(rewards, mask)

    def evaluate(self, model: Any, items: Sequence[Group], device: Any, batch_size: int) -> dict[str, float]:
        order = sorted(range(len(items)), key=lambda i: -self.cost(items[i]))
        total: dict[str, float] = {}
        loss_sum = 0.0
        for s in range(0, len(order), batch_size):
            chunk = [items[i] for i in order[s : s + batch_size]]
            rewards, mask = self._rewards(model, chunk, device)
            loss_sum += float(self._loss(rewards, mask, chunk)) * len(chunk)
            for k, v in self._counts(rewards, mask).items():
                total[k] = total.get(k, 0.0) + v
        n = total.pop("n", 0.0) or 1.0
        return {"n": n, "loss": loss_sum / n, **{k: v / n for k, v in total.items()}}

    def reward_stats(self, model: Any, items: Sequence[Group], device: Any, limit: int) -> dict[str, float]:
        seqs = [s for g in items for s in g.ids]
        if not seqs or limit == 0:
            return {}
        seqs = random.Random(0).sample(seqs, min(limit, len(seqs)))
        seqs.sort(key=len)
        rs = torch().cat(
            [scalar_rewards(model, seqs[s : s + 16], self.pad_id, device) for s in range(0, len(seqs), 16)]
        )
        return {"reward_mean": float(rs.mean()), "reward_std": float(rs.std()) if len(rs) > 1 else 0.0}
