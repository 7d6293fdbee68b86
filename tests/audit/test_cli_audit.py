"""The `audit` and `report` commands and `score --report`, per the contract: ROLLOUTS rows carry
`completion`, `reward`, `components` and a `step` (top level or in `metadata`); the JSON has
`findings: [{detector, severity, evidence}]`; the exit code is 1 when a finding at or above the alarm
level fires, 0 otherwise, 2 on bad usage."""

from __future__ import annotations

import json
from pathlib import Path

from _synthetic import healthy_rollouts, repetition_loops, silent_zero_spike, soup286
from typer.testing import CliRunner

from rewardlab.cli import app

runner = CliRunner()


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_audit_alarm_json_and_html(tmp_path: Path) -> None:
    rows = repetition_loops()
    for r in rows:  # the step may live in metadata
        r["metadata"]["step"] = r.pop("step")
    src = _jsonl(tmp_path / "rollouts.jsonl", rows)
    res = runner.invoke(
        app, ["audit", str(src), "--json", str(tmp_path / "a.json"), "--report", str(tmp_path / "a.html")]
    )
    assert res.exit_code == 1, res.output
    doc = json.loads((tmp_path / "a.json").read_text())
    assert [f["detector"] for f in doc["findings"]] == ["repetition"]
    (finding,) = doc["findings"]
    assert finding["severity"] == "warning" and finding["evidence"]["examples"]
    assert doc["alarmed"] is True and doc["steps"] == 30
    page = (tmp_path / "a.html").read_text()
    assert "data:image/png;base64," in page and "repetition" in page and "<script" not in page


def test_audit_healthy_exits_0_and_alarm_level_is_respected(tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "ok.jsonl", healthy_rollouts())
    res = runner.invoke(app, ["audit", str(src), "--json", str(tmp_path / "ok.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "ok.json").read_text())["findings"] == []
    loops = _jsonl(tmp_path / "loops.jsonl", repetition_loops())
    assert runner.invoke(app, ["audit", str(loops), "--alarm", "critical"]).exit_code == 0  # a warning only
    spike = _jsonl(tmp_path / "spike.jsonl", silent_zero_spike())
    assert runner.invoke(app, ["audit", str(spike), "--alarm", "critical"]).exit_code == 1


def test_audit_trainer_log_and_thresholds(tmp_path: Path) -> None:
    state = tmp_path / "trainer_state.json"
    state.write_text(json.dumps(soup286()))
    out = tmp_path / "soup.json"
    res = runner.invoke(app, ["audit", "--log", str(state), "--json", str(out)])
    assert res.exit_code == 1 and "length_vs_correctness" in res.output
    assert '"late_steps": [28, 40]' in res.output  # the evidence is printed, not only the verdict
    assert json.loads(out.read_text())["findings"][0]["detector"] == "length_vs_correctness"
    lax = ["--threshold", "length_vs_correctness.min_length_growth=5"]
    assert runner.invoke(app, ["audit", "--log", str(state), *lax]).exit_code == 0
    bad = runner.invoke(
        app, ["audit", "--log", str(state), "--threshold", "nope.x=1", "--threshold", "repetition.y=2"]
    )
    assert bad.exit_code == 2 and "unknown detector 'nope'" in bad.output and "no threshold 'y'" in bad.output


def test_audit_usage_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["audit"]).exit_code == 2
    assert runner.invoke(app, ["audit", str(tmp_path / "missing.jsonl")]).exit_code == 2
    src = _jsonl(tmp_path / "r.jsonl", healthy_rollouts())
    assert runner.invoke(app, ["audit", str(src), "--alarm", "loud"]).exit_code == 2


def test_report_of_scored_rows_with_steps(tmp_path: Path) -> None:
    rows = silent_zero_spike()
    rows[0]["info"] = {"answer": "7", "rule": "boxed"}
    src = _jsonl(tmp_path / "scored.jsonl", rows)
    res = runner.invoke(app, ["report", str(src), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text()
    for part in ("Reward and component distributions", "Errors", "Timeout", "Reward vs completion length",
                 "Per step", "Top and bottom examples", "zero-var groups"):  # fmt: skip
        assert part in page, part
    assert page.count("data:image/png;base64,") >= 6
    assert "Timeout: math: no result" in page  # a failed row among the lowest shows its error


def test_score_writes_a_report(tmp_path: Path, bundled: Path) -> None:
    out, html = tmp_path / "scored.jsonl", tmp_path / "score.html"
    res = runner.invoke(app, ["score", str(bundled / "gsm8k_solutions_sample.jsonl"), "--reward", "math", "--out", str(out),
                              "--limit", "12", "--workers", "1", "--report", str(html)])  # fmt: skip
    assert res.exit_code == 0, res.output
    page = html.read_text()
    assert "mean reward" in page and "Per step" not in page  # rows without steps: no per-step section
    assert "data:image/png;base64," in page
