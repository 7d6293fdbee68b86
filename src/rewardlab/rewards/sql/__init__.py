"""The ``"sql"`` reward: execution match of a predicted query against the gold one, on a real SQLite file.

Parsing and verification are separate steps, each public and tested on its own:

- parse: :func:`extract_sql` (:mod:`~rewardlab.rewards.sql.reward`) takes the query out of the
  completion; :func:`parse_sql` (:mod:`~rewardlab.rewards.sql.partial`) reads it with sqlglot;
- verify: :func:`run_query` (:mod:`~rewardlab.rewards.sql.execute`) runs both queries read-only with a
  deadline and row and size caps, and :func:`results_match` (:mod:`~rewardlab.rewards.sql.match`)
  decides whether the two results hold the same answer (row order only when :func:`gold_orders`);
  Reasoning-SQL's execution-free partial rewards (:func:`schema_items` with :func:`jaccard`,
  :func:`ngram_similarity`) are reported as components.

:class:`SqlReward` puts them together for the runner.
"""

from __future__ import annotations

from rewardlab.rewards.sql.execute import QueryError, Rows, connect_read_only, run_query
from rewardlab.rewards.sql.match import gold_orders, results_match
from rewardlab.rewards.sql.partial import (
    jaccard,
    ngram_similarity,
    ngrams,
    parse_sql,
    schema_items,
    sql_tokens,
    syntax_ok,
)
from rewardlab.rewards.sql.reward import SqlReward, extract_sql

__all__ = [
    "QueryError",
    "Rows",
    "SqlReward",
    "connect_read_only",
    "extract_sql",
    "gold_orders",
    "jaccard",
    "ngram_similarity",
    "ngrams",
    "parse_sql",
    "results_match",
    "run_query",
    "schema_items",
    "sql_tokens",
    "syntax_ok",
]
