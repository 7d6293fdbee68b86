"""Group-level and intrinsic rewards: majority vote, diversity, coverage, confidence, novelty.

Group rewards (``majority_vote``, ``group_diversity``, ``group_coverage``) score each rollout against the
others of its group (``metadata["group"]``; see :mod:`rewardlab.core.group`); the others score one rollout
(self-certainty from log-probs, novelty, information gain) but need no label.
"""

from __future__ import annotations

from rewardlab.rewards.group.confidence import SelfCertainty
from rewardlab.rewards.group.coverage import GroupCoverage
from rewardlab.rewards.group.diversity import GroupDiversity, ngram_similarity, vendi
from rewardlab.rewards.group.majority import MajorityVote
from rewardlab.rewards.group.novelty import (
    CombinedNovelty,
    EpisodicNovelty,
    GlobalNovelty,
    InformationGain,
    MoveRepetition,
    NoveltyMemory,
)

__all__ = [
    "CombinedNovelty",
    "EpisodicNovelty",
    "GlobalNovelty",
    "GroupCoverage",
    "GroupDiversity",
    "InformationGain",
    "MajorityVote",
    "MoveRepetition",
    "NoveltyMemory",
    "SelfCertainty",
    "ngram_similarity",
    "vendi",
]
