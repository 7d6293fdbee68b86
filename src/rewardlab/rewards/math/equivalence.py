"""Decide whether two normalised answers are equivalent.

Fast path first (string equality, multiple-choice letters, exact rationals with a relative tolerance,
percent readings, tuples/intervals/sets element by element, unions of intervals); only what it cannot
decide is converted to sympy (via latex2sympy2_extended, the maintained LaTeX->sympy converter that
Math-Verify also uses) and compared numerically at several points, which proves identities such as
``1/(sin x cos x) - tan x == cot x`` without ``simplify``'s unbounded run time.

Differences from Math-Verify: no ``signal.alarm`` (the runner's worker processes enforce deadlines from
any thread); inputs that could make sympy compute for hours (power towers, huge factorials, very long
expressions) are refused up front and reported in ``info`` instead of being attempted; bare comma lists
are ordered (as the Hendrycks MATH grader), while sets ``{...}`` and unions are unordered.
"""

from __future__ import annotations

import cmath
import math
import random
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

from rewardlab.errors import SymbolicError, TooComplex, Unreadable
from rewardlab.rewards.math.fastexpr import NotFast, fast_equal
from rewardlab.rewards.math.normalize import (
    _VAR_ASSIGN,
    Seq,
    parse_letter,
    parse_number,
    parse_seq,
    split_top,
    strip_assignment,
)

MAX_SYMPY_CHARS = 400
_DANGEROUS = re.compile(
    r"\^\s*\{[^{}]*\^|\^\s*\{?\s*\d{4,}|\^\s*\d+\s*\^|\d{3,}\s*!|[)}]\s*!|!\s*!|\\(?:prod|sum|int|lim)\b|\*\*"
)


def _terminates(f: Fraction) -> bool:
    q = f.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def numbers_close(a: Fraction | float, b: Fraction | float, rel_tol: float, approx: bool = False) -> bool:
    """Exact rationals compare exactly (1000001 is not 1000000, 9999/10000 is not 9998/9999).

    ``rel_tol`` applies when a side is a float (scientific notation) or when ``approx`` says a written
    decimal stands for a value whose decimal expansion does not terminate (0.3333333 for 1/3): such a
    decimal can only ever be a rounding, so it is judged by closeness.
    """
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        if a == b:
            return True
        if not approx:
            return False
    try:
        fa, fb = float(a), float(b)
    except OverflowError:
        return False
    return math.isclose(fa, fb, rel_tol=rel_tol, abs_tol=rel_tol * 1e-3)


def _num_equal(p: str, r: str, rel_tol: float) -> bool | None:
    pn, rn = parse_number(p), parse_number(r)
    if pn is None or rn is None:
        return None
    (pv, pp), (rv, rp) = pn, rn

    def close(a: Fraction | float, b: Fraction | float) -> bool:
        approx = any(
            "." in text and isinstance(other, Fraction) and not _terminates(other)
            for text, other in ((p, b), (r, a))
        )
        return numbers_close(a, b, rel_tol, approx)

    if pp == rp:
        return close(pv, rv)
    # One side has a percent sign: accept "10%" == "10" and "10%" == "0.1".
    scaled = (pv / 100) if pp else (rv / 100)
    return close(pv, rv) or (close(scaled, rv) if pp else close(pv, scaled))


def _split_union(s: str) -> list[str] | None:
    parts = split_top(s, "\\cup")
    return parts if len(parts) > 1 else None


_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[^{}]*\}")
_DECIMAL_COMMA = re.compile(r"(-?\d+),(\d{1,2}|\d{4,})|(-?0),(\d+)")
# A relation or a set written with set notation: compared as subsets of the real line (_set_equal).
_SET_SYNTAX = re.compile(r"\\le |\\ge |\\neq |<|>|\\in(?![a-zA-Z])|\\mathbb\{R\}|\\emptyset|\\varnothing")


