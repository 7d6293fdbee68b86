"""OpenAI-compatible graders run locally: templating, each grader type, formula safety, error flags."""

from __future__ import annotations

import pytest

import rewardlab as rl
from rewardlab.rewards.graders import GraderError, render, run_grader, validate_grader

ITEM = {"answer": "Paris", "meta": {"tags": ["geo", "capital"]}}


def sc(op: str, inp: str = "{{ sample.output_text }}", ref: str = "{{ item.answer }}") -> dict:
    return {"type": "string_check", "name": "s", "input": inp, "reference": ref, "operation": op}


def flags(out: dict) -> set[str]:
    return {k for k, v in out["metadata"]["errors"].items() if v is True}


def test_templating_reaches_nested_values_and_reports_missing_ones() -> None:
    ns = {"item": ITEM, "sample": {"output_text": "x", "output_json": {"a": [1, 2]}}}
    assert render("{{item.meta.tags[1]}}/{{ sample.output_json.a }}", ns) == "capital/[1, 2]"
    with pytest.raises(GraderError) as info:
        render("{{ item.nope }}", ns)
    assert info.value.flag == "invalid_variable_error"
    with pytest.raises(GraderError):
        render("{{ other.x }}", ns)


@pytest.mark.parametrize(
    ("op", "sample", "reward"),
    [("eq", "Paris", 1.0), ("eq", "paris", 0.0), ("ne", "Rome", 1.0), ("like", "It is Paris.", 1.0),
     ("like", "it is paris", 0.0), ("ilike", "it is PARIS", 1.0)],
)  # fmt: skip
def test_string_check(op: str, sample: str, reward: float) -> None:
    out = run_grader(sc(op), sample, ITEM)
    assert out["reward"] == reward and not flags(out)


@pytest.mark.parametrize("metric", ["fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_l"])
def test_text_similarity_identical_text_scores_one(metric: str) -> None:
    g = {"type": "text_similarity", "name": "t", "input": "{{ sample.output_text }}",
         "reference": "{{ item.answer }}", "evaluation_metric": metric}  # fmt: skip
    ref = "the capital of france is paris"
    assert run_grader(g, ref, {"answer": ref})["reward"] == pytest.approx(1.0)
    assert run_grader(g, "bananas are yellow fruit", {"answer": ref})["reward"] < 0.5


def test_text_similarity_threshold_and_unavailable_metrics() -> None:
    g = {"type": "text_similarity", "name": "t", "input": "{{ sample.output_text }}",
         "reference": "paris is the capital", "evaluation_metric": "rouge_1", "pass_threshold": 0.5}  # fmt: skip
    assert run_grader(g, "paris is the capital of france", {})["reward"] == 1.0
    out = run_grader({**g, "evaluation_metric": "cosine"}, "x", {})
    assert flags(out) == {"other_error"} and "embedding model" in out["metadata"]["errors"]["details"]


def test_multi_grader_formula() -> None:
    g = {"type": "multi", "name": "m", "calculate_output": "max(0.2, 0.5 * exact + 0.5 * like)",
         "graders": {"exact": sc("eq"), "like": sc("ilike")}}  # fmt: skip
    out = run_grader(g, "PARIS", ITEM)
    assert out["reward"] == 0.5 and out["sub_rewards"] == {"exact": 0.0, "like": 1.0}
    assert run_grader(g, "Rome", ITEM)["reward"] == 0.2


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [("__import__('os').system('x')", "may be called"), ("exact.real", "Attribute"),
     ("open", "unknown name"), ("'a' + exact", "not a number"), ("exact +", "invalid syntax"),
     ("[exact][0]", "not allowed")],
)  # fmt: skip
def test_formulas_are_not_eval(formula: str, fragment: str) -> None:
    g = {"type": "multi", "name": "m", "calculate_output": formula, "graders": {"exact": sc("eq")}}
    problems = validate_grader(g)
    assert problems and any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [("abs(exact, exact)", "abs() takes 1 positional"), ("max(exact, key=exact)", "keywords"),
     ("min()", "min() takes 1 to 64"), ("+".join(["exact"] * 1000), "longer than 2000"),
     ("-" * 1500 + "exact", "nested")],
)  # fmt: skip
def test_formulas_outside_the_grammar_are_reported_never_a_crash(formula: str, fragment: str) -> None:
    g = {"type": "multi", "name": "m", "calculate_output": formula, "graders": {"exact": sc("eq")}}
    problems = validate_grader(g)
    assert problems and any(fragment in p for p in problems), problems


