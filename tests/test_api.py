"""The flat public API is pinned: a name added to or dropped from ``rl.__all__`` is a decision."""

from __future__ import annotations

import subprocess
import sys

import rewardlab as rl

PUBLIC = {
    # building and composing rewards
    "as_reward", "build_reward", "combine", "penalize", "reward", "math_answer", "think_answer_format",
    "reward_fn", "Reward", "FunctionReward", "RewardLike", "RewardSpec", "Combine", "Penalized",
    "REGISTRY", "register", "list_rewards", "load_spec",
    # data
    "Sample", "RewardResult", "ErrorInfo",
    # running
    "score", "ascore", "score_one", "Runner", "RayRunner", "RunnerSettings", "make_runner",
    # the server's client
    "Client", "AsyncClient",
    # errors (the whole tree of rewardlab.errors)
    "RewardLabError", "ConfigError", "UnknownRewardError", "SampleError", "ArrayError", "DependencyError",
    "RewardError", "ScoringError", "RewardTimeoutError", "WorkerCrashedError", "Unverifiable", "Unreadable",
    "TooComplex", "SymbolicError", "QueryError", "GraderError", "SandboxError", "SandboxCrash",
    "GroupError", "JudgeError", "JudgeParseError", "JudgeRefusal", "JudgeUnavailable", "GuardRejected",
    "ServiceError", "Overloaded", "ShuttingDown", "ServerError", "ServerUnavailable",
}  # fmt: skip


def test_all_is_pinned() -> None:
    assert set(rl.__all__) == PUBLIC
    assert len(rl.__all__) == len(PUBLIC)  # no duplicates


def test_every_public_name_resolves() -> None:
    for name in rl.__all__:
        assert getattr(rl, name) is not None, name


def test_import_is_cheap_and_lazy() -> None:
    code = (
        "import sys, rewardlab; heavy = [m for m in ('sympy', 'numpy', 'fastapi', 'torch', 'ray', "
        "'rewardlab.runner', 'rewardlab.serve') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
