"""One training loop for every reward-model kind: length-grouped batches, gradient accumulation, linear
schedule, periodic evaluation, checkpoints with resume, and a JSON-lines metrics log.

The loop knows nothing about pairs or steps; a *task* (:class:`Task`) turns a list of encoded examples
into a loss and counts, and evaluates. Compared with TRL's ``RewardTrainer`` (a ``transformers.Trainer``
subclass), the loop is plain PyTorch that can be read top to bottom; batches are grouped by length
(padding is what a CPU spends most of its time on with variable-length transcripts), and what the data
reader and the truncation dropped or cut is written beside the metrics, not filtered away silently.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rewardlab.models._deps import torch
from rewardlab.models.settings import TrainSettings

STATE = "trainer_state.pt"
METRICS = "metrics.jsonl"


class Task(Protocol):
    """What the loop needs from a model kind."""

    kind: str

    def cost(self, item: Any) -> int:
        """Padded tokens the item costs in a batch (used to group similar lengths)."""
        ...

    def tokens(self, item: Any) -> int:
        """Real (non-padding) tokens the item feeds the model (for throughput)."""
        ...

    def loss(self, model: Any, items: Sequence[Any], device: Any) -> tuple[Any, dict[str, float]]:
        """The mean loss of ``items`` (a tensor with grad) and summable counts (``n``, ``correct``...)."""
        ...

    def evaluate(self, model: Any, items: Sequence[Any], device: Any, batch_size: int) -> dict[str, float]:
        """Metrics on held-out items (the model is in eval mode, gradients off)."""
        ...

    def reward_stats(self, model: Any, items: Sequence[Any], device: Any, limit: int) -> dict[str, float]:
        """``{"reward_mean", "reward_std"}`` over the rewards of up to ``limit`` texts (``{}`` if none)."""
        ...


@dataclass
class TrainResult:
    """What :func:`fit` did: steps taken, the last train and eval metrics, throughput, where it saved."""

    steps: int
    examples: int
    train_seconds: float
    examples_per_s: float
    tokens: int = 0
    tokens_per_s: float = 0.0
    final_eval: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    reward_stats: dict[str, float] = field(default_factory=dict)
    resumed_from: str | None = None


def batch_order(costs: Sequence[int], batch_size: int, seed: int, *, grouped: bool) -> list[list[int]]:
    """The batches of one epoch as lists of item indices.

    Random order from ``seed``; with ``grouped``, the shuffled items are taken in windows of
    ``50 * batch_size``, sorted by cost inside each window and cut into batches, and the batches are
    shuffled again (HF's ``group_by_length`` idea): batches hold similar lengths, the order stays random.
    """
    rng = random.Random(seed)
    idx = list(range(len(costs)))
    rng.shuffle(idx)
    if grouped:
        window = 50 * batch_size
        idx = [
            i
            for s in range(0, len(idx), window)
            for i in sorted(idx[s : s + window], key=lambda j: -costs[j])
        ]
    batches = [idx[s : s + batch_size] for s in range(0, len(idx), batch_size)]
    if grouped:
        rng.shuffle(batches)
    return batches


def split(items: Sequence[Any], fraction: float, seed: int) -> tuple[list[Any], list[Any]]:
    """A seeded split into ``(train, held_out)`` with ``round(fraction * n)`` items held out."""
    idx = list(range(len(items)))
    random.Random(seed).shuffle(idx)
    k = round(fraction * len(items))
    held = set(idx[:k])
    return [x for i, x in enumerate(items) if i not in held], [x for i, x in enumerate(items) if i in held]


def _lr_lambda(total: int, warmup: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return f


def _write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def _append(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def disable_dropout(model: Any) -> None:
    for m in model.modules():
        if isinstance(m, torch().nn.Dropout):
            m.p = 0.0


def fit(
    model: Any,
    tokenizer: Any,
    task: Task,
    train: Sequence[Any],
    held_out: Sequence[Any],
    settings: TrainSettings,
    out_dir: str | Path,
    *,
    device: Any,
    save: Callable[[Any, Path, dict[str, float]], None],
    resume: str | Path | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``train`` with ``task``; evaluate on ``held_out``; checkpoint into ``out_dir``.

    ``save(model, directory, reward_stats)`` writes a checkpoint (model, tokenizer, config block).
    ``resume`` is a checkpoint directory written by this function (its ``trainer_state.pt`` restores the
    optimiser, schedule, step and random state; the model must already be loaded from it).
    ``on_event(kind, record)`` is called with ``"start"``, ``"log"``, ``"eval"``, ``"checkpoint"`` and
    ``"end"`` records (the CLI draws its progress bar from them).
    """
    t = torch()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    emit = on_event or (lambda kind, rec: None)
    t.manual_seed(settings.seed)
    if settings.disable_dropout:
        disable_dropout(model)
    model.to(device)
    model.train()
    costs = [task.cost(x) for x in train]
    per_epoch = math.ceil(len(train) / settings.batch_size)
    total_micro = max(1, math.ceil(settings.epochs * per_epoch))
    total_steps = math.ceil(total_micro / settings.grad_accum)
    warmup = int(settings.warmup_ratio * total_steps)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = t.optim.AdamW(
        [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=settings.lr,
    )
    sched = t.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(total_steps, warmup))
    metrics_path = out / METRICS
    micro, step, history = 0, 0, []
    train_seconds, seen, tokens = 0.0, 0, 0
    if resume is not None:
        state = t.load(Path(resume) / STATE, weights_only=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        t.set_rng_state(state["rng"])
        micro, step = int(state["micro"]), int(state["step"])
        train_seconds, seen = float(state["train_seconds"]), int(state["examples"])
        tokens = int(state.get("tokens", 0))
        history = [r for r in state["history"] if r.get("step", 0) <= step]
    _write_jsonl(metrics_path, history)
    emit(
        "start", {"total_steps": total_steps, "step": step, "examples": len(train), "held_out": len(held_out)}
    )

    window: dict[str, float] = {}
    order_epoch, order = -1, []
    while micro < total_micro:
        epoch = micro // per_epoch
        if epoch != order_epoch:
            order = batch_order(
                costs, settings.batch_size, settings.seed + epoch, grouped=settings.length_grouped
            )
            order_epoch = epoch
        items = [train[i] for i in order[micro % per_epoch]]
        start = time.perf_counter()
        loss, counts = task.loss(model, items, device)
        (loss / settings.grad_accum).backward()
        micro += 1
        if micro % settings.grad_accum == 0 or micro == total_micro:
            if settings.max_grad_norm is not None:
                t.nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            stepped = True
        else:
            stepped = False
        train_seconds += time.perf_counter() - start
        seen += len(items)
        tokens += sum(task.tokens(x) for x in items)
        for k, v in counts.items():
            window[k] = window.get(k, 0.0) + v
        window["loss_sum"] = window.get("loss_sum", 0.0) + float(loss.detach()) * len(items)
        window["examples"] = window.get("examples", 0.0) + len(items)
        if not stepped:
            continue
        last = micro == total_micro
        if settings.log_every and (step % settings.log_every == 0 or last) and window.get("n"):
            rec = {
                "split": "train",
                "step": step,
                "epoch": round(micro / per_epoch, 4),
                "loss": window["loss_sum"] / window["examples"],
                "lr": sched.get_last_lr()[0],
                "examples_per_s": seen / train_seconds if train_seconds else 0.0,
                **{k: v / window["n"] for k, v in window.items() if k not in ("n", "loss_sum", "examples")},
            }
            history.append(rec)
            _append(metrics_path, rec)
            emit("log", {**rec, "total_steps": total_steps})
            window = {}
        if held_out and ((settings.eval_every and step % settings.eval_every == 0) or last):
            rec = {"split": "eval", "step": step, "epoch": round(micro / per_epoch, 4)}
            rec.update(_evaluate(model, task, held_out, device, settings.batch_size))
            history.append(rec)
            _append(metrics_path, rec)
            emit("eval", rec)
        if settings.save_every and step % settings.save_every == 0 and not last:
            ckpt = out / "checkpoints" / f"step-{step:07d}"
            save(model, ckpt, {})
            t.save(
                {
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "rng": t.get_rng_state(),
                    "micro": micro,
                    "step": step,
                    "train_seconds": train_seconds,
                    "examples": seen,
                    "tokens": tokens,
                    "history": history,
                    "settings": settings.as_dict(),
                },
                ckpt / STATE,
            )
            _prune(out / "checkpoints", settings.keep_checkpoints)
            emit("checkpoint", {"step": step, "path": str(ckpt)})
    model.eval()
    with t.inference_mode():
        stats = task.reward_stats(model, train, device, settings.stats_samples)
    save(model, out, stats)
    final_eval: dict[str, Any] = next((r for r in reversed(history) if r["split"] == "eval"), {})
    result = TrainResult(
        steps=step,
        examples=seen,
        train_seconds=train_seconds,
        examples_per_s=seen / train_seconds if train_seconds else 0.0,
        tokens=tokens,
        tokens_per_s=tokens / train_seconds if train_seconds else 0.0,
        final_eval={k: v for k, v in final_eval.items() if isinstance(v, int | float)},
        history=history,
        reward_stats=stats,
        resumed_from=str(resume) if resume is not None else None,
    )
    emit("end", {"steps": step, "examples_per_s": result.examples_per_s, **result.final_eval})
    return result


def _evaluate(model: Any, task: Task, items: Sequence[Any], device: Any, batch_size: int) -> dict[str, float]:
    model.eval()
    try:
        with torch().inference_mode():
            return task.evaluate(model, items, device, batch_size)
    finally:
        model.train()


def _prune(directory: Path, keep: int) -> None:
    ckpts = sorted(p for p in directory.glob("step-*") if p.is_dir())
    for old in ckpts[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest checkpoint under ``out_dir/checkpoints`` that has its trainer state, or None."""
    ckpts = sorted(p for p in (Path(out_dir) / "checkpoints").glob("step-*") if (p / STATE).is_file())
    return ckpts[-1] if ckpts else None
