"""BFCL-style AST matching of tool calls against gold answers, and per-pair partial credit.

A gold call is ``{function: {param: [allowed values]}}``; ``""`` in an allowed list means the parameter
may be omitted. :func:`check_pair` ports the decisions of BFCL's ``simple_function_checker``
(``bfcl_eval/eval_checker/ast_eval/ast_checker.py``, ShishirPatil/gorilla): required parameters of the
schema, unexpected parameters, the type check with its "variable" rule (a value of the gold answer's
type is accepted even when the schema says otherwise, because the gold then names a variable), int ->
float for ``float`` parameters, tuples -> lists, string normalisation (drop spaces and ``,./-_*^``,
lower-case, ``'`` -> ``"``), dicts and lists of dicts checked key by key. :func:`match_calls` then
pairs predicted calls with gold calls, order-insensitively.

Where rewardlab differs from BFCL, and why:

- Parallel calls are paired by a maximum bipartite matching. BFCL pairs greedily (first predicted call
  that fits each gold call), which fails a correct answer when an earlier gold call grabs a predicted
  call that a later one needed.
- Java/JavaScript values may be JSON-native (``true``, ``[1, 2]``) as well as source-literal strings:
  tool-call arguments arrive as JSON, and requiring ``"true"`` inside JSON would punish a well-formed
  call. Strings are read by :mod:`rewardlab.rewards.tools.lang`.
- int -> float also applies to the items of ``float`` arrays (JSON serialisers write ``1.0`` as ``1``).
- A gold dict value that is not an allowed-values list (``{"format": "epoch_millis"}`` in BFCL's
  ``simple_java_64``) is read as one allowed value; BFCL iterates its characters, so no answer passes.
- Without a schema (``functions`` not given), parameters are checked against the gold values only
  (ints and floats compare by value, booleans only with booleans).
- Array items of type ``any`` are not type-checked: BFCL maps ``any`` to ``str`` because its Java/JS
  models pass strings, but JSON arguments carry native values (``simple_java_36`` lists ``42`` and
  ``true`` under ``ArrayList<any>``).
- Dict values that are dicts are checked recursively against nested allowed-value dicts (BFCL compares
  them with ``==``, which a nested gold written with allowed lists never equals).
- ``True`` never equals ``1`` (Python's ``True in [1]`` is true).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.trajectory import ToolCall
from rewardlab.rewards.tools.assign import max_assignment, perfect_matching
from rewardlab.rewards.tools.lang import convert_source_value

__all__ = ["GoldCall", "MatchResult", "PairCheck", "check_pair", "check_param", "match_calls", "name_jaccard"]

PY_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
    "dict": dict, "any": str,
    # JSON-schema / OpenAI spellings, for schemas that are not BFCL's
    "number": float, "object": dict, "list": list, "bool": bool, "str": str, "int": int,
}  # fmt: skip
JAVA_TYPES: dict[str, type] = {
    "byte": int, "short": int, "integer": int, "long": int, "float": float, "double": float,
    "boolean": bool, "char": str, "String": str, "any": str, "Array": list, "ArrayList": list,
    "Queue": list, "Stack": list, "Set": list, "HashMap": dict, "Hashtable": dict,
}  # fmt: skip
JS_TYPES: dict[str, type] = {
    "String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool, "dict": dict,
    "array": list, "any": str,
}  # fmt: skip
LANG_TYPES = {"python": PY_TYPES, "java": JAVA_TYPES, "javascript": JS_TYPES}
NESTED = {"python": ("array", "tuple"), "java": ("Array", "ArrayList"), "javascript": ("array",)}
_STD = re.compile(r"[ ,./\-_*^]")
MAX_PAIRED_CALLS = 64


@dataclass(frozen=True, slots=True)
class GoldCall:
    """One gold call: the function ``name`` and, per parameter, the list of allowed values."""

    name: str
    args: Mapping[str, list[Any]]


@dataclass(frozen=True, slots=True)
class PairCheck:
    """How one predicted call fares against one gold call.

    ``valid`` is BFCL's verdict; ``error`` the first failure (BFCL's order); ``param_name`` the Jaccard
    of the parameter names given with the names expected (required ones plus optional ones given);
    ``param_value`` the fraction of expected parameters given with an accepted value.
    """

    valid: bool
    error: str | None
    param_name: float
    param_value: float

    @property
    def credit(self) -> float:
        return self.param_name + self.param_value


@dataclass
class MatchResult:
    """Predicted calls paired with gold calls. ``pairs`` is ``[(gold_index, call_index, PairCheck)]``."""

    exact: bool
    error: str | None
    name: float
    param_name: float
    param_value: float
    pairs: list[tuple[int, int, PairCheck]] = field(default_factory=list)


def standardize(text: str) -> str:
    """BFCL's string normalisation."""
    return _STD.sub("", text).lower().replace("'", '"')


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _contains(options: Sequence[Any], value: Any) -> bool:
    return any(_eq(value, o) for o in options)


