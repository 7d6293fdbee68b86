"""Implicit process reward models (Free Process Rewards, arXiv 2412.01981; PRIME, arXiv 2502.01456).

A causal LM ``pi`` is trained from outcome labels only, against a frozen reference ``pi_ref``:

    z = beta * sum_{t in response} (log pi(y_t | y_<t) - log pi_ref(y_t | y_<t))
    loss = BCE(sigmoid(z), correct)

and then reads out process rewards for free: with ``q_t = beta * sum_{tokens <= t} log(pi/pi_ref)``, the
reward of step ``k`` is ``q_{end of k} - q_{end of k-1}``, i.e. ``beta`` times the summed log-ratio of
the step's tokens (:func:`rewardlab.credit.implicit_process_rewards` computes the same from log-probs).

The reference is explicit: ``reference="init"`` (the default) is a frozen copy of the starting
checkpoint, recorded in the saved config (``rewardlab.reference``, as passed, with its absolute and its
checkpoint-relative path: :mod:`.implicit_ref`) so that scoring loads the same one even after a move; ``reference="none"`` uses ``log pi_ref = 0`` (the reward is then ``beta * log pi`` of the
response). Steps are the response split at ``separator`` (``"\\n"`` by default, GSM8K's one step per line).

Training rows: ``{prompt|question|problem, completion|solution|response, correct|is_correct}``, or the
GSM8K ``example_model_solutions`` rows (``question`` plus several ``{is_correct, solution}`` objects, each
becoming one example). Bad rows are reported with index and reason, as for the other kinds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import BadRecord, sha256_of
from rewardlab.io import BadRow, read_rows
from rewardlab.models import implicit_ref
from rewardlab.models._deps import torch
from rewardlab.models.encode import Wrap
from rewardlab.models.losses import implicit_prm_loss

PROMPT_KEYS = ("prompt", "question", "problem")
RESPONSE_KEYS = ("completion", "solution", "response")
LABEL_KEYS = ("correct", "is_correct")


@dataclass(frozen=True)
class Outcome:
    index: int
    prompt: str
    response: str
    correct: int


def _first(row: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((row[k] for k in keys if row.get(k) is not None), None)


def parse_outcomes(index: int, row: Mapping[str, Any]) -> list[Outcome]:
    """The examples of one row; ``ValueError`` with the reason when the row is bad."""
    prompt = _first(row, PROMPT_KEYS)
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("missing column 'prompt' (or 'question'/'problem')")
    nested = [v for v in row.values() if isinstance(v, Mapping) and "solution" in v]
    cases = nested if nested and _first(row, RESPONSE_KEYS) is None else [row]
    out = []
    for case in cases:
        response, label = _first(case, RESPONSE_KEYS), _first(case, LABEL_KEYS)
        if not isinstance(response, str) or not response.strip():
            raise ValueError("empty response: missing or blank 'completion' (or 'solution'/'response')")
        if not (isinstance(label, bool) or label in (0, 1)):
            raise ValueError(
                f"bad label: 'correct' (or 'is_correct') must be true/false or 0/1, got {label!r}"
            )
        out.append(Outcome(index, prompt, response, int(label)))
    return out


def read_outcomes(
    path: str | Path, *, on_bad: str = "skip", limit: int | None = None
) -> tuple[list[Outcome], list[BadRecord], str]:
    p = Path(path)
    rows: list[Outcome] = []
    bad: list[BadRecord] = []
    for index, row in enumerate(read_rows(p)):
        if limit is not None and index >= limit:
            break
        if isinstance(row, BadRow):
            bad.append(BadRecord(index, f"unreadable: {row.reason}"))
            continue
        try:
            rows.extend(parse_outcomes(index, row))
        except ValueError as exc:
            bad.append(BadRecord(index, str(exc)))
    if on_bad == "error" and bad:
        raise ConfigError([f"row {b.index}: {b.reason}" for b in bad], where=f"training data {p}")
    return rows, bad, sha256_of(p)


@dataclass(frozen=True)
class Encoded:
    ids: tuple[int, ...]
    start: int  # index of the first response token
    step_ends: tuple[int, ...]  # index of the last token of each visible step
    correct: int
    steps: int


def layout(
    tok: Any, prompt: str, steps: Sequence[str], separator: str, wrap: Wrap, max_length: int
) -> tuple[list[int], int, list[int], int]:
    """``(ids, first response index, last index of each visible step, prompt tokens cut)``.

    Steps are tokenised piece by piece (each but the last followed by the separator), so step boundaries
    are exact. The prompt loses its start first; then trailing steps are cut (their rewards are lost)."""
    budget = max_length - wrap.size
    body: list[int] = []
    ends: list[int] = []
    for i, s in enumerate(steps):
        text = s + (separator if i < len(steps) - 1 else "")
        body += list(tok(text, add_special_tokens=False)["input_ids"])
        ends.append(len(body) - 1)
    head = list(tok(prompt, add_special_tokens=False)["input_ids"])
    keep = max(1, min(len(head), budget - len(body)))  # at least one token before the response
    cut = len(head) - keep
    head = head[cut:]
    ids = wrap((head + body)[:budget])
    start = len(wrap.prefix) + len(head)
    visible = [start + e for e in ends if len(head) + e < budget]
    return ids, start, visible, cut


def split_steps(response: str, separator: str) -> list[str]:
    steps = response.split(separator)
    return [s for s in steps if s.strip()] or [response]


def token_logprobs(model: Any, ids: Any, mask: Any) -> Any:
    """``(B, L)`` log-prob of each token given the ones before it (position 0 gets 0)."""
    t = torch()
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
    lp = t.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return t.nn.functional.pad(lp, (1, 0))


class ImplicitTask:
    kind = "implicit-prm"

    def __init__(self, pad_id: int, beta: float, reference: Any | None) -> None:
        self.pad_id, self.beta, self.reference = pad_id, beta, reference

    def cost(self, item: Encoded) -> int:
        return len(item.ids)

    def tokens(self, item: Any) -> int:
        return len(item.ids)

    def _batch(self, items: Sequence[Encoded], device: Any) -> tuple[Any, Any, Any]:
        t = torch()
        n = max(len(x.ids) for x in items)
        ids = t.full((len(items), n), self.pad_id, dtype=t.long)
        attn = t.zeros((len(items), n), dtype=t.long)
        resp = t.zeros((len(items), n))
        for i, x in enumerate(items):
            ids[i, : len(x.ids)] = t.tensor(x.ids)
            attn[i, : len(x.ids)] = 1
            resp[i, x.start : len(x.ids)] = 1.0
        return ids.to(device), attn.to(device), resp.to(device)

    def ratios(self, model: Any, items: Sequence[Encoded], device: Any) -> tuple[Any, Any]:
        """``(B, L)`` per-token ``log pi - log pi_ref`` and the response mask."""
        t = torch()
        ids, attn, resp = self._batch(items, device)
        lp = token_logprobs(model, ids, attn)
        if self.reference is None:
            ref = t.zeros_like(lp)
        else:
            with t.no_grad():
                ref = token_logprobs(self.reference, ids, attn)
        return lp - ref, resp

    def loss(self, model: Any, items: Sequence[Encoded], device: Any) -> tuple[Any, dict[str, float]]:
        t = torch()
        ratio, resp = self.ratios(model, items, device)
        y = t.tensor([x.correct for x in items], device=ratio.device)
        loss, z = implicit_prm_loss(ratio, t.zeros_like(ratio), resp, y, beta=self.beta)
        right = ((z.detach() > 0).long() == y).sum()
        return loss, {"n": float(len(items)), "outcome_accuracy": float(right)}

    def evaluate(
        self, model: Any, items: Sequence[Encoded], device: Any, batch_size: int
    ) -> dict[str, float]:
        zs: list[float] = []
        loss_sum, right = 0.0, 0.0
        for s in range(0, len(items), batch_size):
            chunk = items[s : s + batch_size]
            loss, counts = self.loss(model, chunk, device)
            loss_sum += float(loss) * len(chunk)
            right += counts["outcome_accuracy"]
            ratio, resp = self.ratios(model, chunk, device)
            zs += [float(v) for v in (self.beta * (ratio * resp).sum(-1))]
        labels = [x.correct for x in items]
        return {"n": float(len(items)), "loss": loss_sum / len(items), "outcome_accuracy": right / len(items),
                "outcome_auc": auc(zs, labels)}  # fmt: skip

    def reward_stats(self, model: Any, items: Sequence[Encoded], device: Any, limit: int) -> dict[str, float]:
        return {}


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """ROC AUC: the chance that a random positive outscores a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    if not pos or not neg:
        return math.nan
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def encode_outcomes(
    rows: Sequence[Outcome], tok: Any, *, separator: str, max_length: int
) -> tuple[list[Encoded], dict[str, int]]:
    wrap = Wrap.of(tok)
    out, counts = [], {"examples": 0, "prompt_truncated": 0, "steps_cut": 0}
    for r in rows:
        steps = split_steps(r.response, separator)
        ids, start, ends, cut = layout(tok, r.prompt, steps, separator, wrap, max_length)
        counts["examples"] += 1
        counts["prompt_truncated"] += int(cut > 0)
        counts["steps_cut"] += len(steps) - len(ends)
        if ends:
            out.append(Encoded(tuple(ids), start, tuple(ends), r.correct, len(steps)))
    return out, counts


