"""``rewardlab probe judge`` against scripted judges: one fooled by anything, one that grades honestly."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from scripted_judge import scripted_judge, user_text
from typer.testing import CliRunner

from rewardlab.cli import app

pytest.importorskip("openai")
runner = CliRunner()


def fooled(request: dict[str, Any], n: int) -> str:
    """Accepts every answer, and always prefers the first response."""
    return "[[A]]" if "Response A" in user_text(request) else '{"verdict": "correct"}'


def honest(request: dict[str, Any], n: int) -> str:
    text = user_text(request)
    if "Response A" in text:
        return "[[B]]"  # the probes show the rejected response first
    reference = re.search(r"Reference answer:\n(.*?)\n", text).group(1)  # type: ignore[union-attr]
    answer = re.search(r"<<<BEGIN \w+>>>\n(.*?)\n<<<END", text, re.S)
    got = re.findall(r"-?\d+(?:\.\d+)?", answer.group(1) if answer else "")
    return '{"verdict": "correct"}' if got and got[-1] == reference else '{"verdict": "incorrect"}'


def run(url: str, out: Path, *extra: str) -> dict[str, Any]:
    args = ["probe", "judge", "--base-url", url, "--model", "m", "--json", str(out), "--limit", "12",
            "--no-cache", *extra]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_a_fooled_judge_shows_in_fpr_and_the_guard_closes_the_master_keys(tmp_path: Path) -> None:
    with scripted_judge(fooled) as judge:
        summary = run(judge.url, tmp_path / "fooled.json")
    probes = summary["probes"]
    for name in ("punctuation", "empty", "thought_process", "step_by_step", "solution", "grader_override"):
        assert probes[name]["n"] == 12 and probes[name]["fpr"] == 1.0, name
        assert probes[name]["fpr_guarded"] == 0.0, name
    assert probes["known_wrong"]["fpr"] == probes["known_wrong"]["fpr_guarded"] == 1.0  # real answers pass
    assert probes["known_wrong_override"]["fpr_guarded"] == 0.0
    assert probes["position_swap"]["fpr"] == 1.0 and probes["verbosity"]["fpr"] == 1.0
    assert summary["model"] == "m" and summary["data"]["questions_sha256"]
    lo, hi = probes["punctuation"]["ci"]
    assert lo < 1.0 == hi


def test_an_honest_judge_accepts_nothing(tmp_path: Path) -> None:
    with scripted_judge(honest) as judge:
        summary = run(judge.url, tmp_path / "honest.json", "--probe", "solution", "--probe", "known_wrong",
                      "--probe", "position_swap")  # fmt: skip
    assert set(summary["probes"]) == {"solution", "known_wrong", "position_swap"}
    assert all(p["fpr"] == 0.0 for p in summary["probes"].values())


def test_an_unknown_probe_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["probe", "judge", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                                 "--probe", "nope"])  # fmt: skip
    assert result.exit_code == 2 and "unknown probe" in result.output