@pytest.mark.parametrize("formula", ["exact / 0", "exp(1000)", "log(0)", "sqrt(-1)", "exp(700) * exp(700)"])
def test_formulas_without_a_finite_value_are_flagged_errors(formula: str) -> None:
    g = {"type": "multi", "name": "m", "calculate_output": formula, "graders": {"exact": sc("eq")}}
    assert validate_grader(g) == []
    out = run_grader(g, "Paris", ITEM)
    assert flags(out) == {"formula_parse_error"}


def test_min_and_max_of_one_value() -> None:
    g = {
        "type": "multi",
        "name": "m",
        "calculate_output": "min(exact) + max(exact)",
        "graders": {"exact": sc("eq")},
    }
    assert run_grader(g, "Paris", ITEM)["reward"] == 2.0


def test_validation_lists_every_problem() -> None:
    problems = validate_grader({"type": "string_check", "operation": "regex", "input": 3})
    assert len(problems) == 4  # name, input, reference, operation
    assert validate_grader({"type": "score_model", "name": "j"}) == [
        "grader.model: required, the judge model's name",
        "grader.input: required, a list of chat messages with templates",
    ]
    assert validate_grader(
        {"type": "label_model", "name": "j", "model": "m", "input": [{"role": "user", "content": "x"}],
         "labels": ["a", "b"], "passing_labels": ["c"]}
    ) == ["grader.passing_labels: required, a non-empty subset of labels"]  # fmt: skip


PY_OK = "def grade(sample, item):\n    return 1.0 if sample['output_text'] == item['answer'] else 0.25\n"


def test_python_grader_runs_in_the_sandbox() -> None:
    g = {"type": "python", "name": "p", "source": PY_OK}
    assert run_grader(g, "Paris", ITEM)["reward"] == 1.0
    assert run_grader(g, "Rome", ITEM)["reward"] == 0.25
    secret = {"type": "python", "name": "p", "source": (
        "import os, socket\ndef grade(sample, item):\n"
        "    s = socket.socket(); s.settimeout(1)\n"
        "    try:\n        s.connect(('1.1.1.1', 80)); return 9.0\n"
        "    except OSError:\n        return 0.5 if 'PATH' in os.environ and len(os.environ) < 6 else 7.0\n"
    )}  # fmt: skip
    assert run_grader(secret, "x", {})["reward"] == 0.5  # no network, emptied environment


def test_python_grader_errors_use_openai_categories() -> None:
    boom = {"type": "python", "name": "p", "source": "def grade(sample, item):\n    raise KeyError('k')\n"}
    out = run_grader(boom, "x", {})
    assert flags(out) == {"python_grader_runtime_error"}
    assert "KeyError" in out["metadata"]["errors"]["python_grader_runtime_error_details"]
    assert validate_grader({"type": "python", "name": "p", "source": "def nope(:"})[0].startswith(
        "grader.source: syntax error"
    )


def test_grader_as_a_reward_through_the_runner() -> None:
    reward = {"type": "openai_grader", "grader": sc("ilike")}
    results = rl.score(
        reward,
        [{"completion": "paris!", "reference": {"answer": "Paris"}}, {"completion": "x", "reference": {}}],
        workers=1,
    )
    assert results[0].score == 1.0
    assert results[1].score is None and results[1].error.type == "GraderError"
    assert "invalid_variable_error" in results[1].error.message
    with pytest.raises(rl.ConfigError, match="operation"):
        rl.build_reward({"type": "openai_grader", "grader": sc("regex")})
