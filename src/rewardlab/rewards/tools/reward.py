"""Tool-call rewards: ``"bfcl"`` (exact AST match) and ``"tool_call"`` (ToolRL-style partial credit).

Both read the same input. The completion holds calls as Hermes/Qwen ``<tool_call>{"name": ...,
"arguments": {...}}</tool_call>`` blocks, OpenAI ``tool_calls`` messages, a bare JSON call or Python call
syntax (see :mod:`~rewardlab.rewards.tools.parse`). The reference is::

    {"ground_truth": [{"func": {"arg": [allowed, values], "opt": ["", default]}}, ...],   # BFCL gold
     "functions": [<BFCL or OpenAI function schemas>],    # optional: enables the type checks
     "category": "simple_java",                            # optional: BFCL category
     "language": "python"}                                 # optional: python | java | javascript

``ground_truth: []`` (or category ``irrelevance``) means no call is expected; category ``relevance`` /
``live_relevance`` means any well-formed call is right. Gold calls may also be written
``{"name": ..., "arguments": {...}}`` (one allowed value each). The language is the reward's
``language`` option, else the reference's ``language`` or ``category``, else inferred from the schema
types (``String``/``HashMap``/``long`` are Java, ``Boolean``/``Bigint`` JavaScript). Inference cannot
tell a Java function typed only ``boolean``/``integer``/``any`` from a Python one; that matters only
when a model writes Java/JS source strings (``"true"``), so name the ``category`` or ``language`` then.

Every result has the components ``format`` (no malformed call, and calls present exactly when calls
are expected), ``name`` (multiset Jaccard of function names), ``param_name`` and ``param_value``
(mean per gold call over a maximum-credit pairing; see :mod:`~rewardlab.rewards.tools.match`),
``partial`` (their weighted mean, ``weights`` option; components left out of it keep their default
weight) and ``exact`` (BFCL's verdict). ``"bfcl"`` scores
``exact``; ``"tool_call"`` scores ``partial``, which is 1.0 exactly when ``exact`` is (and equals it when
no call is expected: irrelevance scores 1 for no call and 0 for any call). With a message
completion, ``step_scores[i]`` is assistant turn ``i``'s contribution (the score of the calls up to turn
``i`` minus that up to turn ``i-1``), so they sum to the score.

A malformed call is the policy's failure: it is listed in ``info["malformed"]`` and fails ``format``
and ``exact``. A malformed reference (no ``ground_truth``, a gold call without a schema when
``functions`` is given, allowed values that are not lists) raises ``ValueError``: the runner records it.

Differences from the anchors. BFCL's checker is an evaluation script: it takes already-decoded calls,
picks the checker by category name, pairs parallel calls greedily and returns pass/fail. Here the
decoding is part of the reward (and its failures are data), one rule covers simple, multiple, parallel
and parallel-multiple (equal counts plus an order-insensitive maximum matching), and partial credit
comes with the verdict. ToolRL scores name/parameter/value matches on ``[-3, 3]`` with exact ``==`` on
values and greedy pairing; here the same decomposition uses BFCL's value rules (allowed lists, optional
parameters, type coercions, string normalisation), an optimal pairing, and is normalised to ``[0, 1]``
with configurable weights (defaults 1, 1, 1, 2: ToolRL gives values most of the mass). verl's
``tool`` reward and eval-protocol's function-calling evaluator compare one expected call by name and
exact arguments; neither knows optional parameters, allowed alternatives or irrelevance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.core.reward import Reward
from rewardlab.core.trajectory import ToolCall
from rewardlab.core.types import RewardResult, Sample
from rewardlab.rewards.tools.match import GoldCall, match_calls
from rewardlab.rewards.tools.parse import FORMATS, ParsedCalls, parse_calls

__all__ = ["BfclReward", "ToolCallReward", "ToolReference", "gold_calls", "read_reference", "render_value"]

COMPONENTS = ("format", "name", "param_name", "param_value")
DEFAULT_WEIGHTS = {"format": 1.0, "name": 1.0, "param_name": 1.0, "param_value": 2.0}
LANGUAGES = ("auto", "python", "java", "javascript")
_JAVA_ONLY = {"byte", "short", "long", "double", "char", "Array", "ArrayList", "HashMap", "Hashtable", "Set",
              "Queue", "Stack"}  # fmt: skip
_JS_ONLY = {"Boolean", "Bigint"}


@dataclass(frozen=True)
class ToolReference:
    """A validated reference: ``mode`` is ``"calls"``, ``"no_call"`` or ``"any_call"``."""

    mode: str
    gold: tuple[GoldCall, ...]
    schemas: Mapping[str, Mapping[str, Any]] | None
    language: str


def _schema_list(functions: Any) -> list[Mapping[str, Any]]:
    items = [functions] if isinstance(functions, Mapping) else functions
    if not isinstance(items, list):
        raise ValueError(
            f"reference 'functions' must be a list of function schemas, got {type(functions).__name__}"
        )
    out = []
    for i, f in enumerate(items):
        fn = f.get("function", f) if isinstance(f, Mapping) else None  # OpenAI {"type": "function", ...}
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            raise ValueError(f"reference 'functions'[{i}] is not a function schema with a 'name'")
        out.append(fn)
    return out


def _gold_list(ground_truth: Any) -> tuple[GoldCall, ...]:
    if not isinstance(ground_truth, list):
        raise ValueError(
            f"reference 'ground_truth' must be a list of {{function: {{param: [allowed values]}}}}, "
            f"got {type(ground_truth).__name__}"
        )
    out = []
    for i, entry in enumerate(ground_truth):
        if isinstance(entry, Mapping) and set(entry) == {"name", "arguments"}:
            name, args = entry["name"], entry["arguments"]
            if not isinstance(args, Mapping):
                raise ValueError(f"reference 'ground_truth'[{i}]: 'arguments' must be an object")
            args = {k: [v] for k, v in args.items()}
        elif isinstance(entry, Mapping) and len(entry) == 1:
            ((name, args),) = entry.items()
        else:
            raise ValueError(
                f"reference 'ground_truth'[{i}] must be {{function_name: {{param: [allowed values]}}}}, got {entry!r:.200}"
            )
        if not isinstance(name, str) or not isinstance(args, Mapping):
            raise ValueError(f"reference 'ground_truth'[{i}]: parameters of {name!r} must be an object")
        for param, allowed in args.items():
            if not isinstance(allowed, list) or not allowed:
                raise ValueError(
                    f"reference 'ground_truth'[{i}] ({name}): allowed values of {param!r} must be a non-empty "
                    f"list, got {allowed!r:.100}"
                )
        out.append(GoldCall(name, dict(args)))
    return tuple(out)


def _infer_language(schemas: Sequence[Mapping[str, Any]]) -> str:
    types: set[str] = set()
    for fn in schemas:
        params = fn.get("parameters")
        props = params.get("properties") if isinstance(params, Mapping) else None
        for spec in (props or {}).values():
            if isinstance(spec, Mapping) and isinstance(spec.get("type"), str):
                types.add(spec["type"])
    if types & _JS_ONLY or ("String" in types and types & {"array", "dict"}):
        return "javascript"
    if types & _JAVA_ONLY or "String" in types:
        return "java"
    return "python"


def read_reference(reference: Any, language: str = "auto") -> ToolReference:
    """Validate a tool-call reference (see the module docstring). ``ValueError`` says what is wrong."""
    if not isinstance(reference, Mapping):
        raise ValueError(
            "tool-call rewards need sample.reference = {'ground_truth': [...], 'functions': [...]}, "
            f"got {type(reference).__name__}"
        )
    category = reference.get("category", "")
    if not isinstance(category, str):
        raise ValueError(f"reference 'category' must be a string, got {category!r}")
    schemas = _schema_list(reference["functions"]) if reference.get("functions") is not None else None
    if language == "auto":
        given = reference.get("language")
        if given is not None and given not in LANGUAGES[1:]:
            raise ValueError(f"reference 'language' must be one of {LANGUAGES[1:]}, got {given!r}")
        if given:
            language = given
        elif "javascript" in category:
            language = "javascript"
        elif "java" in category:
            language = "java"
        else:
            language = _infer_language(schemas or [])
    by_name = {fn["name"]: fn for fn in schemas} if schemas is not None else None
    if "irrelevance" in category:
        return ToolReference("no_call", (), by_name, language)
    if "relevance" in category and reference.get("ground_truth") is None:
        return ToolReference("any_call", (), by_name, language)
    if "ground_truth" not in reference:
        raise ValueError(f"reference has no 'ground_truth' (keys: {sorted(reference)})")
    gold = _gold_list(reference["ground_truth"])
    if by_name is not None:
        missing = sorted({g.name for g in gold} - set(by_name))
        if missing:
            raise ValueError(f"reference 'functions' has no schema for gold function(s) {missing}")
    return ToolReference("calls" if gold else "no_call", gold, by_name, language)


def render_value(allowed: Any) -> Any:
    """A concrete value from a BFCL allowed-values structure: the first allowed value, recursively."""
    if isinstance(allowed, dict):
        out = {}
        for key, options in allowed.items():
            chosen = [o for o in options if o != ""] if isinstance(options, list) else [options]
            if chosen:
                out[key] = render_value(chosen[0])
        return out
    if isinstance(allowed, list):
        return [render_value(x) for x in allowed]
    return allowed


def gold_calls(ground_truth: Sequence[Mapping[str, Any]], functions: Any = None) -> list[dict[str, Any]]:
    """Render a BFCL gold answer as calls ``{"name", "arguments"}``: the first allowed value other than
    ``""`` for every argument, recursively into dicts.

    With ``functions``, the schema decides where the gold contradicts it: an optional argument that the
    function does not have is left out, and a required one is given even when the gold lists ``""``.
    An argument whose only allowed value is ``""`` is left out.
    """
    by_name = {fn["name"]: fn for fn in _schema_list(functions)} if functions is not None else {}
    out = []
    for g in _gold_list(list(ground_truth)):
        params = (by_name.get(g.name) or {}).get("parameters") or {}
        props = params.get("properties") if by_name else None
        required = set(params.get("required") or ())
        args = {}
        for param, allowed in g.args.items():
            chosen = [a for a in allowed if a != ""]
            optional = "" in allowed and param not in required
            if not chosen or (optional and props is not None and param not in props):
                continue
            args[param] = render_value(chosen[0])
        out.append({"name": g.name, "arguments": args})
    return out


def _check_weights(weights: Any, owner: str) -> dict[str, float]:
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(weights, Mapping):
        raise ValueError(f"`weights` of {owner} must be a table of {', '.join(COMPONENTS)}, got {weights!r}")
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise ValueError(
            f"`weights` of {owner} has unknown component(s) {unknown} (allowed: {', '.join(COMPONENTS)})"
        )
    out = dict(DEFAULT_WEIGHTS)
    for key, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ValueError(f"`weights.{key}` of {owner} must be a finite number >= 0, got {w!r}")
        out[key] = float(w)
    if sum(out.values()) <= 0:
        raise ValueError(f"`weights` of {owner} must not all be 0")
    return out


class _ToolReward(Reward):
    scores = "partial"

    def __init__(
        self,
        formats: Sequence[str] = FORMATS,
        weights: Mapping[str, float] | None = None,
        language: str = "auto",
        dots_as_underscores: bool = False,
    ) -> None:
        owner = self.name
        if isinstance(formats, str) or not isinstance(formats, Sequence) or not formats:
            raise ValueError(
                f"`formats` of {owner} must be a non-empty list from {list(FORMATS)}, got {formats!r}"
            )
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise ValueError(f"`formats` of {owner} has unknown format(s) {bad} (allowed: {list(FORMATS)})")
        if language not in LANGUAGES:
            raise ValueError(f"`language` of {owner} must be one of {list(LANGUAGES)}, got {language!r}")
        if not isinstance(dots_as_underscores, bool):
            raise ValueError(
                f"`dots_as_underscores` of {owner} must be true or false, got {dots_as_underscores!r}"
            )
        self.formats = tuple(formats)
        self.weights = _check_weights(weights, owner)
        self.language = language
        self.dots_as_underscores = dots_as_underscores

    def _components(self, parsed: ParsedCalls, ref: ToolReference) -> tuple[dict[str, float], dict[str, Any]]:
        calls: Sequence[ToolCall] = parsed.calls
        clean = not parsed.malformed
        info: dict[str, Any] = {}
        if ref.mode != "calls":
            want_calls = ref.mode == "any_call"
            ok = clean and bool(calls) == want_calls
            comps = dict.fromkeys(COMPONENTS, float(ok))
            comps["format"] = float(clean)
            comps["exact"] = float(ok)
            if not ok:
                info["reason"] = (
                    "malformed call"
                    if not clean
                    else ("no call" if want_calls else "call when none is expected")
                )
        else:
            m = match_calls(calls, ref.gold, ref.schemas, ref.language, self.dots_as_underscores)
            exact = m.exact and clean
            comps = {
                "format": float(clean and bool(calls)),
                "name": m.name,
                "param_name": m.param_name,
                "param_value": m.param_value,
                "exact": float(exact),
            }
            info["pairs"] = [[g, c] for g, c, _ in m.pairs]
            if not exact:
                info["reason"] = "malformed call" if not clean else (m.error or "no match")
        total = sum(self.weights.values())
        partial = sum(self.weights[k] * comps[k] for k in COMPONENTS) / total
        # 1.0 exactly when "exact" is: every component is 1 then, and only then. With no call expected
        # (or any call accepted) there is nothing to give partial credit for: partial is the verdict.
        comps["partial"] = partial if ref.mode == "calls" else comps["exact"]
        return comps, info

    def compute(self, sample: Sample) -> RewardResult:
        ref = read_reference(sample.reference, self.language)  # raises: a broken reference is an error
        parsed = parse_calls(sample, self.formats)
        comps, info = self._components(parsed, ref)
        score = comps[self.scores]
        info.update(
            mode=ref.mode,
            language=ref.language,
            calls=[c.to_dict() for c in parsed.calls][:50],
            malformed=[m.to_dict() for m in parsed.malformed][:20],
        )
        step_scores = None
        if isinstance(sample.completion, list):
            turns = sorted({c.turn or 0 for c in parsed.calls} | {m.turn or 0 for m in parsed.malformed})
            n_turns = sum(1 for msg in sample.completion if msg.get("role") == "assistant")
            if n_turns:
                cumulative = []
                for t in range(n_turns):
                    if t >= (turns[-1] if turns else 0):
                        cumulative.append(score)
                    else:
                        cumulative.append(self._components(parsed.upto(t), ref)[0][self.scores])
                step_scores = [cumulative[0]] + [b - a for a, b in itertools.pairwise(cumulative)]
        return RewardResult(score=score, components=comps, info=info, step_scores=step_scores)


class ToolCallReward(_ToolReward):
    """ToolRL-style partial credit in [0, 1] for tool calls against a BFCL-style gold answer.

    Score: the weighted mean of ``format``, ``name``, ``param_name`` and ``param_value`` (``weights``,
    default 1, 1, 1, 2); 1.0 exactly when the calls match the gold (``exact``). Options: ``formats``
    (where calls are parsed from), ``weights``, ``language`` (``auto``/``python``/``java``/
    ``javascript``), ``dots_as_underscores`` (compare ``math.factorial`` with ``math_factorial``, for
    APIs that forbid dots in names, as BFCL does for such models).
    """

    name = "tool_call"
    scores = "partial"


class BfclReward(_ToolReward):
    """1.0 when the tool calls match a BFCL gold answer (AST match), else 0.0; partial credit as components.

    Same options and input as ``"tool_call"``; see the module docstring.
    """

    name = "bfcl"
    scores = "exact"
