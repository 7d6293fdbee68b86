"""The server's grader queue: where ``/v1/graders/run`` and ``/v1/graders/validate`` do their work.

A grader is client input of any size and cost (a ``python`` grader that sleeps, ROUGE-L on two long
texts, a deep tower of ``multi`` graders), so it never runs on the event loop or in its thread pool, where
a few slow graders once stalled ``/v1/score`` for everybody while ``/health`` said ok. Each request is a
job on a :class:`MicroBatcher` of its own, like ``/v1/score``'s samples:

- ``workers`` graders run at once, each in its own worker process (memory capped at ``memory_mb``);
- at most ``max_queue`` graders are accepted (running + waiting); past that the answer is 503 with
  ``Retry-After`` at once (:class:`~rewardlab.Overloaded`);
- a request has ``timeout`` seconds, queue wait included: past it the answer is 504 and the worker
  running the grader is killed, so its place frees up;
- :meth:`GraderQueue.stats` and :meth:`GraderQueue.reasons` feed ``/health`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rewardlab.core.types import Sample
from rewardlab.errors import Overloaded
from rewardlab.runner import RunnerSettings, make_runner
from rewardlab.serve.batcher import MicroBatcher
from rewardlab.serve.responses import ApiError


class GraderQueue:
    """Bounded, deadline-checked grader jobs in worker processes; the batcher starts on first use."""

    def __init__(
        self, *, workers: int, max_queue: int, timeout: float, memory_mb: int, registry: Any
    ) -> None:
        from prometheus_client import Counter, Gauge

        self.workers = workers
        self.max_queue = max_queue
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.batcher: MicroBatcher | None = None
        self.gauge = Gauge(
            "rewardlab_grader_queue", "graders accepted, by state", ["state"], registry=registry
        )
        self.refused = Counter(
            "rewardlab_grader_refused",
            "grader requests refused (queue full) or past their deadline",
            ["reason"],
            registry=registry,
        )

    def _batcher(self) -> MicroBatcher:
        if self.batcher is None:
            from rewardlab.rewards.graders import GraderJob

            settings = RunnerSettings(workers=1, timeout=self.timeout, memory_mb=self.memory_mb, chunk_size=1)
            self.batcher = MicroBatcher(
                lambda: make_runner(GraderJob(), settings),
                max_batch=1,  # one grader per call: a slow grader holds up no other
                max_wait=0.0,
                max_queue=self.max_queue,
                concurrency=self.workers,
                queue="grader",
                unit="graders",
            )
        return self.batcher

    def stats(self) -> dict[str, Any]:
        """Graders accepted (``pending``), ``running`` and ``waiting``, the oldest wait, and the limits;
        the ``/metrics`` gauges are set from the same numbers."""
        if self.batcher is not None:
            out = self.batcher.stats()
        else:
            out = {
                "pending": 0,
                "running": 0,
                "waiting": 0,
                "max_queue": self.max_queue,
                "oldest_wait_s": 0.0,
            }
        out["max_running"] = self.workers
        out["timeout_s"] = self.timeout
        self.gauge.labels("running").set(out["running"])
        self.gauge.labels("waiting").set(out["waiting"])
        return out

    def reasons(self, stats: dict[str, Any]) -> list[str]:
        """Why the queue is not healthy: full (new graders get 503), or stalled (the oldest waiting grader
        has spent half its deadline waiting for a worker, so it will likely get 504)."""
        out = []
        if stats["pending"] >= self.max_queue:
            out.append(
                f"grader queue is full ({stats['pending']} of {self.max_queue} graders): new graders get 503"
            )
        if stats["oldest_wait_s"] > self.timeout / 2:
            out.append(
                f"grader queue is stalled: the oldest waiting grader has waited {stats['oldest_wait_s']:g} s "
                f"for a worker (deadline {self.timeout:g} s)"
            )
        return out

    async def run(self, job: dict[str, Any], model_sample: str, item: dict[str, Any] | None) -> Any:
        """Run one job (``{"grader": ..., "mode": "run" | "validate"}``): the answer body, or an
        :class:`ApiError` (422 invalid or failed grader, 504 past the deadline) or
        :class:`~rewardlab.Overloaded` (503)."""
        late = ApiError(
            504,
            "DeadlineExceeded",
            f"the grader did not finish within the server's {self.timeout:g} s deadline (time in the queue "
            "included)",
            "grader",
        )
        sample = Sample(prompt="", completion=model_sample, reference=item, metadata=job)
        try:
            [result] = await asyncio.wait_for(self._batcher().submit([sample]), self.timeout)
        except TimeoutError:
            self.refused.labels("deadline").inc()
            raise late from None
        except Overloaded:
            self.refused.labels("full").inc()
            raise
        if result.error is None:
            return result.info
        if result.error.type == "Timeout":  # the worker was killed at the deadline
            self.refused.labels("deadline").inc()
            raise late
        if result.error.type == "InvalidGrader":
            problems = result.info.get("problems") or [result.error.message]
            raise ApiError(422, "InvalidGrader", "; ".join(problems), str(problems[0]).split(":")[0])
        message = result.error.message.removeprefix("row 0: ")
        if result.error.type == "SampleError":  # the grader or the item could not cross to a worker
            raise ApiError(422, "GraderFailed", f"the grader or its item {message}")
        raise ApiError(422, "GraderFailed", f"{result.error.type}: {message}", "grader")