def _std_all(values: Sequence[Any]) -> list[Any]:
    return [standardize(v) if isinstance(v, str) else v for v in values]


def _gold_type(allowed: Sequence[Any]) -> type | None:
    for a in allowed:
        if a != "":
            return type(a)
    return None


def _dict_check(value: Mapping[str, Any], allowed: Sequence[Any]) -> str | None:
    error = "dict: no allowed value to compare with"
    for cand in allowed:
        if not isinstance(cand, Mapping):
            continue
        error = ""
        for key, v in value.items():
            if key not in cand:
                error = f"unexpected dict key {key!r}"
                break
            options = cand[key] if isinstance(cand[key], list) else [cand[key]]
            if isinstance(v, Mapping) and any(isinstance(o, Mapping) for o in options):
                if _dict_check(v, options) is None:
                    continue
                error = f"invalid value for dict key {key!r}"
                break
            sv = standardize(v) if isinstance(v, str) else v
            if not _contains(_std_all(options), sv):
                error = f"invalid value for dict key {key!r}: {v!r}"
                break
        if not error:
            for key, options in cand.items():
                opts = options if isinstance(options, list) else [options]
                if key not in value and "" not in opts:
                    error = f"missing dict key {key!r}"
                    break
        if not error:
            return None
    return error


def _list_dict_check(value: Sequence[Any], allowed: Sequence[Any]) -> str | None:
    error: str | None = "list of dicts: no allowed value to compare with"
    for cand in allowed:
        if not isinstance(cand, list):
            continue
        if len(cand) != len(value):
            error = f"wrong number of dicts ({len(value)}, expected {len(cand)})"
            continue
        error = None
        for v, c in zip(value, cand, strict=True):
            error = _dict_check(v, [c]) if isinstance(v, Mapping) else "list item is not a dict"
            if error:
                break
        if not error:
            return None
    return error


