"""Worker processes share the machine's cores: torch in each worker gets ``threads`` intra-op threads
(default: the CPUs divided among the workers), so ``W`` workers running forward passes at once do not
run ``W x cores`` threads; the server's batch loops never start more model copies than ``--workers``."""

from __future__ import annotations

import os

import pytest

import rewardlab as rl
from _rewards import BatchBehave, Behave, TorchThreads
from rewardlab.errors import ConfigError
from rewardlab.runner import Runner
from rewardlab.runner._base import BATCHED_CHUNK, DEFAULT_CHUNK
from rewardlab.serve.state import ServerState, ServeSettings

pytest.importorskip("torch")
CPUS = os.cpu_count() or 1


@pytest.mark.parametrize(
    ("workers", "threads", "expected"),
    [(1, None, CPUS), (2, None, max(1, CPUS // 2)), (1, 1, 1), (2, 1, 1)],
)
def test_each_worker_gets_its_share_of_the_cores(workers: int, threads: int | None, expected: int) -> None:
    with rl.Runner(TorchThreads(), workers=workers, threads=threads) as runner:
        results = runner.score([{"completion": str(i)} for i in range(4 * workers)])
    assert {r.score for r in results} == {float(expected)}


def test_threads_is_validated_and_read_from_a_specs_runner_table() -> None:
    with pytest.raises(ConfigError, match="threads must be an integer >= 1 or None, got 0"):
        rl.RunnerSettings(threads=0)
    with pytest.raises(ConfigError, match="threads must be an integer"):
        rl.RunnerSettings(threads=True)
    settings = rl.RunnerSettings.merged({"threads": 2, "workers": 3})
    assert settings.worker_threads() == 2
    assert rl.RunnerSettings(workers=CPUS * 4).worker_threads() == 1  # never 0
    assert rl.RunnerSettings().worker_threads(processes=1) == CPUS


def test_a_batched_reward_gets_bigger_chunks_by_default_and_an_explicit_size_wins() -> None:
    assert Runner(BatchBehave(), workers=1).chunk_size == BATCHED_CHUNK
    assert Runner(Behave(), workers=1).chunk_size == DEFAULT_CHUNK
    assert Runner(BatchBehave(), workers=1, chunk_size=5).chunk_size == 5
    with rl.Runner(BatchBehave(), workers=1) as runner:
        results = runner.score([{"completion": "x", "metadata": {"value": i}} for i in range(BATCHED_CHUNK)])
    assert {r.info["batch"] for r in results} == {BATCHED_CHUNK}  # one score_batch call for all of them


@pytest.mark.parametrize(("workers", "loops", "per_loop"), [(1, 1, 1), (2, 2, 1), (3, 2, 2), (8, 2, 4)])
def test_the_servers_batch_loops_never_start_more_workers_than_asked(
    workers: int, loops: int, per_loop: int
) -> None:
    state = ServerState(ServeSettings(workers=workers))
    _, batcher = state.batcher(None)
    assert batcher.concurrency == loops
    runner = batcher._make_runner()
    try:
        assert runner.settings.workers == per_loop
        assert runner.settings.threads == max(1, CPUS // (loops * per_loop))
    finally:
        runner.close()
