"""``rl.score`` and ``rl.ascore``: one call, a temporary runner."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from typing import Any

from rewardlab.core.spec import RewardSpec
from rewardlab.core.types import RewardResult, Sample
from rewardlab.runner._base import OnError
from rewardlab.runner.local import Runner


def score(
    reward: RewardSpec,
    samples: Iterable[Sample | Mapping[str, Any]],
    *,
    workers: int | None = None,
    timeout: float | None = None,
    on_error: OnError = "record",
    memory_mb: int | None = None,
) -> list[RewardResult]:
    """Score ``samples`` with ``reward`` (a registered name, a spec dict or TOML path, or a reward object).

    One result per sample, in input order. Errors are recorded on the results (``on_error="record"``),
    raised (``"raise"``) or scored as an explicit penalty (a number). ``workers=None`` starts one process
    per 32 samples, at most one per CPU. For repeated calls (a training loop), keep a
    :class:`~rewardlab.Runner` instead: it reuses its worker processes.
    """
    items = samples if isinstance(samples, list) else list(samples)
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, (len(items) + 31) // 32))
    with Runner(reward, workers=workers, timeout=timeout, on_error=on_error, memory_mb=memory_mb) as runner:
        return runner.score(items)


async def ascore(
    reward: RewardSpec,
    samples: Iterable[Sample | Mapping[str, Any]],
    *,
    workers: int | None = None,
    timeout: float | None = None,
    on_error: OnError = "record",
    memory_mb: int | None = None,
) -> list[RewardResult]:
    """:func:`score` for asyncio code; the event loop is not blocked."""
    items = list(samples)
    options: dict[str, Any] = {
        "workers": workers,
        "timeout": timeout,
        "on_error": on_error,
        "memory_mb": memory_mb,
    }
    return await asyncio.to_thread(score, reward, items, **options)
