"""Multi-attribute reward models: one regression head per named attribute (``rewardlab train attributes``).

The first stage of ArmoRM (Wang et al. 2024, "Interpretable Preferences via Multi-Objective Reward
Modeling and Mixture-of-Experts") and the HelpSteer/HelpSteer2 regression models (Wang et al. 2023/2024):
a sequence classifier with ``num_labels = A`` outputs, trained by mean squared error against ratings such
as helpfulness, correctness, coherence, complexity and verbosity. Scoring (``reward_model``) returns the A
values as ``RewardResult.components`` (the vector reward :func:`rewardlab.credit.weighted_sum`,
:func:`rewardlab.credit.pareto_mask` and ``rl.combine`` read) and ``score = sum_a w_a * value_a`` with the
``weights`` option (default: ``1/A`` each; an attribute left out of ``weights`` weighs 0).

Data rows: ``{prompt?, completion|response, <attribute columns>}`` or ``{..., "attributes": {name: value}}``.
Names come from ``attributes=[...]`` (``--attributes a,b,c``); otherwise from the first row that is a JSON
object: the keys of its ``attributes`` object, or else its top-level keys whose values are numbers (not
booleans), in the row's order, leaving out ``prompt``, ``completion``, ``response``, ``id``, ``index`` and
``idx``. A value that is null or absent is *missing* and masked out of the loss; a row is bad (reported
with its index and reason) when a value is not a number (``non-numeric``), not finite (``non-finite``), when
every attribute is missing (``all attributes missing``), or when the completion is absent or blank.

Differences from the anchors, on purpose: ArmoRM regresses on a frozen backbone's last hidden state (ridge
regression, offline); here the whole model is fine-tuned, like the HelpSteer2 regression models. Ratings
are regressed raw (HelpSteer's 0-4 stays 0-4), with no per-attribute rescaling: the loss is the MSE over
rated values, so an attribute rated on a wider scale weighs more (rescale the data if that is unwanted).
ArmoRM's second stage (a gating network that picks the weights per prompt) is not built: the weights
here are fixed at scoring time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.core.types import RewardResult
from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import BadRecord
from rewardlab.models._deps import quiet_transformers, torch
from rewardlab.models.data import data_report, read_examples
from rewardlab.models.losses import masked_mse_loss

RESERVED = ("prompt", "completion", "response", "attributes", "id", "index", "idx")


@dataclass(frozen=True)
class Rated:
    """One row: the text and one value per attribute (NaN where it was not rated)."""

    index: int
    prompt: Any
    completion: Any
    values: tuple[float, ...]


@dataclass
class RatedData:
    rows: list[Rated]
    names: list[str]
    bad: list[BadRecord] = field(default_factory=list)
    path: str = ""
    sha256: str = ""

    def report(self) -> dict[str, Any]:
        return data_report(self.path, self.sha256, len(self.rows), self.bad, attributes=self.names)


def _number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float)


def infer_names(row: Mapping[str, Any]) -> list[str]:
    """Attribute names from one row (the rule in the module docstring)."""
    nested = row.get("attributes")
    if isinstance(nested, Mapping):
        return [str(k) for k in nested]
    return [str(k) for k, v in row.items() if k not in RESERVED and _number(v)]


def parse_rated(index: int, row: Any, names: Sequence[str]) -> Rated:
    """One file row as a :class:`Rated` example; ``ValueError`` with the reason when it is bad."""
    if not isinstance(row, Mapping):
        raise ValueError(f"not an object: got {type(row).__name__}")
    prompt = row.get("prompt") or ""
    if not isinstance(prompt, str | list):
        raise ValueError(f"bad type: 'prompt' must be text or chat messages, got {type(prompt).__name__}")
    completion = row.get("completion") if row.get("completion") is not None else row.get("response")
    if completion is None:
        raise ValueError("missing column 'completion' (or 'response')")
    if isinstance(completion, list):
        if not any(isinstance(m, Mapping) and str(m.get("content") or "").strip() for m in completion):
            raise ValueError("empty completion: no message content")
    elif not isinstance(completion, str):
        raise ValueError(
            f"bad type: 'completion' must be text or chat messages, got {type(completion).__name__}"
        )
    elif not completion.strip():
        raise ValueError("empty completion: the completion is blank")
    src = row.get("attributes", row)
    if not isinstance(src, Mapping):
        raise ValueError(f"bad type: 'attributes' must be an object, got {type(src).__name__}")
    values = []
    for n in names:
        v = src.get(n)
        if v is None:
            values.append(math.nan)
        elif not _number(v):
            raise ValueError(f"non-numeric: attribute {n!r} is {v!r}")
        elif not math.isfinite(v):
            raise ValueError(f"non-finite: attribute {n!r} is {v!r}")
        else:
            values.append(float(v))
    if all(math.isnan(v) for v in values):
        raise ValueError(f"all attributes missing: none of {list(names)} is rated")
    return Rated(index, prompt, completion, tuple(values))


def read_rated(
    path: str | Path, names: Sequence[str] | None = None, *, on_bad: str = "skip", limit: int | None = None
) -> RatedData:
    """Every row of ``path`` as a :class:`Rated` example; bad rows reported (``on_bad="error"``: fatal)."""
    found = list(names) if names else []

    def parse(index: int, row: Any) -> list[Rated]:
        if not found and isinstance(row, Mapping):
            found.extend(infer_names(row))
            if not found:
                raise ConfigError(
                    f"{path}: row {index} has no numeric attribute columns to infer names from; pass --attributes"
                )
        return [parse_rated(index, row, found)]

    rows, bad, sha = read_examples(path, parse, on_bad=on_bad, limit=limit)
    return RatedData(rows=rows, names=found, bad=bad, path=str(Path(path)), sha256=sha)


@dataclass(frozen=True)
class Encoded:
    index: int
    ids: tuple[int, ...]
    values: tuple[float, ...]


def encode_rated(rows: Sequence[Rated], tok: Any, st: Any) -> tuple[list[Encoded], dict[str, int]]:
    """Token ids of ``prompt + completion`` (cut on the left, or on the right with ``truncation="right"``;
    ``overflow="drop"`` drops over-long rows), and the counts (``truncated_into_response``: the cut reached
    the completion, counted by token lengths of the text and of the prompt alone, so it can be off at the
    boundary token; ``identical_after_truncation`` is always 0: a row is one text)."""
    from rewardlab.models.encode import Wrap, encode_one, render

    wrap = Wrap.of(tok)
    side = "right" if st.truncation == "right" else "left"
    counts = {"groups": 0, "fit": 0, "truncated": 0, "truncated_into_response": 0, "identical_after_truncation": 0,
              "dropped": 0}  # fmt: skip
    out = []
    with quiet_transformers():
        for r in rows:
            text = render(tok, r.prompt, r.completion, chat_template=st.chat_template)
            ids, cut = encode_one(tok, text, max_length=st.max_length, side=side, wrap=wrap)  # type: ignore[arg-type]
            counts["groups"] += 1
            if cut and st.overflow == "drop":
                counts["dropped"] += 1
                continue
            counts["truncated" if cut else "fit"] += 1
            if cut:  # the right side cuts the completion's end; the left side reaches it past the prompt
                over = len(tok(text, add_special_tokens=False)["input_ids"]) - (st.max_length - wrap.size)
                head = (
                    render(tok, r.prompt, "", chat_template=st.chat_template)
                    if isinstance(r.prompt, str)
                    else ""
                )
                counts["truncated_into_response"] += int(
                    side == "right" or over > len(tok(head, add_special_tokens=False)["input_ids"])
                )
            out.append(Encoded(r.index, tuple(ids), r.values))
    return out, counts


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, or None with fewer than 2 points or no variance."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


class AttributeTask:
    """Masked MSE over the rated attributes; held-out MSE and Pearson's r per attribute."""

    kind = "attributes"

    def __init__(self, pad_id: int, names: Sequence[str]) -> None:
        self.pad_id = pad_id
        self.names = list(names)

    def cost(self, item: Encoded) -> int:
        return len(item.ids)

    def tokens(self, item: Encoded) -> int:
        return len(item.ids)

    def _pred(self, model: Any, items: Sequence[Encoded], device: Any) -> tuple[Any, Any]:
        from rewardlab.models.bt import pad

        t = torch()
        ids, attn = pad([x.ids for x in items], self.pad_id, device)
        pred = model(input_ids=ids, attention_mask=attn).logits.float()  # (B, A)
        target = t.tensor([x.values for x in items], dtype=pred.dtype, device=pred.device)
        return pred, target

    def loss(self, model: Any, items: Sequence[Encoded], device: Any) -> tuple[Any, dict[str, float]]:
        pred, target = self._pred(model, items, device)
        return masked_mse_loss(pred, target, ~torch().isnan(target)), {"n": float(len(items))}

    def evaluate(
        self, model: Any, items: Sequence[Encoded], device: Any, batch_size: int
    ) -> dict[str, float]:
        preds: list[list[float]] = []
        targets: list[tuple[float, ...]] = []
        for s in range(0, len(items), batch_size):
            pred, _ = self._pred(model, items[s : s + batch_size], device)
            preds += pred.tolist()
            targets += [x.values for x in items[s : s + batch_size]]
        out: dict[str, float] = {"n": float(len(items))}
        sq, rated, rs = 0.0, 0, []
        for a, name in enumerate(self.names):
            pairs = [(p[a], y[a]) for p, y in zip(preds, targets, strict=True) if not math.isnan(y[a])]
            if not pairs:
                continue
            err = sum((p - y) ** 2 for p, y in pairs)
            sq, rated = sq + err, rated + len(pairs)
            out[f"mse_{name}"] = err / len(pairs)
            r = pearson([p for p, _ in pairs], [y for _, y in pairs])
            if r is not None:
                out[f"pearson_{name}"] = r
                rs.append(r)
        out["loss"] = sq / max(rated, 1)
        if rs:
            out["pearson_mean"] = sum(rs) / len(rs)
        return out

    def reward_stats(self, model: Any, items: Sequence[Encoded], device: Any, limit: int) -> dict[str, Any]:
        """Mean and std of each attribute's prediction over up to ``limit`` training texts."""
        if not items or limit == 0:
            return {}
        sample = sorted(items[:limit], key=lambda x: len(x.ids))
        pred = torch().cat(
            [self._pred(model, sample[s : s + 16], device)[0] for s in range(0, len(sample), 16)]
        )
        std = pred.std(dim=0) if len(pred) > 1 else pred.mean(dim=0) * 0
        return {"attribute_mean": pred.mean(dim=0).tolist(), "attribute_std": std.tolist()}


