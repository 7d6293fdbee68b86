"""LLM judges: an OpenAI-compatible client, judge rewards, a guard against master keys, and the probe.

Import from this face. ``openai`` (the ``judges`` extra) is imported only when a judge is first called.
"""

from __future__ import annotations

from rewardlab.judges.client import JudgeClient, JudgeConfig, JudgeReply
from rewardlab.judges.guard import RULES, Guard, check, fence
from rewardlab.judges.parse import final_answer, parse_label, parse_preference, parse_score
from rewardlab.judges.rewards import (
    GenRMVerdict,
    JudgeChecker,
    JudgeLabel,
    JudgePairwise,
    JudgePrinciples,
    JudgeReward,
    JudgeScore,
)

__all__ = [
    "RULES",
    "GenRMVerdict",
    "Guard",
    "JudgeChecker",
    "JudgeClient",
    "JudgeConfig",
    "JudgeLabel",
    "JudgePairwise",
    "JudgePrinciples",
    "JudgeReply",
    "JudgeReward",
    "JudgeScore",
    "check",
    "fence",
    "final_answer",
    "parse_label",
    "parse_preference",
    "parse_score",
]
