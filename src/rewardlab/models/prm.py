"""Process reward models: token classification at step separators.

Layout of one solution (token ids, built piece by piece so that every step boundary is exact)::

    [specials] problem SEP step_1 SEP step_2 SEP ... step_n SEP [specials]

``SEP`` is the tokenised ``separator`` (``"\\n\\n"`` as Qwen's PRMs and ProcessBench's joined steps use;
``"\\n"`` as TRL's former PRM trainer had it). A tokenizer that encodes the separator to nothing
(BERT-like tokenizers drop whitespace) gets its ``sep``/``eos`` token as the step marker instead; the
marker's ids are saved in the checkpoint config (``rewardlab.step_token_ids``), so scoring builds the
same layout. The label of step ``i`` sits on the last token of the ``SEP`` that follows it; every other
position is ``-100``. Two classes: 1 = the step is correct; a step score is ``softmax(logits)[1]``.

Training rows (``.jsonl``/``.jsonl.gz``/``.parquet``/ProcessBench ``.json``):

- per-step labels ``{prompt|problem, steps|completions: [...], labels: [1, 0, ...]}`` (booleans allowed:
  TRL's stepwise-supervision format);
- ProcessBench's earliest wrong step ``{problem, steps, label: k}`` (``-1``: every step correct): steps
  before ``k`` are positive, step ``k`` negative, later steps masked (``after_error="mask"``, the
  default: nothing is known about them) or negative (``"negative"``).

Over-long solutions lose the start of the problem first, then trailing steps (their labels are lost;
counted as ``steps_cut``). TRL removed its PRM trainer and OpenRLHF its PRM training; this module is the
maintained replacement, with the separator convention explicit instead of implied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import BadRecord, records, sha256_of
from rewardlab.io import BadRow, read_rows
from rewardlab.models._deps import torch
from rewardlab.models.data import data_report
from rewardlab.models.encode import Wrap
from rewardlab.models.losses import step_cross_entropy

AFTER_ERROR = ("mask", "negative")
AGGREGATES = ("min", "last", "product", "mean")


def aggregate_steps(scores: Sequence[float], how: str) -> float:
    """One score from per-step scores: ``min`` (the weakest step), ``last``, ``product`` or ``mean``."""
    if not scores:
        raise ValueError("no step scores to aggregate (the completion has no steps)")
    if how == "min":
        return min(scores)
    if how == "last":
        return scores[-1]
    if how == "product":
        return math.prod(scores)
    if how == "mean":
        return sum(scores) / len(scores)
    raise ValueError(f"`aggregate` must be one of {', '.join(AGGREGATES)}, got {how!r}")


@dataclass(frozen=True)
class Solution:
    """A training solution: ``labels[i]`` is 1 (correct), 0 (wrong) or None (masked) for step ``i``;
    ``earliest`` is the first wrong step (-1: none), for ProcessBench-style evaluation."""

    index: int
    problem: str
    steps: tuple[str, ...]
    labels: tuple[int | None, ...]
    earliest: int


@dataclass
class SolutionData:
    rows: list[Solution]
    bad: list[BadRecord] = field(default_factory=list)
    path: str = ""
    sha256: str = ""

    def report(self) -> dict[str, Any]:
        return data_report(self.path, self.sha256, len(self.rows), self.bad)


class _Bad(ValueError):
    pass


def parse_solution(index: int, row: Mapping[str, Any], *, after_error: str = "mask") -> Solution:
    """One row as a :class:`Solution` (see the module docstring); ``ValueError`` with the reason if bad."""
    problem = row.get("problem", row.get("prompt"))
    if not isinstance(problem, str):
        raise _Bad("missing column 'problem' (or 'prompt')")
    steps = row.get("steps", row.get("completions"))
    if not isinstance(steps, list) or not steps:
        raise _Bad("missing column 'steps': a non-empty list of step texts")
    if not all(isinstance(s, str) and s.strip() for s in steps):
        raise _Bad("empty step: every step must be non-empty text")
    if row.get("labels") is not None:
        raw = row["labels"]
        if not isinstance(raw, list) or len(raw) != len(steps):
            raise _Bad(f"bad labels: 'labels' must be a list of {len(steps)} values (one per step)")
        if not all(isinstance(x, bool) or x in (0, 1) for x in raw):
            raise _Bad("bad labels: each label must be 0/1 or true/false")
        labels: tuple[int | None, ...] = tuple(int(x) for x in raw)
        earliest = next((i for i, x in enumerate(labels) if x == 0), -1)
    elif row.get("label") is not None:
        k = row["label"]
        if isinstance(k, bool) or not isinstance(k, int) or not -1 <= k < len(steps):
            raise _Bad(f"bad label: 'label' (earliest wrong step) must be in -1..{len(steps) - 1}, got {k!r}")
        after = None if after_error == "mask" else 0
        labels = tuple(1 if k == -1 or i < k else 0 if i == k else after for i in range(len(steps)))
        earliest = k
    else:
        raise _Bad("missing column 'labels' (per step) or 'label' (earliest wrong step)")
    return Solution(index, problem, tuple(steps), labels, earliest)


def read_solutions(
    path: str | Path, *, on_bad: str = "skip", after_error: str = "mask", limit: int | None = None
) -> SolutionData:
    """Every row of ``path`` as a :class:`Solution`; bad rows reported with index and reason."""
    if after_error not in AFTER_ERROR:
        raise ConfigError(f"`after_error` must be 'mask' or 'negative', got {after_error!r}")
    p = Path(path)
    out = SolutionData(rows=[], path=str(p))
    source: Any = records(p) if p.name.endswith((".json", ".json.gz")) else enumerate(read_rows(p))
    for index, row in source:
        if limit is not None and index >= limit:
            break
        if isinstance(row, BadRow | BadRecord):
            out.bad.append(BadRecord(index, f"unreadable: {row.reason}"))
            continue
        if not isinstance(row, Mapping):
            out.bad.append(BadRecord(index, f"unreadable: expected an object, got {type(row).__name__}"))
            continue
        try:
            out.rows.append(parse_solution(index, row, after_error=after_error))
        except _Bad as exc:
            out.bad.append(BadRecord(index, str(exc)))
    out.sha256 = sha256_of(p)
    if on_bad == "error" and out.bad:
        raise ConfigError([f"row {b.index}: {b.reason}" for b in out.bad], where=f"training data {p}")
    return out


def step_marker(tokenizer: Any, separator: str) -> list[int]:
    """The token ids of the separator, or the tokenizer's sep/eos token when it encodes to nothing."""
    ids = list(tokenizer(separator, add_special_tokens=False)["input_ids"])
    if ids:
        return ids
    for name in ("sep_token_id", "eos_token_id", "unk_token_id"):
        tid = getattr(tokenizer, name, None)
        if isinstance(tid, int):
            return [tid]
    raise ConfigError(f"separator {separator!r} encodes to no token and the tokenizer has no sep/eos token")


