"""``rewardlab.rewards.math.verify``: is a (bare) answer equivalent to a reference?

Pairs whose id starts with ``pb:`` are real: the final answer a ProcessBench model gave (as extracted by
``parse``) against that row's ``reference_answer`` (processbench/processbench_gsm8k_math_with_reference_answers.jsonl);
the others are the textbook forms each rule exists for.
"""

from __future__ import annotations

import contextlib
import json
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewardlab.rewards.math import Parsed, TooComplex, parse, parse_reference, verify

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
HENDRYCKS = DATA / "answer_equivalence" / "hendrycks_math_equivalence_test_cases.jsonl"

# (id, prediction, reference)
EQUIVALENT = [
    # bare lists of solutions: any order (pb:math-712 is labelled correct by the human grader)
    ("pb:math-712-any-order", "2, 1, -1, -2", "-2,-1,1,2"),
    # fractions
    ("pb:math-718", r"\frac{49}{54}", r"\dfrac{49}{54}"),
    ("pb:math-658", r"\frac{10}{3}", r"\tfrac{10}{3}"),
    ("pb:math-825", r"\frac{1}{3}", r"\frac13"),
    ("pb:math-720", r"\frac{1}{10}", r"\frac1{10}"),
    ("pb:math-928", r"\frac{625}{4}", r"\frac{625}4"),
    ("pb:math-639", "1/20", r" \frac{1}{20}"),
    ("pb:math-247", r"-\frac{58}{87}", r"-\dfrac{2}{3}"),  # not reduced, same value
    ("frac34", r"\frac34", "3/4"),
    ("a/b-vs-dfrac", "-3/4", r"-\dfrac{3}{4}"),
    ("pb:math-890", r"\frac{8\pi}{5}", r"\tfrac{8\pi}5"),
    ("pb:math-535", r"\(1\frac{9}{10}\)", r"1\frac{9}{10}"),  # mixed number
    ("mixed-number-value", r"3\frac{1}{4}", "13/4"),
    # decimals vs fractions
    ("pb:math-878", "5.5", r"\frac{11}{2}"),
    ("pb:math-938", "0.5", r"\frac{1}{2}"),
    ("pb:math-221", r"\frac{23}{2}", "11.5"),
    ("eighth", "0.125", "1/8"),
    ("leading-dot", "0.0000672", ".0000672"),  # pb:math-447's reference
    ("trailing-zero", "2.50", "2.5"),
    ("repeating-within-tol", r"-\frac{2}{3}", "-0.6666667"),
    # percent
    ("percent-bare", r"10\%", "10"),
    ("percent-fraction", "25%", "0.25"),
    ("percent-frac", r"50\%", r"\frac{1}{2}"),
    # thousands separators
    ("pb:math-504", "3110400", r"3,\!110,\!400"),
    ("space-thousands", "3 110 400", "3110400"),
    ("thin-space-thousands", r"3\,110\,400", "3110400"),
    ("decimal-comma", "1,22", "1.22"),
    ("decimal-comma-4", "3,1416", "3.1416"),
    ("braced-comma", r"3{,}110{,}400", "3110400"),
    ("pb:math-671", r"115{,}000", r"\$115,000"),
    ("pb:math-730", "12,441,600", "12441600"),
    ("pb:math-726", "7,945", "7945"),
    ("pb:math-780", "5866608", r"5,\!866,\!608"),
    ("pb:math-160-reference", "32348", r"\$32,\!348"),
    ("negative-thousands", "-1,000", "-1000"),
    # currency
    ("pb:math-719", "76.80", r"\$76.80"),
    ("pb:math-904", "3800", r"\$3800"),
    ("pb:math-979", "7.50", r"\$7.50"),
    ("dollars-word", "18 dollars", "18"),
    ("dollar-thousands-cents", r"\$1,200.50", "1200.5"),
    # units
    ("pb:math-522", "12", r"12\text{ square units}"),
    ("pb:math-744", r"8\sqrt{3}", r"8\sqrt{3} \text { square inches}"),
    ("pb:math-981", "9", r"9 \text{ multiples}"),
    ("pb:math-39-reference", "10", r"10\;\text{edges}"),
    ("pb:math-442-reference", "162", r"162\text{ minutes}"),
    ("text-cm", r"5\text{ cm}", "5"),
    ("mbox-inches", r"12\mbox{ inches}", "12"),
    ("unit-word", "161 minutes", "161"),
    # degrees
    ("pb:math-531", r"6^\circ", r"6^{\circ}"),
    ("pb:math-537", "60", r"60^\circ"),
    ("degree-sign", "30\u00b0", "30"),
    # "x = 5" vs "5"
    ("pb:math-616", "x = 11", "11"),
    ("pb:math-673", "x=4", "4"),
    ("pb:math-680", "AB = 10", "10"),
    ("pb:math-902", r"\cos \angle RPS = -\frac{24}{25}", r"-\frac{24}{25}"),
    ("pb:math-999", "2 + 1 = 3", "3"),  # a chain states its result last
    ("pb:math-555", r"\frac{3}{16} = 0.0011_2", r"0.0011_{2}"),
    ("assignment-in-reference", "5", "x=5"),
    ("assignment-fraction", r"y = -\frac{1}{2}", "-0.5"),
    # tuples (ordered)
    ("pb:math-558", r"\left(3\sqrt{3}, -9, -2\right)", r"(3 \sqrt{3}, -9, -2)"),
    (
        "pb:math-842",
        r"\left(\frac{\sqrt{2}}{2}, \frac{\sqrt{2}}{2}\right)",
        r"\left( \frac{1}{\sqrt{2}}, \frac{1}{\sqrt{2}} \right)",
    ),
    ("tuple-decimal", r"(3, -\frac{1}{2})", "(3, -0.5)"),
    # intervals
    ("half-open", "[1, 2)", "[1,2)"),
    ("infinite", r"[2, \infty)", r"[2,\infty)"),
    (
        "left-right",
        r"\left[ \frac{\pi^2}{8}, \frac{5 \pi^2}{4} \right]",
        r"[\frac{\pi^2}{8}, \frac{5\pi^2}{4}]",
    ),
    # unions of intervals (unordered)
    ("union-swapped", r"(4, \infty) \cup (-\infty,-8)", r"(-\infty, -8) \cup (4, \infty)"),
    ("union-three", r"(2, 4) \cup (-\infty, -2) \cup (0, 1)", r"(-\infty, -2) \cup (0, 1) \cup (2, 4)"),
    # sets (unordered)
    ("set-two", r"\{1, 2\}", r"\{2, 1\}"),
    ("set-four", r"\{-2,-1,1,2\}", r"\{2,1,-1,-2\}"),
    # matrices, \frac cells vs a/b cells
    (
        "pb:math-510",
        r"\begin{pmatrix} -\frac{1}{3} \\ \frac{2}{3} \\ \frac{5}{3} \end{pmatrix}",
        r"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}",
    ),
    (
        "pb:math-595",
        r"\begin{pmatrix} \frac{12}{13} \\ -\frac{18}{13} \end{pmatrix}",
        r"\begin{pmatrix} 12/13 \\ -18/13 \end{pmatrix}",
    ),
    (
        "matrix-spacing",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
    ),
    ("bmatrix-pmatrix", r"\begin{bmatrix}1&2\end{bmatrix}", r"\begin{pmatrix}1&2\end{pmatrix}"),
    # equations: proportional equations are the same equation
    ("proportional-plane", "x+y-z+2=0", "2x+2y-2z+4=0"),
    ("sides-swapped", "x^2+y^2=13", "13 = x^2 + y^2"),
    ("rearranged-line", "y=x+1", "x-y+1=0"),
    ("negated-line", "2x - y = 4", "y = 2x - 4"),
    ("commuted-rhs", "y = 2x + 3", "y = 3 + 2x"),
    # complex numbers
    ("complex-spacing", "-12+15i", "-12 + 15i"),
    ("complex-commuted", "12+15i", "15i+12"),
    ("complex-decimal", "-12+15i", "-12.0+15.0i"),
    ("euler", r"e^{i\pi}", "-1"),
    # trigonometric identity (pb:math-392: labelled incorrect, but it is cot x)
    ("pb:math-392", r"\frac{1}{\sin x \cos x} - \tan x", r"\cot x"),
    # square roots
    ("pb:math-634", r"1 + \sqrt{5}", r"1+\sqrt5"),
    ("pb:math-927", r"\(\sqrt{17}\)", r"\sqrt{17}"),
    ("sqrt-simplified", r"\sqrt{8}", r"2\sqrt{2}"),
    ("sqrt-rationalised", r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}"),
    ("sqrt-108", r"6\sqrt{3}", r"\sqrt{108}"),
    ("cube-root", r"\sqrt[3]{8}", "2"),
    ("sqrt-of-fraction", r"\frac{\sqrt{6}}{2}", r"\sqrt{\frac{3}{2}}"),
    # expressions
    ("pb:math-648", r"\(7x(x - 1)(x - 2)\)", "7x(x-1)(x-2)"),
    ("factored", "(x-2)(x+2)", "x^2-4"),
    ("pi-decimal", r"\pi", "3.14159265"),
    ("power", "2^{10}", "1024"),
    # multiple-choice letters
    ("letter-parenthesised", "(B)", "B"),
    ("letter-bare", "B", "(B)"),
    ("pb:math-324-reference", "E", r"\text{(E)}"),
    ("letter-text", r"\text{(C)}", "C"),
    # text answers
    ("day-text", r"\text{Friday}", "Friday"),
    ("day-case", "friday", r"\text{Friday}"),
    ("day-textbf", r"\textbf{Sunday}", "Sunday"),
    # base subscripts
    ("base-10-braced", "1161_{10}", "1161"),
    ("base-10", "1161_10", "1161"),
    ("base-2", "1011_2", "11"),
    # ratios
    ("pb:math-278", r"\frac{1}{2}", "1:2"),
    ("ratio-slash", "1:2", "1/2"),
    ("ratio-decimal", "3:4", "0.75"),
]

