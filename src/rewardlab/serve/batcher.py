"""Dynamic micro-batching in front of the isolating runner, with admission control.

Requests put their samples on a queue; ``concurrency`` batch loops each take up to ``max_batch``
samples (waiting at most ``max_wait`` for a batch to fill) and score them with their own
:class:`~rewardlab.Runner` in a thread, so the event loop never blocks on reward work. The queue is
bounded by ``max_queue`` samples: a request that would overflow it is refused at once
(:class:`Overloaded`, HTTP 503 + Retry-After), never parked in an unbounded queue.

Waiting requests take turns as batches are filled: each turn, a request gives as many of its samples as
the batch has room for, then goes to the back of the line. Requests of a batch's size are scored one
batch each, first come first served; a request of thousands of samples holds up a small one that arrives
after it for one or two batches, not for all its samples.

Each batcher has its own threads (one per batch loop), never the event loop's default pool: work of
one batcher (a slow named reward, the graders) cannot take the threads another one needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import Overloaded, ShuttingDown
from rewardlab.runner import RunnerLike
from rewardlab.runner.crossing import renumbered

__all__ = ["MicroBatcher", "Overloaded", "ShuttingDown"]


class _Turn(deque["_Item"]):
    """A waiting request's samples; ``whole`` ones go into one batch together (a group reward's request)."""

    whole = False


@dataclass
class _Item:
    sample: Sample | RewardResult
    future: asyncio.Future[RewardResult]
    row: int  # the sample's index in its own request
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
        queue: str = "server",
        unit: str = "samples",
    ) -> None:
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_queue = max_queue
        self.concurrency = concurrency
        self.queue_name = queue
        self._unit = unit
        self._make_runner = make_runner
        self._on_batch = on_batch
        self._turns: deque[_Turn] = deque()  # each waiting request's samples, in turn order
        self._waiting = 0  # samples in _turns
        self._ready = asyncio.Event()  # set while _turns holds a sample
        self._running = 0  # samples taken from the queue, being scored
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"rewardlab-{queue}")
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

    def stats(self) -> dict[str, Any]:
        """Queue depths for ``/health`` and ``/metrics``: accepted (``pending``), being scored
        (``running``), waiting for a batch loop (``waiting``), and how long the oldest waiting one has."""
        since = min((q[0].enqueued for q in self._turns), default=None)
        oldest = time.monotonic() - since if since is not None else 0.0
        return {
            "pending": self._pending,
            "running": self._running,
            "waiting": self._waiting,
            "max_queue": self.max_queue,
            "oldest_wait_s": round(oldest, 3),
        }

    @property
    def full(self) -> bool:
        return self._pending >= self.max_queue

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

    async def submit(
        self, samples: list[Sample | RewardResult], *, whole: bool = False
    ) -> list[RewardResult]:
        """Score ``samples`` (pre-failed results pass through); raises Overloaded / ShuttingDown.

        ``whole``: the request's samples are scored in one batch, never split between batches (a group
        reward needs each group whole; such a batch may be larger than ``max_batch``)."""
        if self._closing:
            raise ShuttingDown("server is shutting down; retry against another replica or after restart")
        if self._pending + len(samples) > self.max_queue:
            batches_ahead = max(1, self._pending // max(1, self.max_batch * self.concurrency))
            raise Overloaded(
                self._pending,
                self.max_queue,
                round(max(0.1, batches_ahead * self._batch_seconds), 2),
                queue=self.queue_name,
                unit=self._unit,
            )
        self.start()
        loop = asyncio.get_running_loop()
        items = [_Item(s, loop.create_future(), row) for row, s in enumerate(samples)]
        self._pending += len(items)
        self._idle.clear()
        queued = _Turn()
        queued.whole = whole
        for item in items:
            if isinstance(item.sample, RewardResult):
                self._done(item, item.sample)
            else:
                queued.append(item)
        if queued:
            self._turns.append(queued)
            self._waiting += len(queued)
            self._ready.set()
        return list(await asyncio.gather(*(i.future for i in items)))

    def _done(self, item: _Item, result: RewardResult) -> None:
        if not item.future.done():
            item.future.set_result(result)
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    def _take(self, batch: list[_Item]) -> None:
        """Fill ``batch`` from the waiting requests in turn: the first gives what fits, then goes last."""
        while len(batch) < self.max_batch and self._turns:
            queued = self._turns.popleft()
            if queued.whole:  # all of it in this batch, or all of it in the next one
                if batch and len(batch) + len(queued) > self.max_batch:
                    self._turns.appendleft(queued)
                    break
                batch.extend(queued)
                self._waiting -= len(queued)
                continue
            for _ in range(min(len(queued), self.max_batch - len(batch))):
                batch.append(queued.popleft())
                self._waiting -= 1
            if queued:
                self._turns.append(queued)
        if not self._turns:
            self._ready.clear()

    async def _loop(self, runner: RunnerLike) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._ready.wait()
            batch: list[_Item] = []
            self._take(batch)
            if not batch:  # another batch loop took them
                continue
            if len(batch) < self.max_batch and self.max_wait > 0:
                # Not full: give concurrent requests one window to join. (A wait_for per sample would
                # create a task per sample, which costs more than scoring a short answer.)
                await asyncio.sleep(self.max_wait)
                self._take(batch)
            live = [i for i in batch if not i.future.cancelled()]
            abandoned = len(batch) - len(live)  # their request hit its deadline while queued
            start = time.monotonic()
            self._running += len(live)
            try:
                results = await loop.run_in_executor(self._executor, runner.score, [i.sample for i in live])
                if len(results) != len(live):  # pragma: no cover - the runners' contract
                    raise RuntimeError(f"runner answered {len(results)} results for {len(live)} samples")
            except Exception as exc:  # the runner itself failed: every sample of the batch says why
                results = [RewardResult.failure(ErrorInfo(type(exc).__name__, str(exc))) for _ in live]
            finally:
                self._running -= len(live)
            elapsed = time.monotonic() - start
            self._batch_seconds = 0.8 * self._batch_seconds + 0.2 * elapsed
            if self._on_batch is not None:
                self._on_batch(len(live), elapsed)
            for position, (item, result) in enumerate(zip(live, results, strict=True)):
                self._done(item, renumbered(result, position, item.row))
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
        loop = asyncio.get_running_loop()
        for runner in self._runners:
            await loop.run_in_executor(self._executor, runner.close)
        self._loops.clear()
        self._runners.clear()
        self._executor.shutdown(wait=False)
