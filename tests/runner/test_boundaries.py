"""What crosses a process boundary, and what happens when it cannot: one bad row costs only that row."""

from __future__ import annotations

import json

import pytest

import rewardlab as rl
from _rewards import Hostile


def deep(n: int) -> dict:
    node: dict = {}
    for _ in range(n):
        node = {"x": node}
    return node


def test_a_sample_too_deep_to_pickle_is_its_own_error_and_the_rest_are_scored() -> None:
    rows = [{"completion": "\\boxed{1}", "reference": "1"} for _ in range(6)]
    rows[2]["metadata"] = deep(100_000)
    results = rl.score("math", rows, workers=1)
    assert [r.score for r in results] == [1.0, 1.0, None, 1.0, 1.0, 1.0]
    assert results[2].error is not None and results[2].error.type == "SampleError"
    assert "row 2" in results[2].error.message and "cannot be sent to a worker" in results[2].error.message


@pytest.mark.timeout(60)
def test_samples_at_every_depth_around_the_pickle_limit_each_get_their_own_result() -> None:
    # A sample just under the recursion limit pickles on its own but not inside a chunk one level deeper:
    # this once sent the runner into an endless loop (retrying the chunk forever), hanging every row.
    depths = list(range(300, 700))
    rows = [{"completion": "\\boxed{1}", "reference": "1", "metadata": {"d": deep(n)}} for n in depths]
    rows += [{"completion": "\\boxed{1}", "reference": "1"} for _ in range(4)]
    results = rl.score("math", rows, workers=1)
    assert [r.score for r in results[-4:]] == [1.0] * 4
    kinds = {r.error.type if r.error else r.score for r in results}
    assert kinds == {1.0, "SampleError"}, kinds  # the shallow ones score, the deep ones say why
    for i, r in enumerate(results):
        if r.error is not None:
            assert f"row {i}" in r.error.message and "cannot be sent to a worker" in r.error.message


def test_a_result_too_deep_to_send_back_is_that_samples_error() -> None:
    rows = [{"completion": "x", "metadata": {"do": d}} for d in ("ok", "deep_info", "ok")]
    results = rl.score(Hostile(), rows, workers=1)
    assert [r.score for r in results] == [1.0, None, 1.0]
    assert results[1].error is not None and "could not be sent back" in results[1].error.message


def test_a_worker_that_ran_out_of_memory_is_replaced_so_later_samples_are_not_starved() -> None:
    rows = [{"completion": "x", "metadata": {"do": "leak"}} for _ in range(8)] + [
        {"completion": "x", "metadata": {"do": "alloc"}} for _ in range(6)
    ]
    with rl.Runner(Hostile(), workers=1, memory_mb=400) as runner:
        results = runner.score(rows)
    errors = [r.error.type for r in results if r.error is not None]
    assert errors and set(errors) == {"MemoryError"}
    assert [r.score for r in results[-6:]] == [1.0] * 6  # a fresh worker, not the leaked one
    assert runner.stats.worker_restarts >= 1


def test_non_finite_components_are_errors_and_non_finite_info_is_null_on_the_wire() -> None:
    rows = [{"completion": "x", "metadata": {"do": d}} for d in ("nan", "nan_info")]
    nan, nan_info = rl.score(Hostile(), rows, workers=1)
    assert nan.score is None and nan.error is not None and "not a finite number" in nan.error.message
    wire = json.dumps(nan_info.to_dict(), allow_nan=False)  # raises on a NaN token
    info = json.loads(wire)["info"]
    assert info["ratio"] is None and info["ok"] == [1.0, None]
    assert info["nonfinite"] == ["info.ratio", "info.ok[1]"]
