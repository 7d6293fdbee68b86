"""Reasoning-SQL's execution-free partial rewards, as pure functions of two query strings.

- :func:`syntax_ok`: sqlglot (SQLite dialect) parses the text as exactly one statement. sqlglot is
  lenient (it accepts ``... GROUP BY x WHERE y = 1`` and moves the ``WHERE``), so the stricter "SQLite
  compiled and ran it" is reported separately by the ``"sql"`` reward as ``executable``;
- :func:`schema_items` / :func:`jaccard`: the tables and columns a query uses (``table:singer``,
  ``column:age``; lower-cased, CTE names and output aliases left out, columns by bare name since aliases
  such as ``T1.name`` would need the schema to resolve), compared with the Jaccard index;
- :func:`ngram_similarity`: Jaccard index of the sets of token n-grams (bigrams by default), with
  keywords and identifiers lower-cased and string literals kept as written.

Both Jaccard values are 1.0 when both sides are empty (``SELECT 1`` vs ``SELECT 2`` uses no schema).
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"'(?:[^']|'')*'"  # string literal, kept as written
    r"|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]"  # quoted identifiers
    r"|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+"  # numbers
    r"|\w+"  # words
    r"|<=|>=|<>|!=|==|\|\||[^\s\w]",  # operators and punctuation
)


def parse_sql(sql: str) -> Any | None:
    """sqlglot's tree of ``sql`` (SQLite dialect) when it is exactly one statement, else None."""
    import sqlglot

    try:
        trees = [t for t in sqlglot.parse(sql, read="sqlite") if t is not None]
    except sqlglot.errors.SqlglotError:
        return None
    return trees[0] if len(trees) == 1 else None


def syntax_ok(sql: str) -> bool:
    """True when sqlglot parses ``sql`` (SQLite dialect) as exactly one statement."""
    return parse_sql(sql) is not None


def schema_items(sql: str | Any) -> frozenset[str] | None:
    """``{"table:<name>", "column:<name>", ...}`` used by a query (text or parsed tree); None if unparsable."""
    from sqlglot import exp

    tree = parse_sql(sql) if isinstance(sql, str) else sql
    if tree is None:
        return None
    ctes: set[str] = set()
    aliases: set[str] = set()
    tables: set[str] = set()
    columns: set[str] = set()
    for node in tree.walk():  # one pass over the tree
        if isinstance(node, exp.CTE) and node.alias:
            ctes.add(node.alias.lower())
        elif isinstance(node, exp.Alias) and node.alias:
            aliases.add(node.alias.lower())
        elif isinstance(node, exp.Table) and node.name:
            tables.add(node.name.lower())
        elif isinstance(node, exp.Column) and node.name:
            columns.add(node.name.lower())
    tables -= ctes
    columns -= aliases
    return frozenset({f"table:{t}" for t in tables} | {f"column:{c}" for c in columns})


def jaccard(a: frozenset[Any] | set[Any], b: frozenset[Any] | set[Any]) -> float:
    """|a & b| / |a | b|, and 1.0 when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def sql_tokens(sql: str) -> list[str]:
    """Tokens of ``sql``: string literals as written, everything else lower-cased."""
    return [t if t.startswith("'") else t.lower() for t in _TOKEN.findall(sql)]


def ngrams(tokens: list[str], n: int) -> frozenset[tuple[str, ...]]:
    """The set of ``n``-grams of ``tokens``; a shorter non-empty sequence is its own single n-gram."""
    if len(tokens) < n:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def ngram_similarity(pred: str, gold: str, n: int = 2) -> float:
    """Jaccard index of the token ``n``-gram sets of two queries."""
    return jaccard(ngrams(sql_tokens(pred), n), ngrams(sql_tokens(gold), n))
