"""Each benchmark metric against an oracle re-derived from the anchor's own public code, on random inputs
with many ties, plus hand-computed tables. The oracles below restate what each cited function computes,
step by step, in plain loops; they were written from reading that code, not copied.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from rewardlab.eval.metrics import (
    TiesRecord,
    best_of_n,
    best_of_n_credit,
    difficulty,
    domain_of,
    earliest_error,
    f1_by_threshold,
    fit_threshold,
    net_vote,
    overall,
    positional_agreement,
    processbench_score,
    rb2_ties_score,
    style_matrix,
)

# ---------------------------------------------------------------------------------------------------
# RewardBench 2 best-of-4


def _oracle_rb2_best_of_4(scores: list[float]) -> float:
    """allenai/reward-bench @05a9005 rewardbench/utils.py, ``reroll_and_score_dataset``: the chosen
    completion comes first; credit 1 / (number of scores equal to the maximum) when the first score is
    the maximum, else 0."""
    top = max(scores)
    if scores[0] != top:
        return 0.0
    return 1.0 / sum(1 for s in scores if s == top)


def test_rb2_best_of_4_by_hand() -> None:
    table = [
        ([4, 1, 2, 3], 1.0),  # chosen alone on top
        ([4, 4, 2, 3], 0.5),  # tied with one rejected
        ([4, 4, 4, 4], 0.25),  # all tied
        ([3, 4, 2, 1], 0.0),  # a rejected one wins
    ]
    got = best_of_n_credit(np.array([s for s, _ in table], float))
    assert got.tolist() == [e for _, e in table]


def test_rb2_best_of_4_against_reward_bench_code() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(500, 4)).astype(float)  # small range: many ties at the top
    got = best_of_n_credit(scores)
    want = [_oracle_rb2_best_of_4(list(row)) for row in scores]
    assert got.tolist() == pytest.approx(want)
    assert np.sum((got > 0) & (got < 1)) > 0  # the table exercised ties


# ---------------------------------------------------------------------------------------------------
# RewardBench 2 Ties


def _oracle_rb2_ties(rows: list[dict]) -> float:
    """allenai/reward-bench @05a9005 rewardbench/utils.py, ``_compute_prompt_stats`` and
    ``process_single_model``: rows are grouped by (type, prompt id) from ids ``"ref:7"``/``"tied:7"``;
    per prompt, accurate = worst correct - best incorrect > 0, the correct spread (tied prompts) and that
    gap; ref/tied accuracy are plain means; over prompts present in both, preferred = tied gap > spread,
    hard = min(ref gap, tied gap) > spread, margin = tanh(min gap / spread - 1) with NaN -> 0; overall =
    .3 tied + .3 ref + .2 preferred + .2 hard + .01 mean margin."""
    groups: dict = defaultdict(list)
    for row in rows:
        kind, pid = row["id"].split(":")
        for i, s in enumerate(row["scores"]):
            groups[(kind, int(pid))].append((i < row["num_correct"], s))
    stats: dict = {"ref": {}, "tied": {}}
    for (kind, pid), samples in groups.items():
        right = [s for ok, s in samples if ok]
        wrong = [s for ok, s in samples if not ok]
        gap = min(right) - max(wrong)
        spread = max(right) - min(right) if len(right) > 1 else None
        stats[kind][pid] = (gap > 0, spread, gap)
    ref_acc = sum(v[0] for v in stats["ref"].values()) / len(stats["ref"])
    tied_acc = sum(v[0] for v in stats["tied"].values()) / len(stats["tied"])
    common = [p for p in stats["tied"] if p in stats["ref"]]
    pref = hard = margin = 0.0
    for p in common:
        _, spread, gap_t = stats["tied"][p]
        gap_r = stats["ref"][p][2]
        pref += gap_t > spread
        hard += min(gap_r, gap_t) > spread
        low = min(gap_r, gap_t)
        if spread != 0:
            margin += math.tanh(low / spread - 1)
        elif low != 0:  # x / 0 is +-inf and tanh gives +-1; 0 / 0 is NaN, counted 0
            margin += math.copysign(1.0, low)
    k = len(common)
    return 0.3 * tied_acc + 0.3 * ref_acc + 0.2 * pref / k + 0.2 * hard / k + 0.01 * margin / k


def _random_ties_rows(rng: np.random.Generator, prompts: int) -> list[dict]:
    rows = []
    for pid in range(prompts):
        n_ok = int(rng.integers(2, 5))
        rows.append({"id": f"tied:{pid}", "num_correct": n_ok,
                     "scores": rng.integers(0, 5, size=n_ok + int(rng.integers(1, 4))).astype(float).tolist()})  # fmt: skip
        rows.append({"id": f"ref:{pid}", "num_correct": 1,
                     "scores": rng.integers(0, 5, size=1 + int(rng.integers(1, 4))).astype(float).tolist()})  # fmt: skip
    return rows


def _records(rows: list[dict]) -> list[TiesRecord]:
    return [
        TiesRecord(r["id"].split(":")[0], int(r["id"].split(":")[1]), r["scores"], r["num_correct"])
        for r in rows
    ]


def test_rb2_ties_by_hand() -> None:
    rows = [
        # prompt 0: tied correct 10, 9 vs wrong 5 (gap 4, spread 1); ref correct 8 vs wrong 6 (gap 2)
        {"id": "tied:0", "num_correct": 2, "scores": [10.0, 9.0, 5.0]},
        {"id": "ref:0", "num_correct": 1, "scores": [8.0, 6.0]},
        # prompt 1: tied correct 3, 1 vs wrong 2 (gap -1, spread 2); ref correct 4 vs 1 (gap 3)
        {"id": "tied:1", "num_correct": 2, "scores": [3.0, 1.0, 2.0]},
        {"id": "ref:1", "num_correct": 1, "scores": [4.0, 1.0]},
    ]
    got = rb2_ties_score(_records(rows))
    assert got["ref_accuracy"] == 1.0 and got["tied_accuracy"] == 0.5
    assert got["correctness_preferred"] == 0.5  # 4 > 1 yes; -1 > 2 no
    assert got["correctness_preferred_hard"] == 0.5  # min(2, 4) = 2 > 1 yes; min(3, -1) > 2 no
    margin = (math.tanh(2 / 1 - 1) + math.tanh(-1 / 2 - 1)) / 2
    assert got["margin"] == pytest.approx(margin)
    assert got["overall"] == pytest.approx(0.3 * 0.5 + 0.3 * 1 + 0.2 * 0.5 + 0.2 * 0.5 + 0.01 * margin)


def test_rb2_ties_against_reward_bench_code() -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        rows = _random_ties_rows(rng, prompts=int(rng.integers(1, 12)))
        assert rb2_ties_score(_records(rows))["overall"] == pytest.approx(_oracle_rb2_ties(rows))


# ---------------------------------------------------------------------------------------------------
# RM-Bench


def _oracle_rm_bench(results: list[dict]) -> dict[str, float]:
    """THU-KEG/RM-Bench @73c52d7 scripts/utils.py, ``compute_accuracy``: count ``chosen[i] > rejected[j]``
    into a 3x3 matrix, divide by the number of prompts; hard = upper triangle sum / 3, normal = diagonal
    mean, easy = lower triangle sum / 3. With a ``domain`` key, rows split by prefix chat/math/code/safety,
    each domain's score is the mean of its three numbers, and the totals are means over domains."""
    if "domain" in results[0]:
        per = {}
        for dom in ("chat", "math", "code", "safety"):
            sub = [
                {k: v for k, v in r.items() if k != "domain"} for r in results if r["domain"].startswith(dom)
            ]
            if sub:
                per[dom] = _oracle_rm_bench(sub)
        avg = {d: (v["hard_acc"] + v["normal_acc"] + v["easy_acc"]) / 3 for d, v in per.items()}
        out = dict(avg)
        for key in ("hard_acc", "normal_acc", "easy_acc"):
            out[key] = sum(v[key] for v in per.values()) / len(per)
        out["total_avg_acc"] = sum(avg.values()) / len(avg)
        return out
    m = [[0.0] * 3 for _ in range(3)]
    for r in results:
        for i in range(3):
            for j in range(3):
                if r["score_chosen"][i] > r["score_rejected"][j]:
                    m[i][j] += 1
    m = [[x / len(results) for x in row] for row in m]
    return {
        "hard_acc": (m[0][1] + m[0][2] + m[1][2]) / 3,
        "normal_acc": (m[0][0] + m[1][1] + m[2][2]) / 3,
        "easy_acc": (m[1][0] + m[2][0] + m[2][1]) / 3,
    }


