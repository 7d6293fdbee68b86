"""Evaluation metrics as pure functions (numpy and the standard library only; formulas in docstrings).

- pairwise accuracy with an explicit tie policy, RewardBench-2 best-of-N credit (:mod:`.pairwise`);
- bootstrap intervals, McNemar's paired test, Pearson/Spearman correlation (:mod:`.stats`);
- best-of-N curves RM@k / maj@k / oracle@k, RewardBench 2's Ties score (:mod:`.ranking`);
- RM-Bench's 3x3 style matrix and its easy / normal / hard accuracy (:mod:`.rmbench`);
- JudgeBench's both-order net vote and LLMBar's positional agreement (:mod:`.judge`);
- ProcessBench's error / correct accuracy, F1, thresholds (:mod:`.processbench`).
"""

from __future__ import annotations

from rewardlab.eval.metrics.judge import (
    NetVote,
    decide,
    flip,
    net_vote,
    positional_agreement,
    single_order_accuracy,
    votes,
)
from rewardlab.eval.metrics.pairwise import (
    TIE_POLICIES,
    PairwiseAccuracy,
    TiePolicy,
    best_of_n_credit,
    credits,
    outcomes,
    pairwise_accuracy,
)
from rewardlab.eval.metrics.processbench import (
    ProcessBenchScore,
    candidate_thresholds,
    earliest_error,
    f1_by_threshold,
    fit_threshold,
    processbench_score,
)
from rewardlab.eval.metrics.ranking import BestOfN, TiesRecord, best_of_n, majority_index, rb2_ties_score
from rewardlab.eval.metrics.rmbench import STYLES, difficulty, domain_of, overall, style_matrix, win_tensor
from rewardlab.eval.metrics.stats import McNemar, bootstrap_ci, mcnemar, pearson, ranks, spearman

__all__ = [
    "STYLES",
    "TIE_POLICIES",
    "BestOfN",
    "McNemar",
    "NetVote",
    "PairwiseAccuracy",
    "ProcessBenchScore",
    "TiePolicy",
    "TiesRecord",
    "best_of_n",
    "best_of_n_credit",
    "bootstrap_ci",
    "candidate_thresholds",
    "credits",
    "decide",
    "difficulty",
    "domain_of",
    "earliest_error",
    "f1_by_threshold",
    "fit_threshold",
    "flip",
    "majority_index",
    "mcnemar",
    "net_vote",
    "outcomes",
    "overall",
    "pairwise_accuracy",
    "pearson",
    "positional_agreement",
    "processbench_score",
    "ranks",
    "rb2_ties_score",
    "single_order_accuracy",
    "spearman",
    "style_matrix",
    "votes",
    "win_tensor",
]
