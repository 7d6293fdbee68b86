"""``evaluate``: every kind on the bundled samples, scorer errors counted (never scored), the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _eval_data import EVAL, SHARED_DATA, needs_shared_data

from _rewards import LengthOrRaise
from rewardlab.errors import ConfigError
from rewardlab.eval.run import EvalSettings, evaluate

FAST = EvalSettings(n_boot=200, seed=7)


def test_pairwise_length_baseline_on_llmbar() -> None:
    r = evaluate("pairwise", EVAL / "llmbar_sample.json", reward="length", settings=FAST)
    s = r.summary
    assert s["kind"] == "pairwise" and s["n"] == 30 and s["seed"] == 7
    assert s["accuracy"] == s["length_baseline"]["accuracy"]  # the scorer is the baseline
    assert s["ci"][0] <= s["accuracy"] <= s["ci"][1]
    assert set(s["subsets"]) == {"Natural", "Adversarial/GPTInst"}
    assert s["score_length_correlation"]["spearman"] == pytest.approx(1.0)
    assert s["vs_length_baseline"]["only_a"] == s["vs_length_baseline"]["only_b"] == 0
    assert len(s["data"]["sha256"]) == 64
    json.dumps(s, allow_nan=False)  # strict JSON: NaN written as null


def test_pairwise_is_seeded() -> None:
    a = evaluate("pairwise", EVAL / "llmbar_sample.json", reward="length", settings=FAST).summary
    b = evaluate("pairwise", EVAL / "llmbar_sample.json", reward="length", settings=FAST).summary
    c = evaluate(
        "pairwise", EVAL / "llmbar_sample.json", reward="length", settings=EvalSettings(n_boot=200, seed=8)
    )
    assert a["ci"] == b["ci"] and a["ci"] != c.summary["ci"]


def test_a_scorer_error_on_one_side_is_counted_not_scored(tmp_path: Path) -> None:
    rows = [
        {"prompt": "p", "chosen": "long answer", "rejected": "short"},
        {"prompt": "p", "chosen": "RAISE here", "rejected": "x"},
        {"prompt": "p", "chosen": "a", "rejected": "RAISE too"},
        {"prompt": "p", "chosen": "tiny", "rejected": "much longer"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    s = evaluate(
        "pairwise", path, reward=LengthOrRaise(), settings=EvalSettings(n_boot=50, workers=1)
    ).summary
    assert s["n"] == 2 and s["accuracy"] == 0.5  # pairs 0 (right) and 3 (wrong); the failed two are out
    assert s["excluded"]["scorer_error"] == 2 and s["errors"] == 2
    assert s["error_types"] == {"ValueError": 2}
    assert {e["type"] for e in s["error_samples"]} == {"ValueError"}


def test_tie_policy_and_ties_reported(tmp_path: Path) -> None:
    rows = [
        {"prompt": "p", "chosen": "aa", "rejected": "bb"},
        {"prompt": "p", "chosen": "aaa", "rejected": "b"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    for policy, acc in (("wrong", 0.5), ("half", 0.75), ("exclude", 1.0)):
        s = evaluate("pairwise", path, reward="length", settings=EvalSettings(ties=policy, n_boot=20)).summary  # type: ignore[arg-type]
        assert (s["ties"], s["accuracy"], s["tie_policy"]) == (1, acc, policy)


def test_rm_bench_kind() -> None:
    s = evaluate("rm-bench", EVAL / "rm_bench_sample.json", reward="length", settings=FAST).summary
    assert s["n"] == 20 and set(s["domains"]) == {"chat", "code"}
    assert s["accuracy"] == pytest.approx((s["easy"] + s["normal"] + s["hard"]) / 3)
    assert len(s["domains"]["chat"]["matrix"]) == 3 and "ci" in s and "ties" in s


def test_judgebench_from_stored_judgments() -> None:
    s = evaluate(
        "judgebench", EVAL / "judgebench_o1mini_sample.jsonl", scores_from_file=True, settings=FAST
    ).summary
    assert s["n"] == 30 and s["orders"] == "both"
    assert s["correct"] + s["incorrect"] + s["ties"] == 30
    assert s["accuracy"] == pytest.approx(s["correct"] / 30)
    assert 0 <= s["positional_agreement"] <= 1 and set(s["categories"]) <= {
        "knowledge",
        "reasoning",
        "math",
        "coding",
    }
    assert s["length_baseline"]["n"] == 30


def test_processbench_with_stored_step_scores(tmp_path: Path) -> None:
    rows = [
        {"id": f"gsm8k-{i}", "problem": "p", "steps": ["a", "b", "c"], "label": lab, "step_scores": sc}
        for i, (lab, sc) in enumerate(
            [(1, [0.9, 0.2, 0.1]), (-1, [0.9, 0.8, 0.7]), (0, [0.3, 0.9, 0.9]), (-1, [0.9, 0.4, 0.9])] * 3
        )
    ]
    path = tmp_path / "pb.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    s = evaluate("processbench", path, scores_from_file=True, settings=FAST).summary
    # at 0.5: rows 0, 1, 2 right; row 3 predicted step 1 instead of -1 -> errors 1.0, correct 0.5
    assert (s["error_accuracy"], s["correct_accuracy"]) == (1.0, 0.5)
    assert s["f1"] == pytest.approx(2 * 0.5 / 1.5)
    assert s["oracle_threshold"]["label"].startswith("upper bound")
    assert s["oracle_threshold"]["f1"] == 1.0 and "threshold" in s["fitted_threshold"]
    assert s["f1_by_threshold"] and s["ci"][0] <= s["f1"] <= s["ci"][1]


def test_best_of_n_from_stored_scores() -> None:
    s = evaluate(
        "best-of-n", EVAL / "qwen25_math_bon_sample.jsonl", scores_from_file=True, settings=FAST
    ).summary
    assert s["n"] == 20 and s["N"] == 8
    assert len(s["rm_at_k"]) == len(s["maj_at_k"]) == len(s["oracle_at_k"]) == 8
    assert all(o >= r for o, r in zip(s["oracle_at_k"], s["rm_at_k"], strict=True))
    assert len(s["ci"]["rm_at_k"]) == 8


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="kind must be one of"):
        evaluate("pairs", EVAL / "llmbar_sample.json", reward="length")
    with pytest.raises(ConfigError, match="either a reward or scores_from_file"):
        evaluate("pairwise", EVAL / "llmbar_sample.json", reward="length", scores_from_file=True)
    with pytest.raises(ConfigError, match="`ties` must be one of"):
        EvalSettings(ties="coin")  # type: ignore[arg-type]


@needs_shared_data
def test_qwen_rm8_and_maj8_reproduced() -> None:
    """Qwen2.5-Math's evaluation/rm_maj_eval.py (@a45202b) on its example file prints maj@8 93.0 and
    rm@8 94.0 (exact-string majority, first maximum of pred_score)."""
    s = evaluate(
        "best-of-n",
        SHARED_DATA / "math/qwen2.5-math_eval_rm_maj_example/math_cot_100.jsonl",
        scores_from_file=True,
        settings=FAST,
    ).summary
    assert s["n"] == 100
    assert round(100 * s["rm_at_k"][7], 1) == 94.0
    assert round(100 * s["maj_at_k"][7], 1) == 93.0


def test_the_face_exports_the_api() -> None:
    import rewardlab.eval as ev

    for name in ("evaluate", "EvalSettings", "EvalResult", "run_probes", "metrics", "datasets", "KINDS"):
        assert name in ev.__all__ and getattr(ev, name) is not None
    assert set(ev.KINDS) == {"pairwise", "best-of-n", "rm-bench", "judgebench", "processbench"}