@dataclass(frozen=True)
class Encoded:
    ids: tuple[int, ...]
    positions: tuple[int, ...]  # index of each visible step's label token
    labels: tuple[int | None, ...]  # labels of the visible steps
    earliest: int
    steps: int  # steps in the solution (visible or not)


def layout(
    tokenizer: Any, problem: str, steps: Sequence[str], marker: Sequence[int], wrap: Wrap, max_length: int
) -> tuple[list[int], list[int], int]:
    """``(ids, label positions of the visible steps, problem tokens cut)`` for one solution."""
    budget = max_length - wrap.size
    body: list[int] = list(marker)
    ends: list[int] = []
    for s in steps:
        body += list(tokenizer(s, add_special_tokens=False)["input_ids"]) + list(marker)
        ends.append(len(body) - 1)
    prob = list(tokenizer(problem, add_special_tokens=False)["input_ids"])
    keep = max(0, min(len(prob), budget - len(body)))
    cut = len(prob) - keep
    prob = prob[len(prob) - keep :]
    ids = wrap((prob + body)[:budget])
    offset = len(wrap.prefix) + len(prob)
    positions = [offset + e for e in ends if len(prob) + e < budget]
    return ids, positions, cut


def encode_solutions(
    rows: Sequence[Solution], tokenizer: Any, *, separator: str, max_length: int
) -> tuple[list[Encoded], dict[str, int]]:
    wrap, marker = Wrap.of(tokenizer), step_marker(tokenizer, separator)
    out, counts = [], {"solutions": 0, "problem_truncated": 0, "steps_cut": 0, "solutions_with_steps_cut": 0}
    for r in rows:
        ids, pos, cut = layout(tokenizer, r.problem, r.steps, marker, wrap, max_length)
        counts["solutions"] += 1
        counts["problem_truncated"] += int(cut > 0)
        lost = len(r.steps) - len(pos)
        counts["steps_cut"] += lost
        counts["solutions_with_steps_cut"] += int(lost > 0)
        if pos:
            out.append(Encoded(tuple(ids), tuple(pos), r.labels[: len(pos)], r.earliest, len(r.steps)))
    return out, counts


