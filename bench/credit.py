"""Speed of rewardlab's credit estimators against the plain-Python loops they are tested against.

``N`` samples (default 1,000,000) in groups of 16 rollouts per prompt. Outcome estimators see N
rewards; sequence estimators see N / 16 rows of 16 steps (N step rewards), and their group ids put 16
rows in a prompt group. Every estimator runs vectorised on all N rows (best of ``--repeat`` runs); the
naive loop from ``tests/credit/_loops.py`` runs once on the first ``--loop-n`` rows (default
100,000, because some loops are quadratic in the group or row size), and its rows/s are reported for
that subset. The last column is the largest absolute difference between the two on that subset.

Run: ``.venv/bin/python bench/credit.py [--n 1000000] [--loop-n 100000] [--repeat 3] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import rewardlab.credit as rc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "credit"))
import _loops as loops  # the naive references live with the tests

GROUP = 16


@dataclass
class Case:
    name: str
    shape: str
    rows: int  # samples processed by the vectorised call
    fast: Callable[[], object]
    slow: Callable[[], object]  # the loop on the subset
    slow_rows: int
    fast_on_subset: Callable[[], object]  # the vectorised call on the loop's subset, for agreement


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cases(n: int, loop_n: int, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    n = max(GROUP * GROUP, n - n % (GROUP * GROUP))
    m = min(loop_n - loop_n % (GROUP * GROUP), n) or GROUP * GROUP
    rewards = rng.integers(0, 5, size=n) / 4.0  # graded rewards: ties and constant groups occur
    ids = np.repeat(np.arange(n // GROUP), GROUP)
    rows, t = n // GROUP, GROUP  # sequence estimators: (rows, 16) steps
    seq = rng.normal(size=(rows, t))
    values = rng.normal(size=(rows, t))
    lengths = rng.integers(4, t + 1, size=rows)
    mask = np.arange(t)[None, :] < lengths[:, None]
    seq = np.where(mask, seq, 0.0)
    row_ids = np.repeat(np.arange(rows // GROUP), GROUP)
    dones = np.zeros((rows, t), dtype=bool)
    steps01 = rng.random(n)
    offsets = np.arange(0, n + 1, GROUP)
    k3 = rng.integers(0, 3, size=(n, 3)) / 2.0
    outcomes = rng.integers(0, 2, size=rows).astype(float)
    r_, s_ = m // GROUP, m  # subset sizes: rows of sequences, scalar samples

    r_l, i_l = rewards[:m].tolist(), ids[:m].tolist()
    seq_l, val_l, mask_l = seq[:r_].tolist(), values[:r_].tolist(), mask[:r_].tolist()
    dones_l, boot_l = dones[:r_].tolist(), [0.0] * r_
    out: list[Case] = [
        Case(
            "grpo (group std)",
            f"({n},)",
            n,
            lambda: rc.grpo_advantages(rewards, ids),
            lambda: loops.grpo_loop(r_l, i_l),
            s_,
            lambda: rc.grpo_advantages(rewards[:m], ids[:m]),
        ),
        Case(
            "dr. grpo (scale=none)",
            f"({n},)",
            n,
            lambda: rc.grpo_advantages(rewards, ids, scale="none"),
            lambda: loops.grpo_loop(r_l, i_l, "none"),
            s_,
            lambda: rc.grpo_advantages(rewards[:m], ids[:m], scale="none"),
        ),
        Case(
            "rloo",
            f"({n},)",
            n,
            lambda: rc.rloo_advantages(rewards, ids),
            lambda: loops.rloo_loop(r_l, i_l),
            s_,
            lambda: rc.rloo_advantages(rewards[:m], ids[:m]),
        ),
        Case(
            "rank_normalize",
            f"({n},)",
            n,
            lambda: rc.rank_normalize(rewards, ids),
            lambda: loops.rank_loop(r_l, i_l),
            s_,
            lambda: rc.rank_normalize(rewards[:m], ids[:m]),
        ),
        Case(
            "normalize_then_sum (K=3)",
            f"({n}, 3)",
            n,
            lambda: rc.normalize_then_sum(k3, ids, [1.0, 0.5, 0.2]),
            lambda: loops.normalize_then_sum_loop(k3[:m].tolist(), i_l, [1.0, 0.5, 0.2]),
            s_,
            lambda: rc.normalize_then_sum(k3[:m], ids[:m], [1.0, 0.5, 0.2]),
        ),
        Case(
            "pareto_mask (K=3)",
            f"({n}, 3)",
            n,
            lambda: rc.pareto_mask(k3, ids),
            lambda: loops.pareto_loop(k3[:m].tolist(), i_l),
            s_,
            lambda: rc.pareto_mask(k3[:m], ids[:m]),
        ),
        Case(
            "clip_shaping",
            f"({n},)",
            n,
            lambda: rc.clip_shaping(steps01, 0.5),
            lambda: loops.clip_loop(steps01[:m].tolist(), 0.5),
            s_,
            lambda: rc.clip_shaping(steps01[:m], 0.5),
        ),
        Case(
            "delta_shaping (16-step traj.)",
            f"({n},)",
            n,
            lambda: rc.delta_shaping(steps01, offsets=offsets),
            lambda: [
                x for k in range(r_) for x in loops.delta_loop(steps01[k * GROUP : (k + 1) * GROUP].tolist())
            ],
            s_,
            lambda: rc.delta_shaping(steps01[:m], offsets=offsets[: r_ + 1]),
        ),
        Case(
            "min_form_returns",
            f"({n},)",
            n,
            lambda: rc.min_form_returns(steps01, offsets=offsets),
            lambda: [
                x
                for k in range(r_)
                for x in loops.min_form_loop(steps01[k * GROUP : (k + 1) * GROUP].tolist())
            ],
            s_,
            lambda: rc.min_form_returns(steps01[:m], offsets=offsets[: r_ + 1]),
        ),
        Case(
            "discounted_returns",
            f"({rows}, {t})",
            n,
            lambda: rc.discounted_returns(seq, gamma=0.99, mask=mask),
            lambda: loops.returns_loop(seq_l, dones_l, mask_l, 0.99),
            s_,
            lambda: rc.discounted_returns(seq[:r_], gamma=0.99, mask=mask[:r_]),
        ),
        Case(
            "gae",
            f"({rows}, {t})",
            n,
            lambda: rc.gae(seq, values, None, gamma=0.99, lam=0.95, mask=mask),
            lambda: loops.gae_loop(seq_l, val_l, dones_l, mask_l, boot_l, 0.99, 0.95),
            s_,
            lambda: rc.gae(seq[:r_], values[:r_], None, gamma=0.99, lam=0.95, mask=mask[:r_])[0],
        ),
        Case(
            "reinforce++",
            f"({rows}, {t})",
            n,
            lambda: rc.reinforce_pp_advantages(seq, mask),
            lambda: loops.whiten_loop(loops.returns_loop(seq_l, dones_l, mask_l, 1.0), mask_l),
            s_,
            lambda: rc.reinforce_pp_advantages(seq[:r_], mask[:r_])[0],
        ),
        Case(
            "masked_whiten",
            f"({rows}, {t})",
            n,
            lambda: rc.masked_whiten(seq, mask),
            lambda: loops.whiten_loop(seq_l, mask_l),
            s_,
            lambda: rc.masked_whiten(seq[:r_], mask[:r_]),
        ),
        Case(
            "process_outcome (rloo)",
            f"({rows}, {t})",
            n,
            lambda: rc.process_outcome_advantages(
                seq, mask, outcomes, row_ids, process_weight=0.5, outcome_weight=1.0
            ),
            lambda: loops.process_outcome_loop(
                seq_l, mask_l, outcomes[:r_].tolist(), row_ids[:r_].tolist(), 0.5, 1.0, 1.0
            ),
            s_,
            lambda: rc.process_outcome_advantages(
                seq[:r_], mask[:r_], outcomes[:r_], row_ids[:r_], process_weight=0.5, outcome_weight=1.0
            ),
        ),
        Case(
            "turn_advantages (igpo)",
            f"({rows}, {t})",
            n,
            lambda: rc.turn_advantages(seq, mask, row_ids),
            lambda: loops.turn_advantages_loop(
                seq_l, mask_l, row_ids[:r_].tolist(), 1.0, "joint", "discounted"
            ),
            s_,
            lambda: rc.turn_advantages(seq[:r_], mask[:r_], row_ids[:r_]),
        ),
        Case(
            "turn_advantages (a2tgpo)",
            f"({rows}, {t})",
            n,
            lambda: rc.turn_advantages(seq, mask, row_ids, norm="turn", accumulate="sqrt"),
            lambda: loops.turn_advantages_loop(seq_l, mask_l, row_ids[:r_].tolist(), 1.0, "turn", "sqrt"),
            s_,
            lambda: rc.turn_advantages(seq[:r_], mask[:r_], row_ids[:r_], norm="turn", accumulate="sqrt"),
        ),
    ]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="samples (rounded to a multiple of 256)")
    parser.add_argument("--loop-n", type=int, default=100_000, help="samples the naive loop runs on")
    parser.add_argument("--repeat", type=int, default=3, help="vectorised runs; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    console = Console(width=130)
    table = Table(title=f"rewardlab.credit: vectorised vs naive loop (groups of {GROUP})")
    for col in ("estimator", "input", "vectorised rows/s", "loop rows/s", "speed-up", "max |diff|"):
        table.add_column(col, justify="left" if col in ("estimator", "input") else "right")
    for case in cases(args.n, args.loop_n, args.seed):
        fast_s = best_of(case.fast, args.repeat)
        t0 = time.perf_counter()
        slow_out = case.slow()
        slow_s = time.perf_counter() - t0
        diff = float(
            np.max(np.abs(np.asarray(case.fast_on_subset(), dtype=float) - np.asarray(slow_out, dtype=float)))
        )
        fast_rate, slow_rate = case.rows / fast_s, case.slow_rows / slow_s
        table.add_row(
            case.name,
            case.shape,
            f"{fast_rate:,.0f}",
            f"{slow_rate:,.0f}",
            f"{fast_rate / slow_rate:,.0f}x",
            f"{diff:.1e}",
        )
        console.print(f"[dim]{case.name}: {fast_s * 1e3:.1f} ms vectorised, {slow_s:.2f} s loop[/dim]")
    console.print(table)


if __name__ == "__main__":
    main()
