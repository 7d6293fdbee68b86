"""What every runner backend shares: settings, counters, the error policy, rows to samples, the API.

The local backend (:mod:`rewardlab.runner.local`, worker processes on this machine) and the Ray backend
(:mod:`rewardlab.runner.ray_backend`, actors on a cluster) both import this module and neither imports
the other's internals; :func:`rewardlab.runner.make_runner` picks one.
"""

from __future__ import annotations

import abc
import asyncio
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, Protocol, Self, runtime_checkable

from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import ConfigError, RewardError, SampleError

OnError = Literal["record", "raise"] | float
"""``"record"`` (score None, error kept), ``"raise"`` (:class:`~rewardlab.RewardError`) or a penalty score."""

DEFAULT_CHUNK = 32
BATCHED_CHUNK = 64
"""Default chunk of a batched reward (a model, a judge): one ``score_batch`` call per chunk, so a bigger
chunk gives the model longer length-sorted batches; a failing chunk is still rescored one by one."""

Row = Sample | Mapping[str, Any] | RewardResult
"""What a runner scores: a sample, a dict with sample keys, or a result decided before scoring (a line that
is not JSON), which passes through so that every input row keeps its result."""


def check_on_error(on_error: Any) -> OnError:
    """``on_error`` as stored: ``"record"``, ``"raise"`` or a finite float; anything else is a ConfigError."""
    if on_error in ("record", "raise"):
        return "record" if on_error == "record" else "raise"
    if isinstance(on_error, int | float) and not isinstance(on_error, bool) and math.isfinite(on_error):
        return float(on_error)
    raise ConfigError(f"on_error must be 'record', 'raise' or a finite penalty number, got {on_error!r}")


