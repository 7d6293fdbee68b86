"""Relations and sets as subsets of the real line.

``x \\le 2`` = ``(-\\infty, 2]``; ``5 \\ge x`` = ``x \\le 5``; ``-x > -1`` = ``x < 1``; ``-2 \\le x \\le 7`` =
``x \\in [-2, 7]``; ``1 \\le |z| \\le 3/2`` = ``[-3/2, -1] \\cup [1, 3/2]``; ``0 < f(x) < 1`` = ``(0, 1)``;
``x \\neq 5`` = ``\\mathbb{R} \\setminus \\{5\\}``. A univariate relation is solved over the reals by sympy
(``as_set``), an interval, union or ``x \\in S`` is read as the set it names, and two sets are equal when
their pieces have the same ends (numerically, within ``rel_tol``) and the same open or closed sides.

Unlike Math-Verify's default (``allow_set_relation_comp=False``), a relation and the interval it
describes are equal: an answer ``-2 \\le x \\le 7`` to "for which x ..." is the interval ``[-2, 7]``.
"""

from __future__ import annotations

import cmath
import re
from typing import Any

from rewardlab.errors import SymbolicError, TooComplex, Unreadable
from rewardlab.rewards.math.normalize import RELATION_OP, parse_number
from rewardlab.rewards.math.symbolic import MAX_SYMPY_CHARS, as_complex, close, to_sympy

# A relation or a set written with set notation: compared as subsets of the real line.
SET_SYNTAX = re.compile(r"\\le |\\ge |\\neq |<|>|\\in(?![a-zA-Z])|\\mathbb\{R\}|\\emptyset|\\varnothing")


def real_sets_equal(pred: str, ref: str, rel_tol: float) -> bool | None:
    """Relations and sets as subsets of the real line: ``x \\le 2`` = ``(-\\infty, 2]``, ``5 \\ge x`` =
    ``x \\le 5``, ``-2 \\le x \\le 7`` = ``x \\in [-2, 7]``, ``1 \\le |z| \\le 3/2`` = the union of two
    intervals, ``x \\neq 5`` = ``\\mathbb{R} \\setminus \\{5\\}``. None when a side is not such a set (the
    caller goes on with its other readings); a relation against a plain value is not equal."""
    for x, y in ((pred, ref), (ref, pred)):
        if _is_relation(x) and parse_number(y) is not None:
            return False  # a relation is never a number: no need to ask sympy
    a, b = _as_real_set(pred), _as_real_set(ref)
    if a is None or b is None:
        if (a is None) != (b is None) and _is_relation(pred if a is not None else ref):
            return False  # "x \\le 2" is not the number 2, nor any other non-set answer
        return None
    return _sets_close(a, b, rel_tol)


_SET_BUILDER = re.compile(r"\{\s*([a-zA-Z])\s*(?:\||\\mid|:)\s*(.+)\}", re.DOTALL)
_OR = re.compile(r"\s+or\s+|\\vee\b|\\lor\b", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+|\\wedge\b|\\land\b|,\s*(?![^()\[\]]*[)\]])", re.IGNORECASE)


def _is_relation(s: str) -> bool:
    return bool(RELATION_OP.search(s))


