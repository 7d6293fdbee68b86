"""Code that runs inside a worker process. Kept tiny: the parent does all bookkeeping."""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from rewardlab.core.reward import RewardLike
from rewardlab.core.types import RewardResult, Sample, as_score

FLUSH_S = 0.005


def apply_limits(memory_mb: int | None) -> None:
    if memory_mb:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def score_one(reward: RewardLike, sample: Sample) -> RewardResult:
    """Score one sample in this process; any exception becomes a recorded error on the result.

    What a worker does for every sample, and the way to call a reward directly with the runner's
    error semantics (a failure is data, never a raised exception and never a silent 0.0).
    """
    try:
        out = reward(sample)
    except MemoryError:
        return RewardResult.failure(MemoryError("reward exceeded the worker memory limit"))
    except Exception as exc:
        return RewardResult.failure(exc)
    if not isinstance(out, RewardResult):
        return RewardResult.failure(TypeError(f"reward returned {type(out).__name__}, expected RewardResult"))
    return out


def warmup(reward: Any) -> None:
    """Call ``warmup()`` on the reward and every reward nested in it; a failing warm-up is not fatal (the
    same failure will be recorded on the first sample that meets it)."""
    from rewardlab.core.reward import walk

    for _, node in walk(reward):
        hook = getattr(node, "warmup", None)
        if callable(hook):
            with contextlib.suppress(Exception):
                hook()


def score_batch(reward: Any, samples: Sequence[Sample]) -> list[RewardResult] | None:
    """``reward.score_batch(samples)`` checked against the contract, or None when the caller must score
    the samples one by one instead (the batch raised, or answered with the wrong number or kind of
    results, or a non-finite score): one bad sample must not cost the others their results."""
    try:
        out = reward.score_batch(list(samples))
    except Exception:  # MemoryError included: the per-sample pass records what failed, and where
        return None
    if not isinstance(out, list) or len(out) != len(samples):
        return None
    for r in out:
        if not isinstance(r, RewardResult):
            return None
        if r.score is not None and r.error is None:
            try:
                r.score = as_score(r.score, what=str(getattr(reward, "name", "reward")))
            except (TypeError, ValueError):
                return None
    return out


def worker_main(conn: Connection, reward_bytes: bytes, memory_mb: int | None, state: Any) -> None:
    """Receive ``(chunk, whole)`` with ``chunk = [(index, sample), ...]``; send back lists of
    ``(index, RewardResult)``. ``whole`` asks for one ``score_batch`` call on the chunk (batched rewards).

    ``state`` is shared memory ``[current index, its start time (time.monotonic), span]``: the parent reads
    it to know exactly which sample a stuck or dead worker was on and since when, even while results are
    still buffered here. ``current index`` is -1 while the worker waits; ``span`` is the number of samples
    in the current call (the chunk's size during a ``score_batch`` call, else 1).
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # own process group: the parent can kill whatever the reward started
    apply_limits(memory_mb)
    reward = pickle.loads(reward_bytes)
    warmup(reward)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        chunk, whole = message
        if whole and len(chunk) > 1:
            state[1] = time.monotonic()  # start time and span first, then the index: read index first
            state[2] = float(len(chunk))
            state[0] = chunk[0][0]
            results = score_batch(reward, [s for _, s in chunk])
            state[0] = -1
            state[2] = 1.0
            if results is not None:
                if not _send(conn, [(i, r) for (i, _), r in zip(chunk, results, strict=True)]):
                    return
                continue
        if not _score_each(conn, reward, chunk, state):
            return


def _score_each(conn: Connection, reward: Any, chunk: list[tuple[int, Sample]], state: Any) -> bool:
    # Results go back in small batches (every FLUSH_S or at the end of the chunk): one message per
    # sample costs more than a fast reward itself. Deadlines do not depend on this (see ``state``).
    batch: list[tuple[int, RewardResult]] = []
    last_flush = time.monotonic()
    for n, (index, sample) in enumerate(chunk):
        state[1] = time.monotonic()  # start time first, then the index: the parent reads index first
        state[0] = index
        batch.append((index, score_one(reward, sample)))
        now = time.monotonic()
        if n == len(chunk) - 1:
            state[0] = -1
        if n == len(chunk) - 1 or now - last_flush >= FLUSH_S:
            if not _send(conn, batch):
                return False
            batch = []
            last_flush = now
    return True


def _send(conn: Connection, batch: list[tuple[int, RewardResult]]) -> bool:
    try:
        conn.send(batch)
    except (pickle.PicklingError, TypeError, AttributeError):
        # One result in the batch cannot be pickled: send them one by one, replacing the bad ones.
        for index, result in batch:
            try:
                conn.send([(index, result)])
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                failure = RewardResult.failure(TypeError(f"result could not be sent back: {exc}"))
                conn.send([(index, failure)])
    except (BrokenPipeError, OSError):
        return False
    return True
