"""Validation of "bfcl" and "tool_call" on the shared BFCL data (../shared/data/tool_calling/bfcl).

Every gold answer, rendered as calls in several ways, must score 1.0 in every category; systematic
perturbations must score < 1.0 on "bfcl", and "tool_call" partial credit must order them sensibly.
Run this file directly (``python tests/rewards/tools/test_bfcl_data.py``) to print the counts.
"""

from __future__ import annotations

import copy
import functools
import json
import keyword
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from rewardlab import Sample
from rewardlab.rewards.tools import BfclReward, ToolCallReward, gold_calls

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "tool_calling" / "bfcl"
CATEGORIES = [
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
]
NO_GOLD = ["irrelevance", "live_relevance"]
RENDERINGS = [
    "hermes",
    "optional_omitted",
    "python_syntax",
    "openai_messages",
    "reversed_order",
    "source_literals",
]
PERTURBATIONS = ["wrong_function", "missing_required", "wrong_value", "extra_call"]

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} is absent (the BFCL rows these tests grade)"),
]


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hermes(calls: list[dict[str, Any]]) -> str:
    return "\n".join(f"<tool_call>{json.dumps(c)}</tool_call>" for c in calls)


def _props(functions: list[dict[str, Any]], name: str) -> tuple[dict[str, Any], set[str]]:
    fn = next(f for f in functions if f["name"] == name)
    return fn["parameters"].get("properties", {}), set(fn["parameters"].get("required", []))


