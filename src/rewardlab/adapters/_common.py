"""What every trainer adapter shares: a lazily started runner, call coalescing, fixed component keys.

Trainers call reward code in three shapes: one batch at a time from one thread (TRL), one sample at a
time from many threads (verl's reward loop through ``run_in_executor``, OpenRLHF's ``.py`` reward
function through ``asyncio.to_thread``), or one sample at a time from many coroutines (verl's async
path, verifiers). A :class:`~rewardlab.Runner` scores one call at a time (it holds a lock), so a
sample-at-a-time caller would use one worker process and leave the rest idle. :class:`RewardHandle`
therefore *coalesces*: calls that arrive while a batch is being scored wait, and are scored together as
the next batch. There is no timer and no background thread; the first caller to find the runner idle
scores everything queued (in threads), or a per-event-loop drain task does (in asyncio).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar, overload

from rewardlab.core.reward import RewardLike, children
from rewardlab.core.spec import DEFAULT_SPEC
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, DependencyError
from rewardlab.runner import Runner, RunnerSettings
from rewardlab.runner import resolve as resolve  # the reward and its settings: spec table, then options
from rewardlab.runner.local import pickled

Job = tuple[list[Sample], Future[list[RewardResult]]]
T = TypeVar("T")

SPEC_ENV = "REWARDLAB_SPEC"
ERROR_SCORE_ENV = "REWARDLAB_ERROR_SCORE"


def check_name(name: Any, default: str) -> str:
    if name is None:
        return default
    if not isinstance(name, str) or not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(
            f"`name` must be a non-empty identifier (letters, digits, '_' or '-'), got {name!r}"
        )
    return name


@overload
def check_error_score(value: Any) -> float: ...
@overload
def check_error_score(value: Any, *, optional: bool) -> float | None: ...
def check_error_score(value: Any, *, optional: bool = False) -> float | None:
    """``error_score`` as a float; None is allowed (and means "raise on failure") when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        allowed = "a finite number or None (raise on failure)" if optional else "a finite number"
        raise ConfigError(f"`error_score` must be {allowed}, got {value!r}")
    return float(value)


def open_handle(
    reward: Any,
    *,
    workers: int | None,
    timeout: float | None,
    on_error: str | float | None,
    refuse_raise: str | None = None,
) -> tuple[RewardHandle, list[str]]:
    """What every adapter does first: the reward and its settings (the spec's ``[runner]`` table, then
    explicit options), a :class:`RewardHandle` on them, and the component keys known in advance.

    ``refuse_raise`` is the trainer's reason why ``on_error="raise"`` cannot work there (it is refused).
    """
    if on_error == "raise" and refuse_raise:
        raise ConfigError(f"on_error='raise' {refuse_raise}")
    obj, settings = resolve(reward, workers=workers, timeout=timeout, on_error=on_error)
    return RewardHandle(obj, settings), component_keys(obj)


def component_keys(reward: RewardLike, prefix: str = "") -> list[str]:
    """The component names a composite reports, known before anything is scored (``parent.child`` nested).

    Trainers that collect per-sample extras into columns (verl, OpenRLHF) need the same keys on every
    sample; a composite's result omits gated-off or never-reached components, so the adapters fill those
    from this list. Components that a leaf reward adds on its own (e.g. ``cosine_length``'s ``correct``)
    are not known in advance and are not included.
    """
    if not getattr(reward, "composite", False):  # only composites report their children as components
        return []
    keys: list[str] = []
    for name, child in children(reward):
        keys.append(prefix + name)
        keys.extend(component_keys(child, f"{prefix}{name}."))
    return keys


def check_reserved(keys: Sequence[str], reserved: Sequence[str], where: str) -> None:
    clash = sorted(set(keys) & set(reserved))
    if clash:
        raise ConfigError(
            f"component name(s) {clash} clash with the keys {list(reserved)} that the {where} adapter "
            "reports; rename the component(s)"
        )


def require_torch(what: str) -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed wherever these trainers run
        raise DependencyError(f"{what} returns torch tensors; install torch (`pip install torch`)") from exc
    return torch


