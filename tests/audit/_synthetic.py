"""Synthetic runs that reproduce known reward-hacking patterns, and healthy runs, for the audit tests.

Trainer logs are TRL ``trainer_state.json`` documents (``log_history`` rows with TRL 1.16's metric
names); rollouts are scored rows as ``rewardlab score`` writes them, with a ``step``. Everything is
seeded. ``EXPECTED`` maps each scenario to the one detector it must fire (None: none may fire).

- ``soup286``: the public Soup #286 report: the proxy (reward-model) reward rises while accuracy (logged
  as a zero-weight reward function, as TRL users monitor it) falls 0.90 -> 0.22 and completions grow
  from ~220 to ~900 tokens.
- ``format_abandonment``: the format reward collapses, then completions run to the length limit.
- ``repetition_loops``: a growing share of completions loop on a phrase (same length, different loops).
- ``silent_zero_spike``: three steps where half the rollouts time out and are scored 0.
- ``healthy_log`` / ``healthy_rollouts``: slow honest improvement, nothing drifting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STEPS = 40
VOCAB = tuple(
    [
        "first",
        "we",
        "add",
        "the",
        "two",
        "numbers",
        "then",
        "multiply",
        "by",
        "three",
        "so",
        "the",
        "total",
        "cost",
        "is",
        "found",
        "by",
        "taking",
        "each",
        "item",
        "price",
        "and",
        "the",
        "remaining",
        "amount",
        "after",
        "she",
        "spends",
        "half",
        "of",
        "her",
        "savings",
        "on",
        "books",
    ]
)


def ramp(a: float, b: float, n: int = STEPS) -> np.ndarray:
    return np.linspace(a, b, n)


def _noise(rng: np.random.Generator, scale: float, n: int = STEPS) -> np.ndarray:
    return rng.normal(0, scale, n)


def _trl_state(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"global_step": len(rows), "max_steps": len(rows), "log_history": rows}


def soup286(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    acc = np.clip(ramp(0.90, 0.22) + _noise(rng, 0.02), 0, 1)
    rm = ramp(0.35, 0.92) + _noise(rng, 0.02)
    length = ramp(220, 900) + _noise(rng, 15)
    rows = [
        {"step": s + 1, "loss": 0.01, "reward": float(rm[s]), "reward_std": 0.2,
         "rewards/reward_model/mean": float(rm[s]), "rewards/accuracy_reward/mean": float(acc[s]),
         "completions/mean_length": float(length[s]), "completions/clipped_ratio": 0.0,
         "frac_reward_zero_std": 0.05, "entropy": float(0.55 + rng.normal(0, 0.01)), "kl": 0.001 * s}
        for s in range(STEPS)
    ]  # fmt: skip
    return _trl_state(rows)


def format_abandonment(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    fmt = np.concatenate([np.full(12, 0.9), ramp(0.9, 0.05, 8), np.full(STEPS - 20, 0.05)])
    fmt = np.clip(fmt + _noise(rng, 0.02), 0, 1)
    acc = np.clip(0.3 + _noise(rng, 0.02), 0, 1)
    length = np.concatenate([np.full(20, 250.0), ramp(250, 1000, STEPS - 20)]) + _noise(rng, 10)
    clipped = np.clip(
        np.concatenate([np.full(20, 0.01), ramp(0.01, 0.6, STEPS - 20)]) + _noise(rng, 0.01), 0, 1
    )
    rows = [
        {"step": s + 1, "reward": float(acc[s] + fmt[s]), "rewards/format_reward/mean": float(fmt[s]),
         "rewards/accuracy_reward/mean": float(acc[s]), "completions/mean_length": float(length[s]),
         "completions/clipped_ratio": float(clipped[s]), "frac_reward_zero_std": 0.2,
         "entropy": float(0.5 + 0.002 * s)}
        for s in range(STEPS)
    ]  # fmt: skip
    return _trl_state(rows)


def healthy_log(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    acc = ramp(0.30, 0.52) + _noise(rng, 0.02)
    fmt = np.clip(ramp(0.80, 0.92) + _noise(rng, 0.02), 0, 1)
    rows = [
        {"step": s + 1, "reward": float(acc[s] + 0.2 * fmt[s]), "rewards/accuracy_reward/mean": float(acc[s]),
         "rewards/accuracy_reward/std": 0.45, "rewards/format_reward/mean": float(fmt[s]),
         "rewards/format_reward/std": 0.3, "completions/mean_length": float(300 + rng.normal(0, 8)),
         "completions/clipped_ratio": float(abs(rng.normal(0.02, 0.005))),
         "frac_reward_zero_std": float(0.3 + rng.normal(0, 0.03)), "entropy": float(0.6 - 0.002 * s)}
        for s in range(STEPS)
    ]  # fmt: skip
    return _trl_state(rows)


# --- rollouts ----------------------------------------------------------------------------------------


def _prose(rng: np.random.Generator, n_words: int, answer: int) -> str:
    body = " ".join(rng.choice(VOCAB, n_words))
    return f"{body}. The answer is \\boxed{{{answer}}}."


def _loop(rng: np.random.Generator, n_words: int) -> str:
    phrase = " ".join(rng.choice(VOCAB, 4))
    return " ".join([phrase] * (n_words // 4))


def _row(step: int, group: int, text: str, correct: float, fmt: float, **extra: Any) -> dict[str, Any]:
    return {"step": step, "prompt": f"question {step}-{group}", "completion": text, "reference": "7",
            "reward": correct + 0.2 * fmt, "components": {"correct": correct, "format": fmt},
            "error": None, "metadata": {"group": f"{step}-{group}"}, **extra}  # fmt: skip


def rollouts(
    seed: int = 0, *, steps: int = 30, groups: int = 2, size: int = 4, p_correct: tuple[float, float] = (0.35, 0.5),
    loop_share: tuple[float, float] | None = None, spike_steps: tuple[int, ...] = (),
) -> list[dict[str, Any]]:  # fmt: skip
    """Scored rows: ``groups`` groups of ``size`` per step. ``loop_share`` ramps the share of looping
    completions from step 10 on; at ``spike_steps`` half of the rows time out and are scored 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for step in range(1, steps + 1):
        p = p_correct[0] + (p_correct[1] - p_correct[0]) * (step - 1) / max(1, steps - 1)
        share = 0.0
        if loop_share is not None and step >= 10:
            share = loop_share[0] + (loop_share[1] - loop_share[0]) * (step - 10) / max(1, steps - 10)
        for g in range(groups):
            for _ in range(size):
                if rng.random() < share:
                    rows.append(_row(step, g, _loop(rng, 40), 0.0, 0.0))
                    continue
                ok = rng.random() < p
                text = _prose(rng, 36 + int(rng.integers(0, 8)), 7 if ok else int(rng.integers(8, 99)))
                row = _row(step, g, text, float(ok), 1.0)
                if step in spike_steps and rng.random() < 0.5:
                    row.update(reward=0.0, components={},
                               error={"type": "Timeout", "message": "math: no result within 5.0 s"})  # fmt: skip
                rows.append(row)
    return rows


def repetition_loops(seed: int = 0) -> list[dict[str, Any]]:
    return rollouts(seed, loop_share=(0.0, 0.7))


def silent_zero_spike(seed: int = 0) -> list[dict[str, Any]]:
    return rollouts(seed, spike_steps=(18, 19, 20))


def healthy_rollouts(seed: int = 0) -> list[dict[str, Any]]:
    return rollouts(seed)


LOGS = {"soup286": soup286, "format_abandonment": format_abandonment, "healthy_log": healthy_log}
ROLLOUTS = {"repetition_loops": repetition_loops, "silent_zero_spike": silent_zero_spike,
            "healthy_rollouts": healthy_rollouts}  # fmt: skip
EXPECTED: dict[str, str | None] = {
    "soup286": "length_vs_correctness",
    "format_abandonment": "clipped_length",
    "repetition_loops": "repetition",
    "silent_zero_spike": "silent_zero",
    "healthy_log": None,
    "healthy_rollouts": None,
}
