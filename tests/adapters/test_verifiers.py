"""verifiers adapter against both verifiers APIs (verifiers is not installed here; its 0.4 release pulls
mcp, prime-* and renderers). The replays copy the lines of verifiers that touch reward functions:

- verifiers 0.4.0 ``verifiers/v1/utils/decorators.py``: ``invoke`` passes the parameters found by name in
  ``{"task": ..., "trace": ...}``; ``invoke_all`` is ``asyncio.gather(*(invoke(fn, available) ...))``
  (so reward functions must be async).
- verifiers 0.4.0 ``verifiers/v1/utils/loaders.py`` ``load_plugged_fn``: ``functools.wraps(fn)`` around the
  configured object, ``__name__`` set to the config key, ``_vf_weight`` from the config.
- verifiers 0.4.0 ``verifiers/v1/task.py`` ``Task.score``: a float result is recorded with
  ``trace.record_reward(fn.__name__, float(value), weight)``; ``trace.reward`` sums ``score * weight``.
- willccbb/verifiers ``verifiers/rubrics/rubric.py`` (the 0.1-0.3 ``Rubric``): ``call_reward_func`` passes
  ``prompt, completion, answer, state, task, info`` (+ ``parser``) to a function with ``**kwargs``, turns an
  exception into 0.0; ``score_rollout`` gathers all functions, metrics by ``__name__``, reward = weighted sum.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import types
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

import rewardlab as rl
from _rewards import Behave
from rewardlab.adapters.verifiers import RubricReward, reward_func, rubric, task_reward
from rewardlab.errors import ConfigError, DependencyError, RewardError

# -- verifiers 0.4 -------------------------------------------------------------------------------------


class TaskData(BaseModel):  # the fields of verifiers.v1.TaskData that matter here; extra fields allowed
    model_config = ConfigDict(frozen=True, extra="allow")
    idx: int | None = None
    prompt: str | list[dict[str, Any]] | None = None


class AssistantMessage(BaseModel):
    role: str = "assistant"
    content: str | None = None


class Task:
    def __init__(self, **data: Any) -> None:
        self.data = TaskData(**data)


class Trace:
    def __init__(self, *replies: str) -> None:
        self.assistant_messages = [AssistantMessage(content=r) for r in replies]
        self.metrics: dict[str, float | None] = {}
        self.rewards: dict[str, tuple[float, float]] = {}

    def record_metric(self, name: str, value: float) -> None:
        self.metrics[name] = float(value)

    def record_reward(self, name: str, value: float, weight: float = 1.0) -> None:
        self.rewards[name] = (float(value), float(weight))

    @property
    def reward(self) -> float:
        return sum(s * w for s, w in self.rewards.values())


def invoke(fn: Any, available: dict[str, Any]) -> Any:
    params = inspect.signature(fn).parameters
    return fn(**{name: available[name] for name in params if name in available})


def load_plugged_fn(name: str, fn: Any, weight: float | None = None) -> Any:
    @functools.wraps(fn)
    def plugged(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    plugged.__name__ = name
    plugged._vf_weight = weight if weight is not None else getattr(fn, "_vf_weight", 1.0)  # type: ignore[attr-defined]
    return plugged


def score_task(rewards: list[Any], task: Task, trace: Trace) -> None:
    async def run() -> list[Any]:
        return await asyncio.gather(*(invoke(fn, {"task": task, "trace": trace}) for fn in rewards))

    for fn, result in zip(rewards, asyncio.run(run()), strict=True):
        trace.record_reward(fn.__name__, result, getattr(fn, "_vf_weight", 1.0))


def test_task_reward_plugged_into_a_task() -> None:
    correct = task_reward(
        rl.combine(correct=rl.math_answer(), fmt="boxed_format", weights={"fmt": 0.5}), workers=1
    )
    plugged = load_plugged_fn("correct", correct, weight=2.0)
    task, trace = Task(prompt="What is 6*7?", answer="42", idx=3), Trace("thinking", "so \\boxed{42}")
    score_task([plugged], task, trace)
    correct.close()
    assert trace.rewards == {"correct": (1.5, 2.0)} and trace.reward == 3.0
    assert trace.metrics == {"rewardlab/correct": 1.0, "rewardlab/fmt": 1.0, "rewardlab/error": 0.0}


def test_task_reward_reads_the_configured_field_and_passes_the_rest_as_metadata() -> None:
    fn = task_reward(Behave(), reference_field=None, workers=0, name="behave")
    trace = Trace("x")
    score_task([fn], Task(prompt=[{"role": "user", "content": "hi"}], value=0.25), trace)
    assert trace.rewards == {"behave": (0.25, 1.0)} and trace.metrics == {"behave/error": 0.0}
    sample = fn.sample(Task(prompt="p", answer="1", value=2), trace)
    assert sample.metadata == {"idx": None, "answer": "1", "value": 2}


def test_task_reward_failure_raises_by_default_or_scores_error_score() -> None:
    strict = task_reward(Behave(), reference_field=None, workers=0)
    with pytest.raises(RewardError, match="ValueError"):
        score_task([strict], Task(do="raise"), Trace("x"))
    lenient = task_reward(Behave(), reference_field=None, workers=0, error_score=-1)
    trace = Trace("x")
    score_task([lenient], Task(do="raise"), trace)
    assert trace.rewards == {"rewardlab": (-1.0, 1.0)} and trace.metrics["rewardlab/error"] == 1.0


def test_task_reward_missing_field_is_a_clear_error() -> None:
    fn = task_reward("math", workers=0)
    with pytest.raises(ConfigError, match="has no field 'answer'; pass reference_field=<field>, or None"):
        score_task([fn], Task(prompt="p", solution="1"), Trace("x"))


def test_concurrent_rollouts_share_batches() -> None:
    fn = task_reward(Behave(), reference_field=None, workers=2)
    runner = fn.handle.runner
    sizes: list[int] = []
    real = runner.score
    runner.score = lambda samples: (sizes.append(len(list(samples))), real(samples))[1]  # type: ignore[method-assign]
    tasks = [(Task(value=float(i)), Trace("x")) for i in range(32)]

    async def run() -> list[float]:
        return await asyncio.gather(*(invoke(fn, {"task": t, "trace": tr}) for t, tr in tasks))

    assert asyncio.run(run()) == [float(i) for i in range(32)]
    fn.close()
    assert sizes == [32]


# -- verifiers 0.1-0.3 (Rubric) ---------------------------------------------------------------------------


class Rubric:
    """The classic ``vf.Rubric`` calling convention (construction, call_reward_func, score_rollout)."""

    def __init__(
        self, funcs: list[Any] | None = None, weights: list[float] | None = None, parser: Any = None
    ) -> None:
        self.reward_funcs = funcs or []
        self.reward_weights = weights or [1.0] * len(self.reward_funcs)
        self.parser = parser

    async def call_reward_func(
        self,
        func: Any,
        prompt: Any,
        completion: Any,
        answer: Any,
        state: dict,
        task: str = "default",
        info: Any = None,
        **kwargs: Any,
    ) -> float:
        sig = inspect.signature(func)
        merged = {
            **dict(
                prompt=prompt,
                completion=completion,
                answer=answer,
                state=state,
                task=task,
                info=info or {},
                parser=self.parser,
            ),
            **kwargs,
        }
        if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            merged = {k: v for k, v in merged.items() if k in sig.parameters}
        try:
            out = func(**merged)
            return float(await out if inspect.isawaitable(out) else out)
        except Exception:
            return 0.0

    async def score_rollout(
        self, prompt: Any, completion: Any, answer: Any, state: dict, task: str = "default", info: Any = None
    ) -> tuple[float, dict[str, float]]:
        scores = await asyncio.gather(
            *(
                self.call_reward_func(f, prompt, completion, answer, state, task, info)
                for f in self.reward_funcs
            )
        )
        metrics = {f.__name__: s for f, s in zip(self.reward_funcs, scores, strict=True)}
        return sum(s * w for s, w in zip(scores, self.reward_weights, strict=True)), metrics


@pytest.fixture
def classic_verifiers(monkeypatch: pytest.MonkeyPatch) -> Any:
    module = types.ModuleType("verifiers")
    module.Rubric = Rubric  # type: ignore[attr-defined]
    module.__version__ = "0.1.3"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "verifiers", module)
    return module


def test_rubric_scores_once_per_rollout_and_logs_components(classic_verifiers: Any) -> None:
    reward = rl.combine(correct=rl.math_answer(), behave=Behave())
    rb = rubric(reward, workers=1, parser="the-parser")
    fn = rb.reward_funcs[0]
    calls: list[int] = []
    real = fn.handle.runner.score
    fn.handle.runner.score = lambda samples: (calls.append(1), real(samples))[1]
    prompt = [{"role": "user", "content": "6*7?"}]
    completion = [{"role": "assistant", "content": "\\boxed{42}"}]
    state: dict[str, Any] = {}
    total, metrics = asyncio.run(rb.score_rollout(prompt, completion, "42", state, info={"value": 0.5}))
    fn.close()
    assert rb.parser == "the-parser" and rb.reward_weights == [1.0, 0.0, 0.0, 0.0]
    assert total == 1.5
    assert metrics == {
        "rewardlab": 1.5,
        "rewardlab/correct": 1.0,
        "rewardlab/behave": 0.5,
        "rewardlab/error": 0.0,
    }
    assert len(calls) == 1  # four rubric functions, one scoring
    assert state["rewardlab"]["rewardlab"].score == 1.5


def test_rubric_reward_failure_scores_error_score_and_sets_the_error_metric(classic_verifiers: Any) -> None:
    rb = rubric(Behave(), workers=0, error_score=-1.0)
    total, metrics = asyncio.run(rb.score_rollout("p", "c", None, {}, info={"do": "raise"}))
    assert total == -1.0 and metrics == {"rewardlab": -1.0, "rewardlab/error": 1.0}


def test_reward_func_alone_with_the_classic_signature() -> None:
    fn = reward_func("math", workers=0)
    assert isinstance(fn, RubricReward) and fn.__name__ == "rewardlab"
    assert asyncio.run(fn(completion="\\boxed{3}", answer="3")) == 1.0
    assert (
        asyncio.run(fn("\\boxed{3}", "4", prompt="p", state={}, info={}, task="default", parser=None)) == 0.0
    )
    strict = reward_func(Behave(), workers=0, error_score=None)
    with pytest.raises(RewardError):
        asyncio.run(strict("c", None, info={"do": "raise"}))


def test_rubric_with_verifiers_0_4_points_to_task_reward(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("verifiers")
    module.__version__ = "0.4.0"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "verifiers", module)
    with pytest.raises(DependencyError, match=r"verifiers 0.4.0 has no Rubric.*task_reward\(\)"):
        rubric("math")


def test_rubric_without_verifiers_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "verifiers", None)
    with pytest.raises(DependencyError, match=r"pip install 'verifiers<0\.4'"):
        rubric("math")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reference_field": ""}, "`reference_field` must be a field name or None"),
        ({"error_score": float("inf")}, "`error_score` must be a finite number or None"),
        ({"name": ""}, "`name` must be a non-empty identifier"),
    ],
)
def test_task_reward_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        task_reward("math", **options)