class RewardHandle:
    """A reward, its runner settings and (from the first call on) its :class:`~rewardlab.Runner`.

    Settings are validated (a :class:`~rewardlab.runner.RunnerSettings`) and the reward is checked to
    reach worker processes on construction; the runner and its worker processes start on the first
    call and are reused across calls. The runner is closed by
    :meth:`close` or at interpreter exit (the runner's finalizer). Pickling a handle (trainers copy
    reward functions to other processes) drops the runner; the copy builds its own on first use.
    """

    def __init__(self, reward: RewardLike, settings: RunnerSettings) -> None:
        self.reward = reward
        self.settings = settings
        if settings.cpu_workers() > 0:
            pickled(reward)  # a reward that cannot reach the workers fails here, not on the first call
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._busy = False
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def runner(self) -> Runner:
        with self._lock:
            if self._runner is None:
                self._runner = Runner.from_settings(self.reward, self.settings)
            return self._runner

    def score(self, samples: list[Sample]) -> list[RewardResult]:
        """Score ``samples``; calls from other threads that arrive meanwhile are batched together."""
        job: Job = (samples, Future())
        with self._lock:
            self._queue.append(job)
            lead = not self._busy
            self._busy = True
        if lead:
            self._drain()
        return job[1].result()

    def _drain(self) -> None:
        while True:
            with self._lock:
                jobs, self._queue = self._queue, []
                if not jobs:
                    self._busy = False
                    return
            _run_jobs(self.runner, jobs)

    async def ascore(self, samples: list[Sample]) -> list[RewardResult]:
        """:meth:`score` for coroutines: calls made on the same event loop are batched together."""
        loop = asyncio.get_running_loop()
        with self._lock:
            queue = self._loops.get(loop)
            if queue is None:
                queue = self._loops[loop] = _LoopQueue()
        future: asyncio.Future[list[RewardResult]] = loop.create_future()
        queue.jobs.append((samples, future))
        if queue.task is None or queue.task.done():
            queue.task = loop.create_task(self._adrain(queue))
        return await future

    async def _adrain(self, queue: _LoopQueue) -> None:
        await asyncio.sleep(0)  # let the other coroutines of the same gather() enqueue first
        while queue.jobs:
            jobs, queue.jobs = queue.jobs, []
            flat = [s for samples, _ in jobs for s in samples]
            try:
                results = await asyncio.to_thread(self.score, flat)
            except BaseException as exc:  # every waiter gets the error (e.g. RewardError under "raise")
                for _, fut in jobs:
                    if not fut.done():
                        fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            start = 0
            for samples, fut in jobs:
                if not fut.done():
                    fut.set_result(results[start : start + len(samples)])
                start += len(samples)

    def close(self) -> None:
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"reward": self.reward, "settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["reward"], state["settings"])  # type: ignore[misc]


class _LoopQueue:
    __slots__ = ("jobs", "task")

    def __init__(self) -> None:
        self.jobs: list[tuple[list[Sample], asyncio.Future[list[RewardResult]]]] = []
        self.task: asyncio.Task[None] | None = None


def _run_jobs(runner: Runner, jobs: list[Job]) -> None:
    flat = [s for samples, _ in jobs for s in samples]
    try:
        results = runner.score(flat)
    except BaseException as exc:
        for _, fut in jobs:
            fut.set_exception(exc)
        return
    start = 0
    for samples, fut in jobs:
        fut.set_result(results[start : start + len(samples)])
        start += len(samples)


def flat_components(
    result: RewardResult, keys: Sequence[str], missing: float | None
) -> dict[str, float | None]:
    """``{key: value}`` for exactly ``keys``: the result's component, or ``missing`` where it has none."""
    return {k: result.components.get(k, missing) for k in keys}


def finite_means(results: Sequence[RewardResult]) -> dict[str, float]:
    """Mean of each component over the results that have it (gated-off or failed samples do not count)."""
    sums: dict[str, list[float]] = {}
    for r in results:
        for k, v in r.components.items():
            if isinstance(v, int | float) and math.isfinite(v):
                sums.setdefault(k, []).append(float(v))
    return {k: sum(v) / len(v) for k, v in sums.items()}


def spec_from_env() -> str:
    """``REWARDLAB_SPEC`` (a TOML path or a registered name), else the path of rewardlab's default spec."""
    return os.environ.get(SPEC_ENV) or str(DEFAULT_SPEC)


def error_score_from_env() -> float:
    raw = os.environ.get(ERROR_SCORE_ENV)
    if raw is None:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{ERROR_SCORE_ENV} must be a finite number, got {raw!r}")
    return value


class LazyDefault(Generic[T]):
    """The one object behind a module-level trainer hook, built on first use or set explicitly.

    Trainers load reward hooks as a function looked up by name in a module (verl) or file (OpenRLHF);
    they cannot be handed a constructed object, so such modules keep exactly one, here.
    """

    def __init__(self, factory: Callable[[], T], close: Callable[[T], None]) -> None:
        self._factory = factory
        self._close = close
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._factory()
            return self._value

    def set(self, value: T | None) -> None:
        """Replace the object (``None``: build it again on next use); the old one is closed."""
        with self._lock:
            old, self._value = self._value, value
        if old is not None:
            self._close(old)


def assign_groups(
    samples: list[Sample], *, by: Callable[[Sample], Any], size: int | None = None, consecutive: bool = True
) -> list[Sample]:
    """Give a group reward its groups from the trainer's own grouping.

    ``size``: consecutive blocks of ``size`` samples (TRL's ``num_generations``); otherwise samples with
    equal ``by(sample)`` (the prompt), in consecutive runs or (``consecutive=False``) anywhere in the call.
    Each group key is private to this call, and each sample records its group's size
    (``metadata["group_size"]``), so a group the trainer split across calls is refused, never scored as a
    smaller group. Samples that already carry ``metadata["group"]`` (a dataset column) keep it.
    """
    if any("group" in (s.metadata or {}) for s in samples):
        return samples
    token = uuid.uuid4().hex[:12]
    keys: list[Any] = []
    if size is not None:
        if len(samples) % size:
            raise ValueError(f"{len(samples)} completions do not split into groups of {size}")
        keys = [i // size for i in range(len(samples))]
    elif consecutive:
        run, last = -1, object()
        for s in samples:
            k = by(s)
            if k != last:
                run, last = run + 1, k
            keys.append(run)
    else:
        keys = [json.dumps(by(s), sort_keys=True, default=str) for s in samples]
    sizes: dict[Any, int] = {}
    for k in keys:
        sizes[k] = sizes.get(k, 0) + 1
    return [
        Sample(
            s.prompt,
            s.completion,
            s.reference,
            {**(s.metadata or {}), "group": (token, k), "group_size": size or sizes[k]},
        )
        for s, k in zip(samples, keys, strict=True)
    ]
