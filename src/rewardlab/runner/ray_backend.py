"""Ray backend: spread reward work over a Ray cluster, one isolating runner per actor.

Each Ray actor owns a local :class:`~rewardlab.Runner` (its own worker processes, per-sample deadlines
and error recording), so everything the local runner guarantees holds on every node; Ray only moves
chunks of samples to actors and results back. Chunks go to the actors in turn (round-robin) with at most
two per actor in flight, and results are collected in input order, so memory stays flat and ordering is
deterministic exactly as with the local runner.

Why actors and not Ray tasks: a reward (a sympy-loaded math checker, a sandbox pool, a model) is costly to
start; an actor keeps it warm across batches and training steps.

Samples go to an actor, and results come back, pickled one by one (:mod:`.crossing`), so Ray only ever
serializes a list of bytes: a sample or a result that cannot cross is that row's error, never a failed
chunk (Ray would refuse or lose the whole chunk).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from rewardlab.core.group import is_group_reward
from rewardlab.core.spec import RewardSpec, as_reward
from rewardlab.core.types import RewardResult
from rewardlab.errors import ConfigError, DependencyError, RewardTimeoutError
from rewardlab.runner._base import (
    BaseRunner,
    OnError,
    Row,
    RunnerSettings,
    RunStats,
    apply_error_policy,
    as_sample,
    check_rows,
)
from rewardlab.runner.crossing import read_result, read_sample, renumbered, result_blob, sample_blob
from rewardlab.runner.local import Runner, pickled

DEFAULT_RAY_CHUNK = 64


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DependencyError("the Ray backend needs Ray: pip install 'rewardlab[ray]'") from exc
    return ray


class _ScoringActor:
    """Runs inside a Ray actor process: a local runner with ``workers`` processes."""

    def __init__(self, reward: Any, settings: RunnerSettings) -> None:
        self.runner = Runner.from_settings(reward, settings.replace(on_error="record", chunk_size=None))

    def score(self, items: list[tuple[int, bytes]]) -> list[bytes]:
        """``(row, pickled sample)`` pairs in, one pickled result per pair out (errors name the row)."""
        results = self.runner.score([read_sample(row, blob) for row, blob in items])
        return [
            result_blob(renumbered(result, position, row))
            for position, ((row, _), result) in enumerate(zip(items, results, strict=True))
        ]

    def node(self) -> str:
        import socket

        return f"{socket.gethostname()}:{os.getpid()}"

    def close(self) -> None:
        self.runner.close()


class RayRunner(BaseRunner):
    """Same interface as :class:`~rewardlab.Runner` (``score``, ``imap``, ``ascore``, ``close``, ``stats``).

    ``actors`` Ray actors (default: one per CPU Ray reports) each run ``workers_per_actor`` worker
    processes. ``address`` connects to an existing cluster (``"auto"``); without it a local Ray instance
    is started (``ray_init`` kwargs are passed to ``ray.init``).
    """

    def __init__(
        self,
        reward: RewardSpec,
        *,
        actors: int | None = None,
        workers_per_actor: int = 1,
        timeout: float | None = None,
        on_error: OnError = "record",
        memory_mb: int | None = None,
        chunk_size: int = DEFAULT_RAY_CHUNK,
        threads: int | None = None,
        address: str | None = None,
        ray_init: Mapping[str, Any] | None = None,
    ) -> None:
        problems = []
        if actors is not None and (isinstance(actors, bool) or not isinstance(actors, int) or actors < 1):
            problems.append(f"actors must be an integer >= 1 or None, got {actors!r}")
        if not isinstance(workers_per_actor, int) or workers_per_actor < 1:
            problems.append(f"workers_per_actor must be an integer >= 1, got {workers_per_actor!r}")
        try:
            self.settings = RunnerSettings(
                workers=workers_per_actor if isinstance(workers_per_actor, int) else 1,
                timeout=timeout,
                on_error=on_error,
                memory_mb=memory_mb,
                chunk_size=chunk_size,
                threads=threads or 1,  # an actor holds `workers_per_actor` CPUs, one per worker process
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems, where="Ray runner settings")
        self.reward = as_reward(reward)
        if is_group_reward(self.reward):
            raise ConfigError(
                "group rewards (majority_vote, group_diversity, ...) run on the local runner; the Ray backend "
                "does not keep groups together yet"
            )
        pickled(self.reward)  # fails here, with a hint, rather than inside an actor
        ray = _ray()
        self._owns_ray = False
        if not ray.is_initialized():
            ray.init(address=address, **dict(ray_init or {}))
            self._owns_ray = address is None
        n = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // workers_per_actor)
        remote = ray.remote(num_cpus=workers_per_actor)(_ScoringActor)
        reward_ref = ray.put(self.reward)
        self._actors = [remote.remote(reward_ref, self.settings) for _ in range(n)]
        self.stats = RunStats()

    @property
    def chunk_size(self) -> int:
        return self.settings.chunk_size or DEFAULT_RAY_CHUNK

    @property
    def actors(self) -> int:
        return len(self._actors)

    def nodes(self) -> list[str]:
        ray = _ray()
        return list(ray.get([a.node.remote() for a in self._actors]))

    def imap(
        self,
        samples: Iterable[Row],
        *,
        on_result: Callable[[int, RewardResult], None] | None = None,
    ) -> Iterator[RewardResult]:
        check_rows(samples)
        ray = _ray()
        in_flight: deque[tuple[Any, list[int], dict[int, RewardResult]]] = deque()
        limit = 2 * len(self._actors)
        turn = 0
        index = 0

        def chunks() -> Iterator[tuple[list[int], list[tuple[int, bytes]], dict[int, RewardResult]]]:
            nonlocal index
            ids: list[int] = []
            batch: list[tuple[int, bytes]] = []
            failed: dict[int, RewardResult] = {}
            for row in samples:
                i = index
                index += 1
                item = as_sample(row, i)
                blob = item if isinstance(item, RewardResult) else sample_blob(i, item)
                if isinstance(blob, RewardResult):  # a row known to be broken, or one that cannot cross
                    failed[i] = blob
                else:
                    batch.append((i, blob))
                    ids.append(i)
                if len(ids) + len(failed) >= self.chunk_size:
                    yield ids, batch, failed
                    ids, batch, failed = [], [], {}
            if ids or failed:
                yield ids, batch, failed

        source = chunks()
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < limit:
                try:
                    ids, batch, failed = next(source)
                except StopIteration:
                    exhausted = True
                    break
                ref = self._actors[turn % len(self._actors)].score.remote(batch) if batch else None
                turn += 1
                in_flight.append((ref, ids, failed))
            if not in_flight:
                return
            ref, ids, failed = in_flight.popleft()
            blobs = ray.get(ref) if ref is not None else []
            scored = {i: read_result(blob) for i, blob in zip(ids, blobs, strict=True)}
            for i in sorted([*ids, *failed]):
                result = scored[i] if i in scored else failed[i]
                self._account(i, result)
                if on_result is not None:
                    on_result(i, result)
                yield result

    def _account(self, index: int, result: RewardResult) -> None:
        if result.error is not None and result.error.type == RewardTimeoutError.recorded_as:
            self.stats.timeouts += 1
        apply_error_policy(self.stats, self.on_error, index, result)

    def close(self) -> None:
        import contextlib

        ray = _ray()
        if self._actors and ray.is_initialized():
            with contextlib.suppress(Exception):  # actors may already be gone with the cluster
                ray.get([a.close.remote() for a in self._actors], timeout=30)
            for a in self._actors:
                with contextlib.suppress(Exception):
                    ray.kill(a)
        self._actors = []
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
