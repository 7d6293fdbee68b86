"""Tool-call rewards: ``"tool_call"`` (ToolRL-style partial credit) and ``"bfcl"`` (BFCL's exact AST match).

Parsing and verification are separate steps, each public and tested on its own:

- parse (:mod:`~rewardlab.rewards.tools.parse`): :func:`parse_calls` reads the calls a completion makes
  (OpenAI ``tool_calls``, Hermes ``<tool_call>`` blocks, a bare JSON call, Python call syntax) and keeps
  the malformed ones apart, as the policy's failures; it never raises on what the policy wrote;
- verify (:mod:`~rewardlab.rewards.tools.match`): :func:`match_calls` checks the calls against BFCL gold
  answers with BFCL's parameter rules and an order-insensitive pairing
  (:mod:`~rewardlab.rewards.tools.assign`); Java/JavaScript source literals are read by
  :mod:`~rewardlab.rewards.tools.lang`.

:class:`ToolCallReward` and :class:`BfclReward` (:mod:`~rewardlab.rewards.tools.reward`) read the reference
(:func:`read_reference`) and put the two steps together for the runner.
"""

from __future__ import annotations

from rewardlab.rewards.tools.assign import max_assignment, perfect_matching
from rewardlab.rewards.tools.lang import convert_source_value
from rewardlab.rewards.tools.match import (
    GoldCall,
    MatchResult,
    PairCheck,
    check_pair,
    check_param,
    match_calls,
    name_jaccard,
    standardize,
)
from rewardlab.rewards.tools.parse import FORMATS, ParsedCalls, parse_calls, parse_python_calls, parse_text
from rewardlab.rewards.tools.reward import (
    BfclReward,
    ToolCallReward,
    ToolReference,
    gold_calls,
    read_reference,
    render_value,
)

__all__ = [
    "FORMATS",
    "BfclReward",
    "GoldCall",
    "MatchResult",
    "PairCheck",
    "ParsedCalls",
    "ToolCallReward",
    "ToolReference",
    "check_pair",
    "check_param",
    "convert_source_value",
    "gold_calls",
    "match_calls",
    "max_assignment",
    "name_jaccard",
    "parse_calls",
    "parse_python_calls",
    "parse_text",
    "perfect_matching",
    "read_reference",
    "render_value",
    "standardize",
]