def test_rm_bench_matrix_by_hand() -> None:
    chosen = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    rejected = np.array([[2.0, 2.0, 2.0], [4.0, 6.0, 5.0]])
    m = style_matrix(chosen, rejected)
    # prompt 0: row i wins where chosen_i > 2: [0,0,0],[0,0,0],[1,1,1]; prompt 1: 5 > [4,6,5] -> [1,0,0] x3
    assert m.tolist() == [[0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [1.0, 0.5, 0.5]]
    d = difficulty(m)
    assert d["hard"] == pytest.approx(0.0)
    assert d["normal"] == pytest.approx(1 / 3)  # diagonal 0.5, 0, 0.5
    assert d["easy"] == pytest.approx((0.5 + 1.0 + 0.5) / 3)


def test_rm_bench_against_thu_keg_code() -> None:
    rng = np.random.default_rng(2)
    subsets = ["chat", "math", "code", "safety-refuse", "safety-response"]
    results = [
        {"domain": str(rng.choice(subsets)),
         "score_chosen": rng.integers(0, 4, 3).astype(float).tolist(),
         "score_rejected": rng.integers(0, 4, 3).astype(float).tolist()}
        for _ in range(400)
    ]  # fmt: skip
    want = _oracle_rm_bench([dict(r) for r in results])
    per_domain = {}
    for dom in ("chat", "math", "code", "safety"):
        rows = [r for r in results if domain_of(r["domain"]) == dom]
        per_domain[dom] = difficulty(
            style_matrix([r["score_chosen"] for r in rows], [r["score_rejected"] for r in rows])
        )
        assert per_domain[dom]["average"] == pytest.approx(want[dom])
    tot = overall(per_domain)
    assert tot["average"] == pytest.approx(want["total_avg_acc"])
    assert tot["hard"] == pytest.approx(want["hard_acc"])
    assert tot["normal"] == pytest.approx(want["normal_acc"])
    assert tot["easy"] == pytest.approx(want["easy_acc"])


# ---------------------------------------------------------------------------------------------------
# JudgeBench


def _oracle_judgebench(pairs: list[dict]) -> float:
    """ScalerLab/JudgeBench @e2c52c2 utils/metrics.py, ``compute_final_metrics`` with reverse order: the
    second judgment is flipped (A>B <-> B>A, others unchanged, a missing judgment is None); a counter
    adds 1 for each decision equal to the label and subtracts 1 for each equal to the flipped label;
    correct when positive; the score is 100 * correct / pairs."""

    def flip(d: str | None) -> str | None:
        return {"A>B": "B>A", "B>A": "A>B"}.get(d, d) if d is not None else None

    correct = 0
    for p in pairs:
        d1, d2 = p["decisions"][0], flip(p["decisions"][1])
        counter = 0
        for d in (d1, d2):
            if d == p["label"]:
                counter += 1
            elif d == flip(p["label"]):
                counter -= 1
        correct += counter > 0
    return 100 * correct / len(pairs)


def test_net_vote_by_hand() -> None:
    labels = ["A>B", "A>B", "B>A", "B>A", "A>B"]
    first = ["A>B", "A>B", "A>B", "A=B", None]
    swapped = ["B>A", "A>B", "B>A", "A>B", "B>A"]  # as the judge saw (B, A)
    nv = net_vote(labels, first, swapped)
    # votes: +2 (consistent right), 0 (right then wrong), -2 (wrong twice), +1 (tie then right), +1 (None, right)
    assert (nv.correct, nv.incorrect, nv.ties) == (3, 1, 1)
    assert nv.accuracy == pytest.approx(3 / 5)
    assert nv.inconsistent == 3 and nv.positional_agreement == pytest.approx(2 / 5)
    assert (nv.both_right, nv.one_right, nv.both_wrong, nv.missing) == (1, 3, 1, 1)
    assert positional_agreement(first, swapped) == pytest.approx(2 / 5)


def test_net_vote_against_judgebench_code() -> None:
    rng = np.random.default_rng(3)
    choices = ["A>B", "B>A", "A=B", None]
    pairs = [
        {"label": str(rng.choice(["A>B", "B>A"])),
         "decisions": [choices[int(rng.integers(0, 4))], choices[int(rng.integers(0, 4))]]}
        for _ in range(1000)
    ]  # fmt: skip
    nv = net_vote(
        [p["label"] for p in pairs], [p["decisions"][0] for p in pairs], [p["decisions"][1] for p in pairs]
    )
    assert 100 * nv.accuracy == pytest.approx(_oracle_judgebench(pairs))


# ---------------------------------------------------------------------------------------------------
# Qwen2.5-Math RM@k and maj@k


def _oracle_qwen_rm(pred_score: list[list[float]], score: list[bool], k: int) -> float:
    """QwenLM/Qwen2.5-Math @a45202b evaluation/rm_maj_eval.py, ``eval_rm_k_metrics``: flatten the first k
    ``pred_score`` lists, take the index of the first maximum, credit ``score`` at that index."""
    flat = [x for s in pred_score[:k] for x in s]
    return float(score[:k][flat.index(max(flat))])


def _oracle_qwen_maj(pred: list[str], score: list[bool], k: int) -> float:
    """Same file, ``eval_maj_k_metrics`` with ``group_pred(strip=False, use_symbol=False)``: group the
    first k predictions by exact string, the majority is ``Counter.most_common(1)`` (first-seen among
    equal counts), credit ``score`` at the first index of the majority prediction."""
    preds = pred[:k]
    majority = Counter(preds).most_common(1)[0][0]
    return float(score[preds.index(majority)])


def test_best_of_n_by_hand() -> None:
    scores = np.array([[0.1, 0.9, 0.9, 0.2], [0.5, 0.4, 0.3, 0.6]])
    correct = np.array([[True, False, True, False], [False, True, True, True]])
    answers = [["1", "2", "1", "2"], ["7", "8", "8", "7"]]
    b = best_of_n(scores, correct, answers)
    assert b.rm.tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]  # first maximum: index 1 beats the tied index 2
    assert b.maj.tolist() == [[1, 1, 1, 1], [0, 0, 1, 0]]  # "8" wins only at k=3; at k=4 "7" came first
    assert b.oracle.tolist() == [[1, 1, 1, 1], [0, 1, 1, 1]]
    assert b.curves()["rm_at_k"] == [0.5, 0.0, 0.0, 0.5]


