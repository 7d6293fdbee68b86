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
"""

from __future__ import annotations

import asyncio
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Self

from rewardlab.core.reward import as_reward
from rewardlab.core.spec import Spec, build_reward, load_spec
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import (
    ConfigError,
    RewardError,
    RewardLabError,
    RewardTimeoutError,
    SampleError,
    ScoringError,
    WorkerCrashedError,
)
from rewardlab.runner.worker import score_one, worker_main

OnError = str | float
DEFAULT_CHUNK = 32


@dataclass
class RunStats:
    """Counters of one runner, cumulative over its calls."""

    scored: int = 0
    errors: int = 0
    timeouts: int = 0
    crashes: int = 0
    worker_restarts: int = 0
    error_types: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.scored if self.scored else 0.0


def _collect_preload(reward: Any, out: set[str], depth: int = 0) -> None:
    if depth > 20:
        return
    out.add(type(reward).__module__)
    out.update(getattr(reward, "preload", ()) or ())
    for attr in ("components", "penalties"):
        for item in getattr(reward, attr, ()) or ():
            if isinstance(item, tuple) and len(item) == 2:
                _collect_preload(item[1], out, depth + 1)
    for attr in ("main", "inner"):
        child = getattr(reward, attr, None)
        if child is not None and callable(child):
            _collect_preload(child, out, depth + 1)


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
    def __init__(self, ctx: Any, reward_bytes: bytes, memory_mb: int | None) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.state = ctx.RawArray("d", [-1.0, 0.0])  # [current sample index, its start time]
        self.proc = ctx.Process(
            target=worker_main, args=(child, reward_bytes, memory_mb, self.state), daemon=True
        )
        _start(self.proc, needs_main=b"__main__" in reward_bytes)
        child.close()
        self.conn: Connection = parent
        self.outstanding: deque[tuple[int, Sample]] = deque()
        self.sent = 0.0  # when the current chunk was sent

    def current(self) -> tuple[int | None, float]:
        """(index of the sample being scored, its start time); index None between samples."""
        for _ in range(3):
            index = self.state[0]
            started = self.state[1]
            if self.state[0] == index:  # not torn by a concurrent update
                break
        if index < 0 or not any(i == int(index) for i, _ in self.outstanding):
            return None, self.sent
        return int(index), max(started, self.sent)

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


def account(stats: RunStats, on_error: OnError, index: int, result: RewardResult) -> None:
    """Count ``result`` in ``stats`` and apply the error policy (raise, or score the penalty visibly)."""
    stats.scored += 1
    if result.error is None:
        return
    stats.errors += 1
    kind = result.error.type
    stats.error_types[kind] = stats.error_types.get(kind, 0) + 1
    if on_error == "raise":
        raise RewardError(index, kind, result.error.message)
    if isinstance(on_error, float):
        result.score = on_error
        result.info["error_policy"] = "penalty"


def _check_on_error(on_error: Any) -> OnError:
    if on_error in ("record", "raise"):
        return str(on_error)
    if isinstance(on_error, int | float) and not isinstance(on_error, bool) and math.isfinite(on_error):
        return float(on_error)
    raise ConfigError(f"on_error must be 'record', 'raise' or a finite penalty number, got {on_error!r}")


class RunnerAPI:
    """What every runner offers on top of ``imap`` and ``close``: ``score``, ``ascore``, ``with`` support."""

    def imap(
        self, samples: Iterable[Sample | Mapping[str, Any]]
    ) -> Iterator[RewardResult]:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def score(self, samples: Iterable[Sample | Mapping[str, Any]]) -> list[RewardResult]:
        """Score every sample; the list is in input order, one result per sample."""
        return list(self.imap(samples))

    async def ascore(self, samples: Iterable[Sample | Mapping[str, Any]]) -> list[RewardResult]:
        """:meth:`score` for asyncio code: runs in a thread, the event loop keeps serving."""
        items = list(samples)
        return await asyncio.to_thread(self.score, items)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Runner(RunnerAPI):
    """Scores samples with ``reward`` in ``workers`` processes, each sample under ``timeout`` seconds.

    ``workers=None`` uses one process per CPU; ``workers=0`` scores in the calling thread (no isolation,
    so ``timeout`` is refused). ``memory_mb`` caps each worker's address space. Use as a context manager
    or call :meth:`close`; workers are started on first use and reused across calls.
    """

    def __init__(
        self,
        reward: Any,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        on_error: OnError = "record",
        memory_mb: int | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        problems: list[str] = []
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
            problems.append(f"workers must be an integer >= 0 or None, got {workers!r}")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not timeout > 0
            or math.isinf(timeout)
        ):
            problems.append(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        if workers == 0 and timeout is not None:
            problems.append(
                "timeout needs worker processes (workers >= 1); workers=0 cannot stop a running reward"
            )
        if memory_mb is not None and (not isinstance(memory_mb, int) or memory_mb < 64):
            problems.append(f"memory_mb must be an integer >= 64 or None, got {memory_mb!r}")
        if not isinstance(chunk_size, int) or chunk_size < 1:
            problems.append(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
        try:
            self.on_error = _check_on_error(on_error)
        except ConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems, where="runner settings")
        self.reward = resolve_reward(reward)
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.timeout = float(timeout) if timeout is not None else None
        self.memory_mb = memory_mb
        self.chunk_size = chunk_size
        self.stats = RunStats()
        self._lock = threading.Lock()
        self._pool: list[_Worker] = []
        self._ctx: Any = None
        self._failed_starts = 0
        self._reward_bytes = b""
        if self.workers > 0:
            try:
                self._reward_bytes = pickle.dumps(self.reward)
            except Exception as exc:
                raise ConfigError(
                    f"reward {getattr(self.reward, 'name', self.reward)!r} cannot be sent to worker processes "
                    f"({type(exc).__name__}: {exc}); define it at module level, or pass workers=0"
                ) from exc
        self._finalizer = weakref.finalize(self, _shutdown, self._pool)

    # -- public API (score, ascore and `with` come from RunnerAPI) ---------------------------------
    def imap(
        self,
        samples: Iterable[Sample | Mapping[str, Any]],
        *,
        on_result: Callable[[int, RewardResult], None] | None = None,
    ) -> Iterator[RewardResult]:
        """Stream results in input order. Malformed rows become results with a ``SampleError``.

        An item that already is a :class:`RewardResult` (an input row known to be broken) passes through
        unscored, so that callers keep one result per input row.
        """
        with self._lock:
            source = self._samples(samples)
            stream = self._inline(source) if self.workers == 0 else self._dispatch(source)
            for index, result in stream:
                self._account(index, result)
                if on_result is not None:
                    on_result(index, result)
                yield result

    def close(self) -> None:
        with self._lock:
            for w in self._pool:
                w.stop()
            self._pool.clear()

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _samples(samples: Iterable[Any]) -> Iterator[tuple[int, Sample | RewardResult]]:
        if isinstance(samples, Mapping | str | bytes):
            raise TypeError("samples must be an iterable of samples or dicts, not a single dict or string")
        for i, row in enumerate(samples):
            if isinstance(row, RewardResult):  # decided before scoring, e.g. a line that is not JSON
                yield i, row
                continue
            try:
                yield i, Sample.from_dict(row, index=i)
            except SampleError as exc:
                yield i, RewardResult.failure(ErrorInfo("SampleError", str(exc)))

    def _account(self, index: int, result: RewardResult) -> None:
        account(self.stats, self.on_error, index, result)

    def _inline(
        self, source: Iterator[tuple[int, Sample | RewardResult]]
    ) -> Iterator[tuple[int, RewardResult]]:
        for i, item in source:
            yield i, item if isinstance(item, RewardResult) else score_one(self.reward, item)

    def _spawn(self) -> _Worker:
        if self._ctx is None:
            preload: set[str] = set()
            _collect_preload(self.reward, preload)
            self._ctx = _context(preload)
        return _Worker(self._ctx, self._reward_bytes, self.memory_mb)

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self._pool.remove(w)
        self.stats.worker_restarts += 1

    def _dispatch(
        self, source: Iterator[tuple[int, Sample | RewardResult]]
    ) -> Iterator[tuple[int, RewardResult]]:
        pending: deque[tuple[int, Sample]] = deque()
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
                    if isinstance(item, RewardResult):
                        done[i] = item
                    else:
                        pending.append((i, item))
                self._feed(pending)
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

    def _feed(self, pending: deque[tuple[int, Sample]]) -> None:
        while pending:
            idle = next((w for w in self._pool if not w.outstanding), None)
            if idle is None:
                if len(self._pool) >= self.workers:
                    return
                idle = self._spawn()
                self._pool.append(idle)
            size = min(self.chunk_size, max(1, math.ceil(len(pending) / max(1, self.workers))))
            chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
            try:
                idle.conn.send(chunk)
            except (OSError, ValueError):
                pending.extendleft(reversed(chunk))
                self._replace(idle)
                continue
            idle.outstanding.extend(chunk)
            idle.sent = time.monotonic()

    def _collect(
        self, busy: list[_Worker], pending: deque[tuple[int, Sample]], done: dict[int, RewardResult]
    ) -> None:
        wait_for: float | None = None
        if self.timeout is not None:
            wait_for = max(0.0, min(w.current()[1] + self.timeout for w in busy) - time.monotonic())
            wait_for = min(wait_for, 0.25)  # re-read the shared state of workers that moved on
        ready = wait([w.conn for w in busy], timeout=wait_for)
        for w in busy:
            if w.conn not in ready:
                continue
            try:
                while w.outstanding and w.conn.poll():
                    for index, result in w.conn.recv():
                        expected, _ = w.outstanding.popleft()
                        if index != expected:  # pragma: no cover - protocol invariant
                            raise RuntimeError(f"worker answered sample {index}, expected {expected}")
                        done[index] = result
                    self._failed_starts = 0
            except (EOFError, OSError):
                current, _ = w.current()
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
                self._fail(
                    w, current, pending, done, WorkerCrashedError(f"worker process died (exit code {code})")
                )
        if self.timeout is not None:
            now = time.monotonic()
            for w in list(self._pool):
                if not w.outstanding:
                    continue
                current, started = w.current()
                if current is not None and now - started > self.timeout:
                    self.stats.timeouts += 1
                    error = RewardTimeoutError(f"reward exceeded the {self.timeout:g} s deadline")
                    self._fail(w, current, pending, done, error)

    def _fail(
        self,
        w: _Worker,
        current: int | None,
        pending: deque[tuple[int, Sample]],
        done: dict[int, RewardResult],
        error: ScoringError,
    ) -> None:
        """Kill ``w``; sample ``current`` gets the error, every other unanswered sample is re-queued."""
        rest = [item for item in w.outstanding if item[0] != current]
        if current is not None:
            done[current] = RewardResult.failure(error)
        pending.extendleft(reversed(rest))
        w.outstanding.clear()
        self._replace(w)


def resolve_reward(reward: Any) -> Any:
    """A reward object from a registered name, a spec dict/TOML path, a Spec, or a reward/callable."""
    if isinstance(reward, str | Mapping | Spec) or type(reward).__name__ == "PosixPath":
        return build_reward(reward)
    return as_reward(reward)


def runner_from_spec(
    spec: Any, *, backend: str = "local", ray_address: str | None = None, **overrides: Any
) -> Any:
    """Build a runner from a spec whose ``[runner]`` table sets defaults; explicit overrides win.

    ``backend="ray"`` returns a :class:`~rewardlab.runner.ray_backend.RayRunner` (``workers`` becomes the
    number of actors; ``ray_address`` connects to a running cluster, e.g. ``"auto"``).
    """
    loaded = load_spec(spec) if not isinstance(spec, Spec) else spec
    settings = {**loaded.runner, **{k: v for k, v in overrides.items() if v is not None}}
    reward = build_reward(loaded)
    if backend == "local":
        return Runner(reward, **settings)
    if backend == "ray":
        from rewardlab.runner.ray_backend import RayRunner

        actors = settings.pop("workers", None)
        settings.pop("chunk_size", None)
        return RayRunner(reward, actors=actors, address=ray_address, **settings)
    raise ConfigError(f"backend must be 'local' or 'ray', got {backend!r}")
