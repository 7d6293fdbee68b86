"""``reward_model``: a saved reward model (any ``...ForSequenceClassification`` or PRM checkpoint) as a
batched reward.

``{"type": "reward_model", "path": DIR}`` scores a sample with the model's scalar for
``prompt + completion`` (the same text ``rewardlab train`` built; a chat template is applied when the
checkpoint was trained with one and the tokenizer has it). A PRM checkpoint (token classification)
returns ``step_scores`` (the probability that each step is correct, read at the step separators) and
their ``aggregate`` (``min``, ``last``, ``product`` or ``mean``) as the score.

How it runs: the model loads lazily, once per process (in :meth:`warmup`, which the runner calls once
in every worker, or on first use), never per sample, and is not pickled with the reward. Every batch the
runner hands over (:meth:`score_batch`) is tokenised, sorted by length and cut into ``batch_size``
forward passes padded only to their own longest text, under ``torch.inference_mode()``. We load the
model in the runner's own worker processes rather than in one dedicated model process: a worker that
already holds the model pays no extra hop, and on a CPU one worker (``workers=1``) already uses every
core through torch's threads; a GPU deployment would run one worker per device.

A failed forward pass raises; the runner then scores the samples one by one and records the error on
each sample that fails: a model failure is never a 0.0.
"""

from __future__ import annotations

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
from rewardlab.models.prm import AGGREGATES, score_steps


