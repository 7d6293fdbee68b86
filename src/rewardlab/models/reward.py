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
already holds the model pays no extra hop, each worker gets its share of the cores for torch
(``RunnerSettings.threads``), and on a CPU the dedicated process measured slower at the same memory
(``bench/rm_serve.py``, docs/models.md "Where the model runs"); a GPU deployment would run one worker
per device. OpenRLHF's ``serve_rm`` runs the forward pass inside its async handler, so one request blocks
every other; through ``rewardlab serve`` the forward pass runs in the worker and requests of many clients
share its batches.

Ensembles and attribute models: ``path`` may be a list of directories, and a checkpoint may have several
heads; their scores are aggregated by ``ensemble`` (``mean``, ``min``, ``mean-std`` with ``k``; see
:mod:`rewardlab.models.ensemble`). An ``attributes`` checkpoint returns one component per attribute and
their ``weights``-weighted sum (see :mod:`rewardlab.models.attributes`).

A failed forward pass raises; the runner then scores the samples one by one and records the error on
each sample that fails: a model failure is never a 0.0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
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
    process; None leaves torch's default); ``ensemble`` (``mean``, ``min``, ``mean-std``) and ``k`` (its
    std multiplier) for several models or heads; ``weights`` (``{attribute: weight}``) for an attribute
    model; ``reference`` (implicit PRM: where its frozen reference model is, overriding the one recorded
    in the checkpoint).
    """

    name = "reward_model"
    batched: ClassVar[bool] = True
    preload = ("torch", "transformers")

    def __init__(
        self,
        path: str | list[str],
        *,
        batch_size: int = 16,
        max_length: int | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        truncation: str = "left",
        normalize: bool = False,
        aggregate: str = "min",
        threads: int | None = None,
        ensemble: str = "mean",
        k: float = 1.0,
        weights: Mapping[str, float] | None = None,
        reference: str | None = None,
    ) -> None:
        problems: list[str] = []
        many = isinstance(path, list | tuple)
        raw_paths = list(path) if isinstance(path, list | tuple) else [path]
        if many and not raw_paths:
            problems.append("`path` of reward_model must be a directory or a non-empty list of directories")
        paths = []
        for item in raw_paths:
            p = Path(str(item))
            if not isinstance(item, str | Path) or not (p / "config.json").is_file():
                problems.append(
                    f"`path` of reward_model must be a saved model directory (with config.json), got {str(item)!r}"
                )
            else:
                paths.append(p)
        from rewardlab.models.attributes import check_weights
        from rewardlab.models.ensemble import check_ensemble

        check_ensemble(ensemble, k, problems)
        blocks = [(str(p), _peek(p)) for p in paths]
        check_weights(weights, blocks, problems)
        if many:
            problems.extend(
                f"`path` of reward_model: a list holds bt or listwise models only, {where} is kind {kind!r}"
                for where, b in blocks
                if (kind := b.get("kind")) not in ("bt", "listwise")
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
        self.path: str | list[str] = [str(p.resolve()) for p in paths] if many else str(paths[0].resolve())
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.dtype = dtype
        self.truncation = truncation
        self.normalize = normalize
        self.aggregate = aggregate
        self.threads = threads
        self.ensemble = ensemble
        self.k = float(k)
        self.weights = dict(weights) if weights is not None else None
        self.reference = reference
        self._loaded: Any = None

    # -- loading ------------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_loaded"] = None  # the model never crosses a process boundary; each process loads its own
        return state

    def warmup(self) -> None:
        self._load()

    def _load(self) -> list[_Loaded]:
        """Every model of ``path``, loaded once per process (a list of one for a single directory)."""
        if self._loaded is None:
            paths = self.path if isinstance(self.path, list) else [self.path]
            self._loaded = [self._load_one(p) for p in paths]
        return self._loaded

    def _load_one(self, path: str) -> _Loaded:
        from rewardlab.models.checkpoint import load_model
        from rewardlab.models.encode import Wrap
        from rewardlab.models.ensemble import member_stats

        t = torch()
        if self.threads is not None:
            t.set_num_threads(self.threads)
        device = pick_device(self.device)
        model, tok, info = load_model(path, device=device, dtype=pick_dtype(self.dtype, device))
        max_len = self.max_length or _position_limit(model, tok)
        stats = member_stats(info, int(info.get("heads", 1)), path) if self.normalize else None
        if self.reference is not None and info.get("kind") != "implicit-prm":
            raise ConfigError(f"{path}: `reference` applies to implicit-PRM checkpoints only")
        return _Loaded(model, tok, info, device, max_len, Wrap.of(tok), stats=stats)

    # -- scoring ------------------------------------------------------------------------------------
    def compute(self, sample: Sample) -> RewardResult:
        return self.score_batch([sample])[0]

    def score_batch(self, samples: Sequence[Sample]) -> list[RewardResult]:
        loaded = self._load()
        lm = loaded[0]
        if lm.info.get("kind") == "implicit-prm":
            if lm.scorer is None:
                from rewardlab.models.implicit import ImplicitScorer

                path = self.path if isinstance(self.path, str) else self.path[0]
                lm.scorer = ImplicitScorer(lm, path, self.reference)
            return lm.scorer.score(lm, samples, self.batch_size)
        if lm.info.get("kind") == "prm":
            return score_steps(lm, samples, batch_size=self.batch_size, aggregate=self.aggregate)
        if lm.info.get("kind") == "attributes":
            from rewardlab.models.attributes import attribute_results

            cols, tokens, _ = self._columns(lm, samples)
            return attribute_results(cols, list(lm.info["attributes"]), self.weights, tokens)
        if len(loaded) > 1 or int(lm.info.get("heads", 1)) > 1:
            from rewardlab.models.ensemble import ensemble_results

            per = [self._columns(m, samples) for m in loaded]
            stats = [m.stats or [] for m in loaded] if self.normalize else None
            return ensemble_results(
                [c for c, _, _ in per], stats, [n for _, n, _ in per], how=self.ensemble, k=self.k
            )
        cols, tokens, cut = self._columns(lm, samples)
        out = []
        for i, c in enumerate(cols):
            v = c[0]
            info: dict[str, Any] = {"tokens": tokens[i]}
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

    def _columns(
        self, lm: _Loaded, samples: Sequence[Sample]
    ) -> tuple[list[list[float]], list[int], list[bool]]:
        """Every output column (head) of ``lm`` for each sample, the tokens it read, whether it was cut."""
        t = torch()
        with quiet_transformers():
            pieces = [self._encode(lm, s) for s in samples]
        encoded = [ids for ids, _ in pieces]
        cols: list[list[float]] = [[] for _ in samples]
        order = sorted(range(len(samples)), key=lambda i: len(encoded[i]))
        with t.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                values = _forward(lm, [encoded[i] for i in idx])
                for i, v in zip(idx, values, strict=True):
                    cols[i] = v
        return cols, [len(e) for e in encoded], [c for _, c in pieces]

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
    stats: list[tuple[float, float]] | None = None  # (mean, std) of each head, with normalize=True


def _forward(lm: _Loaded, seqs: Sequence[Sequence[int]]) -> list[list[float]]:
    """Every logit (one per head) of each sequence, from one padded forward pass."""
    from rewardlab.models.bt import pad

    ids, mask = pad(seqs, lm.tok.pad_token_id, lm.device)
    logits = lm.model(input_ids=ids, attention_mask=mask).logits
    return [[float(v) for v in row] for row in logits.float().cpu()]


def _peek(path: Path) -> dict[str, Any]:
    """A checkpoint's ``rewardlab`` block read from its config.json (no torch), with ``kind`` filled in
    from the architecture when rewardlab did not write it (``{}`` if the file cannot be read)."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    block = config.get("rewardlab") if isinstance(config, dict) else None
    out = dict(block) if isinstance(block, dict) else {}
    if "kind" not in out:
        archs = config.get("architectures") or [] if isinstance(config, dict) else []
        out["kind"] = "prm" if any(str(a).endswith("ForTokenClassification") for a in archs) else "bt"
    return out