NOT_EQUIVALENT = [
    # a comma followed by a space separates answers; thousands separators carry no space (issue convention)
    ("comma-space-is-a-list", "3, 110, 400", "3110400"),
    ("comma-space-is-a-list-reversed", "3110400", "3, 110, 400"),
    ("comma-space-two-numbers", "32, 349", "32349"),
    ("decimal-comma-is-not-a-list-of-one", "1,22", "122"),
    # fractions and decimals
    ("pb:math-164", r"\frac{38}{819}", r"\frac{37}{819}"),
    ("pb:math-116", r"\frac{1}{4}", r"\dfrac{7}{20}"),
    ("pb:math-335", "8/3", "2"),
    ("inverted", "3/4", "4/3"),
    ("pb:math-447", "0.00000672", ".0000672"),
    ("pb:math-225", "3.3", "3.5"),
    ("truncated-third", "0.333", r"\frac{1}{3}"),
    ("near-half", r"\frac{1}{2}", "0.51"),
    ("pb:math-262", r"3\frac{3}{8}", r"6 \frac{3}{4}"),
    # percent
    ("percent-wrong", r"10\%", "0.2"),
    # thousands separators
    ("pb:math-4", "3104400", r"3,\!110,\!400"),
    ("pb:math-114", r"900{,}009", r"90{,}900{,}909"),
    ("pb:math-237", "16511", r"16,\!471"),
    ("pb:math-413", "4368", r"5,\!460"),
    ("dropped-digit", "3110400", "311040"),
    ("comma-is-a-list", "1,2", "12"),
    # currency and units
    ("pb:math-183", r"\$250", "350"),
    ("pb:math-141", r"130 \text{ m}", "160"),
    ("pb:math-442", "161 minutes", r"162\text{ minutes}"),
    ("pb:math-93", "1024", r"210\text{ ways}"),
    # degrees
    ("pb:math-285", "72", r"144^\circ"),
    ("pb:math-295", r"39.42^\circ", r"45^\circ"),
    # assignments
    ("pb:math-363", "y = 50", "120"),
    ("pb:math-72", "n=5", "8"),
    ("pb:math-46", "C = 25", "28"),
    (
        "pb:math-32",
        r"\frac{1}{2^{1}}+\frac{1}{2^{2}}+\cdots+\frac{1}{2^{10}}=0.99999975",
        r"\frac{1023}{1024}",
    ),
    # tuples: order matters
    ("pb:math-12", r"(-6, \frac{5}{2})", "(-3,2)"),
    ("pb:math-252", "(8, 1)", "(2,12)"),
    ("pb:math-173", "(5, -1, 5, -1)", "(4,1,4,0)"),
    ("tuple-swapped", "(1, 2)", "(2, 1)"),
    ("tuple-length", "(1,2,3)", "(1,2)"),
    # intervals: bracket types matter
    ("pb:math-368", r"(-\infty, 0)", r"(-\infty, 0]"),
    ("pb:math-489", r"[0, \infty)", r"(-\infty,0]"),
    ("closed-vs-half-open", "[1, 2)", "[1, 2]"),
    ("open-vs-closed", "(1,2)", "[1,2]"),
    # unions
    ("pb:math-36", r"(-\infty, -8) \cup (4, \infty)", r"(-\infty,-8)\cup (8,\infty)"),
    ("pb:math-241", r"(-\infty, 5) \cup (5, \infty)", r"(5,\infty)"),
    ("union-bracket", r"(-\infty, -2) \cup (3, \infty)", r"(-\infty, -2] \cup (3, \infty)"),
    (
        "pb:math-495",
        r"\left(-\infty, \frac{1 - \sqrt{17}}{2}\right) \cup \left(\frac{1 + \sqrt{17}}{2}, \infty\right)",
        r"(-\infty, -2) \cup (0, 1) \cup (2, 4)",
    ),
    # sets
    ("set-element", r"\{1,2\}", r"\{1,3\}"),
    ("set-size", r"\{1,2\}", r"\{1,2,3\}"),
    ("set-vs-tuple", r"\{1,2\}", "(1,2)"),
    # bare lists: different values or counts
    ("pb:math-210", "-1, 1", "-2,-1,1,2"),
    ("pb:math-448", "-1, 0, 1", "0,1"),
    ("pb:math-465", "1", "0,1"),
    ("pb:math-409", r"0, \frac{44}{5}", "0,4"),
    # matrices
    (
        "pb:math-220",
        r"\begin{pmatrix} 31 \\ 66 \\ -81 \end{pmatrix}",
        r"\begin{pmatrix} 1 \\ 2 \\ -3 \end{pmatrix}",
    ),
    (
        "pb:math-367",
        r"\begin{pmatrix} \frac{\sqrt{2}}{2} & \frac{\sqrt{2}}{2} \\ \frac{\sqrt{2}}{2} & \frac{\sqrt{2}}{2} \end{pmatrix}",
        r"\begin{pmatrix} 1/\sqrt{2} & 1/\sqrt{2} \\ -1/\sqrt{2} & 1/\sqrt{2} \end{pmatrix}",
    ),
    (
        "matrix-swapped",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 4 & 3 \end{pmatrix}",
    ),
    ("matrix-shape", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \end{pmatrix}"),
    # equations
    ("shifted-plane", "x+y-z+2=0", "x+y-z+3=0"),
    ("pb:math-189", "x^2 - mx + n = 0", "20"),
    # complex numbers
    ("pb:math-429", r"1-\frac{2}{5}i", "1+2i"),
    ("conjugate", "-12+15i", "-12-15i"),
    ("real-sign", "12+15i", "-12+15i"),
    # trigonometry and roots
    ("half-identity", r"\frac{1}{\sin x \cos x}", r"\cot x"),
    ("tan-cot", r"\tan x", r"\cot x"),
    ("pb:math-167", r"\frac{1}{2} - \frac{1}{2} \cos \left(\frac{4\pi}{7}\right)", r"\frac{1}{8}"),
    ("pb:math-89", r"\sqrt{7}", r"\sqrt{6}"),
    ("pb:math-425", r"3\sqrt{2}", r"\sqrt{6}"),
    ("pb:math-263", r"\frac{28 + 7\sqrt{2}}{2}", r"14+7\sqrt{2}"),
    ("pb:math-466", r"-\frac{\sqrt{3}}{2}", r"\frac{\sqrt{3}}{2}"),
    ("sqrt-coefficient", r"\sqrt{8}", r"3\sqrt{2}"),
    # pi and polynomials
    ("pb:math-105", r"7\pi", r"5 \pi"),
    ("pb:math-208", "196", r"49\pi"),
    ("pi-rounded", r"\pi", "3.14"),
    ("pb:math-260", "21a^5 - 7a^4 - 16a^2 - 32a", "21a^5 - 7a^4 - 16a^2 + 32a"),
    ("pb:math-468", "x^3 - x^2 + 3x - 6", "x^3+3x-6"),
    ("pb:math-336", "p - q + r", "p+q-r"),
    ("pb:math-440", "x^2", "25"),
    ("different-variable", "x", "y"),
    # infinity
    ("pb:math-120", r"\infty", "4"),
    ("signed-infinity", r"\infty", r"-\infty"),
    # letters
    ("pb:math-324", r"\frac{y^2}{b^2} - \frac{x^2}{a^2} = 1", r"\text{(E)}"),
    ("letter-wrong", "(B)", "C"),
    # text
    ("pb:math-14", "Sunday", r"\text{Friday}"),
    ("pb:math-403", r"\text{Saturday}", r"\text{Friday}"),
    ("pb:math-372", "2250", r"\text{east}"),
    ("pb:math-21", "none", "13"),
    # bases
    ("pb:math-147", "1161_{10}", "499"),
    ("pb:math-312", "41121_3", "1112112_3"),
    ("base-9-vs-10", "1161_{10}", "1161_{9}"),
    # ratios
    ("ratio-inverted", "1:2", "2/1"),
    ("ratio-vs-integer", "1:2", "2"),
    # signs
    ("pb:math-455", "-10", "10"),
    ("pb:math-467", r"-\frac{1}{8}", r"\frac{1}{8}"),
]


def _params(rows: list[tuple[str, str, str]]) -> list[object]:
    return [pytest.param(pred, ref, id=case_id) for case_id, pred, ref in rows]


@pytest.mark.parametrize(("pred", "ref"), _params(EQUIVALENT))
def test_equivalent(pred: str, ref: str) -> None:
    assert verify(pred, ref) is True


# A chain or a named quantity ("AB = 10", "2 + 1 = 3") states its result last in a *prediction*; as a
# reference it would be an equation, so these pairs are only equivalent in the direction given.
PREDICTION_ONLY = {"pb:math-680", "pb:math-902", "pb:math-999", "pb:math-555"}


@pytest.mark.parametrize(
    ("pred", "ref"), _params([row for row in EQUIVALENT if row[0] not in PREDICTION_ONLY])
)
def test_equivalent_is_symmetric(pred: str, ref: str) -> None:
    assert verify(ref, pred) is True


@pytest.mark.parametrize(("pred", "ref"), _params(NOT_EQUIVALENT))
def test_not_equivalent(pred: str, ref: str) -> None:
    assert verify(pred, ref) is False


@pytest.mark.parametrize(("pred", "ref"), _params(NOT_EQUIVALENT))
def test_not_equivalent_is_symmetric(pred: str, ref: str) -> None:
    assert verify(ref, pred) is False


def test_verify_accepts_parsed_and_numbers() -> None:
    pred = parse(r"Therefore, the area of the ellipse is \(\frac{8\pi}{5}\) square units.")  # pb:math-890
    assert isinstance(pred, Parsed)
    assert verify(pred, r"\tfrac{8\pi}5") is True
    assert verify(pred, parse_reference(r"\boxed{\frac{8\pi}{5}}")) is True
    assert verify("18", 18) is True
    assert verify("2.5", 2.5) is True
    assert verify(r"\frac{1}{10}", 0.1) is True
    assert verify("7", "#### 7") is True
    assert verify("17", 18) is False


def test_verify_rejects_bad_references() -> None:
    for bad in (None, True, {"a": 1}):
        with pytest.raises(ValueError, match="reference"):
            verify("1", bad)  # type: ignore[arg-type]


def test_rel_tol() -> None:
    assert verify("3.14159", r"\pi") is True  # within the default 1e-6
    assert verify("3.14159", r"\pi", rel_tol=1e-9) is False
    assert verify("3.14", r"\pi", rel_tol=1e-2) is True
    assert verify("0.3333333", r"\frac{1}{3}") is True
    assert verify("0.3333333", r"\frac{1}{3}", rel_tol=0) is False


# --- the Hendrycks MATH grader's own test cases --------------------------------------------------


def _hendrycks_rows() -> list[object]:
    if not HENDRYCKS.exists():
        return [pytest.param({}, id="missing")]
    with HENDRYCKS.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [pytest.param(row, id=row["test"]) for row in rows]


@pytest.mark.skipif(not HENDRYCKS.exists(), reason=f"{HENDRYCKS} is absent (needs ../shared/data)")
@pytest.mark.parametrize("row", _hendrycks_rows())
def test_hendrycks_equivalence_cases(row: dict) -> None:
    # the Hendrycks grader reads bare lists as tuples ("10, 4, -2" is not "4, 10, -2"): its convention
    assert verify(row["pred"], row["gold"], ordered=True) == bool(row["expected"])


def test_bare_lists_match_in_any_order_by_default() -> None:
    assert verify("4, 10, -2", "10, 4, -2") is True
    assert verify("4, 10, -2", "10, 4, -2", ordered=True) is False
    assert verify("(4, 10)", "(10, 4)") is False  # a parenthesised tuple is ordered either way


@pytest.mark.skipif(not HENDRYCKS.exists(), reason=f"{HENDRYCKS} is absent (needs ../shared/data)")
def test_hendrycks_file_has_16_rows() -> None:
    assert len(_hendrycks_rows()) == 16


# --- refusing unbounded work ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def symbolic_imported() -> None:
    """Import the symbolic stack once, so the timings below measure the comparison, not the import."""
    import latex2sympy2_extended  # noqa: F401
    import sympy  # noqa: F401


LONG_BINOMS = "+".join([r"\binom{5}{2}"] * 80)  # 1039 characters, outside the fast evaluator
LONG_NESTED = "(" * 500 + "1" + ")" * 500  # 1001 characters


@pytest.mark.parametrize(
    ("pred", "ref"),
    [
        pytest.param("9^{9^{9^{9}}}", "1", id="power-tower"),
        pytest.param("(10^{100})!", "3", id="huge-factorial"),
        pytest.param(LONG_BINOMS, "1", id="1000-chars-binoms"),
        pytest.param(LONG_NESTED, "1", id="1000-chars-nested"),
        pytest.param("1", "9^{9^{9^{9}}}", id="power-tower-as-reference"),
    ],
)
def test_too_complex_is_raised_quickly(symbolic_imported: None, pred: str, ref: str) -> None:
    assert len(LONG_BINOMS) >= 1000 and len(LONG_NESTED) >= 1000
    start = time.perf_counter()
    with pytest.raises(TooComplex):
        verify(pred, ref)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        pytest.param("+".join(["1"] * 500), "500", True, id="sum-of-ones"),
        pytest.param("+".join(["x"] * 500), "1", False, id="sum-of-x"),
    ],
)
def test_long_expression_in_the_fast_subset(
    symbolic_imported: None, pred: str, ref: str, expected: bool
) -> None:
    """A ~1000-character expression the fast evaluator reads: either refused or decided correctly, quickly."""
    assert len(pred) >= 999
    start = time.perf_counter()
    with contextlib.suppress(TooComplex):  # refusing is allowed; a verdict must be right
        assert verify(pred, ref) is expected
    assert time.perf_counter() - start < 1.0


