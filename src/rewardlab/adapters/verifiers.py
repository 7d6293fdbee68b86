"""verifiers adapter: a rewardlab reward in a verifiers environment, for both verifiers APIs.

**verifiers 0.4 (``verifiers.v1``: tasks and traces).** There is no ``Rubric`` any more. A reward is an
async function whose parameters are injected by name from ``task``, ``trace`` and ``runtime``, declared
with ``@vf.reward`` on a ``Task`` or plugged by config (``--env.taskset.task.rewards.NAME.fn=file.py:obj``).
:func:`task_reward` builds one::

    # my_rewards.py
    from rewardlab.adapters.verifiers import task_reward
    correct = task_reward("rewards.toml", timeout=10)
    # vf-eval ... --env.taskset.task.rewards.correct.fn=my_rewards.py:correct

Pinned to verifiers 0.4.0: ``verifiers/v1/task.py`` (``Task.score``: ``available = {"task": self.data,
"trace": trace}``, so a reward's ``task`` argument is the task's *data*, a pydantic ``TaskData``; metrics,
then rewards, each list through ``invoke_all`` = ``asyncio.gather``; a reward returning a float is recorded with
``trace.record_reward(name, float(value), weight)``, a returned mapping records *every key as a weighted
reward*, and an exception fails scoring of the whole trace as a ``TaskError``),
``verifiers/v1/utils/decorators.py`` (``invoke``: keyword arguments by parameter name) and
``verifiers/v1/utils/loaders.py`` (``load_plugged_fn``: ``functools.wraps`` around the imported object).
So :func:`task_reward` returns the float total and records the components as *metrics*
(``trace.record_metric("<name>/<component>", v)``, unweighted, not summed) plus ``<name>/error``. All the
rewards of a task write into one ``trace.metrics`` dict, so every live reward has its own ``<name>``:
``name=`` (refused if another live reward holds it), else the reward's own name (a spec file's stem, a
registered name), numbered when taken (``math``, ``math-2``).

**verifiers 0.1-0.3 (``vf.Rubric``).** :func:`reward_func` is a reward function with the classic
signature ``(completion, answer, **kwargs)`` (``prompt``, ``state``, ``info`` are used when given), and
:func:`rubric` returns ``vf.Rubric(funcs=[total, *components, error], weights=[1, 0, ..., 0])``: zero-weight
functions are how that API logs metrics. One scoring per rollout is shared by those functions through
the rollout's ``state`` (the result is left in ``state["rewardlab"][name]``). Pinned to
``verifiers/rubrics/rubric.py`` of willccbb/verifiers (``Rubric.call_reward_func``: the function gets
every argument when it takes ``**kwargs``, an exception becomes ``0.0`` with an error log line).

What rewardlab does differently from a verifiers reward function: the score is computed in a worker
process with a per-sample deadline (verifiers runs reward functions in its event loop, so a CPU-bound
checker blocks every rollout), concurrent calls are batched for the pool, and a failure is never
silently ``0.0``: with ``error_score=None`` the function raises :class:`~rewardlab.errors.RewardError`
(verifiers 0.4 records it on the trace as a ``TaskError``; the 0.1-0.3 ``Rubric`` turns any exception into
``0.0`` itself, so there the default is ``error_score=0.0`` with the ``error`` metric set to 1).
"""

from __future__ import annotations

import asyncio
import re
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from rewardlab.adapters._common import (
    check_error_score,
    check_name,
    open_handle,
)
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, DependencyError, RewardError

__all__ = ["RubricReward", "TaskReward", "reward_func", "rubric", "task_reward"]


