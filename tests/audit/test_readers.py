"""Readers: scored rollouts and trainers' metric logs under the canonical metric names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardlab.audit import read_log, read_rollouts, rollout_series, row_step
from rewardlab.errors import ConfigError


def test_row_step_top_level_or_metadata() -> None:
    assert row_step({"step": 3}) == 3
    assert row_step({"metadata": {"step": "4"}}) == 4
    assert row_step({"metadata": {}}) is None and row_step({"step": True}) is None


def _row(step: int, text: str, reward: float | None, comps: dict, **kw: object) -> dict:
    return {
        "completion": text,
        "reward": reward,
        "components": comps,
        "error": None,
        "metadata": {"step": step},
        **kw,
    }


def test_rollout_series_per_step_metrics() -> None:
    rows = [
        _row(
            1,
            "x \\boxed{1}",
            1.2,
            {"correct": 1.0, "format": 1.0},
            metadata={"step": 1, "group": "a", "truncated": False},
        ),
        _row(
            1,
            "y y y y y y y y y y y y",
            0.0,
            {"correct": 0.0, "format": 0.0},
            metadata={"step": 1, "group": "a", "truncated": True},
        ),
        _row(2, "\\boxed{1} or \\boxed{2}", 0.2, {"correct": 0.0, "format": 1.0}, label=1),
        _row(2, "timed out", None, {}, error={"type": "Timeout", "message": "5 s"}, label=0),
    ]
    s = rollout_series(rows)
    assert s.steps == [1, 2]
    get = lambda name: s.metrics[name]  # noqa: E731
    assert get("reward") == [0.6, 0.2]  # the errored row has no reward: left out of the mean
    assert get("correct") == [0.5, 0.0] and get("format") == [0.5, 1.0]
    assert get("clipped_ratio") == [0.5, None]
    assert get("repetition") == [0.5, 0.0] and get("hedging") == [0.0, 0.5]
    assert get("error_rate") == [0.0, 0.5] and get("error/Timeout") == [None, 0.5]
    assert get("silent_zero_rate") == [0.0, 0.5]
    assert get("zero_std_frac")[0] == 0.0  # group "a": rewards 1.2 and 0.0
    assert get("label_acc") == [None, 0.5]
    assert s.examples["hedging"][2] == ["\\boxed{1} or \\boxed{2}"]


def test_rollout_series_reads_majority_vote_and_gui_info() -> None:
    rows = [
        {"step": 1, "completion": "a", "reward": 1.0, "components": {},
         "info": {"agreement": 0.5, "correct": True, "answer": "3"}},
        {"step": 1, "completion": "b", "reward": 0.5, "components": {"iou": 0.5},
         "info": {"gui": {"area_ratio": 3.0}}},
    ]  # fmt: skip
    s = rollout_series(rows)
    assert s.metrics["agreement"] == [0.5] and s.metrics["pseudo_correct"] == [1.0]
    assert s.metrics["box_area_ratio"] == [3.0]


def test_component_shares_recover_the_weights_of_a_sum() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    rows = []
    for _ in range(64):
        c, f = float(rng.random() < 0.5), float(rng.random() < 0.5)
        rows.append(_row(1, "t", c + 0.1 * f, {"correct": c, "format": f}))
    s = rollout_series(rows)
    share_c, share_f = s.metrics["share/correct"][0], s.metrics["share/format"][0]
    assert share_c + share_f == pytest.approx(1.0)
    assert share_c == pytest.approx(1 / 1.01, abs=0.03)  # variance 1 vs 0.01 (independent components)


def test_trl_trainer_state(tmp_path: Path) -> None:
    # the metric names of a real TRL 1.16 GRPOTrainer step with rewardlab's adapter (examples/grpo_smollm2.py)
    entry = {"loss": 0.1294, "completions/mean_length": 88.38, "completions/clipped_ratio": 0.875,
             "rewards/rewardlab/mean": 0.125, "rewards/rewardlab/std": 0.3536, "reward": 0.125,
             "frac_reward_zero_std": 0.5, "rewardlab/correct": 0.125, "rewardlab/error_rate": 0.0,
             "rewardlab/format": 0.0, "entropy": 2.053, "step": 1}  # fmt: skip
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": [entry, {**entry, "step": 2, "reward": 0.5},
                                                {"train_runtime": 9.0, "step": 2}]}))  # fmt: skip
    s = read_log(path)
    assert s.steps == [1, 2] and s.metrics["reward"] == [0.125, 0.5]
    assert s.metrics["length"][0] == 88.38 and s.metrics["clipped_ratio"][0] == 0.875
    assert s.metrics["correct"][0] == 0.125 and s.metrics["format"][0] == 0.0
    assert s.metrics["zero_std_frac"][0] == 0.5 and s.metrics["entropy"][0] == 2.053
    assert s.metrics["error_rate"][0] == 0.0


def test_trl_per_function_stds_give_shares(tmp_path: Path) -> None:
    entry = {"step": 1, "rewards/acc/mean": 0.3, "rewards/acc/std": 0.3, "rewards/fmt_reward/mean": 0.9,
             "rewards/fmt_reward/std": 0.4}  # fmt: skip
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"log_history": [entry]}))
    s = read_log(path)
    assert s.metrics["share/acc"] == [pytest.approx(0.36)] and s.metrics["std/fmt_reward"] == [0.4]
    assert s.metrics["correct"] == [0.3] and s.metrics["format"] == [0.9]


def test_verl_file_logger_and_console(tmp_path: Path) -> None:
    jsonl = tmp_path / "verl.jsonl"
    jsonl.write_text("\n".join(json.dumps({"step": s, "data": {"critic/score/mean": 0.1 * s, "response_length/mean": 100 + s,
                     "response_length/clip_ratio": 0.01, "actor/entropy": 0.7, "val-core/gsm8k/acc/mean@1": 0.4}})
                     for s in (1, 2, 3)))  # fmt: skip
    s = read_log(jsonl)
    assert s.steps == [1, 2, 3] and s.metrics["reward"] == [0.1, 0.2, pytest.approx(0.3)]
    assert s.metrics["length"] == [101, 102, 103] and s.metrics["entropy"] == [0.7] * 3
    console = tmp_path / "verl.log"
    console.write_text("noise line\nstep:1 - critic/score/mean:0.25 - response_length/mean:80.0\n"
                       "step:2 - critic/score/mean:0.5 - response_length/mean:90.0\n")  # fmt: skip
    c = read_log(console)
    assert c.steps == [1, 2] and c.metrics["reward"] == [0.25, 0.5] and c.metrics["length"] == [80.0, 90.0]


def test_openrlhf_csv(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text(
        "train/global_step,train/reward,train/response_length,train/kl\n1,0.1,300,0.0\n2,0.2,310,0.01\n"
    )
    s = read_log(path)
    assert s.steps == [1, 2] and s.metrics["reward"] == [0.1, 0.2] and s.metrics["length"] == [300.0, 310.0]


def test_bad_inputs_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such"):
        read_log(tmp_path / "missing.json")
    (tmp_path / "empty.txt").write_text("nothing here\n")
    with pytest.raises(ConfigError, match="no metric rows"):
        read_log(tmp_path / "empty.txt")
    with pytest.raises(ConfigError, match="does not exist"):
        read_rollouts(tmp_path / "missing.jsonl")
