"""rewardlab: the reward layer for RL post-training of LLMs and LLM agents.

    import rewardlab as rl
    reward = rl.combine(correct=rl.math_answer(), fmt=rl.think_answer_format(), weights={"fmt": 0.2})
    results = rl.score(reward, [{"completion": "... \\boxed{42}", "reference": "42"}], timeout=5)

``import rewardlab`` is cheap: the runner, CLI and every reward module load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rewardlab.rewards as _builtin_rewards  # noqa: F401  (registers built-in names; imports nothing heavy)
from rewardlab.core.compose import Combine, Penalized
from rewardlab.core.registry import REGISTRY, register
from rewardlab.core.reward import FunctionReward, Reward, RewardLike, reward_fn
from rewardlab.core.spec import RewardSpec, as_reward, build_reward, combine, load_spec, penalize
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import (
    ArrayError,
    ConfigError,
    DependencyError,
    GraderError,
    GroupError,
    GuardRejected,
    JudgeError,
    JudgeParseError,
    JudgeRefusal,
    JudgeUnavailable,
    Overloaded,
    QueryError,
    RewardError,
    RewardLabError,
    RewardTimeoutError,
    SampleError,
    SandboxCrash,
    SandboxError,
    ScoringError,
    ServerError,
    ServerUnavailable,
    ServiceError,
    ShuttingDown,
    SymbolicError,
    TooComplex,
    UnknownRewardError,
    Unreadable,
    Unverifiable,
    WorkerCrashedError,
)

if TYPE_CHECKING:
    from rewardlab.client import AsyncClient, Client
    from rewardlab.runner import RayRunner, Runner, RunnerSettings, make_runner, score_one
    from rewardlab.runner.score import ascore, score

__version__ = "0.1.0"

__all__ = [
    "REGISTRY",
    "ArrayError",
    "AsyncClient",
    "Client",
    "Combine",
    "ConfigError",
    "DependencyError",
    "ErrorInfo",
    "FunctionReward",
    "GraderError",
    "GroupError",
    "GuardRejected",
    "JudgeError",
    "JudgeParseError",
    "JudgeRefusal",
    "JudgeUnavailable",
    "Overloaded",
    "Penalized",
    "QueryError",
    "RayRunner",
    "Reward",
    "RewardError",
    "RewardLabError",
    "RewardLike",
    "RewardResult",
    "RewardSpec",
    "RewardTimeoutError",
    "Runner",
    "RunnerSettings",
    "Sample",
    "SampleError",
    "SandboxCrash",
    "SandboxError",
    "ScoringError",
    "ServerError",
    "ServerUnavailable",
    "ServiceError",
    "ShuttingDown",
    "SymbolicError",
    "TooComplex",
    "UnknownRewardError",
    "Unreadable",
    "Unverifiable",
    "WorkerCrashedError",
    "as_reward",
    "ascore",
    "build_reward",
    "combine",
    "list_rewards",
    "load_spec",
    "make_runner",
    "math_answer",
    "penalize",
    "register",
    "reward",
    "reward_fn",
    "score",
    "score_one",
    "think_answer_format",
]


def reward(name: str, **options: Any) -> RewardLike:
    """Build a registered reward by name: ``rl.reward("rouge", variant="rougeL")``."""
    built: RewardLike = REGISTRY.build(name, **options)
    return built


def math_answer(**options: Any) -> RewardLike:
    """The ``"math"`` reward: final-answer equivalence with a reference (see :mod:`rewardlab.rewards.math`)."""
    return reward("math", **options)


def think_answer_format(**options: Any) -> RewardLike:
    """The ``"think_answer_format"`` reward: ``<think>...</think><answer>...</answer>`` (tags configurable)."""
    return reward("think_answer_format", **options)


def list_rewards() -> list[tuple[str, str]]:
    """``(name, one-line doc)`` for every registered reward."""
    return [(e.name, e.doc) for e in REGISTRY.entries()]


_LAZY = {
    "Client": ("rewardlab.client", "Client"),
    "AsyncClient": ("rewardlab.client", "AsyncClient"),
    "score": ("rewardlab.runner.score", "score"),
    "ascore": ("rewardlab.runner.score", "ascore"),
    "score_one": ("rewardlab.runner.worker", "score_one"),
    "Runner": ("rewardlab.runner.local", "Runner"),
    "RayRunner": ("rewardlab.runner.ray_backend", "RayRunner"),
    "RunnerSettings": ("rewardlab.runner._base", "RunnerSettings"),
    "make_runner": ("rewardlab.runner.factory", "make_runner"),
}


_SUBMODULES = ("adapters", "credit", "serve", "sandbox", "runner", "models")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # rl.credit.grpo_advantages(...), rl.models.train_reward_model(...)
        import importlib

        return importlib.import_module(f"rewardlab.{name}")
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'rewardlab' has no attribute {name!r}")
