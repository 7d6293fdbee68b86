"""Core layer: the data types, the reward contract, the registry, composition and specs.

Standard library only: no trainer, no HTTP, no torch, not even numpy. Everything here is re-exported by
``rewardlab`` itself (``rl.Sample``, ``rl.as_reward``, ...); import from this face, not the modules.
"""

from __future__ import annotations

from rewardlab.core.budget import sample_budget, time_left
from rewardlab.core.compose import Combine, Penalized
from rewardlab.core.group import GroupReward, in_group, is_group_reward, score_groups
from rewardlab.core.registry import REGISTRY, Registry, register
from rewardlab.core.reward import FunctionReward, Reward, RewardLike, children, is_reward, reward_fn, walk
from rewardlab.core.spec import (
    DEFAULT_SPEC,
    RewardSpec,
    Spec,
    as_reward,
    combine,
    load_spec,
    penalize,
    validate,
)
from rewardlab.core.types import ErrorInfo, RewardResult, Sample

__all__ = [
    "DEFAULT_SPEC",
    "REGISTRY",
    "Combine",
    "ErrorInfo",
    "FunctionReward",
    "GroupReward",
    "Penalized",
    "Registry",
    "Reward",
    "RewardLike",
    "RewardResult",
    "RewardSpec",
    "Sample",
    "Spec",
    "as_reward",
    "children",
    "combine",
    "in_group",
    "is_group_reward",
    "is_reward",
    "load_spec",
    "penalize",
    "register",
    "reward_fn",
    "sample_budget",
    "score_groups",
    "time_left",
    "validate",
    "walk",
]
