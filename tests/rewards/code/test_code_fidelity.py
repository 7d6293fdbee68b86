"""Real data: every canonical HumanEval / MBPP solution scores 1.0; generated broken variants (return
None, nudged result, wrong name, syntax error, infinite loop) score below 1.0 with the right error type.

The bundled 10 + 10 tasks always run; the full shared sets (164 HumanEval, 200 MBPP) run when
../shared/data is present, and their broken variants are ``slow``. The full sanitized MBPP (427 tasks)
runs when ``REWARDLAB_MBPP_FULL`` names a copy of ``sanitized-mbpp.json``. MBPP 596, whose asserts use the
solution's ``sys``, is not among the shared 200 and always runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from _code_variants import (
    EXPECTED_ERRORS,
    HUMANEVAL_SHARED,
    MBPP_FULL,
    MBPP_SHARED,
    humaneval_rows,
    humaneval_sample,
    mbpp_full_rows,
    mbpp_rows,
    mbpp_sample,
)

from rewardlab import Sample
from rewardlab.rewards.code import CodeTests

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")
needs_shared = pytest.mark.skipif(
    not (HUMANEVAL_SHARED.is_file() and MBPP_SHARED.is_file()),
    reason=f"shared code data not found under {HUMANEVAL_SHARED.parents[1]}",
)
needs_full_mbpp = pytest.mark.skipif(
    MBPP_FULL is None or not MBPP_FULL.is_file(),
    reason="set REWARDLAB_MBPP_FULL to a copy of the full sanitized-mbpp.json (427 tasks)",
)
# MBPP 596 (sanitized), verbatim: the asserts use `sys`, which only the solution imports.
MBPP_596 = {
    "task_id": 596,
    "prompt": "Write a function to find the size in bytes of the given tuple.",
    "code": "import sys \ndef tuple_size(tuple_list):\n  return (sys.getsizeof(tuple_list)) ",
    "test_imports": [],
    "test_list": [
        'assert tuple_size(("A", 1, "B", 2, "C", 3) ) == sys.getsizeof(("A", 1, "B", 2, "C", 3))',
        'assert tuple_size((1, "Raju", 2, "Nikhil", 3, "Deepanshu") ) == '
        'sys.getsizeof((1, "Raju", 2, "Nikhil", 3, "Deepanshu"))',
        'assert tuple_size(((1, "Lion"), ( 2, "Tiger"), (3, "Fox"), (4, "Wolf"))  ) == '
        'sys.getsizeof(((1, "Lion"), ( 2, "Tiger"), (3, "Fox"), (4, "Wolf")))',
    ],
}
FAST_VARIANTS = ("return_none", "off_by_one", "wrong_name", "syntax_error")
DATASETS: dict[str, tuple[Callable[[bool], list[dict[str, Any]]], Callable[..., dict[str, Any]]]] = {
    "humaneval": (humaneval_rows, humaneval_sample),
    "mbpp": (mbpp_rows, mbpp_sample),
}


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeTests]:
    r = CodeTests(timeout=10.0)
    yield r
    r.close()


def scores(
    reward: CodeTests, dataset: str, shared: bool, variant: str, threads: int = 1
) -> list[tuple[Any, float, Any]]:
    rows, make = DATASETS[dataset]

    def one(row: dict[str, Any]) -> tuple[Any, float, Any]:
        try:
            result = reward(Sample.from_dict(make(row, variant)))
        except ValueError as exc:
            # Without its prompt, a task whose tests call a helper of the task (HumanEval 32, 38, 50)
            # cannot be judged honestly: an error, never a pass or a 0.0.
            assert variant == "wrong_name" and "trusted text" in str(exc), (row["task_id"], exc)
            return row["task_id"], 0.0, "HelperWithoutPrompt"
        assert result.error is None, (row["task_id"], result.error)
        return row["task_id"], result.score, result.info.get("error_type")

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, rows(shared)))


def check_variant(results: list[tuple[Any, float, Any]], variant: str) -> None:
    wrong = [
        (task, score, kind)
        for task, score, kind in results
        if not score < 1.0 or kind not in EXPECTED_ERRORS[variant]
    ]
    assert not wrong, f"{variant}: {len(wrong)} of {len(results)} not caught: {wrong[:5]}"


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_bundled_canonical_solutions_score_one(reward: CodeTests, dataset: str) -> None:
    results = scores(reward, dataset, False, "canonical")
    assert len(results) == 10
    assert [task for task, score, _ in results if score != 1.0] == []


@pytest.mark.parametrize("variant", FAST_VARIANTS)
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_bundled_broken_variants_fail_with_the_right_error(
    reward: CodeTests, dataset: str, variant: str
) -> None:
    check_variant(scores(reward, dataset, False, variant), variant)


def test_tests_that_use_the_solutions_module_score_as_in_mbpp(reward: CodeTests) -> None:
    assert reward(Sample.from_dict(mbpp_sample(MBPP_596))).score == 1.0
    for variant in ("return_none", "off_by_one", "wrong_name"):
        result = reward(Sample.from_dict(mbpp_sample(MBPP_596, variant)))
        assert result.score == 0.0 and result.info["error_type"] in EXPECTED_ERRORS[variant], result.info
    without_import = MBPP_596["code"].replace("import sys", "from sys import getsizeof as size")
    without_import = without_import.replace("sys.getsizeof", "size")
    result = reward(Sample.from_dict(mbpp_sample({**MBPP_596, "code": without_import})))
    assert result.score == 0.0 and result.info["error_type"] == "NameError"  # as in MBPP: no `sys` to use


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_an_infinite_loop_times_out(dataset: str) -> None:
    quick = CodeTests(timeout=0.5)
    try:
        rows, make = DATASETS[dataset]
        for row in rows(False)[:2]:
            result = quick(Sample.from_dict(make(row, "infinite_loop")))
            assert result.score == 0.0 and result.info["error_type"] == "Timeout" and result.info["timed_out"]
            assert result.info["seconds"] < 2.0
    finally:
        quick.close()


@pytest.mark.shared_data
@needs_shared
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_shared_canonical_solution_scores_one(reward: CodeTests, dataset: str) -> None:
    results = scores(reward, dataset, True, "canonical")
    assert len(results) == {"humaneval": 164, "mbpp": 200}[dataset]
    assert [task for task, score, _ in results if score != 1.0] == []


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.timeout(900)
@needs_shared
@pytest.mark.parametrize("variant", [*FAST_VARIANTS, "infinite_loop"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_shared_broken_variant_fails_with_the_right_error(dataset: str, variant: str) -> None:
    looping = variant == "infinite_loop"  # every sample runs into its 1 s deadline: 4 at a time
    r = CodeTests(timeout=1.0 if looping else 10.0, sandboxes=4 if looping else 2)
    try:
        check_variant(scores(r, dataset, True, variant, threads=4 if looping else 1), variant)
    finally:
        r.close()


@needs_full_mbpp
def test_every_canonical_solution_of_the_full_sanitized_mbpp_scores_one(reward: CodeTests) -> None:
    rows = mbpp_full_rows()
    results = [(row["task_id"], reward(Sample.from_dict(mbpp_sample(row)))) for row in rows]
    assert [(task, r.error) for task, r in results if r.error is not None] == []
    assert len(results) == 427
    assert [(task, r.info["first_failure"]) for task, r in results if r.score != 1.0] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
@needs_full_mbpp
@pytest.mark.parametrize("variant", FAST_VARIANTS)
def test_every_broken_variant_of_the_full_sanitized_mbpp_fails(variant: str) -> None:
    r = CodeTests(timeout=10.0)
    try:
        rows = mbpp_full_rows()
        results = []
        for row in rows:
            result = r(Sample.from_dict(mbpp_sample(row, variant)))
            assert result.error is None, (row["task_id"], result.error)
            results.append((row["task_id"], result.score, result.info.get("error_type")))
        check_variant(results, variant)
    finally:
        r.close()