def _type_check(value: Any, allowed: Sequence[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """BFCL's ``type_checker``: ``(valid, is_variable)``."""
    gold_type = _gold_type(allowed)
    is_variable = gold_type is not None and gold_type is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        items = value if isinstance(value, list) else []
        for cand in allowed:
            if not isinstance(cand, list) or all(_type_check(v, cand, nested, None)[0] for v in items):
                return True, is_variable
        return False, False
    if gold_type is not None and type(value) is gold_type:
        return True, True
    return False, False


def check_param(
    param: str, value: Any, allowed: Sequence[Any], spec: Mapping[str, Any] | None, language: str = "python"
) -> str | None:
    """None when ``value`` is an accepted value for ``param``; else why not (``"type: ..."``/``"value: ..."``)."""
    ptype = spec.get("type") if isinstance(spec, Mapping) else None
    types = LANG_TYPES.get(language, PY_TYPES)
    expected = types.get(ptype) if isinstance(ptype, str) else None
    if expected is None and isinstance(ptype, str):
        expected = PY_TYPES.get(ptype)
    nested: type | None = None
    items = spec.get("items") if isinstance(spec, Mapping) else None
    items_type = items.get("type") if isinstance(items, Mapping) else None
    if ptype in NESTED.get(language, ()) and isinstance(items_type, str) and items_type not in ("any", "Any"):
        nested = types.get(items_type) or PY_TYPES.get(items_type)
    if language != "python" and isinstance(value, str) and isinstance(ptype, str):
        value = convert_source_value(value, ptype, language)
    if isinstance(value, tuple) and ptype in ("tuple", None):
        value = list(value)
    if expected is float and type(value) is int:
        value = float(value)
    if nested is float and isinstance(value, list):
        value = [float(v) if type(v) is int else v for v in value]
    if expected is None:  # no schema type: compare with the gold values only
        if isinstance(value, Mapping):
            err = _dict_check(value, allowed)
            return None if err is None else f"value: {param!r}: {err}"
        if isinstance(value, list) and any(
            isinstance(a, list) and a and isinstance(a[0], Mapping) for a in allowed
        ):
            err = _list_dict_check(value, allowed)
            return None if err is None else f"value: {param!r}: {err}"
        if isinstance(value, str):
            ok = standardize(value) in [standardize(a) for a in allowed if isinstance(a, str)]
        elif isinstance(value, list):
            ok = _contains([_std_all(a) for a in allowed if isinstance(a, list)], _std_all(value))
        else:
            ok = _contains(allowed, value)
        return None if ok else f"value: {param!r}: {value!r} not in {list(allowed)!r}"
    valid, is_variable = _type_check(value, allowed, expected, nested)
    if not valid:
        return f"type: {param!r} expects {ptype}, got {type(value).__name__} {value!r}"
    if not is_variable:
        if expected is dict:
            err = _dict_check(value, allowed)
        elif expected is list and nested is dict:
            err = _list_dict_check(value, allowed)
        elif expected is str:
            ok = standardize(value) in [standardize(a) for a in allowed if isinstance(a, str)]
            err = None if ok else f"{value!r} not in {list(allowed)!r} (case and punctuation ignored)"
        elif expected is list:
            ok = _contains([_std_all(a) for a in allowed if isinstance(a, list)], _std_all(value))
            err = None if ok else f"{value!r} not in {list(allowed)!r}"
        else:
            err = None if _contains(allowed, value) else f"{value!r} not in {list(allowed)!r}"
        return None if err is None else f"value: {param!r}: {err}"
    return None if _contains(allowed, value) else f"value: {param!r}: {value!r} not in {list(allowed)!r}"


def _schema_parts(schema: Mapping[str, Any] | None) -> tuple[Mapping[str, Any] | None, set[str]]:
    if schema is None:
        return None, set()
    params = schema.get("parameters") or {}
    props = params.get("properties") if isinstance(params, Mapping) else None
    required = params.get("required") if isinstance(params, Mapping) else None
    return (props if isinstance(props, Mapping) else {}), set(required or ())


def check_pair(
    call: ToolCall,
    gold: GoldCall,
    schema: Mapping[str, Any] | None,
    language: str = "python",
    same_name: bool | None = None,
) -> PairCheck:
    """Check one predicted call against one gold call (BFCL's ``simple_function_checker`` + credit)."""
    if not (call.name == gold.name if same_name is None else same_name):
        return PairCheck(False, f"wrong function name: {call.name!r} (expected {gold.name!r})", 0.0, 0.0)
    props, schema_required = _schema_parts(schema)
    optional = {k for k, allowed in gold.args.items() if "" in allowed}
    allowed_keys = {k for k in gold.args if props is None or k in props}
    required = (set(gold.args) - optional) | schema_required
    given = set(call.arguments)
    union = required | given
    param_name = len(given & allowed_keys) / len(union) if union else 1.0
    considered = required | (given & allowed_keys)
    errors: dict[str, str] = {}
    for key in sorted(considered):
        if key not in given:
            errors[key] = f"missing required parameter {key!r}"
        elif key not in gold.args:
            errors[key] = f"unexpected parameter {key!r}"  # schema-required but absent from the gold
        else:
            spec = props.get(key) if props is not None else None
            err = check_param(key, call.arguments[key], gold.args[key], spec, language)
            if err:
                errors[key] = err
    param_value = (len(considered) - len(errors)) / len(considered) if considered else 1.0
    first: str | None = None
    missing_schema = sorted(k for k in schema_required if k not in given)
    if missing_schema:
        first = f"missing required parameter {missing_schema[0]!r}"
    if first is None:
        for key in call.arguments:  # BFCL's order: the call's parameters as written
            if key not in allowed_keys:
                first = f"unexpected parameter {key!r}"
            elif key in errors:
                first = errors[key]
            if first:
                break
    if first is None and errors:
        first = errors[sorted(errors)[0]]
    return PairCheck(first is None, first, param_name, param_value)


def name_jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """Multiset Jaccard of two name lists (1.0 when both are empty), as ToolRL's ``match_score``."""
    if not a and not b:
        return 1.0
    ca, cb = Counter(a), Counter(b)
    inter = sum((ca & cb).values())
    return inter / (len(a) + len(b) - inter)


def match_calls(
    calls: Sequence[ToolCall],
    golds: Sequence[GoldCall],
    schemas: Mapping[str, Mapping[str, Any]] | None,
    language: str = "python",
    dots_as_underscores: bool = False,
) -> MatchResult:
    """Pair ``calls`` with ``golds``: BFCL's exact verdict plus ToolRL-style partial credit.

    ``exact``: as many calls as gold calls and a perfect matching of valid pairs. Partial credit: the
    multiset Jaccard of function names, and, over a maximum-credit assignment of same-name pairs, the
    mean per gold call of ``param_name`` and ``param_value`` (an unpaired gold call counts 0). Only the
    first ``MAX_PAIRED_CALLS`` calls with a gold function's name are paired (a policy that spams calls
    still pays for every one in ``name``), so the cost stays bounded.
    """

    def norm(name: str) -> str:
        return name.replace(".", "_") if dots_as_underscores else name

    name = name_jaccard([norm(c.name) for c in calls], [norm(g.name) for g in golds])
    gold_names = {norm(g.name) for g in golds}
    candidates = [j for j, c in enumerate(calls) if norm(c.name) in gold_names][:MAX_PAIRED_CALLS]
    checks: dict[tuple[int, int], PairCheck] = {}
    for i, g in enumerate(golds):
        schema = schemas.get(g.name) if schemas is not None else None
        for j in candidates:
            same = norm(calls[j].name) == norm(g.name)
            if same:
                checks[i, j] = check_pair(calls[j], g, schema, language, same_name=True)
    exact = False
    error: str | None = None
    if len(calls) != len(golds):
        error = f"wrong number of calls: {len(calls)} (expected {len(golds)})"
    else:
        valid = [
            [(i, j) in checks and checks[i, j].valid for j in range(len(calls))] for i in range(len(golds))
        ]
        exact = perfect_matching(valid) is not None
    weights = [
        [checks[i, j].credit if (i, j) in checks else 0.0 for j in candidates] for i in range(len(golds))
    ]
    pairs = [
        (i, candidates[k], checks[i, candidates[k]])
        for i, k in max_assignment(weights)
        if (i, candidates[k]) in checks
    ]
    if not exact and error is None:
        unmet = [i for i in range(len(golds)) if not any(p[0] == i and p[2].valid for p in pairs)]
        i = unmet[0] if unmet else 0
        tried = [checks[i, j] for j in candidates if (i, j) in checks]
        best = max(tried, key=lambda c: c.credit) if tried else None
        why = (best.error or "no match") if best is not None else "no call of this function"
        error = f"gold call {i} ({golds[i].name}): {why}"
    n = len(golds) or 1
    return MatchResult(
        exact=exact,
        error=error,
        name=name,
        param_name=sum(p[2].param_name for p in pairs) / n,
        param_value=sum(p[2].param_value for p in pairs) / n,
        pairs=pairs,
    )