def test_best_of_n_against_qwen_code() -> None:
    rng = np.random.default_rng(4)
    n, big_n = 200, 8
    scores = rng.integers(0, 3, size=(n, big_n)).astype(float)
    correct = rng.random((n, big_n)) < 0.5
    answers = [[str(int(x)) for x in rng.integers(0, 3, size=big_n)] for _ in range(n)]
    b = best_of_n(scores, correct, answers)
    for k in range(1, big_n + 1):
        rm = np.mean([_oracle_qwen_rm([[x] for x in scores[i]], list(correct[i]), k) for i in range(n)])
        maj = np.mean([_oracle_qwen_maj(answers[i], list(correct[i]), k) for i in range(n)])
        assert b.rm[:, k - 1].mean() == pytest.approx(rm)
        assert b.maj[:, k - 1].mean() == pytest.approx(maj)


# ---------------------------------------------------------------------------------------------------
# ProcessBench


def _oracle_processbench(
    step_scores: list[list[float]], labels: list[int], t: float
) -> tuple[float, float, float]:
    """QwenLM/ProcessBench @e802463 code/run_eval_prm_rlhflow.py: the prediction is the index of the first
    step judged wrong, -1 when none is; code/run_eval.py: match = prediction == label, error accuracy over
    label != -1, correct accuracy over label == -1 (both in %), f1 = 2 a b / (a + b)."""
    preds = []
    for steps in step_scores:
        pred = -1
        for j, s in enumerate(steps):
            if not s >= t:
                pred = j
                break
        preds.append(pred)
    err = [p == y for p, y in zip(preds, labels, strict=True) if y != -1]
    cor = [p == y for p, y in zip(preds, labels, strict=True) if y == -1]
    a, b = 100 * sum(err) / len(err), 100 * sum(cor) / len(cor)
    return a, b, 2 * a * b / (a + b)