def prepare(
    model: str | Path, data: str | Path, st: Any, *, eval_data: str | Path | None, limit: int | None,
    ckpt: Path | None, names: Sequence[str] | None,
) -> tuple[Any, list[Any], list[Any], dict[str, Any], dict[str, Any], Any, Any]:  # fmt: skip
    """Data, model and task for ``train_reward_model("attributes", ...)``."""
    from rewardlab.models.checkpoint import load_backbone, meta
    from rewardlab.models.trainer import split

    if names is not None:
        names = [n.strip() for n in names if n.strip()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if not names or dupes:
            raise ConfigError(f"`attributes` must be distinct non-empty names, got {list(names)}")
    loaded = read_rated(data, names, on_bad=st.on_bad, limit=limit)
    if not loaded.names:
        raise ConfigError(f"{data}: no rows to read attribute names from; pass --attributes")
    if eval_data is not None:
        train_rows, held_rows = loaded.rows, read_rated(eval_data, loaded.names, on_bad=st.on_bad).rows
    else:
        train_rows, held_rows = split(loaded.rows, st.eval_fraction, st.seed)
    m, tok = load_backbone(ckpt or model, kind="attributes", num_labels=len(loaded.names), head=st.head)
    saved = meta(m.config).get("attributes")
    if ckpt is not None and saved is not None and list(saved) != loaded.names:
        raise ConfigError(
            f"--resume: the checkpoint's attributes {saved} differ from the data's {loaded.names}"
        )
    m.config.id2label = dict(enumerate(loaded.names))
    m.config.label2id = {n: i for i, n in enumerate(loaded.names)}
    train, c_train = encode_rated(train_rows, tok, st)
    held, c_held = encode_rated(held_rows, tok, st)
    report = {"data": loaded.report(), "truncation": {"train": c_train, "held_out": c_held}}
    info = {
        "kind": "attributes", "attributes": loaded.names, "head": st.head, "max_length": st.max_length,
        "truncation": st.truncation, "chat_template": st.chat_template, "data_sha256": loaded.sha256,
    }  # fmt: skip
    return AttributeTask(tok.pad_token_id, loaded.names), train, held, report, info, m, tok


# -- scoring --------------------------------------------------------------------------------------------
def check_weights(weights: Any, blocks: Sequence[tuple[str, Mapping[str, Any]]], problems: list[str]) -> None:
    """Append the problems of ``reward_model``'s ``weights`` (given the checkpoints' config blocks)."""
    if weights is None:
        return
    if not isinstance(weights, Mapping):
        problems.append(f"`weights` of reward_model must be a mapping {{attribute: weight}}, got {weights!r}")
        return
    problems.extend(
        f"`weights` of reward_model: the weight of {n!r} must be a finite number, got {w!r}"
        for n, w in weights.items()
        if not _number(w) or not math.isfinite(w)
    )
    for where, block in blocks:
        if block.get("kind") != "attributes":
            problems.append(
                f"`weights` of reward_model apply to attribute models; {where} is kind {block.get('kind')!r}"
            )
            continue
        known = list(block.get("attributes") or [])
        unknown = sorted(str(n) for n in weights if n not in known)
        if unknown:
            problems.append(
                f"`weights` of reward_model name unknown attribute(s) {unknown}; {where} has {known}"
            )


def attribute_results(
    columns: Sequence[Sequence[float]],
    names: Sequence[str],
    weights: Mapping[str, float] | None,
    tokens: Sequence[int],
) -> list[RewardResult]:
    """``components = {name: value}`` and ``score = sum_a w_a * value_a`` for each sample
    (``weights`` None: ``1/A`` each; a name left out weighs 0)."""
    w = (
        {n: 1.0 / len(names) for n in names}
        if weights is None
        else {n: float(weights.get(n, 0.0)) for n in names}
    )
    out = []
    for values, n_tokens in zip(columns, tokens, strict=True):
        comps = {n: float(v) for n, v in zip(names, values, strict=True)}
        if not all(math.isfinite(v) for v in comps.values()):
            out.append(
                RewardResult.failure(ValueError(f"the model returned a non-finite attribute ({comps})"))
            )
            continue
        score = sum(w[n] * v for n, v in comps.items())
        out.append(RewardResult(score=score, components=comps, info={"tokens": int(n_tokens), "weights": w}))
    return out
