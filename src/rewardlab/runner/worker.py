"""Code that runs inside a worker process. Kept tiny: the parent does all bookkeeping."""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from rewardlab.core.budget import sample_budget
from rewardlab.core.reward import RewardLike
from rewardlab.core.types import RewardResult, Sample, as_score
from rewardlab.runner.crossing import read_sample, result_blob
from rewardlab.runner.groups import pack_size

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
    bad = [k for k, v in out.components.items() if not isinstance(v, int | float) or not math.isfinite(v)]
    if bad:  # a component is a number by contract; NaN would also be an invalid JSON token downstream
        values = ", ".join(f"{k}={out.components[k]!r}" for k in bad[:5])
        return RewardResult.failure(ValueError(f"component(s) not a finite number: {values}"), **out.info)
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


def share_cpus(threads: int | None) -> None:
    """Give torch ``threads`` intra-op threads in this process: at once when torch is imported already (a
    model reward preloads it in the forkserver), else through ``OMP_NUM_THREADS``, which torch reads when
    it is first imported here. An explicit ``threads`` option of the reward, applied when it loads, wins.
    """
    if not threads:
        return
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        with contextlib.suppress(Exception):
            torch.set_num_threads(threads)


def worker_main(
    conn: Connection,
    reward_bytes: bytes,
    memory_mb: int | None,
    state: Any,
    timeout: float | None = None,
    threads: int | None = None,
) -> None:
    """Receive ``(chunk, whole)`` with ``chunk = [(index, pickled sample), ...]``; send back lists of
    ``(index, pickled RewardResult)``. ``whole`` asks for one ``score_batch`` call on the chunk (batched rewards).

    ``state`` is shared memory ``[current index, its start time (time.monotonic), span]``: the parent reads
    it to know exactly which sample a stuck or dead worker was on and since when, even while results are
    still buffered here. ``current index`` is -1 while the worker waits; ``span`` is the number of samples
    in the current call (the chunk's size during a ``score_batch`` call, else 1).

    ``threads``: torch's threads in this worker (see :func:`share_cpus`).

    ``timeout`` (the runner's per-sample deadline) becomes each call's time budget, which rewards read
    with :func:`rewardlab.core.budget.time_left` to fit their own limits inside it.
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # own process group: the parent can kill whatever the reward started
    apply_limits(memory_mb)
    share_cpus(threads)
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
        loaded = [read_sample(i, blob) for i, blob in chunk] if whole and len(chunk) > 1 else []
        samples = [s for s in loaded if isinstance(s, Sample)]
        if samples and len(samples) == len(chunk):  # else one by one: each unreadable sample says why
            state[1] = time.monotonic()  # start time and span first, then the index: read index first
            state[2] = float(len(chunk))
            state[0] = chunk[0][0]
            with sample_budget(None if timeout is None else timeout * len(chunk), start=state[1]):
                results = score_batch(reward, samples)
            state[0] = -1
            state[2] = 1.0
            if results is not None:
                if not _send(conn, [(i, r) for (i, _), r in zip(chunk, results, strict=True)]):
                    return
                continue
        if not _score_each(conn, reward, chunk, state, timeout):
            return


RECYCLE = "recycle"  # sent after the results of a sample that ran out of memory: start a fresh worker


def _score_each(
    conn: Connection, reward: Any, chunk: list[tuple[int, bytes]], state: Any, timeout: float | None
) -> bool:
    # Results go back in small batches (every FLUSH_S or at the end of the chunk): one message per
    # sample costs more than a fast reward itself. Deadlines do not depend on this (see ``state``).
    batch: list[tuple[int, RewardResult]] = []
    last_flush = time.monotonic()
    for n, (index, blob) in enumerate(chunk):
        state[1] = start = time.monotonic()  # start time first, then the index: the parent reads index first
        state[0] = index
        sample = read_sample(index, blob)
        span = pack_size(sample)  # a group's pack: its deadline is ``timeout`` per member
        if span > 1:
            state[2] = float(span)
        if isinstance(sample, RewardResult):
            result = sample
        else:
            with sample_budget(None if timeout is None else timeout * span, start=start):
                result = score_one(reward, sample)
        state[2] = 1.0
        batch.append((index, result))
        now = time.monotonic()
        if result.error is not None and result.error.type == "MemoryError":
            # memory a reward leaked stays leaked: every later sample here would fail the same way
            state[0] = -1
            if _send(conn, batch):
                with contextlib.suppress(OSError, ValueError):
                    conn.send(RECYCLE)
            return False
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
        conn.send([(index, result_blob(result)) for index, result in batch])
    except (BrokenPipeError, OSError):
        return False
    return True