def _as_real_set(s: str) -> Any:
    """The subset of the reals that ``s`` names (a univariate relation, an interval, a union, ``x \\in S``,
    ``\\mathbb{R}``), as a sympy set; None when ``s`` is something else or cannot be read."""
    import sympy
    from sympy.core.function import AppliedUndef

    if len(s) > MAX_SYMPY_CHARS // 2:
        return None
    builder = _SET_BUILDER.fullmatch(s.strip())  # {x | -1 < x < 2}, {x \\mid x > 1}, {x : x \\le 0}
    if builder:
        return _as_real_set(builder.group(2).strip())
    # "x < 2 or x > 3" is a union; "0 < x < 36, x \\neq 9" and "2 < x and x \\neq 12" an intersection
    for joiner, combine in ((_OR, sympy.Union), (_AND, sympy.Intersection)):
        parts = [p for p in joiner.split(s) if p.strip()]
        if len(parts) > 1:
            if not all(_is_relation(p) or "\\in" in p for p in parts):
                return None
            sets = [_as_real_set(p.strip()) for p in parts]
            return None if any(x is None for x in sets) else combine(*sets)
    try:
        expr = to_sympy(s)
    except Unreadable:
        return None
    if isinstance(expr, sympy.Set):
        return expr
    if isinstance(expr, sympy.Eq) and isinstance(expr.rhs, sympy.Set):  # "x \\in [1, 2]"
        return expr.rhs if isinstance(expr.lhs, sympy.Symbol) else None
    if not isinstance(expr, sympy.Rel | sympy.And) or isinstance(expr, sympy.Eq):
        return None
    # "0 < f(x) < 1": the relation is about f(x) as a whole
    calls = expr.atoms(AppliedUndef)
    if calls:
        if len(calls) != 1:
            return None
        expr = expr.xreplace({calls.pop(): sympy.Symbol("_f", real=True)})
    symbols = expr.free_symbols
    if len(symbols) != 1:
        return None
    (var,) = symbols
    real = sympy.Symbol(var.name, real=True)
    expr = expr.xreplace({var: real})
    polys = [a for a in expr.atoms(sympy.Pow) if a.exp.is_Number and abs(a.exp) > 4]
    if polys:
        raise TooComplex(f"relation {s[:60]!r} has a power above 4")
    try:
        return expr.as_set()
    except NotImplementedError:  # beyond sympy's solvers (trig, mixed): not a set we can read here
        return None
    except Exception as exc:  # sympy failed on it: no verdict, recorded on the result
        raise SymbolicError(
            f"sympy could not solve {s[:60]!r} for {var}: {type(exc).__name__}: {exc}"
        ) from exc


def _interval_parts(x: Any) -> list[tuple[complex, complex, bool, bool]] | None:
    """A set as sorted ``(start, end, left_open, right_open)`` pieces with numeric ends (points are closed
    pieces of length 0); None when an end is not a number."""
    import sympy

    pieces = list(x.args) if isinstance(x, sympy.Union) else [x]
    out = []
    for p in pieces:
        if isinstance(p, sympy.Interval):
            ends = (p.start, p.end, bool(p.left_open), bool(p.right_open))
            items = [ends]
        elif isinstance(p, sympy.FiniteSet):
            items = [(v, v, False, False) for v in p.args]
        elif p == sympy.S.Reals:
            items = [(-sympy.oo, sympy.oo, True, True)]
        elif p == sympy.S.EmptySet:
            items = []
        else:
            return None
        for lo, hi, lo_open, hi_open in items:
            vals = []
            for v in (lo, hi):
                if v in (sympy.oo, -sympy.oo):
                    vals.append(complex(float(v), 0))
                    continue
                if not isinstance(v, sympy.Expr):  # a set of relations or sets: not pieces of the line
                    return None
                c = as_complex(sympy.N(v, 30))
                if c is None:
                    return None
                vals.append(c)
            out.append((vals[0], vals[1], lo_open or lo == -sympy.oo, hi_open or hi == sympy.oo))
    return sorted(out, key=lambda t: (t[0].real, t[1].real))


def _sets_close(a: Any, b: Any, rel_tol: float) -> bool:
    if a == b:
        return True
    pa, pb = _interval_parts(a), _interval_parts(b)
    if pa is None or pb is None or len(pa) != len(pb):
        return False

    def same(x: complex, y: complex) -> bool:
        if cmath.isinf(x.real) or cmath.isinf(y.real):
            return x == y
        return close(x, y, max(rel_tol, 1e-9))

    return all(
        same(x[0], y[0]) and same(x[1], y[1]) and x[2] == y[2] and x[3] == y[3]
        for x, y in zip(pa, pb, strict=True)
    )
