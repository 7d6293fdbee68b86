"""Majority vote as a pseudo-label on real best-of-8 samples (Qwen2.5-Math's eval_rm_maj example).

Each of the 100 MATH problems has 8 sampled responses, Qwen's parsed ``pred`` and its grader's ``score``
(correct or not) for each. rewardlab's ``majority_vote`` reads each response's final answer with the math
reward's parser and clusters the 8 by the math verifier. Printed side by side:

- how often the pseudo-label equals the true answer (``gt``), by rewardlab's math verifier, against the
  same rate for a vote over Qwen's own ``pred`` strings (exact-string clusters, as Qwen's maj@8 does) judged
  by Qwen's ``score`` of a member of the winning cluster;
- how often the reward agrees with the grader per response (pseudo-reward 1.0 vs ``score`` true);
- the share of problems without a majority.

Run: ``.venv/bin/python bench/majority_vote.py [--data PATH]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

import rewardlab as rl

SHARED = (
    Path(__file__).resolve().parents[2]
    / "shared/data/math/qwen2.5-math_eval_rm_maj_example/math_cot_100.jsonl"
)
BUNDLED = Path(__file__).resolve().parents[1] / "src/rewardlab/data/eval/qwen25_math_bon_sample.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    path = args.data or (SHARED if SHARED.exists() else BUNDLED)
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    samples = []
    for r in rows:
        for k, resp in enumerate(r["response"] if "response" in r else r["code"]):
            samples.append(rl.Sample(prompt=r["question"], completion=str(resp), reference=str(r["gt"]),
                                     metadata={"group": r["idx"], "k": k}))  # fmt: skip
    start = time.perf_counter()
    results = rl.score("majority_vote", samples, workers=1, timeout=60)
    took = time.perf_counter() - start
    by_problem: dict[int, list[rl.RewardResult]] = {}
    for s, res in zip(samples, results, strict=True):
        by_problem.setdefault(s.metadata["group"], []).append(res)
    right = labelled = 0
    agree = total = 0
    errors = sum(r.error is not None for r in results)
    qwen_right = 0
    for r in rows:
        got = by_problem[r["idx"]]
        info = got[0].info
        if info.get("pseudo_label") is not None:
            labelled += 1
            right += bool(info.get("correct"))
        for res, ok in zip(got, r["score"], strict=True):
            if res.error is None:
                total += 1
                agree += (res.score == 1.0) == bool(ok)
        top, _ = Counter(r["pred"]).most_common(1)[0]
        qwen_right += bool(r["score"][r["pred"].index(top)])
    n = len(rows)
    table = Table(title=f"majority vote as pseudo-label: {n} problems x 8 responses ({path.name})")
    for col in ("", "rewardlab majority_vote (math clusters)", "vote over Qwen's pred strings"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row(
        "pseudo-label = true answer",
        f"{right}/{n} ({100 * right / n:.1f}%)",
        f"{qwen_right}/{n} ({100 * qwen_right / n:.1f}%)",
    )
    table.add_row("problems with a label", f"{labelled}/{n}", f"{n}/{n}")
    table.add_row(
        "pseudo-reward = grader's score", f"{agree}/{total} ({100 * agree / max(1, total):.1f}%)", "-"
    )
    table.add_row("errors", str(errors), "-")
    table.add_row("seconds (800 responses)", f"{took:.1f}", "-")
    Console().print(table)


if __name__ == "__main__":
    main()