def load_causal(path: str | Path) -> tuple[Any, Any]:
    from rewardlab.models._deps import quiet_transformers, transformers
    from rewardlab.models.checkpoint import load_tokenizer

    tok = load_tokenizer(path)
    with quiet_transformers():
        model = transformers().AutoModelForCausalLM.from_pretrained(str(path))
    return model, tok


def prepare(model: str | Path, data: str | Path, st: Any, *, eval_data: str | Path | None, limit: int | None,
            ckpt: Path | None, options: Mapping[str, Any]) -> tuple[Any, list[Any], list[Any], dict[str, Any], dict[str, Any], Any, Any]:  # fmt: skip
    """Data, model, reference and task for ``train_reward_model("implicit-prm", ...)``."""
    from rewardlab.models.checkpoint import meta
    from rewardlab.models.trainer import split

    beta = float(options.get("beta", 0.05))
    reference = str(options.get("reference", "init"))
    separator = str(options.get("separator", "\n"))
    if not beta > 0 or not math.isfinite(beta):
        raise ConfigError(f"`beta` of implicit-prm must be a positive number, got {beta!r}")
    if reference not in ("init", "none"):
        raise ConfigError(f"`reference` of implicit-prm must be 'init' or 'none', got {reference!r}")
    rows, bad, sha = read_outcomes(data, on_bad=st.on_bad, limit=limit)
    if eval_data is not None:
        train_rows, held_rows = rows, read_outcomes(eval_data, on_bad=st.on_bad)[0]
    else:
        train_rows, held_rows = _split_by_prompt(rows, st.eval_fraction, st.seed, split)
    m, tok = load_causal(ckpt or model)
    recorded = implicit_ref.record(model)  # what the user passed, and its absolute path if local
    ref_path: str = recorded["reference_path"] or str(model)
    saved = meta(m.config) if ckpt is not None else {}
    if saved.get("reference"):  # resuming: the reference is the one the run started from
        recorded = {k: saved.get(k) for k in ("reference", "reference_path")}
        ref_path = implicit_ref.resolve(saved, ckpt) or ref_path
    ref = None
    if reference == "init":
        ref, _ = load_causal(ref_path)
        ref.eval()
        for p in ref.parameters():
            p.requires_grad_(False)
    train, c_train = encode_outcomes(train_rows, tok, separator=separator, max_length=st.max_length)
    held, c_held = encode_outcomes(held_rows, tok, separator=separator, max_length=st.max_length)
    refs = recorded if reference == "init" else {"reference": None}
    info = {"kind": "implicit-prm", "beta": beta, **refs, "separator": separator, "max_length": st.max_length,
            "data_sha256": sha}  # fmt: skip
    reasons: dict[str, int] = {}
    for b in bad:
        reasons[b.reason.split(":")[0]] = reasons.get(b.reason.split(":")[0], 0) + 1
    report = {
        "data": {"path": str(data), "sha256": sha, "rows": len({r.index for r in rows}), "examples": len(rows),
                 "bad_rows": len(bad), "bad_by_reason": reasons, "bad_examples": [b.as_dict() for b in bad[:50]]},
        "truncation": {"train": c_train, "held_out": c_held},
    }  # fmt: skip
    task = ImplicitTask(tok.pad_token_id, beta, ref)
    return task, train, held, report, info, m, tok


