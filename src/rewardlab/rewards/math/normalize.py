"""Normalise answer strings and read the structure of an answer (number, tuple, interval, equation...).

The fast path of :func:`rewardlab.rewards.math.verify` works on these normalised strings without sympy;
only what it cannot decide goes to the symbolic path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

_STRIP_CMDS = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|textstyle|boldsymbol(?=\{))(?![a-zA-Z])"
)
_SPACES = re.compile(r"(?<!\\)\\[,;: ]|~|\\quad|\\qquad|[\u2009\u202f\u00a0]")
TEXT_CMDS = r"text|textnormal|textrm|textbf|textit|textsf|mbox|mathrm|mathbf|mathit|mathsf|operatorname|emph"
# A relation operator once normalised (normalize spells every relation one way: "\\le ", "\\neq ", ...).
RELATION_OP = re.compile(r"\\le |\\ge |\\neq |<|>")
_TEXT = re.compile(rf"\\(?:{TEXT_CMDS})\s*\{{([^{{}}]*)\}}")
_TEXT_UNIT = re.compile(  # a unit after a value: "\\text{ cm}^2", "\\mathrm{kg}"; not the constants e and i
    r"\\(?:text|textnormal|textrm|textbf|textit|mbox|mathrm)\s*\{\s*(?![ei]\s*\})([a-zA-Z][^{}]*)\}"
    r"(?:\s*\^\s*\{?\d\}?)?"
)
# Relations in one spelling each: the relation path (equivalence._set_equal) reads them.
_RELATIONS = (
    (re.compile(r"\\leqslant|\\leq(?![a-zA-Z])|<=|\u2264|=<"), r"\\le "),
    (re.compile(r"\\geqslant|\\geq(?![a-zA-Z])|>=|\u2265|=>"), r"\\ge "),
    (re.compile(r"\\ne(?![a-zA-Z])|!=|\u2260|\\not=|\\not\s*="), r"\\neq "),
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),
)
_SPACE_THOUSANDS = re.compile(r"-?\d{1,3}(?: \d{3})+(?:\.\d+)?")
_CONNECTIVE = re.compile(r"\s*(?:,\s*)?(?:\band\b|\bor\b)\s*", re.IGNORECASE)
_ARRAY_IN_BRACKETS = re.compile(
    r"^[\[(]\s*(\\begin\{([pbvBV]?matrix|array)\}.*\\end\{\2\})\s*[\])]$", re.DOTALL
)
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\\circ")
# A value followed by unit words ("34 hours", "5 square inches", "440 cm^2"): every unit word has two or
# more letters, so algebra such as "6x-5", "18x^7" or "15i - 12" is never read as a unit.
_UNIT_WORDS = re.compile(
    r"^(?P<num>[-+]?[\d.,/]+(?:\\frac\{\d+\}\{\d+\})?|[-+]?\\frac\{[^{}]+\}\{[^{}]+\}|[-+]?\d*\\sqrt\{[^{}]+\}|\d*\\pi)"
    r"\s*(?P<unit>[a-zA-Z]{2,}\.?(?:(?:(?<=\.)|[ -])[a-zA-Z]{2,}\.?)*(?:\^\{?\d\}?)?)$"
)
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")  # \frac34 -> \frac{3}{4}
_FRAC_HALF = re.compile(r"\\frac\s*\{([^{}]*)\}\s*(\d)")  # \frac{1}2
_FRAC_HALF2 = re.compile(r"\\frac\s*(\d)\s*\{([^{}]*)\}")  # \frac1{72}
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d+|[a-zA-Z])")  # \sqrt3 -> \sqrt{3}
_THOUSANDS = re.compile(r"(?<![\d.])([1-9]\d{0,2}(?:,\d{3})+)(?![\d])")
# The left side of an assignment that names the answer: a variable (x, a_3, x_{10}), a function value
# (f(x)), a tuple of names ((p,q)), a ratio or fraction of names (A:B, \frac{NO}{BO}), a length (|AB|), a
# name (AB, S_{MBCN}). No digits outside subscripts and no operators: "x + 1 = 3" is an equation.
# One way to read every name (no nested quantifier can split a run two ways, so no catastrophic
# backtracking): a subscript is braced, a number, or one letter; "S_MBCN" is S_M then B, C, N.
_NAME = r"[a-zA-Z](?:_(?:\{[^{}]*\}|\d+|[a-zA-Z])|')*"
_NAMES = rf"(?:{_NAME})+"
_LHS = (
    rf"(?:{_NAMES}(?:\([^()=]*\))?|\(\s*{_NAME}(?:\s*,\s*{_NAME})+\s*\)|\|{_NAMES}\|"
    rf"|{_NAMES}\s*:\s*{_NAMES}|\\frac\{{{_NAMES}\}}\{{{_NAMES}\}})"
)
VAR_ASSIGN = re.compile(rf"^\s*{_LHS}\s*=\s*(?=[^=])")
_DOUBLE_BS = re.compile(r"\\\\(?=(?:frac|dfrac|tfrac|sqrt|left|right|pi|cdot|times|text|infty)\b)")


def strip_wrappers(s: str) -> str:
    s = s.strip()
    for _ in range(3):
        before = s
        s = s.strip().rstrip(".").strip()
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'`":  # "12 and 13", `x = 2`
            s = s[1:-1]
        for mark in ("**", "__"):  # Markdown emphasis around the whole answer: **12**
            if len(s) > 2 * len(mark) and s.startswith(mark) and s.endswith(mark):
                s = s[len(mark) : -len(mark)]
        if s.startswith("$") and s.endswith("$"):
            s = s.strip("$")
        for a, b in (("\\(", "\\)"), ("\\[", "\\]")):
            if s.startswith(a) and s.endswith(b):
                s = s[len(a) : -len(b)]
        if s == before:
            break
    return s.strip()


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[€£¥₹₽₩]|\\(?:euro|pounds|yen)\b|\b(?:EUR|GBP|USD)\b")
_REPEATING = re.compile(
    r"(-?)(?<!\d)(\d{0,30})\.(\d{0,30})\\overline\s*\{(\d{1,30})\}"
)  # bounded: no bignums


def _repeating_fraction(m: re.Match[str]) -> str:
    """``0.\\overline{3}`` -> ``1/3``, ``1.2\\overline{45}`` -> ``679/550``: a repeating decimal is a rational."""
    sign, whole, fixed, period = m.groups()
    scale, cycle = 10 ** len(fixed), 10 ** len(period) - 1
    value = (
        Fraction(int(whole or 0)) + Fraction(int(fixed or 0), scale) + Fraction(int(period), scale * cycle)
    )
    return f"{sign}{value.numerator}/{value.denominator}"


_NEG_SPACE_THOUSANDS = re.compile(r",\s*\\!\s*")
_TEXT_CONNECTIVE = re.compile(r"\\text\s*\{\s*(and|or)\s*\}")
_TEXT_TIME = re.compile(r"\\text\s*\{\s*([ap])\.?\s?m\.?\s*\}", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"(?<![\\a-zA-Z])([ap])\.\s?m\.(?![a-zA-Z])", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)  # a pure function of its argument; references repeat across a group
def normalize(answer: str) -> str:
    """Canonical string for an answer: LaTeX noise, units, currency and spacing removed.

    Percent signs are kept as a trailing ``%`` so that the numeric path can accept both readings.
    """
    plain = answer.strip()
    if _PLAIN_NUMBER.fullmatch(plain):  # most answers: nothing to do
        return plain
    s = strip_wrappers(answer)
    s = s.replace("\u2212", "-").replace("\u00d7", "\\times ").replace("\u00b7", "\\cdot ")
    s = s.replace("{,}", ",")
    s = s.replace("\\$", "").replace("$", "")
    s = _CURRENCY.sub("", s)
    if "\\overline" in s:
        s = _REPEATING.sub(_repeating_fraction, s)
    if "\\" in s:
        s = _DOUBLE_BS.sub(r"\\", s)
        s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
        s = _NEG_SPACE_THOUSANDS.sub(",", s)  # "3,\\!110,\\! 400": a negative thin space joins thousands
        s = s.replace("\\!", "")
        s = _TEXT_CONNECTIVE.sub(r" \1 ", s)  # a connective, never a unit
        # a time of day: "4:30 \\text{ p.m.}" = "\\text{4:30 p.m.}" = "4:30 pm" (never the ratio 4:30)
        s = _TEXT_TIME.sub(r" \1m", s)
    if "." in s:
        s = _DOTTED_TIME.sub(r"\1m", s)
    s = _ungroup(s)
    s = _SPACES.sub(" ", s)
    s = _STRIP_CMDS.sub("", s)
    for pattern, spelling in _RELATIONS:
        s = pattern.sub(spelling, s)
    s = _DEGREES.sub("", s)
    s = s.replace("\\varnothing", "\\emptyset")
    s = s.replace("\\%", "%").replace("\\percent", "%")
    # \text{...}: drop units after a value, unwrap when the text is the whole answer.
    texts = list(_TEXT.finditer(s))
    if texts:
        without = _TEXT_UNIT.sub("", s).strip()
        unwrap = _TEXT.sub(lambda m: m.group(1).strip(), without if without else s)
        value_left = re.search(r"\d|\\(?:frac|sqrt|pi)", _TEXT.sub("", without))
        s = unwrap if without and value_left else _TEXT.sub(lambda m: m.group(1).strip(), s)
    s = re.sub(r"(?<!\\)\\(?=\d)", "", s)  # "\\15" (a dropped "\\$") -> "15"
    s = re.sub(r"_\{(\w+)\}", r"_\1", s)  # x_{2} -> x_2
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF2.sub(r"\\frac{\1}{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    s = s.replace("\\{", "{").replace("\\}", "}") if s.startswith("\\{") else s
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"^(?:dollars?|usd)\s*|\s*(?:dollars?|usd|cents?)$", "", s, flags=re.IGNORECASE)
    head, eq, value = s.rpartition("=")  # "x = 5 cm": the unit of the value
    m = _UNIT_WORDS.match(value.strip() if eq and VAR_ASSIGN.match(head + "= 0") else s)
    if m and not re.fullmatch(r"[a-zA-Z]", m.group("unit").strip()) and m.group("unit").strip() != "i":
        s = f"{head.strip()} = {m.group('num')}" if eq and VAR_ASSIGN.match(head + "= 0") else m.group("num")
    bracketed = s[:1] in "([" and s[-1:] in ")]"  # "[-36,104]" is an interval, not -36104
    if not bracketed and "," not in _THOUSANDS.sub("", s):
        s = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), s)
    s = s.rstrip(".").strip()
    if "\\approx" in s and "=" in s:  # "x = 1/3 \\approx 0.33": the exact value is the answer
        s = s.split("\\approx", 1)[0].strip()
    if _SPACE_THOUSANDS.fullmatch(s):  # "1 000", "1\\,000": SI thousands (never a list: lists have commas)
        s = s.replace(" ", "")
    array = _ARRAY_IN_BRACKETS.match(s)  # \\left[\\begin{array}{cc}..\\end{array}\\right] is a matrix
    if array:
        s = array.group(1)
    s = _collection(s)
    ratio = re.fullmatch(r"(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)", s)
    if ratio:  # a ratio 1:2 is the number 1/2
        s = f"{ratio.group(1)}/{ratio.group(2)}"
    if s.startswith("."):
        s = "0" + s
    s = re.sub(r"(?<![\d])\.(\d)", r"0.\1", s)
    return s


def _ungroup(s: str) -> str:
    """``{1,3}`` is LaTeX grouping, not a set (a set is written ``\\{1,3\\}``): drop braces that wrap the
    whole answer."""
    while len(s) >= 2 and s[0] == "{" and s[-1] == "}" and _matching_braces(s):
        s = s[1:-1].strip()
    return s


def _matching_braces(s: str) -> bool:
    depth = 0
    for i, c in enumerate(s):
        if c == "{" and (i == 0 or s[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or s[i - 1] != "\\"):
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return False
    return depth == 0


def _collection(s: str) -> str:
    """Answers that name several values become one set ``{a, b}``: ``1 and 2``, ``21, 16 or 11``,
    ``\\pm 2`` and ``3 \\pm \\sqrt{2}`` (both signs), tuples separated by ``;``."""
    if "\\pm" in s or "\\mp" in s:
        return _plus_minus(s)
    if ";" in s:
        s = _semicolons(s)
    if re.search(r"\b(?:and|or)\b", s, re.IGNORECASE) and not RELATION_OP.search(s):
        items = [i.strip() for i in split_top(_CONNECTIVE.sub(" , ", s), ",") if i.strip()]
        if len(items) >= 2 and all(re.search(r"[\d\\]|^[a-zA-Z]$|=", i) for i in items):
            return "{" + ", ".join(items) + "}"
    return s


def _plus_minus(s: str) -> str:
    """``\\pm 2`` -> ``{2, -2}``; ``x = 3 \\pm \\sqrt{2}`` and ``\\pm 1, \\pm 2`` (every item with one sign
    choice) -> the set of all the values written."""
    body = s[1:-1] if s[:1] == "{" and s[-1:] == "}" else s
    values: list[str] = []
    for item in split_top(body):
        signs = item.count("\\pm") + item.count("\\mp")
        if signs > 1:
            return s  # "a \\pm b \\pm c": more than one choice of sign in one value; left as written
        head, eq, rest = item.rpartition("=")
        value = rest.strip() if eq and VAR_ASSIGN.match(head + "= 0") else item
        if not signs:
            values.append(value)
            continue
        plus = value.replace("\\pm", "+").replace("\\mp", "-")
        minus = value.replace("\\pm", "-").replace("\\mp", "+")
        values += [re.sub(r"^\+\s*", "", plus).strip(), re.sub(r"^-\s+", "-", minus.strip())]
    return "{" + ", ".join(values) + "}"


def _semicolons(s: str) -> str:
    """``(0;-2;6)`` is a tuple written with semicolons; ``p=5,q=2;p=7,q=2`` and ``-12;-11`` are lists whose
    items are separated by them (an item that is itself a list becomes a tuple)."""
    out, depth = [], 0
    for c in s:  # semicolons inside brackets separate coordinates
        depth += 1 if c in "([" else (-1 if c in ")]" else 0)
        out.append("," if c == ";" and depth > 0 else c)
    s = "".join(out)
    parts = [p for p in split_top(s, ";") if p]
    if len(parts) < 2:
        return s
    return ", ".join(f"({p})" if len(split_top(p, ",")) > 1 else p for p in parts)


def strip_assignment(s: str) -> str:
    """``x = 5`` -> ``5``, ``f(x) = 1`` -> ``1``, ``(p,q) = (3,2)`` -> ``(3,2)``: a name on the left (see
    ``_LHS``) and no other ``=``."""
    if s.count("=") == 1 and VAR_ASSIGN.match(s):
        value = VAR_ASSIGN.sub("", s, count=1).strip()
        if len(split_top(value)) > 1:  # "a = 4, -8, -10": the values of one unknown, a set
            return "{" + value + "}"
        return value
    return s


def parse_number(s: str) -> tuple[Fraction | float, bool] | None:
    """``(value, is_percent)`` for a plain number, decimal, ``a/b`` or ``\\frac{a}{b}``; else None."""
    percent = s.endswith("%")
    body = s[:-1].strip() if percent else s
    body = body.replace(" ", "")
    sign = 1
    if body.startswith("-"):
        sign, body = -1, body[1:]
    elif body.startswith("+"):
        body = body[1:]
    m = re.fullmatch(r"\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}|(-?[\d.]+)/(-?[\d.]+)", body)
    try:
        if m:
            a, b = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
            fb = Fraction(b)
            if fb == 0:
                return None
            return sign * Fraction(a) / fb, percent
        base = re.fullmatch(r"([0-9A-Fa-f]+)_\{?(\d{1,2})\}?", body)
        if base and 2 <= int(base.group(2)) <= 16:  # 1161_10, 41121_3
            return sign * Fraction(int(base.group(1), int(base.group(2)))), percent
        if re.fullmatch(r"(?:\d+\.?\d*|\.\d+)", body):
            return sign * Fraction(body), percent
        if re.fullmatch(r"(?:\d+\.?\d*|\.\d+)[eE][-+]?\d{1,3}", body):
            return sign * float(body), percent
    except (ValueError, ZeroDivisionError):
        return None
    return None


@dataclass(frozen=True)
class Seq:
    """A bracketed or comma-separated sequence: tuple, interval, set or bare list."""

    open: str  # "(", "[", "{", "" for a bare list
    close: str
    items: tuple[str, ...]


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets and braces."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and s.startswith(sep, i):
            out.append("".join(cur).strip())
            cur = []
            i += len(sep)
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur).strip())
    return out


def _matching(s: str) -> bool:
    depth = 0
    for i, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and i != len(s) - 1:
                return False
    return depth == 0


def parse_seq(s: str) -> Seq | None:
    """Read ``(a, b)``, ``[a, b)``, ``{a, b}`` or ``a, b`` (two or more items); else None."""
    if len(s) >= 2 and s[0] in "([{" and s[-1] in ")]}" and _matching(s):
        items = split_top(s[1:-1])
        if len(items) >= 2 or s[0] == "{":
            return Seq(s[0], s[-1], tuple(items))
        return None
    items = split_top(s)
    if len(items) >= 2 and all(items):
        return Seq("", "", tuple(items))
    return None


def parse_letter(s: str) -> str | None:
    """A multiple-choice letter: ``C``, ``(C)``, ``C)``, ``\\text{(C)}``, ``(C) 42``."""
    m = re.fullmatch(r"\(?([A-Ea-e])\)?(?:[.:]?\s.*)?", s.strip())
    if m and (s.strip()[:1] == "(" or len(s.strip()) <= 2 or s.strip()[1:2] in ").:"):
        return m.group(1).upper()
    return None
