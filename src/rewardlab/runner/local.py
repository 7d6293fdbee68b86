"""The isolating runner: scores samples in worker processes with a per-sample deadline.

Why processes and why kill: a reward can hold the GIL in C code for as long as it likes (sympy on
``\\boxed{9^{9^{9^{9}}}}`` is the classic case: Math-Verify #50/#55/#65, verl PR #5635), so thread,
asyncio and ``signal.alarm`` timeouts cannot stop it off the main thread. The runner sends chunks of
samples to worker processes, watches every sample's deadline from the calling thread, and when one is
exceeded kills the worker's whole process group, records a ``Timeout`` error for that sample, re-queues the
rest of the chunk and starts a fresh worker. Workers are forked from a forkserver (safe when the caller
has threads) that has the reward's heavy modules imported already, so replacing a worker is cheap.

A failure is data: every sample gets a :class:`RewardResult`; errors are recorded (type, message) and
counted, and what an error scores is an explicit policy (``on_error``): ``"record"`` (score None),
``"raise"`` (raise :class:`~rewardlab.errors.RewardError`), or a number (the penalty, with the error kept).

The runner is usable from any thread (each call holds the runner's lock; use one runner per thread for
parallel callers) and from asyncio (:meth:`Runner.ascore`). Output order always equals input order, and
:meth:`Runner.imap` streams with a bounded window, so memory stays flat on any number of rows.

Batched rewards (``batched = True``: models, judges) get each chunk in one ``score_batch`` call; the
deadline of that call is ``timeout`` per sample in the chunk. A chunk whose call raises, answers with
the wrong number of results, crashes its worker or overruns its deadline is scored again one sample at
a time, so a bad sample costs only itself.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
import types
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

from rewardlab.core.group import is_group_reward
from rewardlab.core.reward import RewardLike, walk
from rewardlab.core.spec import RewardSpec, as_reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import (
    ConfigError,
    RewardLabError,
    RewardTimeoutError,
    ScoringError,
    WorkerCrashedError,
)
from rewardlab.runner._base import (
    BATCHED_CHUNK,
    DEFAULT_CHUNK,
    BaseRunner,
    OnError,
    Row,
    RunnerSettings,
    RunStats,
    apply_error_policy,
    as_sample,
    check_rows,
)
from rewardlab.runner.crossing import read_result, sample_blob
from rewardlab.runner.groups import GroupCaller, group_order, packed, unpacked
from rewardlab.runner.worker import RECYCLE, score_batch, score_one, warmup, worker_main


def preload_modules(reward: RewardLike) -> set[str]:
    """Modules the worker processes import once, in the forkserver: every nested reward's own module
    and what it lists in ``preload`` (e.g. sympy for the math reward, however deep it sits in a spec)."""
    out: set[str] = set()
    for _, node in walk(reward):
        out.add(type(node).__module__)
        out.update(getattr(node, "preload", ()) or ())
    return out


_CTX_LOCK = threading.Lock()


def _context(preload: set[str]) -> Any:
    ctx = mp.get_context("forkserver")
    with _CTX_LOCK:
        # Only effective before the forkserver process starts (first runner of the process).
        mods = sorted(m for m in preload if m and m != "__main__")
        ctx.set_forkserver_preload(["rewardlab.runner.worker", *mods])
    return ctx


def _start(proc: Any, needs_main: bool) -> None:
    """Start ``proc``; unless the reward lives in ``__main__``, hide the main script from the child.

    multiprocessing re-runs the caller's main script in every spawned or forkserver child, which breaks
    (or recurses) in scripts without an ``if __name__ == "__main__":`` guard. Workers only need the
    reward's own modules, so the main module is replaced by an empty one for the duration of ``start``.
    """
    if needs_main:
        proc.start()
        return
    with _CTX_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _Worker:
    def __init__(
        self, ctx: Any, reward_bytes: bytes, memory_mb: int | None, timeout: float | None, threads: int
    ) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.state = ctx.RawArray("d", [-1.0, 0.0, 1.0])  # [current sample index, its start time, span]
        self.proc = ctx.Process(
            target=worker_main,
            args=(child, reward_bytes, memory_mb, self.state, timeout, threads),
            daemon=True,
        )
        _start(self.proc, needs_main=b"__main__" in reward_bytes)
        child.close()
        self.conn: Connection = parent
        self.outstanding: deque[tuple[int, bytes]] = deque()  # (index, pickled sample), in sent order
        self.sent = 0.0  # when the current chunk was sent

    def current(self) -> tuple[int | None, float, int]:
        """(index of the sample being scored, its start time, span); index None between samples.

        ``span`` is the number of samples in the current call: the chunk's size while a batched reward
        scores it whole (``index`` is then the chunk's first sample), else 1.
        """
        for _ in range(3):
            index = self.state[0]
            started = self.state[1]
            span = self.state[2]
            if self.state[0] == index:  # not torn by a concurrent update
                break
        if index < 0 or not any(i == int(index) for i, _ in self.outstanding):
            return None, self.sent, 1
        return int(index), max(started, self.sent), max(1, int(span))

    def kill(self) -> None:
        pid = self.proc.pid
        if pid is not None and self.proc.is_alive():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()


def _shutdown(workers: list[_Worker]) -> None:
    for w in workers:
        with contextlib.suppress(Exception):
            w.kill()
    workers.clear()


class Runner(BaseRunner):
    """Scores samples with ``reward`` in ``workers`` processes, each sample under ``timeout`` seconds.

    ``workers=None`` uses one process per CPU; ``workers=0`` scores in the calling thread (no isolation,
    so ``timeout`` is refused; the reward's ``warmup()`` runs once, before the first sample, as it does in
    every worker process). ``memory_mb`` caps each worker's address space. Use as a context manager
    or call :meth:`close`; workers are started on first use and reused across calls.
    """

    def __init__(
        self,
        reward: RewardSpec,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        on_error: OnError = "record",
        memory_mb: int | None = None,
        chunk_size: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.settings = RunnerSettings(
            workers=workers, timeout=timeout, on_error=on_error, memory_mb=memory_mb, chunk_size=chunk_size,
            threads=threads,
        )  # fmt: skip
        self.reward = as_reward(reward)
        self.workers = self.settings.cpu_workers()  # None read once as the machine's CPU count
        self.stats = RunStats()
        # a group reward is scored one whole group per call (see runner.groups)
        self._grouped = is_group_reward(self.reward)
        self._scorer: Any = GroupCaller(self.reward, score_one) if self._grouped else self.reward
        self._batched = bool(getattr(self._scorer, "batched", False))
        self._solo: set[int] = set()  # samples of a batch that failed as a whole: scored one by one
        self._lock = threading.Lock()
        self._pool: list[_Worker] = []
        self._ctx: Any = None
        self._failed_starts = 0
        self._warm = False  # workers=0: warmup() ran in this process
        self._reward_bytes = pickled(self._scorer) if self.workers > 0 else b""
        self._finalizer = weakref.finalize(self, _shutdown, self._pool)

    @property
    def chunk_size(self) -> int:
        return self.settings.chunk_size or (BATCHED_CHUNK if self._batched else DEFAULT_CHUNK)

    @classmethod
    def from_settings(cls, reward: RewardSpec, settings: RunnerSettings) -> Runner:
        """A runner with ``settings`` (``chunk_size=None`` means the local default)."""
        return cls(reward, **settings.as_dict())

    # -- public API (score, ascore and `with` come from BaseRunner) ---------------------------------
    def imap(
        self,
        samples: Iterable[Row],
        *,
        on_result: Callable[[int, RewardResult], None] | None = None,
    ) -> Iterator[RewardResult]:
        """Stream results in input order. Malformed rows become results with a ``SampleError``.

        An item that already is a :class:`RewardResult` (an input row known to be broken) passes through
        unscored, so that callers keep one result per input row.
        """
        with self._lock:
            source = self._samples(samples)
            members_of: list[list[int]] = []
            if self._grouped:
                source = packed(source, members_of)
            stream = self._inline(source) if self.workers == 0 else self._dispatch(source)
            for index, result in stream:
                for member, res in (
                    unpacked(result, members_of[index]) if self._grouped else [(index, result)]
                ):
                    self._account(member, res)
                    if on_result is not None:
                        on_result(member, res)
                    yield res

    def score(self, samples: Iterable[Row]) -> list[RewardResult]:
        """Score every sample; one result per sample, in input order. With a group reward, each group's
        members (``metadata["group"]``) are brought together first, wherever they are in the list."""
        if not self._grouped:
            return list(self.imap(samples))
        rows = list(samples)
        order = group_order(rows)
        out: list[RewardResult | None] = [None] * len(rows)
        for position, result in zip(order, self.imap([rows[i] for i in order]), strict=True):
            out[position] = result
        return [r for r in out if r is not None]

    def close(self) -> None:
        with self._lock:
            for w in self._pool:
                w.stop()
            self._pool.clear()

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _samples(samples: Iterable[Any]) -> Iterator[tuple[int, Sample | RewardResult]]:
        check_rows(samples)
        for i, row in enumerate(samples):
            yield i, as_sample(row, i)

    def _account(self, index: int, result: RewardResult) -> None:
        apply_error_policy(self.stats, self.on_error, index, result)

    def _inline(
        self, source: Iterator[tuple[int, Sample | RewardResult]]
    ) -> Iterator[tuple[int, RewardResult]]:
        if not self._warm:  # once, before the first sample, as every worker process does
            warmup(self.reward)
            self._warm = True
        if not self._batched:
            for i, item in source:
                yield i, item if isinstance(item, RewardResult) else score_one(self._scorer, item)
            return
        chunk: list[tuple[int, Sample | RewardResult]] = []
        for pair in source:
            chunk.append(pair)
            if len(chunk) >= self.chunk_size:
                yield from self._inline_chunk(chunk)
                chunk = []
        yield from self._inline_chunk(chunk)

    def _inline_chunk(
        self, chunk: list[tuple[int, Sample | RewardResult]]
    ) -> Iterator[tuple[int, RewardResult]]:
        samples = [(i, s) for i, s in chunk if isinstance(s, Sample)]
        batch = score_batch(self._scorer, [s for _, s in samples]) if len(samples) > 1 else None
        scored = dict(zip([i for i, _ in samples], batch, strict=True)) if batch is not None else {}
        for i, item in chunk:
            if isinstance(item, RewardResult):
                yield i, item
            else:
                yield i, scored[i] if i in scored else score_one(self._scorer, item)

    def _spawn(self) -> _Worker:
        if self._ctx is None:
            self._ctx = _context(preload_modules(self.reward))
        return _Worker(
            self._ctx,
            self._reward_bytes,
            self.memory_mb,
            self.timeout,
            self.settings.worker_threads(self.workers),
        )

    def _deadline(self, w: _Worker) -> float:
        _, started, span = w.current()
        return started + (self.timeout or 0.0) * span

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self._pool.remove(w)
        self.stats.worker_restarts += 1

    def _dispatch(
        self, source: Iterator[tuple[int, Sample | RewardResult]]
    ) -> Iterator[tuple[int, RewardResult]]:
        pending: deque[tuple[int, bytes]] = deque()
        done: dict[int, RewardResult] = {}
        next_out = 0
        window = max(4 * self.workers * self.chunk_size, 256)
        exhausted = False
        in_flight = 0  # taken from source, not yet yielded
        try:
            while True:
                while not exhausted and in_flight < window:
                    try:
                        i, item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    in_flight += 1
                    blob = item if isinstance(item, RewardResult) else sample_blob(i, item)
                    if isinstance(blob, RewardResult):  # a row known to be broken, or one that cannot cross
                        done[i] = blob
                    else:
                        pending.append((i, blob))
                self._feed(pending, done)
                busy = [w for w in self._pool if w.outstanding]
                if not busy and not pending:
                    while next_out in done:
                        yield next_out, done.pop(next_out)
                        next_out += 1
                        in_flight -= 1
                    if exhausted and not done:
                        return
                    continue
                self._collect(busy, pending, done)
                while next_out in done:
                    yield next_out, done.pop(next_out)
                    next_out += 1
                    in_flight -= 1
        except BaseException:
            _shutdown(self._pool)  # an abandoned or failed call must not leave half-fed workers
            raise

    def _feed(self, pending: deque[tuple[int, bytes]], done: dict[int, RewardResult]) -> None:
        while pending:
            idle = next((w for w in self._pool if not w.outstanding), None)
            if idle is None:
                if len(self._pool) >= self.workers:
                    return
                idle = self._spawn()
                self._pool.append(idle)
            size = min(self.chunk_size, max(1, math.ceil(len(pending) / max(1, self.workers))))
            solo = pending[0][0] in self._solo
            chunk = [pending.popleft()]
            while pending and len(chunk) < size and (pending[0][0] in self._solo) == solo:
                chunk.append(pending.popleft())
            # every sample is pickled on its own already (sample_blob): the chunk is a list of bytes,
            # so what was checked is exactly what is sent and no sample can make the chunk fail
            payload = bytes(ForkingPickler.dumps((chunk, self._batched and not solo)))
            try:
                idle.conn.send_bytes(payload)
            except (OSError, ValueError):
                pending.extendleft(reversed(chunk))
                self._replace(idle)
                continue
            self._solo.difference_update(i for i, _ in chunk)  # sent: a failure marks them again
            idle.outstanding.extend(chunk)
            idle.sent = time.monotonic()

    def _collect(
        self, busy: list[_Worker], pending: deque[tuple[int, bytes]], done: dict[int, RewardResult]
    ) -> None:
        wait_for: float | None = None
        if self.timeout is not None:
            wait_for = max(0.0, min(self._deadline(w) for w in busy) - time.monotonic())
            wait_for = min(wait_for, 0.25)  # re-read the shared state of workers that moved on
        ready = wait([w.conn for w in busy], timeout=wait_for)
        for w in busy:
            if w.conn not in ready:
                continue
            try:
                while w.outstanding and w.conn.poll():
                    message = w.conn.recv()
                    if message == RECYCLE:  # a sample ran out of memory: the rest go to a fresh worker
                        pending.extendleft(reversed(w.outstanding))
                        w.outstanding.clear()
                        self._replace(w)
                        break
                    for index, blob in message:
                        expected, _ = w.outstanding.popleft()
                        if index != expected:  # pragma: no cover - protocol invariant
                            raise RuntimeError(f"worker answered sample {index}, expected {expected}")
                        done[index] = read_result(blob)
                    self._failed_starts = 0
            except (EOFError, OSError):
                current, _, span = w.current()
                w.proc.join(timeout=1)
                code = w.proc.exitcode
                self.stats.crashes += 1
                if current is None:  # died outside any sample: start-up or transport, not a reward
                    self._failed_starts += 1
                    if self._failed_starts >= 3:
                        _shutdown(self._pool)
                        raise RewardLabError(
                            f"worker processes keep dying outside any sample (exit code {code}); if the reward "
                            "is defined in your script, guard the script with `if __name__ == '__main__':`"
                        ) from None
                error: ScoringError = WorkerCrashedError(f"worker process died (exit code {code})")
                self._fail(w, current, span, pending, done, error)
        if self.timeout is not None:
            now = time.monotonic()
            for w in list(self._pool):
                if not w.outstanding:
                    continue
                current, started, span = w.current()
                if current is not None and now - started > self.timeout * span:
                    self.stats.timeouts += span == 1 or not self._batched
                    error = RewardTimeoutError(f"reward exceeded the {self.timeout:g} s deadline")
                    self._fail(w, current, span, pending, done, error)

    def _fail(
        self,
        w: _Worker,
        current: int | None,
        span: int,
        pending: deque[tuple[int, bytes]],
        done: dict[int, RewardResult],
        error: ScoringError,
    ) -> None:
        """Kill ``w``; sample ``current`` gets the error, every other unanswered sample is re-queued.

        When ``w`` was scoring a whole chunk of a batched reward (``span > 1``), no single sample is to
        blame: the chunk's samples are re-queued to be scored one by one, each under its own deadline. (A
        group's pack also has ``span > 1``, its size; it is one item, and it is to blame.)
        """
        if span > 1 and self._batched:
            self._solo.update(i for i, _ in w.outstanding)
            current = None
        rest = [item for item in w.outstanding if item[0] != current]
        if current is not None:
            done[current] = RewardResult.failure(error)
        pending.extendleft(reversed(rest))
        w.outstanding.clear()
        self._replace(w)


def pickled(reward: RewardLike) -> bytes:
    """``reward`` as bytes for worker processes, or a ConfigError saying how to make it picklable."""
    try:
        return pickle.dumps(reward)
    except Exception as exc:
        raise ConfigError(
            f"reward {getattr(reward, 'name', reward)!r} cannot be sent to worker processes "
            f"({type(exc).__name__}: {exc}); define it at module level, or pass workers=0"
        ) from exc