def optional_omitted(gt: list[dict[str, Any]], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The other extreme of the gold: every argument that may be omitted is omitted."""
    out = []
    for g, c in zip(gt, gold_calls(gt, functions), strict=True):
        allowed = g[c["name"]]
        _, required = _props(functions, c["name"])
        args = {k: v for k, v in c["arguments"].items() if "" not in allowed[k] or k in required}
        out.append({"name": c["name"], "arguments": args})
    return out


def python_syntax(calls: list[dict[str, Any]]) -> str | None:
    parts = []
    for c in calls:
        if any(keyword.iskeyword(k) or not k.isidentifier() for k in c["arguments"]):
            return None  # `from=...` is not Python; BFCL's Python-format models cannot write it either
        args = ", ".join(f"{k}={v!r}" for k, v in c["arguments"].items())
        parts.append(f"{c['name']}({args})")
    return "[" + ", ".join(parts) + "]"


def openai_messages(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tool_calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
        }
        for i, c in enumerate(calls)
    ]
    return [{"role": "assistant", "content": None, "tool_calls": tool_calls}]


def _java(v: Any, spec: dict[str, Any]) -> Any:
    t, items = spec.get("type"), (spec.get("items") or {})
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v}L" if t == "long" else str(v)
    if isinstance(v, float):
        return f"{v}f" if t == "float" else repr(v)
    if v is None:
        return "null"

    def elem(x: Any) -> str:
        return json.dumps(x) if isinstance(x, str) else str(_java(x, items))

    if isinstance(v, list):
        inner = ", ".join(elem(x) for x in v)
        return f"new Object[]{{{inner}}}" if t == "Array" else f"new ArrayList<>(Arrays.asList({inner}))"
    puts = " ".join(f"put({json.dumps(k)}, {elem(x)});" for k, x in v.items())
    return f"new HashMap<String, Object>() {{{{ {puts} }}}}"


def _js(v: Any, spec: dict[str, Any], top: bool = True) -> Any:
    if isinstance(v, str):
        if top and spec.get("type") != "String":
            return v
        return f"'{v}'" if "'" not in v else json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_js(x, {}, False) for x in v) + "]"
    return "{" + ", ".join(f"{k}: {_js(x, {}, False)}" for k, x in v.items()) + "}"


def source_literals(
    calls: list[dict[str, Any]], functions: list[dict[str, Any]], cat: str
) -> list[dict[str, Any]]:
    """Java/JS gold written the way BFCL asks those models to write arguments: as source-code strings."""
    out = []
    for c in calls:
        props, _ = _props(functions, c["name"])
        conv = _java if cat == "simple_java" else _js
        out.append(
            {
                "name": c["name"],
                "arguments": {k: conv(v, props.get(k, {})) for k, v in c["arguments"].items()},
            }
        )
    return out


def _wrong(v: Any) -> Any:
    if isinstance(v, bool):
        return not v
    if isinstance(v, int | float):
        return v + 7919
    if isinstance(v, str):
        return v + " qqq"
    if isinstance(v, list):
        return [*v, v[0]] if v else ["qqq"]
    if isinstance(v, dict):
        return {**v, "qqq": 1}
    return "qqq"


def perturb(
    kind: str, calls: list[dict[str, Any]], gt: list[dict[str, Any]], functions: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    calls = copy.deepcopy(calls)
    first = calls[0]
    if kind == "wrong_function":
        used = {c["name"] for c in calls}
        others = [f["name"] for f in functions if f["name"] not in used]
        first["name"] = others[0] if others else first["name"] + "_v2"  # a sibling tool when there is one
    elif kind == "missing_required":
        allowed = gt[0][first["name"]]
        _, required = _props(functions, first["name"])
        needed = [k for k in first["arguments"] if k in required or "" not in allowed.get(k, [""])]
        if not needed:
            return None
        del first["arguments"][needed[0]]
    elif kind == "wrong_value":
        if not first["arguments"]:
            return None
        key = next(iter(first["arguments"]))
        first["arguments"][key] = _wrong(first["arguments"][key])
    else:
        calls.append(copy.deepcopy(first))
    return calls


@functools.lru_cache(maxsize=1)
def validate() -> dict[str, Any]:
    """Scores of every rendering and perturbation, per category.

    ``"tool_call"`` is run on everything and its ``exact`` component is the ``"bfcl"`` verdict (the two
    rewards share one evaluation; test_reward.py checks that their components are identical);
    ``"bfcl"`` itself is run on the plain gold rendering.
    """
    bfcl, partial = BfclReward(), ToolCallReward()
    gold_ok: dict[str, Counter[str]] = defaultdict(Counter)
    gold_n: dict[str, Counter[str]] = defaultdict(Counter)
    pert: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    failures: list[str] = []
    order_violations: list[str] = []
    for cat in CATEGORIES:
        questions = _rows(DATA / f"BFCL_v4_{cat}.json")
        answers = {
            a["id"]: a["ground_truth"] for a in _rows(DATA / "possible_answer" / f"BFCL_v4_{cat}.json")
        }
        for q in questions:
            gt, functions = answers[q["id"]], q["function"]
            ref = {"ground_truth": gt, "functions": functions}
            calls = gold_calls(gt, functions)
            plain = hermes(calls)
            completions: dict[str, Any] = {
                "hermes": plain,
                "optional_omitted": hermes(optional_omitted(gt, functions)),
                "python_syntax": python_syntax(calls),
                "openai_messages": openai_messages(calls),
                "reversed_order": hermes(calls[::-1]),
            }
            if cat in ("simple_java", "simple_javascript"):
                completions["source_literals"] = hermes(source_literals(calls, functions, cat))
            for name, completion in completions.items():
                if completion is None or (name != "hermes" and completion == plain):
                    continue  # a rendering identical to the plain one tells nothing new
                gold_n[cat][name] += 1
                # Java/JS source strings need the language: a schema of only boolean/integer/any types
                # cannot tell Java from Python, so the reference names the BFCL category.
                sample = Sample(completion=completion, reference={**ref, "category": cat})
                t = partial(sample)
                b = bfcl(sample).score if name == "hermes" else t.components["exact"]
                if b == 1.0 and t.score == 1.0:
                    gold_ok[cat][name] += 1
                else:
                    failures.append(f"{q['id']} {name}: {t.info.get('reason')}")
            scores = {}
            for kind in PERTURBATIONS:
                bad = perturb(kind, calls, gt, functions)
                if bad is None:
                    continue
                t = partial(Sample(completion=hermes(bad), reference=ref))
                scores[kind] = (t.components["exact"], t.score)
                pert[cat][kind].append(scores[kind])
            for kind in ("wrong_value", "missing_required", "extra_call"):
                if kind in scores and not scores[kind][1] > scores["wrong_function"][1]:
                    order_violations.append(f"{q['id']}: {kind} {scores[kind][1]:.3f} <= wrong_function")
    no_gold: dict[str, tuple[int, int, int]] = {}
    for cat in NO_GOLD:
        questions = _rows(DATA / f"BFCL_v4_{cat}.json")
        ok_no_call = ok_call = 0
        for q in questions:
            ref = {"functions": q["function"], "category": cat}
            fn = q["function"][0]
            props, required = fn["parameters"].get("properties", {}), fn["parameters"].get("required", [])
            a_call = hermes([{"name": fn["name"], "arguments": {k: _dummy(props[k]) for k in required}}])
            expect_call = cat == "live_relevance"
            for reward in (bfcl, partial):
                ok_no_call += reward(
                    Sample(completion="None of these tools fits.", reference=ref)
                ).score == float(not expect_call)
                ok_call += reward(Sample(completion=a_call, reference=ref)).score == float(expect_call)
        no_gold[cat] = (len(questions), ok_no_call // 2, ok_call // 2)
    return {"gold_ok": gold_ok, "gold_n": gold_n, "pert": pert, "failures": failures,
            "order": order_violations, "no_gold": no_gold}  # fmt: skip


def _dummy(spec: dict[str, Any]) -> Any:
    return {"integer": 1, "float": 1.0, "boolean": True, "array": [], "dict": {}, "tuple": []}.get(
        spec.get("type"), "x"
    )


def test_every_gold_answer_scores_one_in_every_rendering() -> None:
    result = validate()
    assert result["failures"] == []
    for cat in CATEGORIES:
        assert result["gold_n"][cat]["hermes"] >= 50, cat
        assert result["gold_ok"][cat] == result["gold_n"][cat], cat
    assert result["gold_n"]["simple_java"]["source_literals"] == 48  # rows with a non-string argument
    assert result["gold_n"]["simple_javascript"]["source_literals"] == 42


def test_perturbations_fail_bfcl_and_lose_partial_credit() -> None:
    pert = validate()["pert"]
    for cat in CATEGORIES:
        for kind in PERTURBATIONS:
            scores = pert[cat][kind]
            assert scores, (cat, kind)
            assert all(b == 0.0 for b, _ in scores), (cat, kind)
            assert all(t < 1.0 for _, t in scores), (cat, kind)


def test_partial_credit_orders_perturbations_sensibly() -> None:
    result = validate()
    assert result["order"] == []  # wrong value, missing argument, extra call all beat calling the wrong tool
    for cat in CATEGORIES:
        mean = {k: sum(t for _, t in v) / len(v) for k, v in result["pert"][cat].items()}
        assert mean["wrong_function"] < mean["missing_required"] < 1.0, (cat, mean)
        assert mean["wrong_function"] < mean["wrong_value"] < 1.0, (cat, mean)


def test_irrelevance_and_relevance() -> None:
    no_gold = validate()["no_gold"]
    assert no_gold["irrelevance"] == (240, 240, 240)  # no call -> 1.0 and any call -> 0.0 on all 240
    assert no_gold["live_relevance"] == (16, 16, 16)  # any call -> 1.0 and no call -> 0.0 on all 16


if __name__ == "__main__":
    r = validate()
    print("gold renderings scoring 1.0 on bfcl and tool_call (ok/rows):")
    for cat in CATEGORIES:
        print(
            f"  {cat:18}",
            "  ".join(
                f"{k}={r['gold_ok'][cat][k]}/{r['gold_n'][cat][k]}" for k in RENDERINGS if r["gold_n"][cat][k]
            ),
        )
    print("perturbations: rows, bfcl < 1, mean tool_call partial credit:")
    for cat in CATEGORIES:
        cells = []
        for kind in PERTURBATIONS:
            s = r["pert"][cat][kind]
            cells.append(
                f"{kind}={len(s)} rows, {sum(b < 1 for b, _ in s)} fail, {sum(t for _, t in s) / len(s):.3f}"
            )
        print(f"  {cat:18}", " | ".join(cells))
    for cat, (n, a, b) in r["no_gold"].items():
        print(f"  {cat}: {n} rows; no call as expected {a}; a call as expected {b}")
    print("failures:", r["failures"][:10], "order violations:", r["order"][:10])
