"""Dynamic micro-batching in front of the isolating runner, with admission control.

Requests put their samples on a queue; ``concurrency`` batch loops each take up to ``max_batch``
samples (waiting at most ``max_wait`` for a batch to fill) and score them with their own
:class:`~rewardlab.Runner` in a thread, so the event loop never blocks on reward work. The queue is
bounded by ``max_queue`` samples: a request that would overflow it is refused at once
(:class:`Overloaded`, HTTP 503 + Retry-After), never parked in an unbounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import Overloaded, ShuttingDown
from rewardlab.runner import RunnerLike

__all__ = ["MicroBatcher", "Overloaded", "ShuttingDown"]


@dataclass
class _Item:
    sample: Sample | RewardResult
    future: asyncio.Future[RewardResult]
    enqueued: float = field(default_factory=time.monotonic)


class MicroBatcher:
    def __init__(
        self,
        make_runner: Callable[[], RunnerLike],
        *,
        max_batch: int = 64,
        max_wait: float = 0.005,
        max_queue: int = 10_000,
        concurrency: int = 2,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_queue = max_queue
        self.concurrency = concurrency
        self._make_runner = make_runner
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._pending = 0  # samples accepted and not yet answered
        self._closing = False
        self._loops: list[asyncio.Task[None]] = []
        self._runners: list[RunnerLike] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._batch_seconds = 0.05  # moving average, for Retry-After

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def closing(self) -> bool:
        """True once :meth:`drain` or :meth:`close` began: new work is refused."""
        return self._closing

    def start(self) -> None:
        if self._loops:
            return
        for _ in range(self.concurrency):
            runner = self._make_runner()
            self._runners.append(runner)
            self._loops.append(asyncio.create_task(self._loop(runner)))

    async def submit(self, samples: list[Sample | RewardResult]) -> list[RewardResult]:
        """Score ``samples`` (pre-failed results pass through); raises Overloaded / ShuttingDown."""
        if self._closing:
            raise ShuttingDown("server is shutting down; retry against another replica or after restart")
        if self._pending + len(samples) > self.max_queue:
            batches_ahead = max(1, self._pending // max(1, self.max_batch * self.concurrency))
            raise Overloaded(
                self._pending, self.max_queue, round(max(0.1, batches_ahead * self._batch_seconds), 2)
            )
        self.start()
        loop = asyncio.get_running_loop()
        items = [_Item(s, loop.create_future()) for s in samples]
        self._pending += len(items)
        self._idle.clear()
        for item in items:
            if isinstance(item.sample, RewardResult):
                self._done(item, item.sample)
            else:
                self._queue.put_nowait(item)
        return list(await asyncio.gather(*(i.future for i in items)))

    def _done(self, item: _Item, result: RewardResult) -> None:
        if not item.future.done():
            item.future.set_result(result)
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    def _take(self, batch: list[_Item]) -> None:
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    async def _loop(self, runner: RunnerLike) -> None:
        while True:
            batch = [await self._queue.get()]
            self._take(batch)
            if len(batch) < self.max_batch and self.max_wait > 0:
                # Not full: give concurrent requests one window to join. (A wait_for per sample would
                # create a task per sample, which costs more than scoring a short answer.)
                await asyncio.sleep(self.max_wait)
                self._take(batch)
            live = [i for i in batch if not i.future.cancelled()]
            abandoned = len(batch) - len(live)  # their request hit its deadline while queued
            start = time.monotonic()
            try:
                results = await asyncio.to_thread(runner.score, [i.sample for i in live])
            except Exception as exc:  # the runner itself failed: every sample of the batch says why
                results = [RewardResult.failure(ErrorInfo(type(exc).__name__, str(exc))) for _ in live]
            elapsed = time.monotonic() - start
            self._batch_seconds = 0.8 * self._batch_seconds + 0.2 * elapsed
            if self._on_batch is not None:
                self._on_batch(len(live), elapsed)
            for item, result in zip(live, results, strict=True):
                self._done(item, result)
            self._pending -= abandoned
            if self._pending <= 0:
                self._pending = 0
                self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Stop taking work and wait for what was accepted; True if everything finished in time."""
        self._closing = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for runner in self._runners:
            await asyncio.to_thread(runner.close)
        self._loops.clear()
        self._runners.clear()
