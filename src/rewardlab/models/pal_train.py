"""Training a PAL model (:mod:`rewardlab.models.pal`): per-user pairs in, a saved model directory out.

Data: ``.jsonl``, ``.jsonl.gz`` or ``.parquet`` rows ``{user, prompt?, chosen, rejected}`` (a ranked list
``{user, prompt?, responses, label}`` becomes best-vs-each-other pairs). Everything but ``user`` is read by
:func:`rewardlab.models.data.parse_row`, so the same rows are bad for the same reasons; a missing or empty
``user`` adds ``missing column 'user'``, a user id that is not a string or an integer ``bad type``. Bad
rows are reported with their 0-based index and reason, skipped (``on_bad="skip"``) or fatal (``"error"``,
one error listing them all).

Why not :func:`rewardlab.models.trainer.fit`: that loop tokenises, groups by length, saves
``save_pretrained`` checkpoints with optimiser state and resumes; here the encoder is frozen, every text is
embedded once up front, and an epoch over thousands of pairs is a few milliseconds of small matrix
products, so checkpoints and resume buy nothing. This loop keeps the conventions: ``metrics.jsonl``
(``split: "train"`` records with loss, accuracy, examples/s; ``split: "eval"`` records), ``training.json``
(settings, data report, final metrics, timings) and the same ``on_event`` records (``start``, ``log``,
``eval``, ``end``) that ``rewardlab train``'s progress bar reads.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.eval.datasets import BadRecord
from rewardlab.models._deps import torch
from rewardlab.models.data import Ranked, _Bad, data_report, parse_row, read_examples
from rewardlab.models.pal import PROJECTIONS, PalModel, one_thread, pal_rewards, split_prompt

METRICS = "metrics.jsonl"
TRAINING_JSON = "training.json"


@dataclass(frozen=True)
class UserPair:
    """One comparison: ``user`` preferred ``chosen`` to ``rejected`` (texts as the encoder reads them)."""

    index: int
    user: str
    prompt: str
    chosen: str
    rejected: str
    margin: float = 0.0


@dataclass
class UserPairs:
    rows: list[UserPair]
    bad: list[BadRecord] = field(default_factory=list)
    path: str = ""
    sha256: str = ""

    def report(self) -> dict[str, Any]:
        return data_report(
            self.path, self.sha256, len({r.index for r in self.rows}), self.bad,
            pairs=len(self.rows), users=len({r.user for r in self.rows}),
        )  # fmt: skip


def _user(row: Any) -> str:
    if not isinstance(row, dict):
        raise _Bad(f"bad type: a row must be a JSON object, got {type(row).__name__}")
    u = row.get("user")
    if u is None or (isinstance(u, str) and not u.strip()):
        raise _Bad("missing column 'user'")
    if isinstance(u, bool) or not isinstance(u, str | int):
        raise _Bad(f"bad type: 'user' must be a string or an integer, got {type(u).__name__}")
    return str(u)


def pairs_of(index: int, user: str, ranked: Ranked) -> list[UserPair]:
    prompt, texts = split_prompt(ranked.prompt, ranked.responses)
    return [UserPair(index, user, prompt, texts[0], r, ranked.margin) for r in texts[1:]]


def read_user_pairs(path: str | Path, *, on_bad: str = "skip", limit: int | None = None) -> UserPairs:
    """Every row of ``path`` as :class:`UserPair` comparisons, bad rows reported (module docstring)."""

    def parse(index: int, row: Any) -> list[UserPair]:
        return pairs_of(index, _user(row), parse_row(index, row))

    rows, bad, sha = read_examples(path, parse, on_bad=on_bad, limit=limit)
    return UserPairs(rows=rows, bad=bad, path=str(Path(path)), sha256=sha)


@dataclass(frozen=True)
class PalSettings:
    """How a PAL model is built and trained; validated on construction, every problem at once.

    Model: ``prototypes`` (K), ``dim``, ``hidden``, ``projection`` (``"mlp"``/``"linear"``), encoder
    ``max_length`` / ``normalize`` / ``embed_batch_size``. Training: AdamW with ``lr`` and
    ``weight_decay`` (on the projection), ``epochs`` of shuffled ``batch_size`` mini-batches; the user
    logits start at small seeded Gaussian values (PAL starts them Gaussian too) and have their own
    ``weights_lr`` (Adam moves a parameter by about ``lr`` per step, and a user's logits must travel a few
    units to reach a vertex of the simplex in a few hundred steps); ``eval_fraction`` of the
    pairs held out (seeded), ``log_every`` optimiser steps; ``on_bad``, ``seed``, ``device``.

    The defaults are what worked in ``bench/pal_users.py`` (MiniLM features, 669 training text pairs): a
    small MLP (64 -> 8) with weight decay 0.1 and 15 epochs; a wider one (256 -> 32, 30 epochs) memorised
    the training pairs, and a linear projection of the 768 standardised features trained badly (its
    squared distances blew the loss up) and stayed at chance on new pairs.
    """

    prototypes: int = 3
    dim: int = 8
    hidden: int = 64
    projection: str = "mlp"
    max_length: int = 256
    normalize: bool = False
    embed_batch_size: int = 32
    epochs: int = 15
    batch_size: int = 64
    lr: float = 3e-3
    weights_lr: float = 0.1
    weight_decay: float = 0.1
    eval_fraction: float = 0.1
    log_every: int = 20
    on_bad: str = "skip"
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        p: list[str] = []
        for name, lo in (
            ("prototypes", 1), ("dim", 1), ("hidden", 1), ("max_length", 4), ("embed_batch_size", 1),
            ("epochs", 1), ("batch_size", 1), ("log_every", 0), ("seed", 0),
        ):  # fmt: skip
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                p.append(f"`{name}` must be an integer >= {lo}, got {v!r}")
        for name, low, high in (
            ("lr", 0.0, 1.0), ("weights_lr", 0.0, 10.0), ("weight_decay", 0.0, 1.0), ("eval_fraction", 0.0, 0.9)
        ):  # fmt: skip
            v = getattr(self, name)
            ok = (
                not isinstance(v, bool)
                and isinstance(v, int | float)
                and math.isfinite(v)
                and low <= v <= high
            )
            if not ok or (name.endswith("lr") and v == 0):
                p.append(
                    f"`{name}` must be a number in {'(' if name.endswith('lr') else '['}{low}, {high}], got {v!r}"
                )
        if self.projection not in PROJECTIONS:
            p.append(f"`projection` must be 'linear' or 'mlp', got {self.projection!r}")
        if self.on_bad not in ("skip", "error"):
            p.append(f"`on_bad` must be 'skip' or 'error', got {self.on_bad!r}")
        if not isinstance(self.device, str) or not (
            self.device in ("cpu", "cuda", "auto") or self.device.startswith("cuda:")
        ):
            p.append(f"`device` must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {self.device!r}")
        if p:
            raise ConfigError(p, where="PAL settings")


@dataclass
class PalResult:
    steps: int
    examples: int
    train_seconds: float
    embed_seconds: float
    examples_per_s: float
    final_eval: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


def fit_pal(
    model: PalModel,
    train: list[UserPair],
    held: list[UserPair],
    st: PalSettings,
    *,
    out: Path | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    features: tuple[Any, Any] | None = None,
) -> PalResult:
    """Train ``model`` (projection, prototypes, one logit vector per training user) on ``train``.

    ``features``: precomputed ``(chosen, rejected)`` features ``(len(train) + len(held), in)``, train rows
    first (a benchmark that cached its embeddings); by default they are embedded here."""
    t = torch()
    emit = on_event or (lambda kind, rec: None)
    users = sorted({r.user for r in train})
    uid = {u: i for i, u in enumerate(users)}
    t0 = time.perf_counter()
    every = train + held
    if features is None:
        prompts = [r.prompt for r in every]
        fc = model.features(prompts, [r.chosen for r in every])
        fr = model.features(prompts, [r.rejected for r in every])
    else:
        fc, fr = features
    embed_seconds = time.perf_counter() - t0
    n = len(train)
    model.build(fc.shape[1], seed=st.seed)
    both = t.cat([fc[:n], fr[:n]])
    model.feature_mean_ = both.mean(dim=0)
    model.feature_std_ = (
        both.std(dim=0).clamp(min=1e-6) if len(both) > 1 else t.ones(both.shape[1], dtype=t.float32)
    )
    gen = t.Generator().manual_seed(st.seed + 1)
    logits = (0.1 * t.randn(len(users), st.prototypes, generator=gen, dtype=t.float32)).requires_grad_(True)
    protos = model.prototypes_.clone().requires_grad_(True)
    margin = t.tensor([r.margin for r in every], dtype=t.float32)
    u_train = t.tensor([uid[r.user] for r in train], dtype=t.long)
    opt = t.optim.AdamW(
        [
            {"params": list(model.f_.parameters()), "weight_decay": st.weight_decay},
            {"params": [protos], "weight_decay": 0.0},
            {"params": [logits], "weight_decay": 0.0, "lr": st.weights_lr},
        ],
        lr=st.lr,
    )

    def logit_of(idx: Any, weights: Any) -> Any:
        zc, zr = model.project(fc[idx]), model.project(fr[idx])
        return pal_rewards(zc, protos, weights) - pal_rewards(zr, protos, weights) - margin[idx]

    metrics_path = out / METRICS if out is not None else None
    if metrics_path is not None:
        metrics_path.write_text("", encoding="utf-8")
    history: list[dict[str, Any]] = []

    def record(rec: dict[str, Any], kind: str) -> None:
        history.append(rec)
        if metrics_path is not None:
            with open(metrics_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
        emit(kind, rec)

    per_epoch = math.ceil(n / st.batch_size)
    total = per_epoch * st.epochs
    emit("start", {"total_steps": total, "step": 0, "examples": n, "held_out": len(held)})
    rng = random.Random(st.seed)
    step, seen, train_seconds = 0, 0, 0.0
    window = {"loss": 0.0, "correct": 0.0, "n": 0.0}
    model.f_.train()
    with one_thread():
        for epoch in range(st.epochs):
            order = list(range(n))
            rng.shuffle(order)
            for s in range(0, n, st.batch_size):
                start = time.perf_counter()
                idx = t.tensor(order[s : s + st.batch_size], dtype=t.long)
                w = t.softmax(logits[u_train[idx]], dim=-1)
                z = logit_of(idx, w)
                loss = -t.nn.functional.logsigmoid(z).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                train_seconds += time.perf_counter() - start
                step += 1
                seen += len(idx)
                window["loss"] += float(loss.detach()) * len(idx)
                window["correct"] += float((z.detach() > 0).sum())
                window["n"] += len(idx)
                last = step == total
                if st.log_every and (step % st.log_every == 0 or last):
                    rec = {
                        "split": "train", "step": step, "epoch": round(step / per_epoch, 4),
                        "loss": window["loss"] / window["n"], "accuracy": window["correct"] / window["n"],
                        "lr": st.lr, "examples_per_s": seen / train_seconds if train_seconds else 0.0,
                    }  # fmt: skip
                    record(rec, "log")
                    window = {"loss": 0.0, "correct": 0.0, "n": 0.0}
            if held and ((epoch + 1) % max(1, st.epochs // 5) == 0 or epoch == st.epochs - 1):
                rec = {"split": "eval", "step": step, "epoch": epoch + 1}
                rec.update(_evaluate(model, held, fc, fr, n, margin, logits, protos, uid))
                record(rec, "eval")
    model.f_.eval()
    model.prototypes_ = protos.detach().clone()
    model.users_ = users
    model.user_weights_ = t.softmax(logits.detach(), dim=-1).clone()
    final: dict[str, Any] = next((r for r in reversed(history) if r["split"] == "eval"), {})
    result = PalResult(
        steps=step, examples=seen, train_seconds=train_seconds, embed_seconds=embed_seconds,
        examples_per_s=seen / train_seconds if train_seconds else 0.0,
        final_eval={k: v for k, v in final.items() if isinstance(v, int | float) and k not in ("step", "epoch")},
        history=history,
    )  # fmt: skip
    emit("end", {"steps": step, "examples_per_s": result.examples_per_s, **result.final_eval})
    return result


def _evaluate(
    model: PalModel,
    held: list[UserPair],
    fc: Any,
    fr: Any,
    n: int,
    margin: Any,
    logits: Any,
    protos: Any,
    uid: dict[str, int],
) -> dict[str, float]:
    """Held-out loss and accuracy (a tie counts as wrong) for pairs of users seen in training, and the
    accuracy of held-out users' pairs scored with the population's mean weights."""
    t = torch()
    out: dict[str, float] = {}
    model.f_.eval()
    try:
        with t.no_grad():
            idx = t.arange(n, n + len(held))
            w_all = t.softmax(logits, dim=-1)
            pop = w_all.mean(dim=0, keepdim=True)
            w = t.stack([w_all[uid[r.user]] if r.user in uid else pop[0] for r in held])
            zc, zr = model.project(fc[idx]), model.project(fr[idx])
            z = pal_rewards(zc, protos, w) - pal_rewards(zr, protos, w) - margin[idx]
            known = t.tensor([r.user in uid for r in held])
            out["n"] = float(len(held))
            out["loss"] = float(-t.nn.functional.logsigmoid(z).mean())
            out["accuracy"] = float((z > 0).float().mean())
            if bool((~known).any()):
                out["unseen_user_pairs"] = float((~known).sum())
    finally:
        model.f_.train()
    return out


def split_pairs(rows: list[UserPair], fraction: float, seed: int) -> tuple[list[UserPair], list[UserPair]]:
    """A seeded split of the pairs into ``(train, held_out)``; the pairs of one file row stay together."""
    indices = sorted({r.index for r in rows})
    random.Random(seed).shuffle(indices)
    held = set(indices[: round(fraction * len(indices))])
    return [r for r in rows if r.index not in held], [r for r in rows if r.index in held]


def train_pal(
    encoder: str,
    data: str | Path,
    out: str | Path,
    settings: PalSettings | None = None,
    *,
    eval_data: str | Path | None = None,
    limit: int | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> PalResult:
    """Train a PAL model on the frozen ``encoder`` from ``data``; save it (and ``metrics.jsonl``,
    ``training.json``) into ``out``. ``encoder`` is recorded as given (a directory or a name)."""
    st = settings or PalSettings()
    loaded = read_user_pairs(data, on_bad=st.on_bad, limit=limit)
    if eval_data is not None:
        train, held = loaded.rows, read_user_pairs(eval_data, on_bad=st.on_bad).rows
    else:
        train, held = split_pairs(loaded.rows, st.eval_fraction, st.seed)
    if not train:
        raise ConfigError(f"{data}: no usable training pairs ({json.dumps(loaded.report())[:500]})")
    model = PalModel(
        encoder, prototypes=st.prototypes, dim=st.dim, hidden=st.hidden, projection=st.projection,
        max_length=st.max_length, normalize=st.normalize, embed_batch_size=st.embed_batch_size, device=st.device,
    )  # fmt: skip
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch().manual_seed(st.seed)
    result = fit_pal(model, train, held, st, out=out_dir, on_event=on_event)
    model.info_ = {"data_sha256": loaded.sha256}
    model.save(out_dir)
    report = {
        "kind": "pal",
        "base_model": encoder,
        "data": loaded.report(),
        "settings": asdict(st),
        "train_pairs": len(train),
        "held_out_pairs": len(held),
        "users": len(model.users_),
        "embedding": {"texts_truncated": model.embedder.truncated, "seconds": result.embed_seconds},
        "result": {k: v for k, v in asdict(result).items() if k != "history"},
    }
    (out_dir / TRAINING_JSON).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return result