def _split_by_prompt(
    rows: list[Outcome], fraction: float, seed: int, split: Any
) -> tuple[list[Outcome], list[Outcome]]:
    """Hold out whole problems (every solution of a held-out prompt), so evaluation is on unseen problems."""
    prompts = sorted({r.prompt for r in rows})
    _, held_prompts = split(prompts, fraction, seed)
    held = set(held_prompts)
    return [r for r in rows if r.prompt not in held], [r for r in rows if r.prompt in held]


class ImplicitScorer:
    """Step rewards and the outcome reward of an implicit-PRM checkpoint (used by ``reward_model``)."""

    def __init__(self, lm: Any, checkpoint: str | Path | None = None, override: str | None = None) -> None:
        where = implicit_ref.resolve(lm.info, checkpoint, override)
        ref = None
        if where is not None:
            try:
                ref, _ = load_causal(where)
            except OSError as exc:  # e.g. a hub name that is not in the local cache
                raise ConfigError(
                    f"{checkpoint}: cannot load the implicit PRM's reference model {where!r} ({exc}); pass its "
                    "directory with the `reference` option of reward_model"
                ) from exc
            ref.to(lm.device).eval()
        self.task = ImplicitTask(lm.tok.pad_token_id, float(lm.info.get("beta", 0.05)), ref)
        self.separator = str(lm.info.get("separator", "\n"))

    def score(self, lm: Any, samples: Sequence[Sample], batch_size: int) -> list[RewardResult]:
        enc = []
        for s in samples:
            steps = split_steps(s.completion_text, self.separator)
            ids, start, ends, _ = layout(
                lm.tok, s.prompt_text or " ", steps, self.separator, lm.wrap, lm.max_len
            )
            enc.append(Encoded(tuple(ids), start, tuple(ends), 0, len(steps)))
        out: list[RewardResult | None] = [None] * len(samples)
        order = sorted(range(len(enc)), key=lambda i: len(enc[i].ids))
        with torch().inference_mode():
            for begin in range(0, len(order), batch_size):
                idx = order[begin : begin + batch_size]
                ratio, resp = self.task.ratios(lm.model, [enc[i] for i in idx], lm.device)
                q = (self.task.beta * ratio * resp).cumsum(-1)  # q_t, (B, L)
                for row, i in enumerate(idx):
                    qs = [float(q[row, e]) for e in enc[i].step_ends]
                    rewards = [b - a for a, b in zip([0.0, *qs[:-1]], qs, strict=True)]
                    info = {"steps": enc[i].steps, "steps_scored": len(rewards)}
                    out[i] = RewardResult(
                        score=float(q[row, len(enc[i].ids) - 1]), step_scores=rewards, info=info
                    )
        return [r for r in out if r is not None]