def _batch(items: Sequence[Encoded], pad_id: int, device: Any, *, with_labels: bool) -> dict[str, Any]:
    t = torch()
    n = max(len(x.ids) for x in items)
    ids = t.full((len(items), n), pad_id, dtype=t.long)
    mask = t.zeros((len(items), n), dtype=t.long)
    labels = t.full((len(items), n), -100, dtype=t.long)
    for i, x in enumerate(items):
        ids[i, : len(x.ids)] = t.tensor(x.ids)
        mask[i, : len(x.ids)] = 1
        if with_labels:
            for p, y in zip(x.positions, x.labels, strict=True):
                if y is not None:
                    labels[i, p] = y
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device), "labels": labels.to(device)}


class PrmTask:
    """Loss and metrics of a token-classification PRM."""

    kind = "prm"

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def cost(self, item: Encoded) -> int:
        return len(item.ids)

    def tokens(self, item: Any) -> int:
        return len(item.ids)

    def loss(self, model: Any, items: Sequence[Encoded], device: Any) -> tuple[Any, dict[str, float]]:
        b = _batch(items, self.pad_id, device, with_labels=True)
        logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
        loss = step_cross_entropy(logits, b["labels"])
        seen = b["labels"] != -100
        right = (logits.detach().argmax(-1) == b["labels"]) & seen
        return loss, {"n": float(seen.sum()), "step_accuracy": float(right.sum())}

    def step_probs(self, model: Any, items: Sequence[Encoded], device: Any) -> list[list[float]]:
        b = _batch(items, self.pad_id, device, with_labels=False)
        probs = torch().softmax(
            model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits.float(), -1
        )
        return [[float(probs[i, p, 1]) for p in x.positions] for i, x in enumerate(items)]

    def evaluate(
        self, model: Any, items: Sequence[Encoded], device: Any, batch_size: int
    ) -> dict[str, float]:
        import numpy as np

        from rewardlab.eval.metrics import earliest_error, processbench_score

        order = sorted(range(len(items)), key=lambda i: len(items[i].ids))
        probs: dict[int, list[float]] = {}
        loss_sum, right, seen = 0.0, 0.0, 0.0
        for s in range(0, len(order), batch_size):
            chunk = [items[i] for i in order[s : s + batch_size]]
            loss, counts = self.loss(model, chunk, device)
            if counts["n"]:
                loss_sum += float(loss) * counts["n"]
            right, seen = right + counts["step_accuracy"], seen + counts["n"]
            for i, p in zip(order[s : s + batch_size], self.step_probs(model, chunk, device), strict=True):
                probs[i] = p
        # the predicted earliest error is the first step with p(correct) < 0.5 (ProcessBench's reading)
        errs = earliest_error([probs[i] for i in range(len(items))], 0.5)
        gold = np.array([x.earliest for x in items])
        pb = processbench_score(errs, gold)
        return {
            "n": float(len(items)),
            "loss": loss_sum / seen if seen else math.nan,
            "step_accuracy": right / seen if seen else math.nan,
            "processbench_f1": pb.f1,
            "error_accuracy": pb.error_accuracy,
            "correct_accuracy": pb.correct_accuracy,
        }

    def reward_stats(self, model: Any, items: Sequence[Encoded], device: Any, limit: int) -> dict[str, float]:
        return {}


