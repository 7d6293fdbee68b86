"""The time budget of the sample being scored, for rewards whose own work has deadlines.

The runner gives every sample a deadline (``timeout``) and kills the worker of a sample that overruns it:
the sample then becomes a ``RewardTimeoutError`` with no score. A reward that runs several bounded steps
(a program on ten stdin inputs, each with its own time limit) can compose its limits with the runner's by
reading :func:`time_left` and spending no more than that, so that a program that loops forever on every
input fails its inputs (a score) instead of costing the whole sample (an error).

The runner's worker sets the budget around each call (:func:`sample_budget`); outside a runner, or without
a ``timeout``, :func:`time_left` is ``None`` (no budget beyond the reward's own limits). The budget is a
context variable: it follows the calling thread and asyncio tasks, not threads a reward starts itself
(read :func:`deadline` first and hand the absolute time to them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("rewardlab_sample_deadline", default=None)

# What a reward should keep in hand when it plans against the budget: the runner measures the deadline
# from the moment the worker starts the sample, and the result still has to travel back.
RESERVE_S = 0.25
RESERVE_FRACTION = 0.05


def deadline() -> float | None:
    """The current sample's deadline as a ``time.monotonic()`` value, minus a reserve; None without one."""
    return _DEADLINE.get()


def time_left() -> float | None:
    """Seconds left in the current sample's budget (may be <= 0), or None when there is no budget."""
    end = _DEADLINE.get()
    return None if end is None else end - time.monotonic()


@contextmanager
def sample_budget(seconds: float | None, start: float | None = None) -> Iterator[None]:
    """Run the body with a budget of ``seconds`` from ``start`` (``time.monotonic()``; now by default),
    less a reserve (:data:`RESERVE_S` or :data:`RESERVE_FRACTION` of it, whichever is larger). Nested
    budgets keep the earlier deadline. ``None`` leaves the budget as it is."""
    if seconds is None:
        yield
        return
    begin = time.monotonic() if start is None else start
    end = begin + seconds - max(RESERVE_S, RESERVE_FRACTION * seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _DEADLINE.reset(token)