def equivalent(
    pred: str,
    ref: str,
    *,
    rel_tol: float = 1e-6,
    symbolic: bool = True,
    ordered_lists: bool = True,
    depth: int = 0,
) -> bool:
    """True when normalised ``pred`` and ``ref`` denote the same answer.

    ``ordered_lists`` decides whether a bare comma list ``a, b, c`` is a tuple (the Hendrycks grader's
    reading) or a set of values ("Enter all solutions, separated by commas").
    """
    if pred == ref:
        return True
    # A decimal comma ("1,22", "2,74") where the other side is one number. Three digits after the comma
    # are thousands ("7,945", read so by normalize), and "32, 349" (comma and space) is a list of two
    # numbers, never 32349: models separate answers with ", "; thousands separators carry no space.
    for a, b in ((pred, ref), (ref, pred)):
        m = _DECIMAL_COMMA.fullmatch(a)
        if m and parse_number(b) is not None:
            whole, frac = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
            return equivalent(f"{whole}.{frac}", b, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
    if symbolic and (_SET_SYNTAX.search(pred) or _SET_SYNTAX.search(ref)):
        verdict = _set_equal(pred, ref, rel_tol)
        if verdict is not None:
            return verdict
    # A chain "x = 5+5+1 = 11" or "\\frac{3}{16} = 0.0011_2" states its result last.
    pred, ref = _reduce_chain(pred), _reduce_chain(ref)
    for a, b in ((pred, ref), (ref, pred)):
        if "=" in a and "=" not in b and parse_seq(a) is None and _states_value(*a.split("=", 1)):
            last = a.rsplit("=", 1)[1].strip()
            return bool(last) and equivalent(
                *((last, b) if a is pred else (b, last)),
                rel_tol=rel_tol,
                symbolic=symbolic,
                ordered_lists=ordered_lists,
                depth=depth + 1,
            )
    if "=" not in ref or ref.count("=") != pred.count("="):
        pred = strip_assignment(pred)
    if "=" not in pred:
        ref = strip_assignment(ref)
    if pred == ref or pred.replace(" ", "") == ref.replace(" ", ""):
        return True
    letter = parse_letter(ref)
    if letter is not None and depth == 0:
        got = parse_letter(pred)
        if got is not None:
            return got == letter
    num = _num_equal(pred, ref, rel_tol)
    if num is not None:
        return num
    ru, pu = _split_union(ref), _split_union(pred)
    if ru is not None or pu is not None:
        if ru is None or pu is None or len(ru) != len(pu):
            return False
        return _match_unordered(pu, ru, rel_tol, symbolic, depth)
    rs, ps = parse_seq(ref), parse_seq(pred)
    if rs is not None or ps is not None:
        if rs is not None and ps is not None:
            if rs.open == ps.open == "" and (not ordered_lists or _solution_list(rs) or _solution_list(ps)):
                return _same_elements(list(ps.items), list(rs.items), rel_tol, symbolic, depth)
            return _seq_equal(ps, rs, rel_tol, symbolic, depth)
        # "(3)" vs "3" and similar single-item wrappers are handled symbolically below.
        if (rs and len(rs.items) >= 2) or (ps and len(ps.items) >= 2):
            return False
    if pred.count("=") == 1 and ref.count("=") == 1:
        return _equation_equal(pred, ref, rel_tol) if symbolic else False
    if not symbolic:
        return False
    pm, rm = parse_matrix(pred), parse_matrix(ref)
    if pm is not None and rm is not None:
        if len(pm) != len(rm) or any(len(a) != len(b) for a, b in zip(pm, rm, strict=True)):
            return False
        return all(
            equivalent(x, y, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
            for ra, rb in zip(pm, rm, strict=True)
            for x, y in zip(ra, rb, strict=True)
        )
    if _has_word(_ENVIRONMENT.sub(" ", pred)) or _has_word(_ENVIRONMENT.sub(" ", ref)):
        return pred.lower() == ref.lower()  # "Friday" vs "Sunday", "John has 180 minutes": text, not algebra
    if ("\\infty" in pred) != ("\\infty" in ref):
        return False
    try:
        return fast_equal(pred, ref, rel_tol)
    except NotFast:
        pass
    try:
        return sympy_equal(pred, ref, rel_tol)
    except Unreadable:  # a malformed answer is a wrong answer; TooComplex and SymbolicError propagate
        return False


def _set_equal(pred: str, ref: str, rel_tol: float) -> bool | None:
    """Relations and sets as subsets of the real line: ``x \\le 2`` = ``(-\\infty, 2]``, ``5 \\ge x`` =
    ``x \\le 5``, ``-2 \\le x \\le 7`` = ``x \\in [-2, 7]``, ``1 \\le |z| \\le 3/2`` = the union of two
    intervals, ``x \\neq 5`` = ``\\mathbb{R} \\setminus \\{5\\}``. None when a side is not such a set (the
    caller goes on with its other readings); a relation against a plain value is not equal."""
    a, b = _as_real_set(pred), _as_real_set(ref)
    if a is None or b is None:
        if (a is None) != (b is None) and _is_relation(pred if a is not None else ref):
            return False  # "x \\le 2" is not the number 2, nor any other non-set answer
        return None
    return _sets_close(a, b, rel_tol)


_RELATION = re.compile(r"\\le |\\ge |\\neq |<|>")


def _is_relation(s: str) -> bool:
    return bool(_RELATION.search(s))


def _as_real_set(s: str) -> Any:
    """The subset of the reals that ``s`` names (a univariate relation, an interval, a union, ``x \\in S``,
    ``\\mathbb{R}``), as a sympy set; None when ``s`` is something else or cannot be read."""
    import sympy
    from sympy.core.function import AppliedUndef

    if len(s) > MAX_SYMPY_CHARS // 2:
        return None
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
                c = _as_complex(sympy.N(v, 30))
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
        return _close(x, y, max(rel_tol, 1e-9))

    return all(
        same(x[0], y[0]) and same(x[1], y[1]) and x[2] == y[2] and x[3] == y[3]
        for x, y in zip(pa, pb, strict=True)
    )


def _states_value(lhs: str, rhs: str) -> bool:
    """``lhs = rhs`` gives the value ``rhs``: a computation (``3 \\cdot 4 = 12``, ``\\frac{3}{16} = 0.0011_2``:
    numbers on both sides) or a named quantity (``\\cos \\angle RPS = -\\frac{24}{25}``, ``P(A) = 2/3``: names
    and no arithmetic on the left). ``2x + z = 1`` and ``7 = 11a + c`` are equations, not values."""
    numeric = r"\\(?:frac|dfrac|sqrt|cdot|times|div|pi|left|right)(?![a-zA-Z])"
    if not re.search(r"[a-zA-Z]", re.sub(numeric, " ", lhs)):  # a computation
        return bool(lhs.strip()) and not re.search(r"[a-zA-Z]", re.sub(numeric, " ", rhs))
    plain = re.sub(r"_\{?\w+\}?", "", lhs)  # subscripts may hold digits: a_{10}
    return not re.search(r"\d|(?<!^)[-+]|(?<![\\a-zA-Z])[a-zA-Z]\s*\^", plain.strip())


def _reduce_chain(s: str) -> str:
    """``x = 5+5+1 = 7 = 11`` -> ``x = 11``; ``1 = y = 0`` -> ``0``: a chain of equalities answers with its
    last side (named by its first side when that is a name)."""
    if s.count("=") < 2 or len(split_top(s)) > 1 or parse_seq(s) is not None:
        return s
    parts = [p.strip() for p in s.split("=")]
    if not parts[-1]:
        return s
    head = f"{parts[0]} = "
    return f"{parts[0]} = {parts[-1]}" if _VAR_ASSIGN.match(head) else parts[-1]


def _has_word(s: str) -> bool:
    """A word of three or more letters outside LaTeX commands (and not a function name)."""
    return bool(re.search(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}", s))


_MATRIX = re.compile(r"^\\begin\{([pbvB]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.DOTALL)


def parse_matrix(s: str) -> list[list[str]] | None:
    """Rows and cells of ``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}``; None if not a matrix."""
    m = _MATRIX.match(s.strip())
    if not m or "\\end{" in m.group(2) or "\\begin{" in m.group(2):  # "A + B": an expression of matrices
        return None
    rows = [r for r in re.split(r"\\\\", m.group(2)) if r.strip()]
    return [[c.strip() for c in r.split("&")] for r in rows]


def _solution_list(s: Seq) -> bool:
    """A bare list that lists solutions, so its order is not part of the answer: tuples ``(1,2), (3,4)``
    or values of named unknowns ``a=4, -8, -10`` / ``k = 45, n = 2``."""
    items = s.items
    return all(i[:1] == "(" and i[-1:] == ")" for i in items) or bool(_VAR_ASSIGN.match(items[0]))


def _same_elements(ps: list[str], rs: list[str], rel_tol: float, symbolic: bool, depth: int) -> bool:
    """Set equality: every element of one side equals an element of the other (repeats count once)."""

    def eq(a: str, b: str) -> bool:
        return equivalent(a, b, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)

    return all(any(eq(a, b) for b in rs) for a in ps) and all(any(eq(a, b) for a in ps) for b in rs)


def _seq_equal(p: Seq, r: Seq, rel_tol: float, symbolic: bool, depth: int) -> bool:
    if r.open == "{" or p.open == "{":  # sets: unordered; a bare list "a, b" against a set is its elements
        if {p.open, r.open} <= {"{", ""}:
            return _same_elements(list(p.items), list(r.items), rel_tol, symbolic, depth)
        return False
    if len(p.items) != len(r.items):
        return False
    interval = {r.open, r.close} & {"[", "]"} or {p.open, p.close} & {"[", "]"}
    if interval and (p.open, p.close) != (r.open, r.close):
        return False
    return all(
        equivalent(a, b, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
        for a, b in zip(p.items, r.items, strict=True)
    )


def _match_unordered(ps: list[str], rs: list[str], rel_tol: float, symbolic: bool, depth: int) -> bool:
    remaining = list(rs)
    for a in ps:
        for i, b in enumerate(remaining):
            if equivalent(a, b, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1):
                del remaining[i]
                break
        else:
            return False
    return not remaining


def _equation_equal(pred: str, ref: str, rel_tol: float) -> bool:
    """Equations are equal when ``lhs - rhs`` of one is a non-zero constant multiple of the other."""
    pl, pr = pred.split("=")
    rl, rr = ref.split("=")
    if pl.strip() == rl.strip():
        try:
            if sympy_equal(pr.strip(), rr.strip(), rel_tol):
                return True
        except Unreadable:
            pass
    import sympy

    try:
        sides = [to_sympy(x) for x in (pl, pr, rl, rr)]
    except Unreadable:
        return False
    if not all(isinstance(x, sympy.Expr) for x in sides):
        return False  # sides that are tuples, sets or matrices only compare side by side (above)
    try:
        a, b = sides[0] - sides[1], sides[2] - sides[3]
        if b == 0:
            return bool(a == 0)
        ratio = sympy.simplify(a / b)
        return bool(ratio.is_number and ratio != 0 and ratio.is_finite)
    except Exception as exc:  # a crash of sympy is not a verdict: recorded on the result, never 0.0
        raise SymbolicError(
            f"sympy failed comparing {pred[:60]!r} with {ref[:60]!r}: {type(exc).__name__}: {exc}"
        ) from exc


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


def _explicit(x: Any) -> Any:
    """A matrix expression (``A + B``, ``A B``) as the matrix it evaluates to."""
    import sympy

    if isinstance(x, sympy.MatrixExpr) and not isinstance(x, sympy.MatrixBase):
        try:
            return x.as_explicit()
        except Exception as exc:  # e.g. shapes that do not match: no verdict, recorded on the result
            raise SymbolicError(f"cannot evaluate the matrix expression {x}: {exc}") from exc
    return x


def _as_complex(x: Any) -> complex | None:
    try:
        v = complex(x)
    except (TypeError, ValueError, OverflowError):
        return None
    if cmath.isnan(v) or cmath.isinf(v):
        return None
    return v


def _close(a: complex, b: complex, rel_tol: float) -> bool:
    return abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), 1e-9)


def sympy_equal(pred: str, ref: str, rel_tol: float = 1e-6) -> bool:
    """Symbolic comparison: numbers by value, expressions by evaluation at random points."""
    import sympy

    a, b = (_explicit(x) for x in (to_sympy(pred), to_sympy(ref)))
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
        return bool(a == b)
    return _expr_equal(a, b, rel_tol)


def _expr_equal(a: Any, b: Any, rel_tol: float) -> bool:
    import sympy

    if a == b:
        return True
    symbols = sorted((a.free_symbols | b.free_symbols), key=lambda s: s.name)
    if not symbols:
        va, vb = _as_complex(sympy.N(a, 30)), _as_complex(sympy.N(b, 30))
        return va is not None and vb is not None and _close(va, vb, rel_tol)
    if a.free_symbols != b.free_symbols:
        return False
    rng = random.Random(0)  # deterministic points: the same pair always gets the same verdict
    agree = 0
    for _ in range(12):
        point = {s: sympy.Float(rng.uniform(0.1, 1.9)) for s in symbols}
        va, vb = _as_complex(a.evalf(20, subs=point)), _as_complex(b.evalf(20, subs=point))
        if va is None or vb is None:
            continue
        if not _close(va, vb, max(rel_tol, 1e-9)):
            return False
        agree += 1
        if agree >= 4:
            return True
    return False