@dataclass(frozen=True)
class RunnerSettings:
    """How a runner scores: validated on construction, every problem reported at once.

    - ``workers``: worker processes (local backend; ``None`` = one per CPU, ``0`` = in the calling
      thread, no isolation) or Ray actors (Ray backend; ``None`` = one per CPU of the cluster);
    - ``timeout``: per-sample deadline in seconds (``None`` = none; needs ``workers >= 1``);
    - ``on_error``: ``"record"``, ``"raise"`` or a finite penalty score (see :data:`OnError`);
    - ``memory_mb``: address-space cap of each worker process (``>= 64``);
    - ``chunk_size``: samples sent to a worker at once (``None`` = the backend's default: 32, or 64 for
      a batched reward such as a model or a judge);
    - ``threads``: math-library threads (torch) in each worker process (``None`` = the machine's CPUs
      shared among the workers, at least 1). torch would otherwise give every worker all the cores, and
      ``W`` workers running forward passes at once would fight over them (``W x cores`` threads).

    A spec's ``[runner]`` table holds the same keys; :meth:`merged` layers explicit options over it.
    """

    workers: int | None = None
    timeout: float | None = None
    on_error: OnError = "record"
    memory_mb: int | None = None
    chunk_size: int | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        w, t, m, c = self.workers, self.timeout, self.memory_mb, self.chunk_size
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 0):
            problems.append(f"workers must be an integer >= 0 or None, got {w!r}")
        if t is not None and (
            isinstance(t, bool) or not isinstance(t, int | float) or not t > 0 or math.isinf(t)
        ):
            problems.append(f"timeout must be a positive number of seconds or None, got {t!r}")
        if w == 0 and t is not None:
            problems.append(
                "timeout needs worker processes (workers >= 1); workers=0 cannot stop a running reward"
            )
        if m is not None and (isinstance(m, bool) or not isinstance(m, int) or m < 64):
            problems.append(f"memory_mb must be an integer >= 64 or None, got {m!r}")
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or c < 1):
            problems.append(f"chunk_size must be an integer >= 1, got {c!r}")
        n = self.threads
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            problems.append(f"threads must be an integer >= 1 or None, got {n!r}")
        try:
            object.__setattr__(self, "on_error", check_on_error(self.on_error))
        except ConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems, where="runner settings")
        if t is not None:
            object.__setattr__(self, "timeout", float(t))

    @classmethod
    def merged(cls, table: Mapping[str, Any] | None = None, /, **overrides: Any) -> RunnerSettings:
        """Settings from a spec's ``[runner]`` table, then ``overrides`` that are not None on top."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(table or {}) - names) + sorted(set(overrides) - names)
        if unknown:
            raise ConfigError(
                [f"unknown runner setting {k!r} (allowed: {', '.join(sorted(names))})" for k in unknown],
                where="runner settings",
            )
        values = {**(table or {}), **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**values)

    def replace(self, **changes: Any) -> RunnerSettings:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cpu_workers(self) -> int:
        """``workers``, with ``None`` read as one per CPU."""
        return (os.cpu_count() or 1) if self.workers is None else self.workers

    def worker_threads(self, processes: int | None = None) -> int:
        """``threads``, with ``None`` read as this machine's CPUs shared among ``processes`` worker
        processes (default: this runner's own workers)."""
        if self.threads is not None:
            return self.threads
        return max(1, (os.cpu_count() or 1) // max(1, processes or self.cpu_workers()))


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


def apply_error_policy(stats: RunStats, on_error: OnError, index: int, result: RewardResult) -> None:
    """Count ``result`` in ``stats``, then apply the error policy to a failed one.

    ``"raise"`` raises :class:`~rewardlab.RewardError`; a number replaces the score with that penalty,
    keeps the error and marks ``info["error_policy"] = "penalty"``; ``"record"`` leaves the result as is.
    """
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


def as_sample(row: Any, index: int) -> Sample | RewardResult:
    """A row as a :class:`Sample`; a row that cannot be one becomes a failed result naming its index.

    An input that already is a :class:`RewardResult` (a row known to be broken before scoring, e.g. a
    line that is not JSON) passes through, so that callers keep one result per input row.
    """
    if isinstance(row, RewardResult | Sample):
        return row
    try:
        return Sample.from_dict(row, index=index)
    except SampleError as exc:
        return RewardResult.failure(ErrorInfo("SampleError", str(exc)))


def check_rows(samples: Iterable[Any]) -> None:
    if isinstance(samples, Mapping | str | bytes):
        raise TypeError("samples must be an iterable of samples or dicts, not a single dict or string")


@runtime_checkable
class RunnerLike(Protocol):
    """What every runner offers; what the server, the adapters and ``rewardlab score`` rely on."""

    stats: RunStats

    def imap(
        self,
        samples: Iterable[Row],
        *,
        on_result: Callable[[int, RewardResult], None] | None = None,
    ) -> Iterator[RewardResult]: ...

    def score(self, samples: Iterable[Row]) -> list[RewardResult]: ...

    async def ascore(self, samples: Iterable[Row]) -> list[RewardResult]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class BaseRunner(abc.ABC):
    """``score``, ``ascore`` and ``with`` support, written once on top of a backend's ``imap``/``close``;
    the settings a backend was built with are read from its :class:`RunnerSettings`, never copied."""

    stats: RunStats
    settings: RunnerSettings

    @property
    def timeout(self) -> float | None:
        return self.settings.timeout

    @property
    def on_error(self) -> OnError:
        return self.settings.on_error

    @property
    def memory_mb(self) -> int | None:
        return self.settings.memory_mb

    @abc.abstractmethod
    def imap(
        self,
        samples: Iterable[Row],
        *,
        on_result: Callable[[int, RewardResult], None] | None = None,
    ) -> Iterator[RewardResult]:
        """Stream one result per sample, in input order."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop the backend's processes or actors."""

    def score(self, samples: Iterable[Row]) -> list[RewardResult]:
        """Score every sample; the list is in input order, one result per sample."""
        return list(self.imap(samples))

    async def ascore(self, samples: Iterable[Row]) -> list[RewardResult]:
        """:meth:`score` for asyncio code: runs in a thread, the event loop keeps serving."""
        items = list(samples)
        return await asyncio.to_thread(self.score, items)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
