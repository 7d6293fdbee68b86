"""The audit on a real, published GRPO training log (see data/README.md for its source): a run whose
reward and accuracy rise together with stable lengths. Nothing may fire."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rewardlab.audit import audit, read_log
from rewardlab.cli import app

LOG = Path(__file__).parent / "data" / "grpo_1p5b_training_metrics.csv"
COLUMNS = {
    "reward": "reward_mean",
    "format": "format_accuracy",
    "correct": "canonical_pass_rate",
    "entropy": "policy_entropy_mean",
    "length": "completion_length_mean",
    "clipped_ratio": "truncation_rate",
    "zero_std_frac": "zero_advantage_fraction",
}


def test_published_grpo_run_reads_and_fires_nothing() -> None:
    series = read_log(LOG, COLUMNS)
    assert series.steps == list(range(1, 33))
    assert set(COLUMNS) <= set(series.names())
    assert series.metrics["reward"][0] == 0.190625 and series.metrics["length"][-1] == 111.0625
    result = audit(series, alarm="info")
    assert result.findings == [], [f.message for f in result.findings]
    ran = {c["detector"] for c in result.checks if c["status"] == "ok"}
    assert {"length_vs_correctness", "clipped_length", "format_only", "zero_variance_groups",
            "diversity_collapse"} <= ran  # fmt: skip
    assert series.window("reward").change > 0.1  # it learned: mean reward 0.20 -> 0.37 (first vs last third)


def test_cli_log_map(tmp_path: Path) -> None:
    maps = [a for canon, col in COLUMNS.items() for a in ("--log-map", f"{canon}={col}")]
    res = CliRunner().invoke(app, ["audit", "--log", str(LOG), *maps, "--json", str(tmp_path / "a.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["findings"] == [] and doc["steps"] == 32
    assert CliRunner().invoke(app, ["audit", "--log", str(LOG), "--log-map", "reward"]).exit_code == 2


def test_our_grpo_run_is_format_only_success() -> None:
    # TRL 1.16's own trainer_state.json of examples/grpo_smollm2.py (see data/README.md)
    series = read_log(Path(__file__).parent / "data" / "grpo_smollm2_trainer_state.json")
    assert series.steps == list(range(1, 17))
    result = audit(series, alarm="info")
    assert result.fired() == ["format_only"], [f.message for f in result.findings]
    ev = result.findings[0].evidence
    assert ev["format"]["late_mean"] > 0.6 and ev["correct"]["late_mean"] < 0.05
