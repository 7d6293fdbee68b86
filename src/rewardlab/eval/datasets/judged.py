"""JudgeBench pairs and judgment files, ProcessBench solutions, best-of-N sample files (Qwen2.5-Math)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.eval.datasets._files import Loaded, RowProblem, load, need, number, text_of

DECISIONS = ("A>B", "B>A", "A=B")


@dataclass
class JudgedPair:
    """A JudgeBench pair: ``label`` is ``"A>B"`` or ``"B>A"``; ``decisions`` holds the stored judge's
    decisions (first order, swapped order) when the file has judgments, a decision being ``"A>B"``,
    ``"B>A"``, ``"A=B"`` or None (no verdict)."""

    id: str
    source: str
    question: str
    response_a: str
    response_b: str
    label: str
    decisions: list[str | None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _decision(judgment: Any) -> str | None:
    if judgment is None:
        return None
    if not isinstance(judgment, Mapping):
        raise RowProblem(f"a judgment must be an object or null, got {type(judgment).__name__}")
    d = judgment.get("decision")
    if d is None:
        return None
    if d not in DECISIONS:
        raise RowProblem(f"judgment decision must be one of {', '.join(DECISIONS)} or null, got {d!r}")
    return str(d)


def _judged(index: int, row: Mapping[str, Any]) -> JudgedPair:
    need(row, "question", "response_A", "response_B", "label")
    label = row["label"]
    if label not in ("A>B", "B>A"):
        raise RowProblem(f"'label' must be 'A>B' or 'B>A', got {label!r}")
    decisions = None
    if row.get("judgments") is not None:
        j = row["judgments"]
        if not isinstance(j, list) or not 1 <= len(j) <= 2:
            raise RowProblem(
                "'judgments' must be a list of one (single order) or two (both orders) judgments"
            )
        decisions = [_decision(x) for x in j]
    return JudgedPair(
        id=str(row.get("pair_id", index)),
        source=str(row.get("source", "")),
        question=str(row["question"]),
        response_a=text_of(row["response_A"], "response_A"),
        response_b=text_of(row["response_B"], "response_B"),
        label=str(label),
        decisions=decisions,
        meta={k: row[k] for k in ("judge_name", "response_model") if k in row},
    )


def read_judgebench(path: str | Path) -> Loaded[JudgedPair]:
    """JudgeBench rows ``{pair_id, source, question, response_A, response_B, label}`` (its ``data/`` files),
    plus ``judgments`` (its ``outputs/`` files: a list holding the judgment of (A, B) and, for both-order
    runs, of (B, A), each ``{judgment: {...}, decision}`` or null)."""
    return load(path, _judged, "judgebench")


def category(source: str) -> str:
    """JudgeBench's reporting category of a ``source``: knowledge (mmlu-pro-*), reasoning, math, coding."""
    if source.startswith("mmlu-pro"):
        return "knowledge"
    if source.startswith("livebench-reasoning"):
        return "reasoning"
    if source.startswith("livebench-math"):
        return "math"
    if source.startswith("livecodebench"):
        return "coding"
    return source or "other"


@dataclass
class StepSolution:
    """A ProcessBench solution: ``label`` is the earliest wrong step (``-1``: none); ``step_scores`` are
    stored per-step scores when the file has them (``--scores-from-file``)."""

    id: str
    problem: str
    steps: list[str]
    label: int
    subset: str
    final_answer_correct: bool | None = None
    reference: str | None = None
    step_scores: list[float] | None = None


