"""Execution match: do two query results hold the same answer?

:func:`results_match` compares the rows of the gold and the predicted query:

- row order matters only when the gold query orders its result, i.e. has a top-level ``ORDER BY``
  (:func:`gold_orders`, decided with sqlglot; an ``ORDER BY ... LIMIT 1`` inside a subquery picks a row,
  it does not order the result);
- otherwise rows are compared as multisets: duplicates count (``SELECT DISTINCT`` vs ``SELECT`` differ
  when the result has duplicates), row order does not;
- numbers compare with a tolerance (``math.isclose`` with ``rel_tol``/``abs_tol``), so ``AVG`` computed
  in a different order, or ``1`` vs ``1.0``, still match; other values compare exactly;
- columns compare by position (``column_order="strict"``, as the Spider labels in ``../shared/data``
  do: ``SELECT name, age`` is not ``SELECT age, name``), or up to a permutation of the predicted
  columns (``column_order="any"``, as test-suite-sql-eval).

Known limit: when the gold orders by a key with ties, two correct queries may list the tied rows
differently; like Spider's and test-suite-sql-eval's checkers, the ordered comparison then says no.
With tolerance, unordered rows are paired after sorting on values rounded to 6 significant digits; two
rows whose numbers straddle a rounding boundary can be mispaired (a false "no", never a false "yes").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

Row = tuple[Any, ...]
_MAX_PERMUTATIONS = 10_000


def gold_orders(sql: str, tree: Any | None = None) -> bool:
    """True when ``sql``'s outermost statement has ``ORDER BY`` (a set operation's trailing one counts).

    Decided on sqlglot's tree (``tree``, or parsed here in the SQLite dialect); when sqlglot cannot
    parse the query, a scan of the text for ``ORDER BY`` outside parentheses and quotes decides.
    """
    from sqlglot import exp

    from rewardlab.rewards.sql.partial import parse_sql

    tree = parse_sql(sql) if tree is None else tree
    if tree is None:
        return _text_orders(sql)
    while isinstance(tree, exp.Subquery) and not tree.args.get("order"):
        tree = tree.this  # "(SELECT ... ORDER BY x)" written with outer parentheses
    return tree.args.get("order") is not None


def _text_orders(sql: str) -> bool:
    depth, quote, words = 0, "", []
    word = ""
    for ch in sql + " ":
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch.isalnum() or ch == "_":
            word += ch
            continue
        if word:
            words.append((depth, word.lower()))
            word = ""
    return any(a == (0, "order") and b == (0, "by") for a, b in pairwise(words))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _close(a: Any, b: Any, rel_tol: float, abs_tol: float) -> bool:
    if _is_number(a) and _is_number(b):
        return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    return type(a) is type(b) and bool(a == b)


def _rows_close(a: Row, b: Row, rel_tol: float, abs_tol: float) -> bool:
    return len(a) == len(b) and all(_close(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True))


def _sort_key(row: Row) -> tuple[tuple[int, Any], ...]:
    out: list[tuple[int, Any]] = []
    for v in row:
        if v is None:
            out.append((0, 0))
        elif _is_number(v):
            out.append((1, float(f"{float(v):.6g}")))
        elif isinstance(v, str):
            out.append((2, v))
        else:
            out.append((3, bytes(v)))
    return tuple(out)


def _same_rows(
    gold: Sequence[Row], pred: Sequence[Row], ordered: bool, rel_tol: float, abs_tol: float
) -> bool:
    if len(gold) != len(pred):
        return False
    if ordered:
        return all(_rows_close(g, p, rel_tol, abs_tol) for g, p in zip(gold, pred, strict=True))
    if Counter(gold) == Counter(pred):
        return True
    if not any(isinstance(v, float) for row in (*gold, *pred) for v in row):
        return False  # exact values, already compared as multisets
    gs, ps = sorted(gold, key=_sort_key), sorted(pred, key=_sort_key)
    return all(_rows_close(g, p, rel_tol, abs_tol) for g, p in zip(gs, ps, strict=True))


def _column_permutations(gold: Sequence[Row], pred: Sequence[Row], n: int) -> Iterator[tuple[int, ...]]:
    """Orders of the predicted columns whose value multisets match the gold columns', one by one."""
    sig = [sorted(_sort_key((r[j],)) for r in gold) for j in range(n)]
    psig = [sorted(_sort_key((r[k],)) for r in pred) for k in range(n)]
    options = [[k for k in range(n) if psig[k] == sig[j]] for j in range(n)]

    def extend(prefix: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if len(prefix) == n:
            yield prefix
            return
        for k in options[len(prefix)]:
            if k not in prefix:
                yield from extend((*prefix, k))

    yield from extend(())


def results_match(
    gold: Sequence[Row],
    pred: Sequence[Row],
    *,
    ordered: bool,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    column_order: str = "strict",
) -> bool:
    """True when ``pred`` holds the same answer as ``gold`` (see the module doc for the semantics)."""
    if len(gold) != len(pred):
        return False
    if not gold:
        return True
    width = len(gold[0])
    if any(len(r) != width for r in (*gold, *pred)):
        return False
    if _same_rows(gold, pred, ordered, rel_tol, abs_tol):
        return True
    if column_order == "strict":
        return False
    for n, perm in enumerate(_column_permutations(gold, pred, width)):
        if n >= _MAX_PERMUTATIONS:
            return False
        permuted = [tuple(r[k] for k in perm) for r in pred]
        if _same_rows(gold, permuted, ordered, rel_tol, abs_tol):
            return True
    return False
