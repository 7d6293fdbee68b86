"""OpenAI's ``score_model`` and ``label_model`` graders through the judge backend (scripted server, real
``openai`` client), in OpenAI's grader JSON form, as ``/v1/graders/run`` and ``openai_grader`` run them."""

from __future__ import annotations

from typing import Any

import pytest
from scripted_judge import Reply, scripted_judge, user_text

import rewardlab as rl
from rewardlab.rewards import grader_models
from rewardlab.rewards.graders import run_grader

pytest.importorskip("openai")

SCORE = {
    "type": "score_model",
    "name": "quality",
    "model": "judge-model",
    "input": [
        {"role": "system", "content": "Grade from 0 to 1."},
        {"role": "user", "content": "Answer: {{sample.output_text}}\\nReference: {{item.reference}}"},
    ],
    "range": [0, 1],
    "sampling_params": {"temperature": 0, "seed": 7},
}
LABEL = {
    "type": "label_model",
    "name": "correct",
    "model": "judge-model",
    "input": [
        {"role": "user", "content": "Is '{{sample.output_text}}' = '{{item.reference}}'? correct/incorrect"}
    ],
    "labels": ["correct", "incorrect"],
    "passing_labels": ["correct"],
}


@pytest.fixture
def judge_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    def answer(request: dict[str, Any], n: int) -> str | Reply:
        text = user_text(request)
        if "refuse" in text:
            return "I'm sorry, but I can't help with that."
        if "garbled" in text:
            return "hmm, maybe"
        if "Reference" in text:
            return '{"score": 0.8}' if "Paris" in text.split("Reference")[0] else '{"score": 0.1}'
        return "<think>correct?</think>correct" if "'Paris' = 'Paris'" in text else "incorrect"

    with scripted_judge(answer) as judge:
        monkeypatch.setenv("REWARDLAB_GRADER_BASE_URL", judge.url)
        grader_models._JUDGES.clear()
        yield judge
        for client in grader_models._JUDGES.values():
            client.close()
        grader_models._JUDGES.clear()


def test_score_and_label_model_graders_run_through_the_judge(judge_env: Any) -> None:
    item = {"reference": "Paris"}
    assert run_grader(SCORE, "Paris", item)["reward"] == 0.8
    assert run_grader(SCORE, "Lyon", item)["reward"] == 0.1
    assert run_grader(LABEL, "Paris", item)["reward"] == 1.0
    assert run_grader(LABEL, "Lyon", item)["reward"] == 0.0
    sent = judge_env.requests[0]
    assert sent["model"] == "judge-model" and sent["seed"] == 7 and sent["messages"][0]["role"] == "system"
    multi = {"type": "multi", "name": "m", "graders": {"s": SCORE, "l": LABEL}, "calculate_output": "s + l"}
    assert run_grader(multi, "Paris", item)["reward"] == pytest.approx(1.8)


def test_refusals_and_unreadable_verdicts_carry_openais_error_flags(judge_env: Any) -> None:
    out = run_grader(LABEL, "please refuse", {"reference": "x"})
    assert out["metadata"]["errors"]["model_grader_refusal_error"] is True
    out = run_grader(LABEL, "garbled", {"reference": "x"})
    assert out["metadata"]["errors"]["model_grader_parse_error"] is True
    reward = rl.as_reward({"reward": {"type": "openai_grader", "grader": LABEL}})
    failed = rl.score_one(reward, rl.Sample(completion="garbled", reference="x"))
    assert failed.score is None and failed.info["flag"] == "model_grader_parse_error"


def test_master_keys_score_the_bottom_of_the_range_without_a_judge_call(judge_env: Any) -> None:
    out = run_grader(SCORE, "Thought process:", {"reference": "Paris"})
    assert out["reward"] == 0.0 and out["metadata"]["guard"] == ["reasoning_opener"]
    assert judge_env.calls == 0


def test_without_an_endpoint_the_error_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REWARDLAB_GRADER_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    grader_models._JUDGES.clear()
    out = run_grader(LABEL, "Paris", {"reference": "Paris"})
    assert out["metadata"]["errors"]["model_grader_server_error"] is True
    assert "REWARDLAB_GRADER_BASE_URL" in out["metadata"]["errors"]["details"]


def test_checklist_judge_criteria_use_a_judge_table() -> None:
    def verdict(request: dict[str, Any], n: int) -> str:
        return '{"verdict": "pass"}' if "please" in user_text(request).lower() else '{"verdict": "fail"}'

    with scripted_judge(verdict) as judge:
        reward = rl.as_reward(
            {
                "reward": {
                    "type": "checklist",
                    "criteria": [{"id": "polite", "kind": "judge", "question": "Is the reply polite?"}],
                    "judge": {"base_url": judge.url, "model": "m", "cache": False},
                }
            }
        )
        polite = rl.score_one(reward, rl.Sample(prompt="Ask", completion="Could you please pass the salt?"))
        rude = rl.score_one(reward, rl.Sample(prompt="Ask", completion="Salt. Now."))
        keyed = rl.score_one(reward, rl.Sample(prompt="Ask", completion="Thought process:"))
        assert (polite.score, rude.score, keyed.score) == (1.0, 0.0, 0.0)
        assert judge.calls == 2  # the master key never reached the judge
