"""A small evaluator for the LaTeX arithmetic that final answers are written in.

Why hand-written: latex2sympy2_extended (an ANTLR grammar) needs 20-50 ms to read one answer, which made
the symbolic path dominate reward time. Answers are overwhelmingly numbers, fractions, roots, powers,
``\\pi``, ``i``, trig and single-letter variables; this recursive-descent reader handles exactly that in
microseconds and evaluates the expression at fixed pseudo-random points. Anything outside the subset
raises :class:`NotFast` and the caller falls back to sympy.

Grammar (implicit multiplication binds like ``*``; a number followed by ``\\frac{int}{int}`` is a mixed
number, as in MATH answers): ``expr := term (('+'|'-') term)*``, ``term := unary ((op)? unary)*``,
``unary := ('-'|'+') unary | power``, ``power := atom ('^' atom)? '!'?``.
"""

from __future__ import annotations

import cmath
import math
import random
import re
from collections.abc import Callable
from typing import Any

Node = tuple[Any, ...]

_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|\\[a-zA-Z]+|[a-zA-Z]|[-+*/^(){}\[\]!_]|\S)")
_FUNCS: dict[str, Callable[[complex], complex]] = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan,
    "cot": lambda z: 1 / cmath.tan(z), "sec": lambda z: 1 / cmath.cos(z), "csc": lambda z: 1 / cmath.sin(z),
    "arcsin": cmath.asin, "arccos": cmath.acos, "arctan": cmath.atan,
    "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh,
    "ln": cmath.log, "log": cmath.log, "exp": cmath.exp,
}  # fmt: skip
_MULS = {"*", "\\cdot", "\\times"}
_DIVS = {"/", "\\div"}
MAX_EXPONENT = 10_000
MAX_CHARS = 1000  # longer answers go to the guarded symbolic path, which refuses them as too complex


class NotFast(Exception):
    """The expression is outside the subset this reader handles."""


