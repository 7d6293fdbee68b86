"""Pathological math inputs: each returns within timeout + 1 s, from a thread or an event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import rewardlab as rl

TIMEOUT = 2.0
PATHOLOGICAL = {
    "power_tower": "\\boxed{9^{9^{9^{9}}}}",
    "huge_factorial": "\\boxed{(10^{100})!}",
    "factorial_digits": "\\boxed{100000!}",
    "long_completion": "Let me think. " * 8000 + "\\boxed{" + "1+" * 20_000 + "1}",
    "unbalanced_braces": "so \\boxed{\\frac{1}{2" + "{" * 5000,
    "binary_junk": bytes(range(256)).decode("latin-1") * 400,
    "deep_nesting": "\\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}",
    # the parsing paths for bare answers, relations, sets and several boxes
    "bare_expression_100k": "1+" * 50_000 + "1",
    "bare_tower": "9^{9^{9^{9}}}",
    "relation_tower": "$x < 9^{9^{9^9}}$",
    "relation_factorial": "$x \\le 100000!$",
    "relation_high_power": "$x^{100} - x + 1 < 0$",
    "deeply_nested_relations": "x < " * 2000 + "1",
    "relation_chain": "$" + " < ".join(["x"] * 60) + "$",
    "many_boxes": "\\boxed{1} and " * 5000,
    "nested_answer_tags": "<answer>" * 10000,
    "plus_minus_run": "\\pm " * 3000 + "1",
    "semicolon_tuples": ";".join(["(1;2)"] * 5000),
    "space_digits": "1 " * 50_000,
    "and_list": " and ".join(["1"] * 20_000),
    "box_joiner_spaces": "\\boxed{1}" + " " * 100_000 + "x\\boxed{2}",
    "label_joiner": "\\boxed{1}" + "a=" * 30_000 + "\\boxed{2}",
    "interval_union": "$" + " \\cup ".join(["[1,2]"] * 2000) + "$",
    "nested_sets": "\\{" * 3000 + "1" + "\\}" * 3000,
}


def _check(results: list[rl.RewardResult], elapsed: float) -> None:
    assert len(results) == len(PATHOLOGICAL)
    # Each sample gets at most TIMEOUT + 1 s; all of them run one after another in one worker.
    assert elapsed < len(PATHOLOGICAL) * (TIMEOUT + 1)
    for name, result in zip(PATHOLOGICAL, results, strict=True):
        # Either a verdict (no answer / not equal) or an explicit error; never a silent crash.
        assert result.error is not None or result.score == 0.0, name
    by_name = dict(zip(PATHOLOGICAL, results, strict=True))
    assert by_name["power_tower"].error is not None
    assert by_name["power_tower"].error.type in ("TooComplex", "Timeout")
    assert by_name["huge_factorial"].error is not None


RELATION_SET = {"relation_tower", "relation_factorial", "relation_high_power", "deeply_nested_relations"}


def _samples() -> list[dict]:
    # relations are compared against a relation, so that the real-set path is the one exercised
    return [
        {"completion": c, "reference": "x \\le 42" if name in RELATION_SET else "42"}
        for name, c in PATHOLOGICAL.items()
    ]


@pytest.mark.parametrize("context", ["thread", "event_loop"])
def test_pathological_inputs_return_in_time(context: str) -> None:
    box: dict = {}
    if context == "thread":

        def work() -> None:
            start = time.monotonic()
            box["results"] = rl.score("math", _samples(), workers=1, timeout=TIMEOUT)
            box["elapsed"] = time.monotonic() - start

        t = threading.Thread(target=work)
        t.start()
        t.join(timeout=60)
        assert not t.is_alive()
    else:

        async def main() -> None:
            start = time.monotonic()
            box["results"] = await rl.ascore("math", _samples(), workers=1, timeout=TIMEOUT)
            box["elapsed"] = time.monotonic() - start

        asyncio.run(main())
    _check(box["results"], box["elapsed"])


def test_each_pathological_input_alone_respects_the_deadline() -> None:
    with rl.Runner("math", workers=1, timeout=TIMEOUT) as runner:
        runner.score([{"completion": "\\boxed{1}", "reference": "1"}])  # start the worker
        for name, completion in PATHOLOGICAL.items():
            start = time.monotonic()
            (result,) = runner.score([{"completion": completion, "reference": "42"}])
            assert time.monotonic() - start < TIMEOUT + 1, name
            assert result.error is not None or result.score == 0.0, name
