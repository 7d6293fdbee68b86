"""OpenAI-compatible graders (``string_check``, ``text_similarity``, ``python``, ``multi``), self-hosted.

OpenAI is deprecating the graders of its reinforcement fine-tuning and evals APIs; this module runs the
same JSON grader definitions locally (and ``rewardlab serve`` exposes them as ``/v1/graders/run`` and
``/v1/graders/validate``), so a team can keep its grader configs. Differences from OpenAI's service:

- ``python`` graders run in rewardlab's code sandbox (no network, resource limits, killed at the deadline)
  instead of OpenAI's container; ``image_tag`` is accepted and ignored;
- ``multi`` formulas are parsed with :mod:`ast` and evaluated by a whitelist walker (numbers, grader
  names, ``+ - * / ** %``, comparisons, and ``min max abs floor ceil exp sqrt log``), never ``eval``;
- ``text_similarity`` computes ``fuzzy_match`` (rapidfuzz), ``bleu`` (sacrebleu), ``gleu`` (nltk) and
  ``rouge_1..5`` / ``rouge_l`` (rouge-score) here; ``meteor`` (needs WordNet data) and ``cosine`` (needs an
  embedding model) are reported as ``other_error`` rather than approximated;
- ``score_model`` / ``label_model`` call an OpenAI-compatible judge through :mod:`rewardlab.judges`
  (``OPENAI_BASE_URL``/``OPENAI_API_KEY``, or ``REWARDLAB_GRADER_BASE_URL``/``REWARDLAB_GRADER_API_KEY``
  for graders only): the grader's ``model`` at that endpoint, its ``input`` messages rendered with the
  templates, ``sampling_params`` passed on. The verdict is read from the final answer only (``<think>``
  stripped) and never guessed; the judge guard runs first (``"guard": false`` in the grader turns it
  off), and an answer it trips scores the bottom of the range (``metadata.guard`` names the rules).

Errors use OpenAI's categories (``metadata.errors``: ``formula_parse_error``, ``invalid_variable_error``,
``python_grader_runtime_error``...), and as a rewardlab reward an errored grade is a recorded error,
never a silent 0.0.
"""

from __future__ import annotations

import ast
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any, cast

from rewardlab.core.reward import Reward
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import GraderError
from rewardlab.rewards.grader_models import _Guarded, _model_grade, _validate_model_grader

GRADER_TYPES = ("string_check", "text_similarity", "python", "multi", "score_model", "label_model")
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", "cosine", "rouge_1", "rouge_2", "rouge_3", "rouge_4",
           "rouge_5", "rouge_l")  # fmt: skip
ERROR_FLAGS = (
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_runtime_error",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
)
_TEMPLATE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_FUNCS: dict[str, Any] = {"min": lambda *a: min(a), "max": lambda *a: max(a), "abs": abs, "floor": math.floor, "ceil": math.ceil, "exp": math.exp,
          "sqrt": math.sqrt, "log": math.log}  # fmt: skip


# -- validation ------------------------------------------------------------------------------------


MAX_GRADER_DEPTH = 8  # multi graders inside multi graders