def _flag(value: Any, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if value in ("True", "False", "true", "false"):
        return value in ("True", "true")
    raise RowProblem(f"'{what}' must be a boolean, got {value!r}")


def _steps(index: int, row: Mapping[str, Any]) -> StepSolution:
    need(row, "problem", "steps", "label")
    steps = row["steps"]
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        raise RowProblem("'steps' must be a non-empty list of strings")
    label = row["label"]
    if isinstance(label, str) and label.lstrip("-").isdigit():
        label = int(label)
    if isinstance(label, bool) or not isinstance(label, int) or not -1 <= label < len(steps):
        raise RowProblem(f"'label' must be -1 or a step index below {len(steps)}, got {row['label']!r}")
    scores = row.get("step_scores")
    if scores is not None:
        if not isinstance(scores, list) or len(scores) != len(steps):
            raise RowProblem(f"'step_scores' must be a list of {len(steps)} numbers (one per step)")
        scores = [number(s, "step_scores") for s in scores]
    rid = str(row.get("id", index))
    ref = row.get("reference_answer", row.get("reference"))
    return StepSolution(
        id=rid,
        problem=str(row["problem"]),
        steps=list(steps),
        label=label,
        subset=rid.split("-")[0] if "-" in rid else "",
        final_answer_correct=_flag(row.get("final_answer_correct"), "final_answer_correct"),
        reference=None if ref is None else str(ref),
        step_scores=scores,
    )


def read_processbench(path: str | Path) -> Loaded[StepSolution]:
    """ProcessBench rows ``{id, problem, steps, label, final_answer_correct}`` (its ``dataset/*.json``),
    optionally ``reference_answer`` (the shared join with GSM8K / MATH answers) and ``step_scores``."""
    return load(path, _steps, "processbench")


@dataclass
class Candidates:
    """A problem with ``N`` sampled responses: each one's extracted ``answers``, the grader's ``correct``
    verdict and (when stored) the reward model's ``scores``."""

    id: str
    prompt: str
    reference: str
    responses: list[str]
    answers: list[str]
    correct: list[bool]
    scores: list[float] | None = None


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, str) and value.startswith("["):  # a list written as its repr
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise RowProblem(f"'{what}' is not a list") from None
    if not isinstance(value, list):
        raise RowProblem(f"'{what}' must be a list, got {type(value).__name__}")
    return value


def _candidates(index: int, row: Mapping[str, Any]) -> Candidates:
    responses = row.get("code", row.get("responses", row.get("response")))
    if responses is None:
        raise RowProblem("missing field 'code' (or 'responses'): the sampled responses")
    need(row, "pred", "score")
    responses = [text_of(r, "code") for r in _as_list(responses, "code")]
    answers = [str(a) for a in _as_list(row["pred"], "pred")]
    correct = _as_list(row["score"], "score")
    n = len(responses)
    if n == 0 or len(answers) != n or len(correct) != n:
        raise RowProblem(
            f"'code', 'pred' and 'score' must have one non-zero length, got {n}, {len(answers)}, {len(correct)}"
        )
    if not all(isinstance(c, bool) for c in correct):
        raise RowProblem("'score' must hold booleans (the grader's verdict per response)")
    scores = None
    if row.get("pred_score") is not None:
        raw = _as_list(row["pred_score"], "pred_score")
        flat = [x for s in raw for x in (s if isinstance(s, list) else [s])]  # Qwen stores [[s], [s], ...]
        if len(flat) != n:
            raise RowProblem(f"'pred_score' must hold one score per response ({n}), got {len(flat)}")
        scores = [number(x, "pred_score") for x in flat]
    ref = row.get("gt", row.get("answer", row.get("reference")))
    return Candidates(
        id=str(row.get("idx", row.get("id", index))),
        prompt=str(row.get("question", row.get("prompt", ""))),
        reference="" if ref is None else str(ref),
        responses=responses,
        answers=answers,
        correct=list(correct),
        scores=scores,
    )


def read_best_of_n(path: str | Path) -> Loaded[Candidates]:
    """Best-of-N rows in Qwen2.5-Math's evaluation format: ``question``, ``gt``, ``code`` (the N responses),
    ``pred`` (the answer extracted from each), ``score`` (the grader's verdict per response) and
    optionally ``pred_score`` (a reward model's score per response, ``[[s], ...]``)."""
    return load(path, _candidates, "best-of-n")
