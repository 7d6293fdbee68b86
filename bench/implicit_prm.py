"""An implicit PRM from SmolLM2-135M-Instruct, trained briefly on real GSM8K model solutions (outcome
labels only), against a training-free baseline: the ``reference_likelihood`` reward of the untrained model.

Data: the shared ``gsm8k/example_model_solutions.jsonl`` (4 real model solutions per problem, each with
``is_correct``). The problems are shuffled with ``random.Random(0)``; the first ``--held`` problems are
held out and the next ``--train`` problems trained on (a problem-level split: no problem is in both; all
4 solutions of a problem go to the same side). Model: ``rewardlab.judges.local.smollm2_dir()``.

1. Before training the policy is the reference, so every implicit reward ``beta * sum log(pi/pi_ref)`` is
   exactly 0 and the outcome AUC is 0.5 (all ties). We check this on ``--check`` held-out solutions with
   the real scorer instead of spending a full pass on it.
2. ``train_reward_model("implicit-prm", ...)``: 1 epoch, ``--max-length`` tokens, the frozen reference
   is the starting checkpoint; wall time and examples/s from the trainer.
3. The held-out solutions scored through the ``reward_model`` reward: outcome AUC with a 95% bootstrap
   interval over problems (1000 replicates, seed 0), and the step rewards of one correct and one wrong
   held-out solution.
4. Baseline: ``reference_likelihood`` with the untrained SmolLM2, ``log p(gold answer | question +
   solution + "\\nThe answer is ")``, summed over the answer's tokens, on the same held-out solutions.
   The solutions end with their own ``A: <n>`` line, so this mostly asks whether the model copies the
   stated answer; the ``reasoning only`` row drops that last line, leaving the reasoning alone.

Run: ``PYTHONPATH=src .venv/bin/python bench/implicit_prm.py [--train 30] [--held 30] [--json out.json]``
(about 25 minutes of CPU on two threads with the defaults, on a loaded machine; almost all training).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def gold(row: dict[str, Any]) -> str:
    """The gold final answer: the text after ``A:`` on the ground truth's last line."""
    last = row["ground_truth"].strip().splitlines()[-1]
    return last.split("A:", 1)[1].strip() if "A:" in last else last.strip()


def solutions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p, r in enumerate(rows):
        for k in KEYS:
            if isinstance(r.get(k), dict):
                out.append({"problem": p, "question": r["question"], "solution": r[k]["solution"],
                            "correct": int(bool(r[k]["is_correct"])), "gold": gold(r), "source": k})  # fmt: skip
    return out


def auc_ci(scores: list[float], labels: list[int], problems: list[int]) -> tuple[float, float, float]:
    """AUC and its 95% percentile bootstrap interval, resampling whole problems (solutions of one problem
    are not independent)."""
    import numpy as np

    from rewardlab.eval.metrics.stats import bootstrap_ci
    from rewardlab.models.implicit import auc

    groups: dict[int, list[tuple[float, int]]] = {}
    for s, y, p in zip(scores, labels, problems, strict=True):
        groups.setdefault(p, []).append((s, y))
    width = max(len(g) for g in groups.values())
    arr = np.full((len(groups), width, 2), np.nan)
    for i, g in enumerate(groups.values()):
        arr[i, : len(g)] = g

    def stat(a: Any) -> float:
        flat = a.reshape(-1, 2)
        flat = flat[~np.isnan(flat[:, 0])]
        return auc(list(flat[:, 0]), [int(y) for y in flat[:, 1]])

    lo, hi = bootstrap_ci(arr, statistic=stat, n_boot=1000, seed=0)
    return auc(scores, labels), lo, hi