class _Parser:
    def __init__(self, text: str) -> None:
        if re.search(r"[a-zA-Z]{3,}", re.sub(r"\\[a-zA-Z]+", " ", text)):
            raise NotFast("contains a word")
        self.toks = [t for t in _TOKEN.findall(text) if t.strip()]
        self.i = 0
        self.variables: set[str] = set()

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise NotFast(f"expected {expected!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            raise NotFast(f"unexpected {self.peek()!r}")
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = (op, node, self.term())
        return node

    def _starts_atom(self, tok: str | None) -> bool:
        if tok is None:
            return False
        return (
            tok[0].isdigit()
            or tok[0] == "."
            or tok.isalpha()
            or tok in ("(", "{", "\\frac", "\\sqrt", "\\pi")
            or (tok.startswith("\\") and tok[1:] in _FUNCS)
        )

    def term(self) -> Node:
        node = self.unary()
        while True:
            tok = self.peek()
            if tok in _MULS:
                self.take()
                node = ("*", node, self.unary())
            elif tok in _DIVS:
                self.take()
                node = ("/", node, self.unary())
            elif self._starts_atom(tok):
                node = ("*", node, self.power())
            else:
                return node

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Node:
        node = self.atom()
        if self.peek() == "^":
            self.take()
            node = ("^", node, self.exponent())
        if self.peek() == "!":
            raise NotFast("factorial")
        return node

    def exponent(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.isdigit() and len(tok) > 1:  # x^23 means x^2 * 3 in TeX; be strict
            raise NotFast("ambiguous exponent")
        if tok == "-":
            self.take()
            return ("neg", self.atom())
        return self.atom()

    def group(self) -> Node:
        self.take("{")
        node = self.expr()
        self.take("}")
        return node

    def atom(self) -> Node:
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            # mixed number: 3\frac{1}{4}
            if self.peek() == "\\frac" and "." not in tok:
                save = self.i
                self.take()
                a, b = self.group(), self.group()
                if a[0] == b[0] == "num" and a[1].imag == b[1].imag == 0 and b[1] != 0:
                    return ("num", complex(int(tok) + a[1].real / b[1].real))
                self.i = save
            try:
                return ("num", complex(float(tok)))
            except ValueError:  # "." alone
                raise NotFast(f"not a number: {tok!r}") from None
        if tok in ("(", "{", "["):
            node = self.expr()
            self.take({"(": ")", "{": "}", "[": "]"}[tok])
            return node
        if tok == "\\frac":
            return ("/", self.group(), self.group())
        if tok == "\\sqrt":
            if self.peek() == "[":
                self.take()
                n = self.expr()
                self.take("]")
                return ("^", self.group(), ("/", ("num", 1 + 0j), n))
            return ("sqrt", self.group())
        if tok == "\\pi":
            return ("num", complex(math.pi))
        if tok.startswith("\\") and tok[1:] in _FUNCS:
            power = None
            if self.peek() == "^":
                self.take()
                power = self.exponent()
            if self.peek() in ("(", "{"):
                arg = self.atom()
            else:  # \sin 2x -> sin(2x): the argument runs to the next operator
                arg = self.power()
                while self._starts_atom(self.peek()) and not (self.peek() or "").startswith("\\"):
                    arg = ("*", arg, self.power())
            call: Node = ("fn", tok[1:], arg)
            return ("^", call, power) if power is not None else call
        if tok.isalpha() and len(tok) == 1:
            if tok == "i":
                return ("num", 1j)
            if tok == "e":
                return ("num", complex(math.e))
            name = tok
            if self.peek() == "_":
                self.take()
                sub = self.take()
                if sub == "{":
                    parts = []
                    while self.peek() not in ("}", None):
                        parts.append(self.take())
                    self.take("}")
                    sub = "".join(parts)
                name = f"{tok}_{sub}"
            self.variables.add(name)
            return ("var", name)
        raise NotFast(f"unsupported token {tok!r}")


def _eval(node: Node, env: dict[str, complex]) -> complex:
    kind = node[0]
    if kind == "num":
        return complex(node[1])
    if kind == "var":
        return env[node[1]]
    if kind == "neg":
        return -_eval(node[1], env)
    if kind == "sqrt":
        return cmath.sqrt(_eval(node[1], env))
    if kind == "fn":
        return _FUNCS[node[1]](_eval(node[2], env))
    a, b = _eval(node[1], env), _eval(node[2], env)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if kind == "/":
        return a / b
    if kind == "^":
        if abs(b) > MAX_EXPONENT:
            raise OverflowError("exponent too large")
        if b.imag == 0 and b.real == int(b.real) and a.imag == 0:
            return complex(a.real ** int(b.real))
        if b.imag == 0 and a.imag == 0 and a.real >= 0:
            return complex(a.real**b.real)
        return a**b
    raise NotFast(kind)


def compile_expr(text: str) -> tuple[Node, frozenset[str]]:
    """Parse ``text``; returns the tree and its free variables. Raises :class:`NotFast`."""
    if len(text) > MAX_CHARS:
        raise NotFast(f"longer than {MAX_CHARS} characters")
    parser = _Parser(text)
    try:
        node = parser.parse()
    except RecursionError:
        raise NotFast("too deeply nested") from None
    return node, frozenset(parser.variables)


def fast_equal(a: str, b: str, rel_tol: float) -> bool:
    """Compare two answers by value (at 4 fixed points when they have variables). Raises NotFast."""
    na, va = compile_expr(a)
    nb, vb = compile_expr(b)
    if va != vb:
        return False
    rng = random.Random(0)
    names = sorted(va)
    agree = 0
    for _ in range(8 if names else 1):
        env = {n: complex(rng.uniform(0.1, 1.9)) for n in names}
        try:
            x, y = _eval(na, env), _eval(nb, env)
        except (ZeroDivisionError, OverflowError, ValueError):
            continue
        except RecursionError:
            raise NotFast("too deeply nested") from None
        if any(cmath.isnan(z) or cmath.isinf(z) for z in (x, y)):
            continue
        if abs(x - y) > max(rel_tol * max(abs(x), abs(y)), 1e-9):
            return False
        agree += 1
        if agree >= (4 if names else 1):
            return True
    raise NotFast("could not evaluate at enough points")
