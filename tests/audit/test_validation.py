"""The audit on synthetic runs that reproduce known patterns: each fires its detector and only it; the
healthy runs fire nothing (see _synthetic.py for each shape and its source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _synthetic import EXPECTED, LOGS, ROLLOUTS

from rewardlab.audit import audit, read_log, rollout_series


@pytest.mark.parametrize("name", sorted(LOGS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trainer_logs_fire_their_detector_only(name: str, seed: int, tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(LOGS[name](seed)))
    result = audit(read_log(path), alarm="info")
    expected = [EXPECTED[name]] if EXPECTED[name] else []
    assert result.fired() == expected, [f.message for f in result.findings]
    assert result.alarmed == bool(expected)


@pytest.mark.parametrize("name", sorted(ROLLOUTS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rollouts_fire_their_detector_only(name: str, seed: int) -> None:
    result = audit(rollout_series(ROLLOUTS[name](seed)), alarm="info")
    expected = [EXPECTED[name]] if EXPECTED[name] else []
    assert result.fired() == expected, [f.message for f in result.findings]


def test_soup286_evidence_names_the_collapse(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(LOGS["soup286"](0)))
    (finding,) = audit(read_log(path)).findings
    ev = finding.evidence
    assert ev["correct"]["early_mean"] > 0.75 and ev["correct"]["late_mean"] < 0.4
    assert ev["length"]["late_mean"] > 2 * ev["length"]["early_mean"]
    assert ev["reward"]["late_mean"] > ev["reward"]["early_mean"]  # the proxy reward kept rising


def test_silent_zero_spike_points_at_the_steps_and_the_timeouts() -> None:
    (finding,) = audit(rollout_series(ROLLOUTS["silent_zero_spike"](0))).findings
    assert set(finding.evidence["spike_steps"]) <= {18, 19, 20} and finding.evidence["spike_steps"]
    assert set(finding.evidence["error_types_at_spikes"]) == {"Timeout"}
    assert finding.evidence["examples"] and finding.evidence["examples"][0].startswith("Timeout")
