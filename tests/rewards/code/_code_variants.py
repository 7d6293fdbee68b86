"""Real HumanEval / MBPP rows as samples, and generated broken variants of their canonical solutions.

A helper module (not a test file) so that several test files can import it by name.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
from pathlib import Path
from typing import Any

from rewardlab.sandbox.plans import parse

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "data" / "code"
BUNDLED = REPO / "src" / "rewardlab" / "data"
HUMANEVAL_SHARED = SHARED / "humaneval" / "HumanEval.jsonl.gz"
MBPP_SHARED = SHARED / "mbpp" / "sanitized-mbpp.json"
# The full sanitized MBPP (427 tasks; ../shared/data holds 200 of them), when a copy is at hand: no PyPI
# package ships it, so the tests that use it skip unless REWARDLAB_MBPP_FULL names a copy of the file.
MBPP_FULL = Path(os.environ["REWARDLAB_MBPP_FULL"]) if os.environ.get("REWARDLAB_MBPP_FULL") else None

# variant -> error types that are right for it (the first failing test's type)
EXPECTED_ERRORS = {
    "return_none": {"AssertionError", "TypeError", "AttributeError"},
    "off_by_one": {
        "AssertionError",
        "TypeError",
        "ValueError",
        "IndexError",
        "KeyError",
        "AttributeError",
        "RecursionError",  # a recursive solution that calls its nudged self (full MBPP 84)
    },  # nudged result
    "wrong_name": {"NameError", "HelperWithoutPrompt"},
    "syntax_error": {"SyntaxError", "IndentationError"},
    "infinite_loop": {"Timeout"},
}

NUDGE = """

def _rl_nudge(r):
    if isinstance(r, bool):
        return not r
    if isinstance(r, int):
        return r + 1
    if isinstance(r, float):
        return r * 2 + 1  # + 1 alone is within the tolerance of some float tests
    if isinstance(r, str):
        return r + "x"
    if isinstance(r, (list, tuple)):
        return r[:-1] if r else type(r)([0])
    if isinstance(r, (set, dict)):
        return {**r, object(): 0} if isinstance(r, dict) else r | {object()}
    return 1 if r is None or not r else None  # any other object: flip its truth
"""


def humaneval_rows(shared: bool) -> list[dict[str, Any]]:
    if shared:
        with gzip.open(HUMANEVAL_SHARED, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    return [json.loads(line) for line in (BUNDLED / "humaneval_sample.jsonl").read_text().splitlines()]


def mbpp_rows(shared: bool) -> list[dict[str, Any]]:
    if shared:
        return json.loads(MBPP_SHARED.read_text(encoding="utf-8"))
    return [json.loads(line) for line in (BUNDLED / "mbpp_sample.jsonl").read_text().splitlines()]


def mbpp_full_rows() -> list[dict[str, Any]]:
    assert MBPP_FULL is not None
    rows: list[dict[str, Any]] = json.loads(MBPP_FULL.read_text(encoding="utf-8"))
    return rows


def humaneval_sample(row: dict[str, Any], variant: str = "canonical") -> dict[str, Any]:
    """A sample dict: the prompt as ``prompt``, a (possibly broken) completion, the tests as reference."""
    ep, body = row["entry_point"], row["canonical_solution"]
    reference = {"test": row["test"], "entry_point": ep}
    prompt = row["prompt"]
    if variant == "canonical":
        completion = body
    elif variant == "return_none":
        completion = "    return None\n"
    elif variant == "off_by_one":
        completion = f"{body}\n\n_rl_orig = {ep}\n\ndef {ep}(*a, **k):\n    return _rl_nudge(_rl_orig(*a, **k))\n{NUDGE}"
    elif variant == "wrong_name":  # a full program whose function has another name; no prompt to fall back on
        completion = prompt.replace(f"def {ep}(", f"def {ep}_v2(") + body
        prompt = ""
    elif variant == "syntax_error":
        completion = body + "\n    if True\n        return 1\n"
    elif variant == "infinite_loop":
        completion = "    while True:\n        pass\n"
    else:
        raise ValueError(variant)
    return {
        "prompt": prompt,
        "completion": completion,
        "reference": reference,
        "metadata": {"id": row["task_id"]},
    }


def _rewrite(code: str, names: set[str], change: str) -> str:
    tree = parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            if change == "rename":
                node.name += "_v2"
            else:
                stmt = "return None" if change == "return_none" else "while True:\n    pass"
                node.body = parse(stmt).body
    return ast.unparse(tree)


def mbpp_subjects(row: dict[str, Any]) -> set[str]:
    """The names the asserts call that the solution defines."""
    defined = {n.name for n in parse(row["code"]).body if isinstance(n, ast.FunctionDef)}
    called = {
        n.func.id
        for t in row["test_list"]
        for n in ast.walk(parse(t))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return defined & called


def mbpp_sample(row: dict[str, Any], variant: str = "canonical") -> dict[str, Any]:
    code = row["code"]
    subjects = mbpp_subjects(row)
    if variant == "canonical":
        completion = code
    elif variant in ("return_none", "infinite_loop"):
        completion = _rewrite(code, subjects, variant)
    elif variant == "off_by_one":
        completion = code + NUDGE
        for name in sorted(subjects):
            completion += f"\n_rl_orig_{name} = {name}\n\ndef {name}(*a, **k):\n    return _rl_nudge(_rl_orig_{name}(*a, **k))\n"
    elif variant == "wrong_name":
        completion = _rewrite(code, subjects, "rename")
    elif variant == "syntax_error":
        completion = code + "\ndef broken(:\n    pass\n"
    else:
        raise ValueError(variant)
    reference = {"test_list": row["test_list"], "test_imports": row["test_imports"]}
    return {"completion": completion, "reference": reference, "metadata": {"id": row["task_id"]}}
