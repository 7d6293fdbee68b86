"""The batch form of the reward contract, as the runner drives it (``batched = True``).

A batched reward gets whole chunks in one ``score_batch`` call; whatever goes wrong with that call (it
raises, answers with too few results or a non-finite score, crashes its worker, overruns its deadline)
costs no sample its result: the chunk is scored again one sample at a time.
"""

from __future__ import annotations

import pytest

import rewardlab as rl
from _rewards import BatchBehave, Behave


def rows(*metas: dict) -> list[dict]:
    return [{"completion": "x", "metadata": dict(m)} for m in metas]


def values(n: int, **extra: object) -> list[dict]:
    return rows(*({"value": i, **extra} for i in range(n)))


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_batched_reward_gets_whole_chunks_and_results_keep_order(workers: int) -> None:
    with rl.Runner(BatchBehave(), workers=workers, chunk_size=8) as runner:
        results = runner.score(values(40))
    assert [r.score for r in results] == [float(i) for i in range(40)]
    sizes = [r.info["batch"] for r in results]
    assert max(sizes) == 8 and sizes.count(1) <= max(1, workers), sizes  # only a tail may be a single
    for size in set(sizes):  # a call of n samples answered exactly n of them
        assert sizes.count(size) % size == 0, sizes
    assert runner.stats.errors == 0


def test_an_unbatched_reward_is_never_called_in_batches() -> None:
    with rl.Runner(Behave(), workers=1, chunk_size=8) as runner:
        results = runner.score(values(16))
    assert [r.score for r in results] == [float(i) for i in range(16)]


@pytest.mark.parametrize("workers", [0, 1])
@pytest.mark.parametrize("mode", ["raise", "short", "nan"])
def test_a_failed_batch_call_is_rescored_one_by_one(workers: int, mode: str) -> None:
    samples = values(8)
    samples[3]["metadata"] |= {"batch": mode, "do": "raise"}  # alone, sample 3 raises its own error
    with rl.Runner(BatchBehave(), workers=workers, chunk_size=8) as runner:
        results = runner.score(samples)
    assert [r.score for r in results] == [0.0, 1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0]
    assert [r.info.get("batch") for r in results if r.error is None] == [1] * 7
    assert results[3].error is not None and results[3].error.type == "ValueError"
    assert runner.stats.errors == 1


def test_a_batch_that_overruns_its_deadline_is_rescored_alone_and_only_the_slow_sample_times_out() -> None:
    samples = values(6)
    samples[2]["metadata"] |= {"batch": "sleep", "do": "sleep", "seconds": 60}
    with rl.Runner(BatchBehave(), workers=1, chunk_size=6, timeout=0.5) as runner:
        results = runner.score(samples)
    assert [r.score for r in results] == [0.0, 1.0, None, 3.0, 4.0, 5.0]
    assert results[2].error is not None and results[2].error.type == "Timeout"
    assert runner.stats.timeouts == 1 and runner.stats.errors == 1
    assert runner.stats.worker_restarts == 2  # the batch call, then the slow sample alone


def test_a_batch_that_kills_its_worker_is_rescored_alone() -> None:
    samples = values(5)
    samples[4]["metadata"] |= {"batch": "exit", "do": "exit"}
    with rl.Runner(BatchBehave(), workers=1, chunk_size=5) as runner:
        results = runner.score(samples)
    assert [r.score for r in results] == [0.0, 1.0, 2.0, 3.0, None]
    assert results[4].error is not None and results[4].error.type == "WorkerCrashed"
    # the crashed call's samples were re-scored without it: alone, or in a new batch that left it out
    assert all(r.info["batch"] <= 4 for r in results[:4])
    assert runner.stats.crashes == 2 and runner.stats.errors == 1


def test_rows_that_are_not_samples_pass_beside_a_batch() -> None:
    samples: list = values(4)
    samples.insert(2, {"completion": 3})  # not a sample: recorded as a SampleError, never sent to the reward
    results = rl.score(BatchBehave(), samples, workers=1)
    assert [r.score for r in results] == [0.0, 1.0, None, 2.0, 3.0]
    assert results[2].error is not None and results[2].error.type == "SampleError"
    assert "row 2" in results[2].error.message


def test_the_in_process_runner_calls_warmup_once_before_the_first_sample() -> None:
    from _rewards import Warmed

    a, c = Warmed(), Warmed()
    with rl.Runner(rl.combine(a=a, b=rl.combine(c=c)), workers=0) as runner:
        first = runner.score(rows({}, {}))
        second = runner.score(rows({}))
    assert [r.components for r in first + second] == [{"a": 1.0, "b": 1.0, "b.c": 1.0}] * 3
    assert (a.warmups, c.warmups) == (1, 1)


def test_every_worker_calls_warmup_before_scoring_nested_rewards_too() -> None:
    from _rewards import Warmed

    nested = rl.combine(a=Warmed(), b=rl.combine(c=Warmed()))
    results = rl.score(nested, rows({}, {}, {}), workers=2)
    assert [r.components for r in results] == [{"a": 1.0, "b": 1.0, "b.c": 1.0}] * 3