def prepare(
    model: str | Path,
    data: str | Path,
    st: Any,
    *,
    eval_data: str | Path | None,
    limit: int | None,
    ckpt: Path | None,
    options: Mapping[str, Any],
) -> tuple[Any, list[Any], list[Any], dict[str, Any], dict[str, Any], Any, Any]:
    """Data, model and task for ``train_reward_model("prm", ...)``."""
    from rewardlab.models.checkpoint import load_backbone
    from rewardlab.models.trainer import split

    separator = str(options.get("separator", "\n\n"))
    after_error = str(options.get("after_error", "mask"))
    if not separator:
        raise ConfigError("`separator` of prm must be a non-empty string")
    loaded = read_solutions(data, on_bad=st.on_bad, after_error=after_error, limit=limit)
    if eval_data is not None:
        train_rows = loaded.rows
        held_rows = read_solutions(eval_data, on_bad=st.on_bad, after_error=after_error).rows
    else:
        train_rows, held_rows = split(loaded.rows, st.eval_fraction, st.seed)
    m, tok = load_backbone(ckpt or model, kind="prm", num_labels=2)
    train, c_train = encode_solutions(train_rows, tok, separator=separator, max_length=st.max_length)
    held, c_held = encode_solutions(held_rows, tok, separator=separator, max_length=st.max_length)
    info = {
        "kind": "prm", "head": "linear", "max_length": st.max_length, "separator": separator,
        "step_token_ids": step_marker(tok, separator), "after_error": after_error, "data_sha256": loaded.sha256,
        "chat_template": "never",
    }  # fmt: skip
    report = {"data": loaded.report(), "truncation": {"train": c_train, "held_out": c_held}}
    return PrmTask(tok.pad_token_id), train, held, report, info, m, tok


def score_steps(lm: Any, samples: Sequence[Sample], *, batch_size: int, aggregate: str) -> list[RewardResult]:
    """Step scores of each sample's completion (split at the checkpoint's separator) and their aggregate."""
    separator = str(lm.info.get("separator", "\n\n"))
    marker = [int(x) for x in lm.info.get("step_token_ids") or step_marker(lm.tok, separator)]
    task = PrmTask(lm.tok.pad_token_id)
    encoded: dict[int, Encoded] = {}
    out: list[RewardResult | None] = [None] * len(samples)
    for i, s in enumerate(samples):
        steps = [x for x in s.completion_text.split(separator) if x.strip()]
        if not steps:
            out[i] = RewardResult.failure(ValueError("the completion has no steps to score"))
            continue
        ids, pos, _ = layout(lm.tok, s.prompt_text, steps, marker, lm.wrap, lm.max_len)
        if not pos:
            out[i] = RewardResult.failure(ValueError(f"no step fits in {lm.max_len} tokens"))
            continue
        encoded[i] = Encoded(tuple(ids), tuple(pos), (None,) * len(pos), -1, len(steps))
    order = sorted(encoded, key=lambda i: len(encoded[i].ids))
    with torch().inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            for i, probs in zip(
                idx, task.step_probs(lm.model, [encoded[j] for j in idx], lm.device), strict=True
            ):
                info: dict[str, Any] = {"steps": encoded[i].steps, "steps_scored": len(probs)}
                out[i] = RewardResult(score=aggregate_steps(probs, aggregate), step_scores=probs, info=info)
    return [r for r in out if r is not None]