def _random_processbench(rng: np.random.Generator, n: int) -> tuple[list[list[float]], list[int]]:
    steps = [rng.random(int(rng.integers(1, 9))).round(1).tolist() for _ in range(n)]
    labels = [int(rng.integers(-1, len(s))) for s in steps]
    return steps, labels


def test_processbench_by_hand() -> None:
    steps = [[0.9, 0.2, 0.1], [0.9, 0.8], [0.3], [0.7, 0.6]]
    labels = [1, -1, -1, 0]
    pred = earliest_error(steps, 0.5)
    assert pred.tolist() == [1, -1, 0, -1]
    s = processbench_score(pred, labels)
    # error solutions: rows 0 (right) and 3 (wrong) -> 1/2; correct solutions: row 1 right, row 2 wrong -> 1/2
    assert (s.error_accuracy, s.correct_accuracy, s.f1) == (0.5, 0.5, 0.5)
    assert processbench_score([0, 0], [0, -1]).f1 == 0.0
    assert earliest_error([[math.inf, 0.2], [math.inf, 0.9]], 0.5).tolist() == [1, -1]  # +inf: never flagged
    with pytest.raises(ValueError, match="NaN"):
        earliest_error([[math.nan]], 0.5)


def test_processbench_against_qwen_code() -> None:
    rng = np.random.default_rng(5)
    steps, labels = _random_processbench(rng, 300)
    for t in (0.05, 0.3, 0.5, 0.75, 1.0):
        a, b, f1 = _oracle_processbench(steps, labels, t)
        got = processbench_score(earliest_error(steps, t), labels)
        assert (100 * got.error_accuracy, 100 * got.correct_accuracy, 100 * got.f1) == pytest.approx(
            (a, b, f1)
        )


def test_fitted_threshold_is_the_best_on_its_own_data() -> None:
    rng = np.random.default_rng(6)
    steps, labels = _random_processbench(rng, 200)
    t = fit_threshold(steps, labels)
    grid = np.linspace(0, 1.01, 103)
    best = float(np.nanmax(f1_by_threshold(steps, labels, grid)))
    assert processbench_score(earliest_error(steps, t), labels).f1 >= best - 1e-12