def validate_grader(grader: Any, path: str = "grader", depth: int = 0) -> list[str]:
    """Every problem in a grader definition, as ``path: message`` strings."""
    if not isinstance(grader, Mapping):
        return [f"{path}: must be an object, got {type(grader).__name__}"]
    if depth > MAX_GRADER_DEPTH:
        return [f"{path}: multi graders nested deeper than {MAX_GRADER_DEPTH} levels"]
    kind = grader.get("type")
    problems: list[str] = []
    if kind not in GRADER_TYPES:
        return [f"{path}.type: must be one of {', '.join(GRADER_TYPES)}, got {kind!r}"]
    if not isinstance(grader.get("name"), str) or not grader.get("name"):
        problems.append(f"{path}.name: required, a non-empty string")
    if kind in ("score_model", "label_model"):
        problems += _validate_model_grader(grader, kind, path)
    if kind == "string_check":
        for key in ("input", "reference"):
            if not isinstance(grader.get(key), str):
                problems.append(f"{path}.{key}: required, a string (templates allowed)")
        if grader.get("operation") not in ("eq", "ne", "like", "ilike"):
            problems.append(
                f"{path}.operation: must be eq, ne, like or ilike, got {grader.get('operation')!r}"
            )
    if kind == "text_similarity":
        for key in ("input", "reference"):
            if not isinstance(grader.get(key), str):
                problems.append(f"{path}.{key}: required, a string (templates allowed)")
        if grader.get("evaluation_metric") not in METRICS:
            problems.append(f"{path}.evaluation_metric: must be one of {', '.join(METRICS)}")
        threshold = grader.get("pass_threshold")
        if threshold is not None and not isinstance(threshold, int | float):
            problems.append(f"{path}.pass_threshold: must be a number")
    if kind == "python":
        source = grader.get("source")
        if not isinstance(source, str):
            problems.append(f"{path}.source: required, Python source defining grade(sample, item)")
        else:
            try:
                tree = ast.parse(source)
                if not any(isinstance(n, ast.FunctionDef) and n.name == "grade" for n in tree.body):
                    problems.append(f"{path}.source: must define a top-level function grade(sample, item)")
            except SyntaxError as exc:
                problems.append(f"{path}.source: syntax error at line {exc.lineno}: {exc.msg}")
    if kind == "multi":
        subs = sub_graders(grader)
        if subs is None:
            problems.append(
                f"{path}.graders: required, a grader (OpenAI's typed form) or an object of named graders"
            )
            subs = {}
        for name, sub in subs.items():
            problems += validate_grader(sub, f"{path}.graders.{name}", depth + 1)
        formula = grader.get("calculate_output")
        if not isinstance(formula, str):
            problems.append(f"{path}.calculate_output: required, a formula over the sub-grader names")
        else:
            try:
                _check_formula(parse_formula(formula), set(subs))
            except (SyntaxError, GraderError) as exc:
                problems.append(f"{path}.calculate_output: {exc}")
    return problems


