"""Dataset readers for evaluation. Every reader returns a :class:`Loaded`: the rows it could read, each
malformed row as a :class:`BadRecord` (its index and why), the file's sha256. Nothing is scored here."""

from __future__ import annotations

from rewardlab.eval.datasets._files import BadRecord, Loaded, RowProblem, records, sha256_of
from rewardlab.eval.datasets.judged import (
    Candidates,
    JudgedPair,
    StepSolution,
    category,
    read_best_of_n,
    read_judgebench,
    read_processbench,
)
from rewardlab.eval.datasets.preference import (
    Pair,
    StylePair,
    read_pairs,
    read_rm_bench,
    sniff_pairs,
    split_transcript,
)

__all__ = [
    "BadRecord",
    "Candidates",
    "JudgedPair",
    "Loaded",
    "Pair",
    "RowProblem",
    "StepSolution",
    "StylePair",
    "category",
    "read_best_of_n",
    "read_judgebench",
    "read_pairs",
    "read_processbench",
    "read_rm_bench",
    "records",
    "sha256_of",
    "sniff_pairs",
    "split_transcript",
]
