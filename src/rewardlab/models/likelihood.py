"""``reference_likelihood``: how likely a causal LM finds the reference answer after the completion.

    score = log p(reference | prompt + completion + bridge)      (``normalize="sum"``, the default)
          = sum over the reference's tokens r_k of log p(r_k | context, r_<k)
    score / len(reference tokens)                                  (``normalize="mean"``)

This is the verifier-free reward of "Likelihood-Based Reward Designs for General LLM Reasoning"
(Kwiatkowski et al., arXiv 2602.03979), which found the log-probability of the reference answer after the
chain of thought the one likelihood reward that works in verifiable and non-verifiable settings alike,
and the family of VR-CLI (Gurung & Lapata, arXiv 2503.22828: the reasoning is rewarded by how much it
raises the likelihood of the next chapter), RLPR, VeriFree and NOVER. We score with a fixed model given by
``path`` (the policy itself, a frozen copy, or any other causal LM directory), not the training policy's
own forward pass inside the trainer: the reward is then a plain batched reward usable in any spec.

Choices, and why:

- **Default ``normalize="sum"``**: the exact log-likelihood, the reward the paper found reliable and the
  quantity the pre-training loss optimises. Within a GRPO group every completion shares the reference,
  so sum and mean differ by a constant factor and group-normalised advantages are the same either way.
  ``"mean"`` (per reference token) is for scores compared across references of different lengths: a
  weighted ``combine`` with bounded rewards (a 300-token reference would otherwise swamp them), or
  several references per sample, where the sum favours the shortest.
- **Tokenisation boundary**: the context and the reference are tokenised separately and their ids
  concatenated, so exactly the reference's own tokens are scored, the same tokens for every completion
  of a group. Tokenising the joint string could merge the last context characters with the first
  reference characters into one token (BPE merges across the boundary, e.g. ``"is " + "Paris"``), which
  would score part of the context, or a token the reference never had, and the boundary would move from
  one completion to the next. The cost: when the bridge ends in a space and the tokenizer attaches spaces
  to the next word (GPT-2 style ``"ĠParis"``), the split ``"Ġ" + "Paris"`` is a rarer tokenisation than
  the joint one. Put the space on the side the tokenizer attaches it to (bridge ``"\\nThe answer is"``,
  reference ``" Paris"``); tokenizers that split digits (SmolLM2, Llama 3) give the same ids either way
  for numbers.
- **Special tokens**: the tokenizer's own prefix (a BOS) starts every sequence, as when it encodes the
  joint text; a tokenizer without one (SmolLM2) gets none, except that an empty context starts from BOS
  (else EOS) so the reference's first token has something to be predicted from.
- **Over-long inputs** lose the start of the context (the prompt first), never the reference
  (``info["truncated"]``). A reference that alone does not fit beside one context token is a per-sample
  error, not a truncated score: the log-likelihood of part of an answer is not comparable with that of
  the whole one.
- **References**: ``sample.reference`` is a string, or a list of strings (``multi="max"``, the best
  matching reference, or ``"mean"``); anything else (a number, a dict, an empty string) is a per-sample
  error naming the type, never a 0.0.

Running: as ``reward_model``: the model loads once per process in :meth:`warmup` (never pickled), each
chunk is sorted by length and cut into ``batch_size`` forward passes padded on the right to their own
longest sequence, under ``torch.inference_mode()``; the vocabulary projection is computed only at the
positions that predict reference tokens when the model's forward takes ``logits_to_keep``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError
from rewardlab.models._deps import (
    check_device,
    check_dtype,
    pick_device,
    pick_dtype,
    quiet_transformers,
    torch,
)

NORMALIZE = ("sum", "mean")
MULTI = ("max", "mean")


@dataclass(frozen=True)
class Unit:
    """One (sample, reference) pair to score: token ids, where the reference starts, whether cut."""

    sample: int
    ids: tuple[int, ...]
    start: int  # index of the first reference token
    truncated: bool


class ReferenceLikelihood(Reward):
    """``log p(reference | prompt + completion + bridge)`` under a causal LM (see the module docstring).

    Options: ``path`` (a causal LM directory, loaded with ``AutoModelForCausalLM.from_pretrained``),
    ``batch_size`` (sequences per forward pass), ``max_length`` (tokens; default: the model's position
    limit), ``device``, ``dtype`` (as ``reward_model``), ``bridge`` (text between the completion and the
    reference, e.g. ``"\\nThe answer is"``; default none), ``normalize`` (``"sum"`` or ``"mean"`` per
    reference token), ``multi`` (``"max"`` or ``"mean"`` over a list of references), ``threads``.
    """

    name = "reference_likelihood"
    batched: ClassVar[bool] = True
    preload = ("torch", "transformers")

    def __init__(
        self,
        path: str,
        *,
        batch_size: int = 8,
        max_length: int | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        bridge: str = "",
        normalize: str = "sum",
        multi: str = "max",
        threads: int | None = None,
    ) -> None:
        what = "reference_likelihood"
        problems = []
        p = Path(str(path))
        if not (p / "config.json").is_file():
            problems.append(
                f"`path` of {what} must be a causal LM directory (with config.json), got {str(path)!r}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            problems.append(f"`batch_size` of {what} must be an integer >= 1, got {batch_size!r}")
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2
        ):
            problems.append(f"`max_length` of {what} must be an integer >= 2 or None, got {max_length!r}")
        if not isinstance(bridge, str):
            problems.append(f"`bridge` of {what} must be a string, got {bridge!r}")
        if normalize not in NORMALIZE:
            problems.append(f"`normalize` of {what} must be 'sum' or 'mean', got {normalize!r}")
        if multi not in MULTI:
            problems.append(f"`multi` of {what} must be 'max' or 'mean', got {multi!r}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            problems.append(f"`threads` of {what} must be an integer >= 1 or None, got {threads!r}")
        for check in (lambda: check_device(device, what=what), lambda: check_dtype(dtype, what=what)):
            try:
                check()
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
        self.path = str(p.resolve())
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.dtype = dtype
        self.bridge = bridge
        self.normalize = normalize
        self.multi = multi
        self.threads = threads
        self._loaded: Any = None

    # -- loading ------------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_loaded"] = None  # each process loads its own model
        return state

    def warmup(self) -> None:
        self._load()

    def _load(self) -> _LM:
        if self._loaded is None:
            from rewardlab.models._deps import transformers
            from rewardlab.models.checkpoint import load_tokenizer
            from rewardlab.models.encode import Wrap
            from rewardlab.models.reward import _position_limit

            t = torch()
            if self.threads is not None:
                t.set_num_threads(self.threads)
            device = pick_device(self.device)
            dtype = pick_dtype(self.dtype, device)
            tok = load_tokenizer(self.path)
            with quiet_transformers():
                model = transformers().AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype)
            model.to(device).eval()
            prefix = Wrap.of(tok).prefix  # what the tokenizer puts first (BOS), often nothing
            fallback = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
            keep = "logits_to_keep" in inspect.signature(model.forward).parameters
            max_len = self.max_length or _position_limit(model, tok)
            self._loaded = _LM(model, tok, device, max_len, tuple(prefix), fallback, keep)
        return self._loaded

    # -- scoring ------------------------------------------------------------------------------------
    def compute(self, sample: Sample) -> RewardResult:
        return self.score_batch([sample])[0]

    def score_batch(self, samples: Sequence[Sample]) -> list[RewardResult]:
        lm = self._load()
        units: list[Unit] = []
        errors: dict[int, Exception] = {}
        counts = [0] * len(samples)
        with quiet_transformers():
            for i, s in enumerate(samples):
                try:
                    new = self._encode(lm, i, s)
                except ValueError as exc:
                    errors[i] = exc
                    continue
                units.extend(new)
                counts[i] = len(new)
        sums = score_units(lm, units, self.batch_size)
        per: list[list[tuple[float, int, bool]]] = [[] for _ in samples]
        for u, v in zip(units, sums, strict=True):
            per[u.sample].append((v, len(u.ids) - u.start, u.truncated))
        return [self._result(per[i], errors.get(i)) for i in range(len(samples))]

    def _result(self, scored: list[tuple[float, int, bool]], error: Exception | None) -> RewardResult:
        if error is not None:
            return RewardResult.failure(error)
        values = [v / n if self.normalize == "mean" else v for v, n, _ in scored]
        if not all(math.isfinite(v) for v in values):
            return RewardResult.failure(
                ValueError(f"the model returned a non-finite log-likelihood ({values})")
            )
        info: dict[str, Any] = {"truncated": any(c for _, _, c in scored)}
        if self.multi == "max" or len(values) == 1:
            best = values.index(max(values))
            score = values[best]
            total, n, _ = scored[best]
            info.update(tokens=n, logprob_sum=total, logprob_mean=total / n)
        else:
            score = sum(values) / len(values)
        if len(values) > 1:
            info.update(per_reference=values, reference_tokens=[n for _, n, _ in scored])
        return RewardResult(score=score, info=info)

    def _encode(self, lm: _LM, index: int, s: Sample) -> list[Unit]:
        from rewardlab.models.encode import render

        refs = references_of(s.reference)
        context = render(lm.tok, s.prompt, s.completion) + self.bridge
        ctx = list(lm.tok(context, add_special_tokens=False)["input_ids"]) if context else []
        head = list(lm.prefix)
        out = []
        for ref in refs:
            rid = list(lm.tok(ref, add_special_tokens=False)["input_ids"])
            budget = lm.max_len - len(head) - len(rid)
            if not rid:
                raise ValueError(f"the reference {ref!r} encodes to no tokens")
            if budget < (0 if head else 1):
                raise ValueError(
                    f"the reference has {len(rid)} tokens: with {len(head)} start token(s) it does not fit "
                    f"max_length {lm.max_len} even with the whole context cut away (a cut reference would "
                    "not be comparable, so it is not scored)"
                )
            kept = ctx[len(ctx) - budget :] if len(ctx) > budget else ctx
            first = head
            if not head and not kept:  # an empty context, and the tokenizer adds no BOS: start from BOS/EOS
                if lm.fallback is None:
                    raise ValueError("nothing precedes the reference (empty context and no BOS/EOS token)")
                first = [lm.fallback]
            ids = first + kept + rid
            out.append(Unit(index, tuple(ids), len(ids) - len(rid), len(kept) < len(ctx)))
        return out


def references_of(value: Any) -> list[str]:
    """The reference strings of a sample; ``ValueError`` naming the problem for anything else."""
    if isinstance(value, str):
        if not value:
            raise ValueError("reference_likelihood needs a non-empty reference string, got ''")
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
    raise ValueError(
        "reference_likelihood needs `reference` to be a non-empty string or a non-empty list of non-empty "
        f"strings, got {type(value).__name__} {shown}"
        + (" (convert numbers with str())" if isinstance(value, int | float) else "")
    )


@dataclass
class _LM:
    model: Any
    tok: Any
    device: Any
    max_len: int
    prefix: tuple[int, ...]  # what the tokenizer puts before a text (BOS), may be empty
    fallback: int | None  # BOS or EOS: the start of an empty context when ``prefix`` is empty
    keep: bool  # the forward takes logits_to_keep


def score_units(lm: _LM, units: Sequence[Unit], batch_size: int) -> list[float]:
    """Summed log-probs of each unit's reference tokens, in order; length-sorted, right-padded batches."""
    t = torch()
    out = [0.0] * len(units)
    order = sorted(range(len(units)), key=lambda i: len(units[i].ids))
    pad = lm.tok.pad_token_id if lm.tok.pad_token_id is not None else 0
    with t.inference_mode():
        for begin in range(0, len(order), batch_size):
            idx = order[begin : begin + batch_size]
            batch = [units[i] for i in idx]
            n = max(len(u.ids) for u in batch)
            ids = t.full((len(batch), n), pad, dtype=t.long)
            mask = t.zeros((len(batch), n), dtype=t.long)
            for row, u in enumerate(batch):
                ids[row, : len(u.ids)] = t.tensor(u.ids)
                mask[row, : len(u.ids)] = 1
            lo = min(u.start for u in batch) - 1  # the first position that predicts a reference token
            hi = n - 1  # the last position whose prediction is needed (the last token predicts nothing)
            kwargs = {"logits_to_keep": t.arange(lo, hi)} if lm.keep else {}
            logits = lm.model(input_ids=ids.to(lm.device), attention_mask=mask.to(lm.device), **kwargs).logits
            if not lm.keep:
                logits = logits[:, lo:hi]
            logp = t.log_softmax(
                logits.float(), dim=-1
            )  # (B, hi - lo, V): position lo + j predicts lo + j + 1
            for row, (i, u) in enumerate(zip(idx, batch, strict=True)):
                pos = t.arange(u.start, len(u.ids))
                target = ids[row, u.start : len(u.ids)].to(logp.device)
                out[i] = float(logp[row, pos - 1 - lo, target].sum())
    return out