def sub_graders(grader: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ``multi`` grader's sub-graders by name, or None when ``graders`` is neither form.

    OpenAI's SDK types ``graders`` as one grader (``MultiGraderParam.graders: Graders``), named by its own
    ``name``; the API reference also shows an object of named graders. Both are accepted.
    """
    subs = grader.get("graders")
    if isinstance(subs, Mapping) and isinstance(subs.get("type"), str):
        name = subs.get("name")
        return {name if isinstance(name, str) and name else "grader": subs}
    if isinstance(subs, Mapping) and subs:
        return dict(subs)
    return None


# -- templating ------------------------------------------------------------------------------------


def _lookup(path: str, namespaces: Mapping[str, Any]) -> Any:
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    if not parts or parts[0] not in namespaces:
        raise GraderError("invalid_variable_error", f"{{{{ {path} }}}}: namespace must be 'item' or 'sample'")
    value: Any = namespaces[parts[0]]
    for part in parts[1:]:
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(value, list) or idx >= len(value):
                raise GraderError("invalid_variable_error", f"{{{{ {path} }}}}: no index {idx}")
            value = value[idx]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise GraderError("invalid_variable_error", f"{{{{ {path} }}}}: {part!r} not found")
    return value


def render(template: str, namespaces: Mapping[str, Any]) -> str:
    """Substitute ``{{ item.x }}`` / ``{{ sample.output_text }}``; non-strings are written as JSON."""

    def sub(m: re.Match[str]) -> str:
        value = _lookup(m.group(1), namespaces)
        return value if isinstance(value, str) else json.dumps(value)

    return _TEMPLATE.sub(sub, template)


def sample_namespace(model_sample: str) -> dict[str, Any]:
    try:
        output_json = json.loads(model_sample)
    except (json.JSONDecodeError, TypeError):
        output_json = None
    return {"output_text": model_sample, "output_json": output_json, "output_tools": [], "choices": []}


# -- the graders -----------------------------------------------------------------------------------


def _like(text: str, pattern: str, case: bool) -> bool:
    return (pattern if case else pattern.lower()) in (text if case else text.lower())


def _similarity(metric: str, text: str, ref: str) -> float:
    if metric == "fuzzy_match":
        from rapidfuzz import fuzz

        return float(fuzz.WRatio(text, ref)) / 100
    if metric == "bleu":
        import sacrebleu

        return min(1.0, float(sacrebleu.sentence_bleu(text, [ref]).score) / 100)
    if metric == "gleu":
        from nltk.translate.gleu_score import sentence_gleu

        return float(sentence_gleu([ref.split()], text.split()))
    if metric.startswith("rouge_"):
        from rouge_score import rouge_scorer

        key = "rougeL" if metric == "rouge_l" else f"rouge{metric[-1]}"
        return float(rouge_scorer.RougeScorer([key]).score(ref, text)[key].fmeasure)
    raise GraderError(
        "other_error",
        f"evaluation_metric {metric!r} is not available locally ("
        + ("needs WordNet data" if metric == "meteor" else "needs an embedding model")
        + ")",
    )


MAX_FORMULA_CHARS = 2000
MAX_FORMULA_DEPTH = 60
_ARITY = {"min": (1, 64), "max": (1, 64), "abs": (1, 1), "floor": (1, 1), "ceil": (1, 1), "exp": (1, 1),
          "sqrt": (1, 1), "log": (1, 1)}  # fmt: skip


def parse_formula(formula: str) -> ast.AST:
    """The formula's expression tree; a formula that is too long or nested too deep for the grammar is a
    :class:`GraderError` (answered 422), never a crash of the parser."""
    if len(formula) > MAX_FORMULA_CHARS:
        raise GraderError("formula_parse_error", f"formula longer than {MAX_FORMULA_CHARS} characters")
    try:
        return ast.parse(formula, mode="eval").body
    except (RecursionError, MemoryError):
        raise GraderError("formula_parse_error", "formula nested too deeply") from None


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(n))
    return deepest


def _check_formula(node: ast.AST, names: set[str]) -> None:
    allowed = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Constant, ast.Name, ast.Call)
    if _depth(node) > MAX_FORMULA_DEPTH:
        raise GraderError("formula_parse_error", f"formula nested deeper than {MAX_FORMULA_DEPTH} levels")
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in _ARITY:
            low, high = _ARITY[sub.func.id]
            if sub.keywords or not low <= len(sub.args) <= high:
                raise GraderError(
                    "formula_parse_error",
                    f"{sub.func.id}() takes {low if low == high else f'{low} to {high}'} positional "
                    f"argument(s), got {len(sub.args)}{' and keywords' if sub.keywords else ''}",
                )
        if isinstance(sub, ast.expr) and not isinstance(sub, allowed):
            raise GraderError("formula_parse_error", f"{type(sub).__name__} is not allowed in a formula")
        if isinstance(sub, ast.Name) and sub.id not in names and sub.id not in _FUNCS:
            raise GraderError(
                "formula_parse_error", f"unknown name {sub.id!r} (sub-graders: {sorted(names)})"
            )
        if isinstance(sub, ast.Call) and not (isinstance(sub.func, ast.Name) and sub.func.id in _FUNCS):
            raise GraderError(
                "formula_parse_error", "only min, max, abs, floor, ceil, exp, sqrt, log may be called"
            )
        if isinstance(sub, ast.Constant) and not isinstance(sub.value, int | float):
            raise GraderError("formula_parse_error", f"constant {sub.value!r} is not a number")


_BIN = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b, ast.Mod: lambda a, b: a % b}  # fmt: skip
_CMP = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}  # fmt: skip


def _eval_formula(node: ast.AST, env: Mapping[str, float]) -> float:
    """Walk a checked formula tree (hand-written: a dozen node types, no eval, no extra dependency)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(env[node.id])
    if isinstance(node, ast.UnaryOp):
        v = _eval_formula(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else (float(not v) if isinstance(node.op, ast.Not) else v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        b = _eval_formula(node.right, env)
        if isinstance(node.op, ast.Pow) and abs(b) > 64:
            raise GraderError("formula_parse_error", "exponent too large")
        return float(_BIN[type(node.op)](_eval_formula(node.left, env), b))
    if isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):
        left = _eval_formula(node.left, env)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval_formula(comp, env)
            if not _CMP[type(op)](left, right):
                return 0.0
            left = right
        return 1.0
    if isinstance(node, ast.BoolOp):
        values = [_eval_formula(v, env) for v in node.values]
        return float(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.IfExp):
        return _eval_formula(node.body if _eval_formula(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn: Any = _FUNCS[node.func.id]
        return float(fn(*(_eval_formula(a, env) for a in node.args)))
    raise GraderError("formula_parse_error", f"{type(node).__name__} is not supported")


def grade(
    grader: Mapping[str, Any],
    model_sample: str,
    item: Mapping[str, Any] | None = None,
    *,
    timeout: float = 10.0,
) -> tuple[float, dict[str, float]]:
    """``(reward, sub_rewards)``. Raises :class:`GraderError` with the OpenAI error category."""
    ns = {"item": dict(item or {}), "sample": sample_namespace(model_sample)}
    kind = grader["type"]
    if kind == "string_check":
        text, ref = render(grader["input"], ns), render(grader["reference"], ns)
        op = grader["operation"]
        ok = {
            "eq": text == ref,
            "ne": text != ref,
            "like": _like(text, ref, True),
            "ilike": _like(text, ref, False),
        }[op]
        return float(ok), {}
    if kind == "text_similarity":
        score = _similarity(
            grader["evaluation_metric"], render(grader["input"], ns), render(grader["reference"], ns)
        )
        threshold = grader.get("pass_threshold")
        return (float(score >= threshold) if threshold is not None else score), {}
    if kind == "python":
        return _python_grade(grader["source"], ns, timeout), {}
    if kind == "multi":
        subs = {
            name: _guarded_grade(sub, model_sample, item, timeout)[0]
            for name, sub in (sub_graders(grader) or {}).items()
        }
        tree = parse_formula(grader["calculate_output"])
        _check_formula(tree, set(subs))
        try:
            value = _eval_formula(tree, subs)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise GraderError("formula_parse_error", f"formula failed: {exc}") from exc
        if not math.isfinite(value):
            raise GraderError("formula_parse_error", f"formula gave {value}, not a finite number")
        return value, subs
    if kind in ("score_model", "label_model"):
        return _model_grade(grader, ns, render), {}
    raise GraderError("other_error", f"grader type {kind!r} is not available")


def _guarded_grade(
    grader: Mapping[str, Any], model_sample: str, item: Mapping[str, Any] | None, timeout: float
) -> tuple[float, dict[str, float]]:
    try:
        return grade(grader, model_sample, item, timeout=timeout)
    except _Guarded as g:
        return g.low, {}


_PY_HARNESS = """
import json, sys
_data = json.loads(sys.stdin.read())
{source}
_score = grade(_data["sample"], _data["item"])
print("\\n__REWARDLAB_GRADE__" + json.dumps(float(_score)))
"""


_POOLS: dict[float, Any] = {}  # one warm sandbox pool per process and timeout, created on first use


def _pool(timeout: float) -> Any:
    pool = _POOLS.get(timeout)
    if pool is None:
        from rewardlab.sandbox import Limits, SandboxPool

        pool = _POOLS[timeout] = SandboxPool(size=1, limits=Limits(timeout=timeout))
    return pool


def _python_grade(source: str, ns: Mapping[str, Any], timeout: float) -> float:
    try:
        pool = _pool(timeout)
    except Exception as exc:  # the sandbox could not start: a server-side error, not the grader's
        raise GraderError("python_grader_server_error", f"the code sandbox is not available: {exc}") from exc
    payload = json.dumps({"sample": ns["sample"], "item": ns["item"]})
    result = pool.run(_PY_HARNESS.replace("{source}", source), stdin=payload)
    marker = "__REWARDLAB_GRADE__"
    if result.timed_out:
        raise GraderError("unresponsive_reward_error", f"python grader exceeded {timeout:g} s")
    if not result.ok or marker not in result.stdout:
        err = result.stderr.strip().splitlines()
        raise GraderError("python_grader_runtime_error", err[-1] if err else "grade() produced no score")
    try:
        value = float(json.loads(result.stdout.rsplit(marker, 1)[1].strip()))
    except (ValueError, IndexError) as exc:
        raise GraderError("python_grader_runtime_error", f"grade() returned a non-number: {exc}") from exc
    if not math.isfinite(value):
        raise GraderError("python_grader_runtime_error", f"grade() returned {value}")
    return value


def run_grader(
    grader: Mapping[str, Any], model_sample: str, item: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``/v1/graders/run`` response body: reward, metadata (errors in OpenAI's categories), sub_rewards."""
    start = time.perf_counter()
    errors: dict[str, Any] = dict.fromkeys(ERROR_FLAGS, False)
    errors |= {"python_grader_server_error_type": None, "python_grader_runtime_error_details": None,
               "model_grader_server_error_details": None}  # fmt: skip
    reward, subs = 0.0, dict[str, float]()
    guard: list[str] | None = None
    try:
        reward, subs = grade(grader, model_sample, item)
    except _Guarded as g:
        reward, guard = g.low, g.rules
    except GraderError as exc:
        errors[exc.flag] = True
        if exc.flag == "python_grader_runtime_error":
            errors["python_grader_runtime_error_details"] = str(exc)
        elif exc.flag == "python_grader_server_error":
            errors["python_grader_server_error_type"] = str(exc)
        else:
            errors["details"] = str(exc)  # rewardlab's addition: the message behind the flag
    return {
        "reward": reward,
        "metadata": {
            "name": grader.get("name"),
            "type": grader.get("type"),
            "errors": errors,
            "execution_time": time.perf_counter() - start,
            "scores": subs,
            **({"guard": guard} if guard else {}),
            "token_usage": None,
            "sampled_model_name": None,
        },
        "sub_rewards": subs,
        "model_grader_token_usage_per_model": {},
    }


class OpenAIGrader(Reward):
    """A reward from an OpenAI grader definition (``grader`` option, a dict as OpenAI's API takes it).

    ``item`` is ``sample.reference`` when it is an object (else ``{"reference": sample.reference}``),
    merged with ``sample.metadata``; ``sample.output_text`` is the completion text. A grading error is
    recorded on the result with its OpenAI category in ``info``.
    """

    name = "openai_grader"

    def __init__(self, grader: Mapping[str, Any] | None = None, timeout: float = 10.0) -> None:
        problems = validate_grader(grader)
        if problems:
            raise ValueError("`grader` of openai_grader is invalid: " + "; ".join(problems))
        self.grader = dict(grader or {})
        self.timeout = float(timeout)

    def compute(self, sample: Sample) -> RewardResult:
        ref = sample.reference
        item = {**(sample.metadata or {}), **(dict(ref) if isinstance(ref, Mapping) else {"reference": ref})}
        try:
            score, subs = grade(self.grader, sample.completion_text, item, timeout=self.timeout)
        except _Guarded as g:
            return RewardResult(score=g.low, info={"guard": g.rules})
        except GraderError as exc:
            return RewardResult(
                score=None, error=ErrorInfo("GraderError", f"{exc.flag}: {exc}"), info={"flag": exc.flag}
            )
        return RewardResult(score=score, components=subs)


class GraderJob(Reward):
    """One grader request as a sample, what ``rewardlab serve`` runs in its grader worker processes.

    ``metadata`` holds ``{"grader": definition, "mode": "run" | "validate"}``, the completion is
    ``model_sample`` and ``reference`` the ``item``. A definition with problems is an ``InvalidGrader``
    error (the problems in ``info["problems"]``); otherwise ``info`` is the answer body: the grader back
    (``validate``) or :func:`run_grader`'s body (``run``, scored by its reward). Validation runs here too,
    not in the server's event loop: a grader is client input of any size.
    """

    name = "grader_job"

    def compute(self, sample: Sample) -> RewardResult:
        grader = sample.metadata.get("grader")
        problems = validate_grader(grader)
        if problems:
            return RewardResult(
                score=None, error=ErrorInfo("InvalidGrader", "; ".join(problems)), info={"problems": problems}
            )
        grader = cast(Mapping[str, Any], grader)  # validate_grader checked it
        if sample.metadata.get("mode") == "validate":
            return RewardResult(score=1.0, info={"grader": grader})
        item = sample.reference if isinstance(sample.reference, Mapping) else None
        body = run_grader(grader, sample.completion_text, item)
        return RewardResult(score=float(body["reward"]), info=body)
