"""Decide whether two normalised answers are equivalent.

Fast path first (string equality, multiple-choice letters, exact rationals with a relative tolerance,
percent readings, tuples/intervals/sets element by element, unions of intervals); relations and sets are
compared as subsets of the real line (:mod:`.sets`); only what the fast path cannot decide goes to sympy
(:mod:`.symbolic`).

Conventions, and where they differ from Math-Verify's ``verify`` (default options):

- exact rationals: ``1000001`` is not ``1000000``; a decimal for a non-terminating fraction
  (``0.3333333`` for 1/3) is judged by ``rel_tol`` (default 1e-6), so ``0.333`` and ``0.33`` are not 1/3
  (Math-Verify rounds both sides to ``float_rounding=6`` digits; the same verdict here at defaults);
- numbers: ``1 000`` and ``1\\,000`` are 1000; ``1,22`` / ``2,74`` / ``0,111`` are decimal commas when the
  other side is one number; ``7,945`` is 7945; ``32, 349`` (comma and space) is a list of two numbers,
  never 32349 (models separate answers with ", "; thousands separators carry no space);
- lists: a bare ``a, b`` lists solutions and matches in any order (``ordered_lists=True``, or the math
  reward's ``list_order`` with a prompt that asks for an ordered answer, makes it a tuple, the Hendrycks
  grader's reading); a parenthesised tuple is always ordered;
  sets (``\\{..\\}``, several boxes, ``a and b``, ``\\pm``) are unordered and repeats count once; LaTeX
  grouping braces ``{1,3}`` are not a set;
- equations: a chain ``x = 5+5+1 = 11`` answers with its last side; ``f(x) = 1``, ``(p,q) = (3,2)``,
  ``|AB| = 1``, ``A:B = 1`` give the value on the right when the other side is a bare value, while
  ``2x + z = 1`` is an equation and never equals ``1``;
- relations and sets are subsets of the real line (:mod:`.sets`), so ``-2 \\le x \\le 7`` equals
  ``x \\in [-2, 7]`` (Math-Verify compares them only with ``allow_set_relation_comp=True``);
- no ``signal.alarm``: the runner's worker processes enforce deadlines from any thread, and inputs that
  could make sympy compute for hours are refused up front (``TooComplex``); a sympy failure is a
  recorded ``SymbolicError``, never a silent "not equal".
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from rewardlab.errors import SymbolicError, Unreadable
from rewardlab.rewards.math.fastexpr import NotFast, fast_equal
from rewardlab.rewards.math.normalize import (
    VAR_ASSIGN,
    Seq,
    parse_letter,
    parse_number,
    parse_seq,
    split_top,
    strip_assignment,
)
from rewardlab.rewards.math.sets import SET_SYNTAX, real_sets_equal
from rewardlab.rewards.math.symbolic import sympy_equal, to_sympy

__all__ = ["equivalent", "numbers_close", "parse_matrix", "sympy_equal", "to_sympy"]


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


def equivalent(
    pred: str,
    ref: str,
    *,
    rel_tol: float = 1e-6,
    symbolic: bool = True,
    ordered_lists: bool = False,
    depth: int = 0,
) -> bool:
    """True when normalised ``pred`` and ``ref`` denote the same answer.

    ``ordered_lists`` decides whether a bare comma list ``a, b, c`` is a tuple (the Hendrycks grader's
    reading) or, by default, the set of solutions it lists ("Enter all solutions, separated by commas").
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
    # "order these values": the list "f(2), f(1), f(4)" against the chain "f(2) < f(1) < f(4)"
    for chain, listed in ((ref, pred), (pred, ref)):
        order = _chain_order(chain)
        seq = parse_seq(listed) if order is not None else None
        if order is not None and seq is not None and seq.open == "":
            return len(seq.items) == len(order) and all(
                equivalent(a, b, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
                for a, b in zip(seq.items, order, strict=True)
            )
    if symbolic and (SET_SYNTAX.search(pred) or SET_SYNTAX.search(ref)):
        verdict = real_sets_equal(pred, ref, rel_tol)
        if verdict is not None:
            return verdict
    # A chain "x = 5+5+1 = 11" or "\\frac{3}{16} = 0.0011_2" states its result last.
    pred, ref = _reduce_chain(pred), _reduce_chain(ref)
    for a, b in ((pred, ref), (ref, pred)):  # one side an equation, the other not
        if "=" not in a or "=" in b or parse_seq(a) is not None:
            continue
        if _states_value(*a.split("=", 1)):  # "3 \\cdot 4 = 12", "P(A) = 2/3": the value on the right
            last = a.rsplit("=", 1)[1].strip()
            pair = (last, b) if a is pred else (b, last)
            return bool(last) and equivalent(
                *pair, rel_tol=rel_tol, symbolic=symbolic, ordered_lists=ordered_lists, depth=depth + 1
            )
        if not VAR_ASSIGN.match(a) and parse_seq(b) is None:
            return False  # "A + B + C = -22" is an equation, never the value 18 (and no sympy needed)
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
    pm, rm = parse_matrix(pred), parse_matrix(ref)
    rs, ps = parse_seq(ref), parse_seq(pred)
    for mat, seq in ((pm, rs), (rm, ps)):  # a column or row vector against the tuple of its entries
        if (
            mat is not None
            and (pm is None or rm is None)
            and seq is not None
            and seq.open in ("(", "")
            and (len(mat) == 1 or all(len(r) == 1 for r in mat))
        ):
            cells = [c for row in mat for c in row]
            return len(cells) == len(seq.items) and all(
                equivalent(c, i, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
                for c, i in zip(cells, seq.items, strict=True)
            )
    if rs is not None or ps is not None:
        if rs is not None and ps is not None:
            for named, values in ((ps, rs), (rs, ps)):  # "p=6, q=31, r=-1" against "(6, 31, -1)"
                if (
                    _named_values(named)
                    and values.open in ("(", "")
                    and len(values.items) == len(named.items)
                ) and not any("=" in v for v in values.items):
                    return all(
                        equivalent(
                            strip_assignment(n), v, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1
                        )
                        for n, v in zip(named.items, values.items, strict=True)
                    )
            if rs.open == ps.open == "" and (not ordered_lists or _solution_list(rs) or _solution_list(ps)):
                return _same_elements(list(ps.items), list(rs.items), rel_tol, symbolic, depth)
            return _seq_equal(ps, rs, rel_tol, symbolic, depth)
        # a set against one value: equal when the set holds that value only, written in several forms
        # ("\\boxed{15\\frac{39}{40}} or \\boxed{\\frac{639}{40}}" against 639/40)
        for seq, single in ((ps, ref), (rs, pred)):
            if seq is not None and seq.open == "{" and (rs is None or ps is None):
                return all(
                    equivalent(item, single, rel_tol=rel_tol, symbolic=symbolic, depth=depth + 1)
                    for item in seq.items
                )
        # "(3)" vs "3" and similar single-item wrappers are handled symbolically below.
        if (rs and len(rs.items) >= 2) or (ps and len(ps.items) >= 2):
            return False
    if pred.count("=") == 1 and ref.count("=") == 1:
        return _equation_equal(pred, ref, rel_tol) if symbolic else False
    if not symbolic:
        return False
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


_CHAIN_SPLIT = re.compile(r"\s*(<|>|\\le |\\ge )\s*")


def _chain_order(s: str) -> list[str] | None:
    """The terms of ``a < b < c`` (or ``c > b > a``) from least to greatest; None unless a chain of three or
    more terms with one direction."""
    parts = _CHAIN_SPLIT.split(s)
    terms, ops = parts[::2], parts[1::2]
    if len(terms) < 3 or not all(t.strip() for t in terms):
        return None
    if all(o in ("<", "\\le ") for o in ops):
        return [t.strip() for t in terms]
    if all(o in (">", "\\ge ") for o in ops):
        return [t.strip() for t in reversed(terms)]
    return None


def _states_value(lhs: str, rhs: str) -> bool:
    """``lhs = rhs`` gives the value ``rhs``: a computation (``3 \\cdot 4 = 12``, ``\\frac{3}{16} = 0.0011_2``:
    numbers on both sides) or a named quantity (``\\cos \\angle RPS = -\\frac{24}{25}``, ``P(A) = 2/3``: names
    and no arithmetic on the left). ``2x + z = 1`` and ``7 = 11a + c`` are equations, not values."""
    numeric = r"\\[a-zA-Z]+"  # command names (\\frac, \\binom, \\pi, \\alpha) are not variables
    # f(-2) + f(0), P(16): values of a function at numbers are numbers
    values = re.sub(r"(?<![\\a-zA-Z])[a-zA-Z]\([^()a-zA-Z=]*\)", " 1 ", lhs)
    if not re.search(r"[a-zA-Z]", re.sub(numeric, " ", values)):  # a computation
        return bool(lhs.strip()) and not re.search(r"[a-zA-Z]", re.sub(numeric, " ", rhs))
    # a named quantity, possibly a power of one (x^3, \cos \angle RPS): no coefficient, no sum
    plain = re.sub(r"_\{?\w+\}?|\^\s*\{?\d+\}?", "", lhs)  # subscripts and exponents may hold digits
    return not re.search(r"\d|(?<!^)[-+]", plain.strip())


def _reduce_chain(s: str) -> str:
    """``x = 5+5+1 = 7 = 11`` -> ``x = 11``; ``1 = y = 0`` -> ``0``: a chain of equalities answers with its
    last side (named by its first side when that is a name)."""
    if s.count("=") < 2 or len(split_top(s)) > 1 or parse_seq(s) is not None:
        return s
    parts = [p.strip() for p in s.split("=")]
    if not parts[-1]:
        return s
    head = f"{parts[0]} = "
    return f"{parts[0]} = {parts[-1]}" if VAR_ASSIGN.match(head) else parts[-1]


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


def _named_values(s: Seq) -> bool:
    """Every item assigns a value to a different name: ``p=6, q=31, r=-1``."""
    names = [i.split("=", 1)[0].strip() for i in s.items]
    return all(i.count("=") == 1 and VAR_ASSIGN.match(i) for i in s.items) and len(set(names)) == len(names)


def _solution_list(s: Seq) -> bool:
    """A bare list that lists solutions, so its order is not part of the answer: tuples ``(1,2), (3,4)``
    or values of named unknowns ``a=4, -8, -10`` / ``k = 45, n = 2``."""
    items = s.items
    return all(i[:1] == "(" and i[-1:] == ")" for i in items) or bool(VAR_ASSIGN.match(items[0]))


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