class _MetricNames:
    """The metric prefix of every live verifiers reward in this process, each one different.

    verifiers keeps one flat ``trace.metrics`` dict per rollout, and every reward of a task writes into
    it; two rewardlab rewards with one prefix would overwrite each other's ``<prefix>/error``. A prefix
    is ``name=`` when given (refused while another live reward holds it), else derived from the reward
    (a spec file's stem, a registered name, a reward's ``name``) and numbered (``math``, ``math-2``)
    when another live reward holds it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()

    def claim(self, owner: Any, name: Any, reward: Any) -> str:
        explicit = name is not None
        base = check_name(name, _base_name(reward))
        with self._lock:
            if explicit and base in self._owners:
                raise ConfigError(
                    f"another live verifiers reward already records its metrics as {base!r}/...; two rewards "
                    "on one task would overwrite each other's metrics: give each a different `name`"
                )
            candidate, n = base, 1
            while candidate in self._owners:
                n += 1
                candidate = f"{base}-{n}"
            self._owners[candidate] = owner
            return candidate


METRIC_NAMES = _MetricNames()


def _base_name(reward: Any) -> str:
    if isinstance(reward, str):
        text = reward.rsplit(":", 1)[-1]
        text = text[: -len(".toml")].rsplit("/", 1)[-1] if text.endswith(".toml") else text
    elif isinstance(reward, Mapping):
        text = str(reward.get("type", ""))
    else:
        text = str(getattr(reward, "name", "") or getattr(reward, "__name__", ""))
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", text.rsplit(".", 1)[-1] if ":" not in text else text).strip("_")
    return text or "rewardlab"


def _check_field(field: Any) -> str | None:
    if field is not None and (not isinstance(field, str) or not field):
        raise ConfigError(f"`reference_field` must be a field name or None (no reference), got {field!r}")
    return field


def _settle(result: RewardResult, error_score: float | None, name: str) -> float:
    if result.score is not None:
        return result.score
    if error_score is None:
        err = result.error
        raise RewardError(
            0, err.type if err else "MissingScore", f"{name}: {err.message if err else 'no score'}"
        )
    return error_score


def _dump(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


class TaskReward:
    """verifiers 0.4 reward: ``async (task, trace) -> float``; components go to ``trace.metrics``."""

    def __init__(
        self,
        reward: Any,
        *,
        reference_field: str | None = "answer",
        workers: int | None = None,
        timeout: float | None = None,
        on_error: str | float | None = None,
        error_score: float | None = None,
        name: str | None = None,
    ) -> None:
        self.reference_field = _check_field(reference_field)
        self.error_score = check_error_score(error_score, optional=True)
        self.handle, _ = open_handle(reward, workers=workers, timeout=timeout, on_error=on_error)
        self.__name__ = METRIC_NAMES.claim(self, name, reward)

    async def __call__(self, task: Any, trace: Any) -> float:
        (result,) = await self.handle.ascore([self.sample(task, trace)])
        for key, value in sorted(result.components.items()):
            trace.record_metric(f"{self.__name__}/{key}", value)
        trace.record_metric(f"{self.__name__}/error", float(result.error is not None))
        return _settle(result, self.error_score, self.__name__)

    def sample(self, task: Any, trace: Any) -> Sample:
        # verifiers 0.4 passes the task's data (a pydantic TaskData) as `task`; a Task object works too
        data = task if callable(getattr(task, "model_dump", None)) else getattr(task, "data", task)
        fields = dict(getattr(data, "model_extra", None) or {})
        reference = None
        if self.reference_field is not None:
            if hasattr(data, self.reference_field):
                reference = getattr(data, self.reference_field)
            elif self.reference_field in fields:
                reference = fields[self.reference_field]
            else:
                raise ConfigError(
                    f"{self.__name__}: task data {type(data).__name__} has no field {self.reference_field!r}; "
                    "pass reference_field=<field>, or None if the reward needs no reference"
                )
        prompt = getattr(data, "prompt", None)
        messages = [
            {"role": "assistant", "content": m.content or ""}
            for m in getattr(trace, "assistant_messages", [])
        ]
        dump = getattr(data, "model_dump", None)
        dumped = dump(mode="json", exclude_none=True) if callable(dump) else data
        metadata = {
            k: v
            for k, v in (dumped.items() if isinstance(dumped, Mapping) else ())
            if k not in ("prompt", self.reference_field)
        }
        return Sample(
            prompt=prompt if isinstance(prompt, str) else [_dump(m) for m in prompt or []],
            completion=messages,
            reference=_dump(reference),
            metadata=metadata,
        )

    def close(self) -> None:
        self.handle.close()


class RubricReward:
    """verifiers 0.1-0.3 reward function ``(completion, answer, **kwargs) -> float`` (async)."""

    def __init__(
        self,
        reward: Any,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        on_error: str | float | None = None,
        error_score: float | None = 0.0,
        name: str | None = None,
    ) -> None:
        self.error_score = check_error_score(error_score, optional=True)
        self.handle, self.keys = open_handle(reward, workers=workers, timeout=timeout, on_error=on_error)
        self.__name__ = METRIC_NAMES.claim(self, name, reward)
        self._inflight: dict[int, asyncio.Future[RewardResult]] = {}

    async def __call__(
        self,
        completion: Any,
        answer: Any = None,
        prompt: Any = None,
        state: dict[str, Any] | None = None,
        info: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> float:
        result = await self.result(completion, answer, prompt, state, info)
        return _settle(result, self.error_score, self.__name__)

    async def result(
        self, completion: Any, answer: Any, prompt: Any, state: dict[str, Any] | None, info: Any
    ) -> RewardResult:
        """The rollout's result, scored once per ``state`` however many rubric functions ask for it."""
        if state is not None:
            done = state.get("rewardlab", {}).get(self.__name__)
            if isinstance(done, RewardResult):
                return done
            future = self._inflight.get(id(state))
            if future is None:
                future = asyncio.ensure_future(self._score(completion, answer, prompt, state, info))
                self._inflight[id(state)] = future
            return await asyncio.shield(future)
        return await self._score(completion, answer, prompt, None, info)

    async def _score(
        self, completion: Any, answer: Any, prompt: Any, state: dict[str, Any] | None, info: Any
    ) -> RewardResult:
        sample = Sample(
            prompt=prompt if isinstance(prompt, str | list) else "",
            completion=completion if isinstance(completion, str | list) else str(completion),
            reference=answer,
            metadata=dict(info) if isinstance(info, Mapping) else {},
        )
        try:
            (result,) = await self.handle.ascore([sample])
        finally:
            if state is not None:
                self._inflight.pop(id(state), None)
        if state is not None:
            state.setdefault("rewardlab", {})[self.__name__] = result
        return result

    def component(self, key: str) -> Any:
        """A zero-weight rubric function reporting component ``key`` (0.0 where the sample has none)."""

        async def fn(completion: Any, answer: Any = None, **kwargs: Any) -> float:
            r = await self.result(
                completion, answer, kwargs.get("prompt"), kwargs.get("state"), kwargs.get("info")
            )
            return float(r.components.get(key, 0.0))

        fn.__name__ = fn.__qualname__ = f"{self.__name__}/{key}"
        return fn

    def error_flag(self) -> Any:
        """A zero-weight rubric function that is 1.0 for a sample whose reward failed."""

        async def fn(completion: Any, answer: Any = None, **kwargs: Any) -> float:
            r = await self.result(
                completion, answer, kwargs.get("prompt"), kwargs.get("state"), kwargs.get("info")
            )
            return float(r.error is not None)

        fn.__name__ = fn.__qualname__ = f"{self.__name__}/error"
        return fn

    def close(self) -> None:
        self.handle.close()