def main() -> None:
    import torch

    from rewardlab.core.types import Sample
    from rewardlab.judges.local import smollm2_dir
    from rewardlab.models import RewardModel, TrainSettings, train_reward_model
    from rewardlab.models.likelihood import ReferenceLikelihood

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", type=int, default=30, help="training problems (4 solutions each)")
    ap.add_argument("--held", type=int, default=30, help="held-out problems (4 solutions each)")
    ap.add_argument("--check", type=int, default=8, help="held-out solutions scored before training")
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--baseline-only", action="store_true", help="only the reference_likelihood rows (no training)"
    )
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base = smollm2_dir()
    rows = [json.loads(line) for line in a.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    held_rows = [rows[i] for i in order[: a.held]]
    train_rows = [rows[i] for i in order[a.held : a.held + a.train]]
    assert not {r["question"] for r in held_rows} & {r["question"] for r in train_rows}
    held = solutions(held_rows)
    labels = [h["correct"] for h in held]
    problems = [h["problem"] for h in held]
    samples = [Sample(prompt=h["question"], completion=h["solution"]) for h in held]
    report: dict[str, Any] = {"model": str(base), "args": vars(a) | {"data": str(a.data), "json": None},
                              "train_problems": len(train_rows), "train_solutions": 4 * len(train_rows),
                              "held_problems": len(held_rows), "held_solutions": len(held),
                              "held_correct": sum(labels)}  # fmt: skip
    print(json.dumps({k: v for k, v in report.items() if k != "args"}))
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train_rows), encoding="utf-8")

        # 4. the training-free baseline first (the untrained model)
        t0 = time.perf_counter()
        lik = ReferenceLikelihood(str(base), bridge="\nThe answer is ", batch_size=8, max_length=a.max_length,
                                  threads=a.threads)  # fmt: skip
        with_ref = [
            Sample(prompt=h["question"] + "\n", completion=h["solution"], reference=h["gold"]) for h in held
        ]
        reasoning = [
            Sample(prompt=h["question"] + "\n", completion="\n".join(h["solution"].splitlines()[:-1]), reference=h["gold"])
            for h in held
        ]  # fmt: skip
        for name, ss in (
            ("reference_likelihood", with_ref),
            ("reference_likelihood, reasoning only", reasoning),
        ):
            res = lik.score_batch(ss)
            bad = [i for i, r in enumerate(res) if not r.ok]
            ok = [i for i, r in enumerate(res) if r.ok]
            value = auc_ci(
                [float(res[i].score or 0.0) for i in ok], [labels[i] for i in ok], [problems[i] for i in ok]
            )
            report[name] = {"auc": value[0], "ci": value[1:], "errors": len(bad)}
            print(
                f"{name}: AUC {value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}] on {len(ok)} ({len(bad)} errors)"
            )
        report["likelihood_seconds"] = time.perf_counter() - t0
        del lik
        if a.baseline_only:
            report["cpu_seconds"] = time.process_time() - cpu0
            print(f"CPU time {report['cpu_seconds']:.0f} s")
            if a.json:
                a.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
            return

        # 2. train
        out = d / "iprm"
        st = TrainSettings(epochs=1.0, batch_size=a.batch_size, lr=a.lr, max_length=a.max_length, device="cpu",
                           seed=0, warmup_ratio=0.1, log_every=10)  # fmt: skip
        t0 = time.perf_counter()
        result = train_reward_model(
            "implicit-prm", base, d / "train.jsonl", out, st, prm_options={"beta": a.beta}
        )
        wall = time.perf_counter() - t0
        training = json.loads((out / "training.json").read_text(encoding="utf-8"))
        report["training"] = {"wall_seconds": wall, "train_seconds": result.train_seconds, "steps": result.steps,
                              "examples": result.examples, "examples_per_s": result.examples_per_s,
                              "tokens_per_s": result.tokens_per_s, "truncation": training["truncation"],
                              "last_train_log": [h for h in result.history if h.get("split") == "train"][-1:]}  # fmt: skip
        print("training:", json.dumps(report["training"]))

        # 1. before training: policy == reference, checked on a few held-out solutions with the real scorer
        rm = RewardModel(str(out), batch_size=a.batch_size, max_length=a.max_length, threads=a.threads)
        lm = rm._load()
        scorer_ref = None
        from rewardlab.models.implicit import ImplicitScorer

        scorer = ImplicitScorer(lm, str(out))
        scorer_ref = scorer.task.reference
        trained = lm.model
        lm.model = scorer_ref  # score with pi = pi_ref: the untrained state
        before = scorer.score(lm, samples[: a.check], a.batch_size)
        lm.model = trained
        zs = [float(r.score or 0.0) for r in before]
        report["before"] = {"checked": len(zs), "max_abs_score": max(abs(z) for z in zs), "auc": 0.5}
        print(f"before training: max |reward| over {len(zs)} held-out solutions = {max(abs(z) for z in zs)} "
              "(policy == reference), so AUC = 0.5 (every pair tied)")  # fmt: skip

        # 3. after training
        t0 = time.perf_counter()
        res = rm.score_batch(samples)
        report["score_seconds"] = time.perf_counter() - t0
        scores = [float(r.score) if r.ok and r.score is not None else float("nan") for r in res]
        value = auc_ci(scores, labels, problems)
        report["after"] = {"auc": value[0], "ci": value[1:], "errors": sum(not r.ok for r in res)}
        print(
            f"after training: outcome AUC {value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}] on {len(held)} held-out"
        )
        shown = []
        for want in (1, 0):
            i = next(j for j, h in enumerate(held) if h["correct"] == want)
            steps = held[i]["solution"].split("\n")
            rewards = res[i].step_scores or []
            print(f"\n{'correct' if want else 'wrong'} held-out solution (problem {held[i]['problem']}, "
                  f"{held[i]['source']}), score {scores[i]:+.4f}:")  # fmt: skip
            for s, r in zip([s for s in steps if s.strip()], rewards, strict=False):
                print(f"  {r:+.4f}  {s[:100]}")
            shown.append({"correct": want, "score": scores[i], "steps": steps, "step_rewards": rewards})
        report["examples"] = shown
    report["cpu_seconds"] = time.process_time() - cpu0
    print(f"\nCPU time {report['cpu_seconds']:.0f} s")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
