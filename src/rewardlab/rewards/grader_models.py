"""OpenAI's model graders (``score_model``, ``label_model``) through rewardlab's judge client.

Split out of :mod:`rewardlab.rewards.graders`, which runs them: validation of their definitions, one judge
client per endpoint, model and sampling settings, and the grade (the guard first; the verdict read from
the final answer only; refusals, unreadable verdicts and an unreachable judge as OpenAI's error flags).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rewardlab.errors import GraderError


def _validate_model_grader(grader: Mapping[str, Any], kind: str, path: str) -> list[str]:
    problems = []
    if not isinstance(grader.get("model"), str) or not grader.get("model"):
        problems.append(f"{path}.model: required, the judge model's name")
    messages = grader.get("input")
    if not isinstance(messages, list) or not messages:
        problems.append(f"{path}.input: required, a list of chat messages with templates")
    else:
        for i, m in enumerate(messages):
            content = m.get("content") if isinstance(m, Mapping) else None
            if not isinstance(m, Mapping) or m.get("role") not in (
                "system",
                "developer",
                "user",
                "assistant",
            ):
                problems.append(f"{path}.input[{i}].role: must be system, developer, user or assistant")
            if not isinstance(content, str):
                problems.append(f"{path}.input[{i}].content: must be a string (templates allowed)")
    if kind == "score_model":
        rng = grader.get("range", [0, 1])
        if (
            not isinstance(rng, list | tuple)
            or len(rng) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
            or not rng[0] < rng[1]
        ):
            problems.append(f"{path}.range: must be [low, high] with low < high")
    else:
        labels, passing = grader.get("labels"), grader.get("passing_labels")
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x for x in labels):
            problems.append(f"{path}.labels: required, a list of label strings")
        elif not isinstance(passing, list) or not passing or not set(passing) <= set(labels):
            problems.append(f"{path}.passing_labels: required, a non-empty subset of labels")
    params = grader.get("sampling_params", {})
    if not isinstance(params, Mapping):
        problems.append(f"{path}.sampling_params: must be an object")
    return problems


_JUDGES: dict[tuple[str, str, str], Any] = {}  # one judge client per endpoint, model and settings


def _judge_client(grader: Mapping[str, Any]) -> Any:
    import os

    from rewardlab.judges import JudgeClient, JudgeConfig

    params = dict(grader.get("sampling_params") or {})
    base_url = os.environ.get("REWARDLAB_GRADER_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("REWARDLAB_GRADER_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if not base_url:
        raise GraderError(
            "model_grader_server_error",
            "model graders need a judge endpoint: set REWARDLAB_GRADER_BASE_URL or OPENAI_BASE_URL",
        )
    settings = {
        "temperature": float(params.get("temperature", 0.0)),
        "seed": params.get("seed", 0),
        "max_tokens": int(params.get("max_completions_tokens") or params.get("max_tokens") or 512),
    }
    key = (base_url, str(grader["model"]), json.dumps(settings, sort_keys=True))
    client = _JUDGES.get(key)
    if client is None:
        try:
            config = JudgeConfig(base_url=base_url, api_key=api_key, model=str(grader["model"]), **settings)
        except Exception as exc:
            raise GraderError("model_grader_server_error", f"judge settings: {exc}") from exc
        client = _JUDGES[key] = JudgeClient(config)
    return client


def _model_grade(
    grader: Mapping[str, Any], ns: Mapping[str, Any], render: Callable[[str, Mapping[str, Any]], str]
) -> float:
    """A ``score_model`` / ``label_model`` grade through the judge client (see the module docstring)."""
    from rewardlab.errors import JudgeParseError, JudgeRefusal, JudgeUnavailable
    from rewardlab.judges import check, parse_label, parse_score

    kind = grader["type"]
    low, high = (float(x) for x in grader.get("range", [0, 1])) if kind == "score_model" else (0.0, 1.0)
    if grader.get("guard", True):
        rules = check(str(ns["sample"].get("output_text", "")))
        if rules:
            raise _Guarded(low, rules)
    messages = [{"role": m["role"], "content": render(m["content"], ns)} for m in grader["input"]]
    try:
        reply = _judge_client(grader).complete(messages)
        if kind == "score_model":
            return parse_score(reply.text, low, high)
        labels = {label: [label] for label in grader["labels"]}
        return 1.0 if parse_label(reply.text, labels) in grader["passing_labels"] else 0.0
    except JudgeRefusal as exc:
        raise GraderError("model_grader_refusal_error", str(exc)) from exc
    except JudgeParseError as exc:
        raise GraderError("model_grader_parse_error", str(exc)) from exc
    except JudgeUnavailable as exc:
        raise GraderError("model_grader_server_error", str(exc)) from exc


class _Guarded(Exception):
    """The sample tripped the judge guard: it scores ``low`` (not an error), the rules in metadata."""

    def __init__(self, low: float, rules: list[str]) -> None:
        super().__init__(", ".join(rules))
        self.low, self.rules = low, rules