task_reward = TaskReward
"""``task_reward(reward, reference_field="answer", ...)``: a verifiers 0.4 :class:`TaskReward`."""
reward_func = RubricReward
"""``reward_func(reward, ...)``: a verifiers 0.1-0.3 reward function ``(completion, answer, **kwargs)``,
a :class:`RubricReward` (see the module doc)."""


def rubric(
    reward: Any,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    on_error: str | float | None = None,
    error_score: float | None = 0.0,
    name: str | None = None,
    **rubric_options: Any,
) -> Any:
    """``vf.Rubric`` scoring ``reward`` (weight 1), with each component and the error flag at weight 0.

    Needs a verifiers release with ``verifiers.Rubric`` (0.1-0.3); verifiers 0.4 replaced rubrics by task
    rewards: use :func:`task_reward` there. ``rubric_options`` go to ``vf.Rubric`` (e.g. ``parser``).
    """
    try:
        import verifiers as vf
    except ImportError as exc:
        raise DependencyError(
            "rubric() needs verifiers (`pip install 'verifiers<0.4'`); without it, use reward_func()"
        ) from exc
    rubric_cls = getattr(vf, "Rubric", None)
    if rubric_cls is None:
        raise DependencyError(
            f"verifiers {getattr(vf, '__version__', '?')} has no Rubric (0.4 moved to task rewards in "
            "verifiers.v1); use rewardlab.adapters.verifiers.task_reward() instead"
        )
    fn = reward_func(
        reward, workers=workers, timeout=timeout, on_error=on_error, error_score=error_score, name=name
    )
    funcs = [fn, *(fn.component(k) for k in fn.keys), fn.error_flag()]
    return rubric_cls(funcs=funcs, weights=[1.0] + [0.0] * (len(funcs) - 1), **rubric_options)