class RewardModel(Reward):
    """A saved reward model as a reward (see the module docstring).

    Options: ``path`` (a saved model directory), ``batch_size`` (texts per forward pass), ``max_length``
    (tokens; default: the longest input the model reads, so that a text scores as plain transformers
    scores it; longer texts keep their end), ``device`` (``cpu``, ``cuda``,
    ``cuda:N``, ``auto``), ``dtype`` (``float32``, ``float16``, ``bfloat16``, ``auto``: bf16 on a GPU
    that has it), ``truncation`` (``left`` keeps the end of a long text, the default; ``right``),
    ``normalize`` (subtract the training reward mean and divide by its std, both saved in the
    checkpoint), ``aggregate`` (PRM step scores to one score), ``threads`` (torch CPU threads per
    process; None leaves torch's default), ``reference`` (implicit PRM: where its frozen reference model is,
    overriding the one recorded in the checkpoint).
    """

    name = "reward_model"
    batched: ClassVar[bool] = True
    preload = ("torch", "transformers")

    def __init__(
        self,
        path: str,
        *,
        batch_size: int = 16,
        max_length: int | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        truncation: str = "left",
        normalize: bool = False,
        aggregate: str = "min",
        threads: int | None = None,
        reference: str | None = None,
    ) -> None:
        problems = []
        p = Path(str(path))
        if not (p / "config.json").is_file():
            problems.append(
                f"`path` of reward_model must be a saved model directory (with config.json), got {str(path)!r}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            problems.append(f"`batch_size` of reward_model must be an integer >= 1, got {batch_size!r}")
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 4
        ):
            problems.append(
                f"`max_length` of reward_model must be an integer >= 4 or None, got {max_length!r}"
            )
        if truncation not in ("left", "right"):
            problems.append(f"`truncation` of reward_model must be 'left' or 'right', got {truncation!r}")
        if aggregate not in AGGREGATES:
            problems.append(
                f"`aggregate` of reward_model must be one of {', '.join(AGGREGATES)}, got {aggregate!r}"
            )
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            problems.append(f"`threads` of reward_model must be an integer >= 1 or None, got {threads!r}")
        if reference is not None and (not isinstance(reference, str) or not reference):
            problems.append(
                f"`reference` of reward_model must be a model directory or name, got {reference!r}"
            )
        for check in (
            lambda: check_device(device, what="reward_model"),
            lambda: check_dtype(dtype, what="reward_model"),
        ):
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
        self.truncation = truncation
        self.normalize = normalize
        self.aggregate = aggregate
        self.threads = threads
        self.reference = reference
        self._loaded: Any = None

    # -- loading ------------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_loaded"] = None  # the model never crosses a process boundary; each process loads its own
        return state

    def warmup(self) -> None:
        self._load()

    def _load(self) -> Any:
        if self._loaded is None:
            from rewardlab.models.checkpoint import load_model
            from rewardlab.models.encode import Wrap

            t = torch()
            if self.threads is not None:
                t.set_num_threads(self.threads)
            device = pick_device(self.device)
            model, tok, info = load_model(self.path, device=device, dtype=pick_dtype(self.dtype, device))
            max_len = self.max_length or _position_limit(model, tok)
            if self.normalize and "reward_std" not in info:
                raise ConfigError(
                    f"{self.path}: normalize=True but the checkpoint has no saved reward mean/std"
                )
            if self.reference is not None and info.get("kind") != "implicit-prm":
                raise ConfigError(f"{self.path}: `reference` applies to implicit-PRM checkpoints only")
            self._loaded = _Loaded(model, tok, info, device, max_len, Wrap.of(tok))
        return self._loaded

    # -- scoring ------------------------------------------------------------------------------------
    def compute(self, sample: Sample) -> RewardResult:
        return self.score_batch([sample])[0]

    def score_batch(self, samples: Sequence[Sample]) -> list[RewardResult]:
        lm = self._load()
        if lm.info.get("kind") == "implicit-prm":
            if lm.scorer is None:
                from rewardlab.models.implicit import ImplicitScorer

                lm.scorer = ImplicitScorer(lm, self.path, self.reference)
            return lm.scorer.score(lm, samples, self.batch_size)
        if lm.info.get("kind") == "prm":
            return score_steps(lm, samples, batch_size=self.batch_size, aggregate=self.aggregate)
        t = torch()
        encoded = []
        cut = []
        with quiet_transformers():
            pieces = [self._encode(lm, s) for s in samples]
        for ids, was_cut in pieces:
            encoded.append(ids)
            cut.append(was_cut)
        scores = [0.0] * len(samples)
        order = sorted(range(len(samples)), key=lambda i: len(encoded[i]))
        with t.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                values = _forward(lm, [encoded[i] for i in idx])
                for i, v in zip(idx, values, strict=True):
                    scores[i] = v
        out = []
        for i, v in enumerate(scores):
            info: dict[str, Any] = {"tokens": len(encoded[i])}
            if cut[i]:
                info["truncated"] = True
            if self.normalize:
                info["raw"] = v
                v = (v - float(lm.info["reward_mean"])) / (float(lm.info["reward_std"]) or 1.0)
            if not math.isfinite(v):
                out.append(RewardResult.failure(ValueError(f"the model returned a non-finite score ({v})")))
            else:
                out.append(RewardResult(score=v, info=info))
        return out

    def _encode(self, lm: _Loaded, s: Sample) -> tuple[list[int], bool]:
        from rewardlab.models.encode import Side, encode_one, render

        text = render(lm.tok, s.prompt, s.completion, chat_template=lm.info.get("chat_template", "auto"))
        side: Side = "right" if self.truncation == "right" else "left"
        return encode_one(lm.tok, text, max_length=lm.max_len, side=side, wrap=lm.wrap)


def _position_limit(model: Any, tok: Any) -> int:
    """The longest input the model reads: its position table, or the tokenizer's limit, else 4096."""
    limits = [getattr(model.config, "max_position_embeddings", None), getattr(tok, "model_max_length", None)]
    ok = [int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000]
    return min(ok) if ok else 4096


@dataclass
class _Loaded:
    """What one process holds after loading: the model, its tokenizer and config block, where it runs."""

    model: Any
    tok: Any
    info: dict[str, Any]
    device: Any
    max_len: int
    wrap: Any
    scorer: Any = None  # the implicit-PRM scorer (it holds the reference model), built on first use


def _forward(lm: _Loaded, seqs: Sequence[Sequence[int]]) -> list[float]:
    from rewardlab.models.bt import pad

    ids, mask = pad(seqs, lm.tok.pad_token_id, lm.device)
    logits = lm.model(input_ids=ids, attention_mask=mask).logits
    return [float(x) for x in logits[:, 0].float().cpu()]
