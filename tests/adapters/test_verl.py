"""verl adapter against verl 0.9.1's call conventions (verl is not installed here: it pins transformers < 5.11).

Each replay below copies the lines of verl that touch the reward function, with file and version:

- ``verl/trainer/ppo/reward.py@0.9.1`` ``get_custom_reward_fn``: ``load_extern_object(path, name)`` (a
  ``pkg://`` path is ``importlib.import_module``), then ``partial(_call_with_kwargs[_async], raw_fn,
  reward_kwargs)`` depending on ``inspect.iscoroutinefunction(raw_fn)``.
- ``verl/experimental/reward_loop/reward_manager/naive.py@0.9.1`` ``NaiveRewardManager.run_single``: one
  call per sample with keywords ``data_source, solution_str, ground_truth, extra_info``; awaited when the
  function is a coroutine function, else ``loop.run_in_executor(None, ...)``; ``result["score"]`` and
  every key into ``reward_extra_info``.
- ``verl/experimental/reward_loop/reward_loop.py@0.9.1`` ``compute_score_batch`` (``asyncio.gather`` over
  samples) and ``compute_rm_score`` (keys of the first sample, ``np.array([info[key] for info in infos])``).
- ``verl/workers/reward_manager/batch.py@0.9.1`` ``BatchRewardManager.verify``/``__call__``: keywords
  ``data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs``; per-key ``append``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import threading
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rewardlab as rl
from _rewards import Behave
from rewardlab.adapters import verl as adapter
from rewardlab.adapters.verl import VerlReward
from rewardlab.errors import ConfigError


@pytest.fixture(autouse=True)
def _fresh_default() -> Any:
    adapter._DEFAULT.set(None)
    yield
    adapter._DEFAULT.set(None)


# -- replay of verl 0.9.1 -----------------------------------------------------------------------------


def _call_with_kwargs(raw_fn: Any, extra_kwargs: dict, *args: Any, **kwargs: Any) -> Any:
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


async def _call_with_kwargs_async(raw_fn: Any, extra_kwargs: dict, *args: Any, **kwargs: Any) -> Any:
    return await raw_fn(*args, **{**kwargs, **extra_kwargs})


def get_custom_reward_fn(path: str, name: str, reward_kwargs: dict | None = None) -> Any:
    assert path.startswith("pkg://")
    raw_fn = getattr(importlib.import_module(path[len("pkg://") :].replace("/", ".")), name)
    kwargs = dict(reward_kwargs or {})
    if not inspect.iscoroutinefunction(raw_fn):
        return partial(_call_with_kwargs, raw_fn, kwargs)
    return partial(_call_with_kwargs_async, raw_fn, kwargs)


async def run_single(compute_score: Any, row: dict) -> dict:
    loop = asyncio.get_running_loop()
    extra_info = row.get("extra_info", {})
    extra_info["num_turns"] = None
    extra_info["rollout_reward_scores"] = {}
    kwargs = dict(
        data_source=row["data_source"],
        solution_str=row["response"],
        ground_truth=row["reward_model"]["ground_truth"],
        extra_info=extra_info,
    )
    if inspect.iscoroutinefunction(compute_score):
        result = await compute_score(**kwargs)
    else:
        result = await loop.run_in_executor(None, lambda: compute_score(**kwargs))
    reward_extra_info = {}
    if isinstance(result, dict):
        score = result["score"]
        for key, value in result.items():
            reward_extra_info[key] = value
    else:
        score = result
        reward_extra_info["acc"] = score
    return {"reward_score": score, "reward_extra_info": reward_extra_info}


def reward_loop(compute_score: Any, rows: list[dict]) -> tuple[list[float], dict[str, np.ndarray]]:
    async def compute_score_batch() -> list[dict]:
        return await asyncio.gather(*(asyncio.create_task(run_single(compute_score, r)) for r in rows))

    outputs = asyncio.run(compute_score_batch())
    scores = [o["reward_score"] for o in outputs]
    infos = [o.get("reward_extra_info", {}) for o in outputs]
    keys = list(infos[0].keys())
    return scores, {key: np.array([info[key] for info in infos]) for key in keys}


def batch_manager(compute_score: Any, rows: list[dict], **reward_kwargs: Any) -> tuple[list[float], dict]:
    scores = compute_score(
        data_sources=np.array([r["data_source"] for r in rows], dtype=object),
        solution_strs=[r["response"] for r in rows],
        ground_truths=[r["reward_model"].get("ground_truth", None) for r in rows],
        extra_infos=[dict(r.get("extra_info", {}), rollout_reward_scores={}) for r in rows],
        **reward_kwargs,
    )
    rewards, extra = [], defaultdict(list)
    for score in scores:
        if isinstance(score, dict):
            rewards.append(score["score"])
            for key, value in score.items():
                extra[key].append(value)
        else:
            rewards.append(score)
    return rewards, dict(extra)


def row(response: str, truth: str, **extra: Any) -> dict:
    return {
        "data_source": "openai/gsm8k",
        "response": response,
        "reward_model": {"ground_truth": truth},
        "extra_info": dict(extra),
    }


ROWS = [
    row("so the answer is \\boxed{72}", "72", index=0),
    row("\\boxed{71}", "72", index=1),
    row("no box, 72", "72", index=2),
    row("\\boxed{", "72", index=3),
]


# -- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["compute_score", "acompute_score"])
def test_reward_loop_with_the_module_functions_and_the_default_spec(name: str) -> None:
    fn = get_custom_reward_fn("pkg://rewardlab.adapters.verl", name, reward_kwargs={"unused_option": 1})
    assert inspect.iscoroutinefunction(fn) == (name == "acompute_score")
    scores, extra = reward_loop(fn, ROWS)
    assert scores == [1.1, 0.1, 1.0, 0.0]  # default spec: correct + 0.1 x boxed format
    assert list(extra) == ["score", "error", "error_type", "correct", "format"]
    assert extra["error"].tolist() == [False] * 4
    assert extra["correct"].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_spec_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('[reward]\ntype = "sum"\n[reward.components.acc]\ntype = "math"\n[runner]\nworkers = 1\n')
    monkeypatch.setenv("REWARDLAB_SPEC", str(spec))
    scores, extra = reward_loop(get_custom_reward_fn("pkg://rewardlab.adapters.verl", "acompute_score"), ROWS)
    assert scores == [1.0, 0.0, 1.0, 0.0] and extra["acc"].tolist() == scores


def test_every_sample_has_the_same_keys_when_components_are_gated_or_fail() -> None:
    # `behave` is gated on `correct`, so wrong answers never reach it; one correct sample raises in it.
    reward = rl.combine(correct=rl.math_answer(), behave=Behave(), gates={"behave": "correct"})
    adapter.configure(reward, workers=1, error_score=-1.0)
    rows = [
        row("\\boxed{72}", "72", value=0.5),
        row("\\boxed{7}", "72"),
        row("\\boxed{72}", "72", do="raise"),
    ]
    scores, extra = reward_loop(get_custom_reward_fn("pkg://rewardlab.adapters.verl", "acompute_score"), rows)
    assert scores == [1.5, 0.0, -1.0]
    assert extra["error"].tolist() == [False, False, True]
    assert extra["error_type"].tolist() == ["", "", "ComponentError"]
    assert extra["behave"].tolist() == [0.5, None, None]  # not reached: None, which verl's metrics skip


def test_batch_reward_manager_form() -> None:
    adapter.configure("math", workers=1)
    fn = get_custom_reward_fn("pkg://rewardlab.adapters.verl", "compute_score_batch")
    rewards, extra = batch_manager(fn, ROWS)
    assert rewards == [1.0, 0.0, 1.0, 0.0]
    assert {k: len(v) for k, v in extra.items()} == {"score": 4, "error": 4, "error_type": 4}


def test_a_hanging_sample_times_out_and_scores_error_score() -> None:
    reward = VerlReward(Behave(), workers=1, timeout=1, error_score=0.0)
    rows = [row("x", "", value=1.0), row("x", "", do="sleep", seconds=60), row("x", "", value=2.0)]
    scores, extra = reward_loop(reward.acompute_score, rows)
    reward.close()
    assert scores == [1.0, 0.0, 2.0]
    assert extra["error_type"].tolist() == ["", "Timeout", ""]


def test_concurrent_per_sample_calls_are_batched() -> None:
    reward = VerlReward(Behave(), workers=2)
    runner = reward.handle.runner
    sizes: list[int] = []
    real = runner.score

    def spy(samples: Any) -> Any:
        items = list(samples)
        sizes.append(len(items))
        return real(items)

    runner.score = spy  # type: ignore[method-assign]
    rows = [row("x", "", value=float(i)) for i in range(64)]
    scores, _ = reward_loop(reward.acompute_score, rows)
    assert scores == [float(i) for i in range(64)]
    assert sizes == [64]  # one reward-loop chunk -> one batch for the pool

    sizes.clear()
    barrier = threading.Barrier(8)
    out: dict[int, float] = {}

    def call(i: int) -> None:
        barrier.wait()
        info = {"value": float(i)} if i else {"do": "sleep", "seconds": 0.3}  # the first batch takes a while
        out[i] = reward(data_source="d", solution_str="x", ground_truth="", extra_info=info)["score"]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reward.close()
    assert out == {0: 1.0, **{i: float(i) for i in range(1, 8)}}
    assert sum(sizes) == 8 and len(sizes) < 8  # threads arriving while a batch ran shared the next one


def test_numpy_ground_truths_and_extra_info_reach_the_reward() -> None:
    reward = VerlReward("math", workers=0)
    result = reward(data_source="d", solution_str="\\boxed{3}", ground_truth=np.str_("3"), extra_info=None)
    assert result["score"] == 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"on_error": "raise"}, "on_error='raise' would stop verl's reward loop"),
        ({"error_score": float("nan")}, "`error_score` must be a finite number"),
        ({"error_score": None}, "`error_score` must be a finite number"),
        ({"timeout": -1}, "timeout must be a positive number"),
    ],
)
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VerlReward("math", **options)


def test_component_names_that_clash_with_verl_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"\['score'\] clash"):
        VerlReward(rl.combine(score=rl.math_answer()))


def test_bad_error_score_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_SPEC", "math")
    monkeypatch.setenv("REWARDLAB_ERROR_SCORE", "zero")
    with pytest.raises(ConfigError, match="REWARDLAB_ERROR_SCORE must be a finite number, got 'zero'"):
        adapter.compute_score("d", "x", "1")
