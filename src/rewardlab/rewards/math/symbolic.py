"""The symbolic path: LaTeX to sympy under guards, and comparison by evaluation at random points.

latex2sympy2_extended (the maintained LaTeX->sympy converter that Math-Verify also uses) reads an
answer; inputs that could make sympy compute for hours (power towers, huge factorials, very long
expressions) are refused up front as :class:`~rewardlab.TooComplex` instead of being attempted.
Expressions are compared numerically at several deterministic points, which proves identities such as
``1/(sin x cos x) - tan x == cot x`` without ``simplify``'s unbounded run time.
"""

from __future__ import annotations

import cmath
import random
import re
from functools import lru_cache
from typing import Any

from rewardlab.errors import SymbolicError, TooComplex, Unreadable

MAX_SYMPY_CHARS = 400
_DANGEROUS = re.compile(
    r"\^\s*\{[^{}]*\^|\^\s*\{?\s*\d{4,}|\^\s*\d+\s*\^|\d{3,}\s*!|[)}]\s*!|!\s*!|\\(?:prod|sum|int|lim)\b|\*\*"
)


@lru_cache(maxsize=4096)  # pure function of its argument; cached per worker process
def to_sympy(s: str) -> Any:
    """Convert a normalised LaTeX answer to a sympy object, refusing inputs that could run away."""
    if len(s) > MAX_SYMPY_CHARS:
        raise TooComplex(f"expression longer than {MAX_SYMPY_CHARS} characters: {s[:60]!r}...")
    if _DANGEROUS.search(s):
        raise TooComplex(f"{s[:80]!r} could take unbounded time (power tower, big factorial, sum/integral)")
    import sympy
    from latex2sympy2_extended import latex2sympy

    try:
        expr = latex2sympy(s.replace("%", "/100"))
    except Exception as exc:  # the converter raises bare Exception on syntax errors
        raise Unreadable(f"cannot read {s[:80]!r}: {exc}".splitlines()[0]) from None
    if isinstance(expr, sympy.Basic) and _nesting(expr) > MAX_NESTING:
        # latex2sympy keeps "22/100/100/..." unevaluated; sympy's evalf visits such a tree once per path,
        # so time doubles with every level (18 levels: 10 s). Real answers nest far less.
        raise TooComplex(f"{s[:60]!r} nests deeper than {MAX_NESTING} levels")
    if isinstance(expr, sympy.Basic):
        subs = {}
        for sym in expr.free_symbols:
            if sym.name == "i":
                subs[sym] = sympy.I
            elif sym.name == "e":
                subs[sym] = sympy.E
        if subs:
            expr = expr.xreplace(subs)
    return expr


MAX_NESTING = 12


def _nesting(expr: Any) -> int:
    """Depth of the expression tree (stops counting past ``MAX_NESTING``)."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        stack.extend((a, depth + 1) for a in getattr(node, "args", ()))
    return deepest


def explicit(x: Any) -> Any:
    """A matrix expression (``A + B``, ``A B``) as the matrix it evaluates to."""
    import sympy

    if isinstance(x, sympy.MatrixExpr) and not isinstance(x, sympy.MatrixBase):
        try:
            return x.as_explicit()
        except Exception as exc:  # e.g. shapes that do not match: no verdict, recorded on the result
            raise SymbolicError(f"cannot evaluate the matrix expression {x}: {exc}") from exc
    return x


def as_complex(x: Any) -> complex | None:
    try:
        v = complex(x)
    except (TypeError, ValueError, OverflowError):
        return None
    if cmath.isnan(v) or cmath.isinf(v):
        return None
    return v


def close(a: complex, b: complex, rel_tol: float) -> bool:
    return abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), 1e-9)


def _canonical(x: Any) -> Any:
    """Relations written either way round in one form: ``f(4) > f(1)`` and ``f(1) < f(4)`` are the same."""
    import sympy

    if isinstance(x, sympy.Rel):
        return x.canonical
    if isinstance(x, sympy.And | sympy.Or):
        return x.func(*(_canonical(a) for a in x.args))
    return x


def sympy_equal(pred: str, ref: str, rel_tol: float = 1e-6) -> bool:
    """Symbolic comparison: numbers by value, expressions by evaluation at random points."""
    import sympy

    a, b = (explicit(x) for x in (to_sympy(pred), to_sympy(ref)))
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False
        return all(_expr_equal(x, y, rel_tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, sympy.Set) or isinstance(b, sympy.Set):
        try:
            return bool(a == b) or bool(sympy.simplify(sympy.Eq(a, b)) is sympy.true)
        except Exception as exc:  # a crash of sympy is not a verdict: recorded on the result, never 0.0
            raise SymbolicError(f"sympy failed comparing sets {pred[:60]!r} and {ref[:60]!r}: {exc}") from exc
    if not isinstance(a, sympy.Expr) or not isinstance(b, sympy.Expr):
        return bool(a == b) or _canonical(a) == _canonical(b)
    return _expr_equal(a, b, rel_tol)


def _expr_equal(a: Any, b: Any, rel_tol: float) -> bool:
    import sympy

    if a == b:
        return True
    symbols = sorted((a.free_symbols | b.free_symbols), key=lambda s: s.name)
    if not symbols:
        va, vb = as_complex(sympy.N(a, 30)), as_complex(sympy.N(b, 30))
        return va is not None and vb is not None and close(va, vb, rel_tol)
    if a.free_symbols != b.free_symbols:
        return False
    rng = random.Random(0)  # deterministic points: the same pair always gets the same verdict
    agree = 0
    for _ in range(12):
        point = {s: sympy.Float(rng.uniform(0.1, 1.9)) for s in symbols}
        va, vb = as_complex(a.evalf(20, subs=point)), as_complex(b.evalf(20, subs=point))
        if va is None or vb is None:
            continue
        if not close(va, vb, max(rel_tol, 1e-9)):
            return False
        agree += 1
        if agree >= 4:
            return True
    return False