# --- properties ----------------------------------------------------------------------------------

SMALL_INTS = st.integers(min_value=-100_000, max_value=100_000)
SMALL_FRACTIONS = st.builds(
    Fraction, st.integers(min_value=-1000, max_value=1000), st.integers(min_value=1, max_value=100)
)


@given(a=st.one_of(SMALL_INTS, SMALL_FRACTIONS), b=st.one_of(SMALL_INTS, SMALL_FRACTIONS))
def test_numbers_equal_iff_equal(a: int | Fraction, b: int | Fraction) -> None:
    # Bounded so that distinct values differ by more than the 1e-6 relative tolerance; larger values are
    # covered by test_distinct_large_integers_differ.
    assert verify(str(a), str(b)) == (Fraction(a) == Fraction(b))


@given(a=st.one_of(SMALL_INTS, SMALL_FRACTIONS))
def test_number_equals_itself(a: int | Fraction) -> None:
    assert verify(str(a), str(a)) is True


def _terminating_decimal(f: Fraction) -> str:
    """The exact decimal string of ``f`` (its denominator has no prime factors but 2 and 5)."""
    q, k = f.denominator, 0
    while (10**k) % q:
        k += 1
    scaled = abs(f.numerator) * (10**k // q)
    whole, frac = divmod(scaled, 10**k)
    sign = "-" if f < 0 else ""
    return f"{sign}{whole}.{frac:0{k}d}" if k else f"{sign}{whole}"


@given(
    numerator=st.integers(min_value=-(10**6), max_value=10**6),
    twos=st.integers(min_value=0, max_value=8),
    fives=st.integers(min_value=0, max_value=8),
    scale=st.integers(min_value=1, max_value=7),
)
def test_frac_equals_its_terminating_decimal(numerator: int, twos: int, fives: int, scale: int) -> None:
    f = Fraction(numerator, 2**twos * 5**fives)
    decimal = _terminating_decimal(f)
    assert Fraction(decimal) == f
    sign = "-" if f < 0 else ""
    # written reduced and unreduced, with the sign in front and inside
    for p, q in ((abs(f.numerator), f.denominator), (abs(f.numerator) * scale, f.denominator * scale)):
        assert verify(rf"{sign}\frac{{{p}}}{{{q}}}", decimal) is True
        assert verify(decimal, rf"{sign}\dfrac{{{p}}}{{{q}}}") is True
    assert verify(rf"\frac{{{f.numerator}}}{{{f.denominator}}}", decimal) is True


# --- regressions: bugs found by these tests and fixed ------------------------------------------

REL_TOL_BUG = (
    "equivalence.numbers_close: two different exact rationals (e.g. integers >= 10**6) within rel_tol 1e-6 "
    "compare equal, so an off-by-one count is graded correct"
)


@pytest.mark.parametrize(
    ("pred", "ref"),
    [
        pytest.param("12441601", "12441600", id="pb:math-730-off-by-one"),
        pytest.param("1000001", "1000000", id="million-plus-one"),
        pytest.param("999999", "1000000", id="million-minus-one"),
        pytest.param("9999/10000", "9998/9999", id="close-fractions"),
    ],
)
def test_distinct_exact_numbers_differ(pred: str, ref: str) -> None:
    assert verify(pred, ref) is False


@given(a=st.integers(min_value=10**7, max_value=10**15), k=st.integers(min_value=1, max_value=9))
def test_distinct_large_integers_differ(a: int, k: int) -> None:
    assert verify(str(a), str(a + k)) is False


OVERFLOW_BUG = (
    "equivalence.numbers_close: float(Fraction) raises OverflowError for an integer answer above ~1e308 "
    "(e.g. a degenerate '1111...' completion) instead of returning a verdict"
)


@pytest.mark.parametrize(
    ("pred", "ref"),
    [
        pytest.param("1" + "0" * 400, "1", id="1e400-vs-1"),
        pytest.param("1" * 1000, "1", id="1000-ones-vs-1"),
    ],
)
def test_huge_integer_is_a_verdict(pred: str, ref: str) -> None:
    assert verify(pred, ref) is False


UNIT_BUG = (
    "normalize._UNIT_WORDS reads an algebraic tail as a unit: '6x-5' -> '6', '15i - 12' -> '15', "
    "'\\pi r^2' -> '\\pi', '18x^8' -> '18' (20 MATH test references are truncated this way)"
)


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        pytest.param("6x-1", "6x-5", False, id="math-test:412-other-constant"),
        pytest.param("6", "6x-5", False, id="math-test:412-coefficient-only"),
        pytest.param("18x^7", "18x^8", False, id="math-test:689-other-power"),
        pytest.param("3s^3", "3s^2", False, id="math-test:94-other-power"),
        pytest.param("15", "15i - 12", False, id="complex-real-part-dropped"),
        pytest.param(r"\pi", r"\pi r^2", False, id="area-formula"),
        pytest.param("15i - 12", "-12+15i", True, id="complex-imaginary-first"),
        pytest.param(r"\pi r^2", r"r^2\pi", True, id="commuted-product"),
    ],
)
def test_algebraic_tail_is_not_a_unit(pred: str, ref: str, expected: bool) -> None:
    assert verify(pred, ref) is expected


UNIT_POWER_BUG = (
    "normalize: '440\\text{ cm}^2' -> '440^2' (the unit is dropped, its exponent stays on the number); "
    "5 MATH test references are written this way"
)


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        pytest.param("440", r"440\text{ cm}^2", True, id="math-test:526"),
        pytest.param("193600", r"440\text{ cm}^2", False, id="math-test:526-squared"),
        pytest.param("15", r"15\mbox{ cm}^2", True, id="math-test:3647"),
        pytest.param("144", r"144 \mbox{ m}^3", True, id="math-test:1958"),
    ],
)
def test_unit_with_exponent(pred: str, ref: str, expected: bool) -> None:
    assert verify(pred, ref) is expected
