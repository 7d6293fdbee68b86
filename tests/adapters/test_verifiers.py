"""verifiers adapter: the parts verifiers 0.4's own code does not reach here.

verifiers 0.4.0 itself runs in ``tests/integration/test_in_verifiers.py`` (its own virtualenv: rewards
plugged by config, ``Task.score`` on real traces), which replaced the replay of its call sites that lived
here. What stays:

- unit tests of :class:`TaskReward` (the task data verifiers passes, metric prefixes, options);
- a replay of the *classic* ``vf.Rubric`` calling convention (verifiers 0.1-0.3,
  ``verifiers/rubrics/rubric.py`` of willccbb/verifiers: ``call_reward_func`` passes ``prompt, completion,
  answer, state, task, info`` (+ ``parser``) to a function with ``**kwargs`` and turns an exception into
  0.0; ``score_rollout`` gathers all functions, metrics by ``__name__``, reward = weighted sum). The real
  package cannot run it here: verifiers 0.4 removed ``Rubric``, and the integration tests pin 0.4.0; a
  second verifiers virtualenv for the legacy API is not worth its CI minutes.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

import rewardlab as rl
from _rewards import Behave
from rewardlab.adapters.verifiers import RubricReward, reward_func, rubric, task_reward
from rewardlab.errors import ConfigError, DependencyError, RewardError

# -- verifiers 0.4: TaskReward ---------------------------------------------------------------------------


class Data(BaseModel):  # a verifiers TaskData: frozen pydantic, task-specific fields allowed
    model_config = ConfigDict(frozen=True, extra="allow")
    idx: int | None = None
    prompt: str | list[dict[str, Any]] | None = None


def trace(*replies: str) -> Any:
    return SimpleNamespace(assistant_messages=[SimpleNamespace(content=r) for r in replies])


def test_the_task_data_itself_or_a_task_holding_it() -> None:
    fn = task_reward("math", workers=0)
    data = Data(prompt="What is 6*7?", answer="42", level=3)
    for task in (data, SimpleNamespace(data=data)):
        sample = fn.sample(task, trace("thinking", "\\boxed{42}"))
        assert sample.reference == "42" and sample.prompt == "What is 6*7?"
        assert sample.metadata == {"level": 3}
        assert [m["content"] for m in sample.completion] == ["thinking", "\\boxed{42}"]


def test_missing_reference_field_is_a_clear_error() -> None:
    fn = task_reward("math", workers=0)
    with pytest.raises(ConfigError, match="has no field 'answer'; pass reference_field=<field>, or None"):
        fn.sample(Data(prompt="p", solution="1"), trace("x"))


def test_every_reward_gets_its_own_metric_prefix() -> None:
    a, b, c = task_reward("math", workers=0), task_reward("math", workers=0), task_reward(Behave(), workers=0)
    assert (a.__name__, b.__name__, c.__name__) == ("math", "math-2", "behave")
    named = task_reward("math", workers=0, name="acc")
    with pytest.raises(ConfigError, match="already records its metrics as 'acc'"):
        task_reward("exact_match", workers=0, name="acc")
    assert named.__name__ == "acc"
    del a
    assert task_reward("math", workers=0).__name__ == "math"  # a freed reward frees its prefix


def test_failure_raises_by_default_or_scores_error_score() -> None:
    strict = task_reward(Behave(), reference_field=None, workers=0, name="strict")
    with pytest.raises(RewardError, match="ValueError"):
        asyncio.run(strict(Data(do="raise"), FakeTrace("x")))
    lenient = task_reward(Behave(), reference_field=None, workers=0, error_score=-1, name="lenient")
    tr = FakeTrace("x")
    assert asyncio.run(lenient(Data(do="raise"), tr)) == -1.0 and tr.metrics == {"lenient/error": 1.0}


class FakeTrace:
    def __init__(self, *replies: str) -> None:
        self.assistant_messages = [SimpleNamespace(content=r) for r in replies]
        self.metrics: dict[str, float] = {}

    def record_metric(self, name: str, value: float) -> None:
        self.metrics[name] = float(value)


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
    rb = rubric(reward, workers=1, parser="the-parser", name="rewardlab")
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
    rb = rubric(Behave(), workers=0, error_score=-1.0, name="rewardlab")
    total, metrics = asyncio.run(rb.score_rollout("p", "c", None, {}, info={"do": "raise"}))
    assert total == -1.0 and metrics == {"rewardlab": -1.0, "rewardlab/error": 1.0}


def test_reward_func_alone_with_the_classic_signature() -> None:
    fn = reward_func("math", workers=0)
    assert isinstance(fn, RubricReward) and fn.__name__ == "math"  # the metric prefix: the reward's name
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
