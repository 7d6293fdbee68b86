"""Builds ``answer_classes.jsonl`` (the labelled answer-class table) from the shared data sets.

Run from the repository root: ``.venv/bin/python tests/rewards/math/data/build_answer_classes.py``. It reads
``../shared/data`` (MATH, MATH-500, GSM8K, ProcessBench, the Qwen2.5-Math example file) and writes the table
next to this file. Every row's label is written here by hand, next to the row, and was decided by reading the
two answers; nothing here runs a checker. A row taken from a real model output keeps the text as it was
(only the earliest steps are dropped when a completion would exceed 4 KB); a "constructed" row pairs a real
reference with a completion written for the row (an equivalent form, or a near miss).
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[3].parent / "shared" / "data"
OUT = HERE / "answer_classes.jsonl"
MAX_BYTES = 4000

M500_FILE = "math/math500/test.jsonl"
MATH_FILE = "math/MATH/test.jsonl"
GSM_FILE = "gsm8k/test.jsonl"
GSM_SOL_FILE = "gsm8k/example_model_solutions.jsonl"
QWEN_FILE = "math/qwen2.5-math_eval_rm_maj_example/math_cot_100.jsonl"
PB_FILE = "processbench/{}.json"


def _jsonl(rel: str) -> list[dict]:
    with (DATA / rel).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def last_boxed(text: str) -> str | None:
    i = text.rfind("\\boxed")
    if i < 0:
        return None
    j = text.find("{", i)
    depth = 0
    for k in range(j, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[j + 1 : k]
    return None


M500 = {r["unique_id"].removeprefix("test/").removesuffix(".json"): r for r in _jsonl(M500_FILE)}
MATH = {r["idx"]: r for r in _jsonl(MATH_FILE)}
MATH_BY_PROBLEM = {r["problem"].strip(): r for r in MATH.values()}
GSM = _jsonl(GSM_FILE)
GSM_BY_Q = {r["question"].strip(): i for i, r in enumerate(GSM)}
GSM_SOL = _jsonl(GSM_SOL_FILE)
QWEN = _jsonl(QWEN_FILE)
PB = {
    r["id"]: r for split in ("gsm8k", "math") for r in json.loads((DATA / PB_FILE.format(split)).read_text())
}


def m500(uid: str) -> str:
    """MATH-500 ``answer`` of ``test/<uid>.json``."""
    return M500[uid]["answer"]


def math_ans(idx: int) -> str:
    """MATH test reference: the last ``\\boxed{}`` of the solution (as math-evaluation-harness does)."""
    ans = last_boxed(MATH[idx]["solution"])
    assert ans is not None, idx
    return ans


def gsm_ans(i: int) -> str:
    return GSM[i]["answer"].split("####")[1].strip()


def gsm_body(i: int) -> str:
    """GSM8K reference solution without its ``#### n`` line and without the ``<<calc>>`` annotations."""
    body = GSM[i]["answer"].split("####")[0].strip()
    return re.sub(r"<<[^>]*>>", "", body)


def pb_ref(pid: str) -> tuple[str, str]:
    """(reference, source of the reference) for a ProcessBench row: GSM8K/MATH joined on the problem text."""
    problem = PB[pid]["problem"].strip()
    if problem in MATH_BY_PROBLEM:
        idx = MATH_BY_PROBLEM[problem]["idx"]
        return math_ans(idx), f"{MATH_FILE}:idx={idx}"
    i = GSM_BY_Q[problem]
    return gsm_ans(i), f"{GSM_FILE}:line={i + 1}"


def fit(text: str) -> tuple[str, bool]:
    """Drop whole leading paragraphs until the text is under MAX_BYTES (the final answer is at the end)."""
    cut = False
    while len(text.encode()) > MAX_BYTES:
        parts = text.split("\n\n", 1)
        if len(parts) < 2:
            raise ValueError("cannot shorten")
        text, cut = parts[1], True
    return text, cut


def pb_text(pid: str) -> tuple[str, str]:
    text, cut = fit("\n\n".join(PB[pid]["steps"]))
    return text, ("earliest steps dropped to stay under 4 KB; " if cut else "")


def qwen_text(idx: int, k: int) -> tuple[str, str]:
    text, cut = fit(QWEN[idx]["response"][k])
    return text, ("earliest paragraphs dropped to stay under 4 KB; " if cut else "")


ORDER_CONVENTION = (
    "convention: a list of values without parentheses (the answer to 'enter all solutions/values') matches in "
    "any order, as the issue states; MATH writes ordered answers as parenthesised tuples"
)
ROWS: list[dict] = []
COUNTS: dict[str, int] = {}


def add(cls: str, completion: str, reference: str, label: bool, source: str, note: str = "") -> None:
    COUNTS[cls] = COUNTS.get(cls, 0) + 1
    if re.search(r"other order|another order|any order", note):
        note += f"; {ORDER_CONVENTION}"
    assert len(completion.encode()) < 4096, (cls, completion[:80])
    row = {
        "id": f"{cls}-{COUNTS[cls]:03d}",
        "class": cls,
        "completion": completion,
        "reference": reference,
        "label": label,
        "source": source,
        "note": note,
    }
    ROWS.append(row)


WRAP = {
    "bare": "{}",
    "dollar": "${}$",
    "ddollar": "$${}$$",
    "paren": "\\({}\\)",
    "bracket": "\\[{}\\]",
    "answer": "<answer>{}</answer>",
    "answer_nl": "<answer>\n{}\n</answer>",
    "think": "<think>\nI worked it out step by step and checked the result.\n</think>\n<answer>{}</answer>",
    "boxed": "The final answer is $\\boxed{{{}}}$.",
}


def w(kind: str, answer: str) -> str:
    return WRAP[kind].format(answer)


def construct(src: str) -> str:
    return f"constructed from {src}"


# --------------------------------------------------------------------------------------------------------
# 1. bare_answer: the completion IS the answer (bare LaTeX, $..$, $$..$$, \(..\), \[..\], <answer>..</answer>)
# --------------------------------------------------------------------------------------------------------


def bare_answer() -> None:
    c = "bare_answer"
    # (MATH-500 id, [(wrapper, completion answer, label, note)])
    table: list[tuple[str, list[tuple[str, str, bool, str]]]] = [
        (
            "algebra/2584",
            [
                ("bare", r"\frac{14}{3}", True, ""),
                ("dollar", r"\dfrac{14}{3}", True, "dfrac"),
                ("paren", "14/3", True, "slash fraction"),
                (
                    "answer",
                    r"4\frac{2}{3}",
                    True,
                    "mixed number 4 2/3 = 14/3 (the problem asks for a common fraction; graded on value)",
                ),
                ("answer", r"\frac{3}{14}", False, "reciprocal"),
                ("bare", r"\frac{14}{9}", False, "wrong denominator"),
            ],
        ),
        (
            "algebra/2036",
            [
                ("ddollar", r"3\sqrt{13}", True, ""),
                (
                    "bracket",
                    r"\sqrt{117}",
                    True,
                    "sqrt(117) = sqrt(9*13) = 3 sqrt(13), not in simplest form but equal",
                ),
                ("bare", r"3\sqrt{31}", False, "digits swapped under the root"),
                ("dollar", r"13\sqrt{3}", False, "13 sqrt 3 != 3 sqrt 13"),
            ],
        ),
        (
            "precalculus/990",
            [
                ("bare", "6-5i", True, ""),
                ("answer", "-5i + 6", True, "terms reordered"),
                ("dollar", "6+5i", False, "conjugate (sign of the imaginary part)"),
            ],
        ),
        (
            "precalculus/807",
            [
                ("bare", r"(3, \frac{\pi}{2})", True, ""),
                ("dollar", r"\left(3,\pi/2\right)", True, ""),
                ("paren", r"(3, \pi)", False, "wrong angle"),
                ("bare", r"(\frac{\pi}{2}, 3)", False, "ordered pair swapped"),
            ],
        ),
        (
            "number_theory/864",
            [
                ("bare", "52_8", True, ""),
                ("dollar", "52_{8}", True, ""),
                ("answer", "25_8", False, "digits swapped"),
            ],
        ),
        (
            "precalculus/1199",
            [
                ("bare", r"\pi", True, ""),
                ("bracket", r"\pi", True, ""),
                ("bare", r"2\pi", False, ""),
            ],
        ),
        (
            "precalculus/452",
            [
                ("bare", "E", True, "choice letter without \\text and parentheses"),
                ("answer", "(E)", True, ""),
                ("bare", "D", False, "another choice"),
            ],
        ),
        (
            "intermediate_algebra/128",
            [
                ("bare", "even", True, ""),
                ("answer_nl", "even", True, ""),
                ("bare", "odd", False, ""),
            ],
        ),
        (
            "precalculus/1105",
            [
                ("paren", r"-\frac{\pi}{6}", True, ""),
                ("bare", r"-\pi/6", True, ""),
                ("bare", r"\frac{\pi}{6}", False, "sign error"),
            ],
        ),
        (
            "intermediate_algebra/1217",
            [
                ("ddollar", "x^5-x^4+x^3-x^2+x-1", True, ""),
                ("bare", "x^5 - x^4 + x^3 - x^2 + x + 1", False, "sign of the constant term"),
            ],
        ),
        (
            "algebra/2253",
            [
                ("bracket", r"\frac{3}{4}\sqrt{3}", True, ""),
                ("dollar", r"\frac{3\sqrt{3}}{2}", False, "twice the value"),
            ],
        ),
        (
            "intermediate_algebra/1454",
            [
                ("answer", r"70\sqrt2", True, "\\sqrt2 without braces"),
                ("think", r"70 \sqrt{2}", True, "think/answer format"),
            ],
        ),
        (
            "precalculus/24313",
            [
                ("bare", r"\cot x", True, ""),
                ("dollar", r"\frac{\cos x}{\sin x}", True, "cos x / sin x = cot x"),
                ("bare", r"\tan x", False, ""),
            ],
        ),
        (
            "intermediate_algebra/431",
            [
                ("bare", "(b+2)(a+5)", True, "factors in the other order"),
                ("bare", "(a+2)(b+5)", False, "different product: ab+5a+2b+10"),
            ],
        ),
        ("number_theory/847", [("bare", "4210_5", True, "subscript without braces")]),
        (
            "geometry/826",
            [
                (
                    "bare",
                    r"\frac{9}{5}",
                    True,
                    "1 4/5 = 9/5 (the problem asks for a mixed number; graded on value)",
                ),
                ("answer", "1.8", True, "1 4/5 = 1.8 exactly"),
                ("bare", r"1\frac{5}{4}", False, "1 5/4 = 9/4"),
            ],
        ),
        (
            "algebra/2470",
            [
                ("bare", "137.5", True, "137 1/2 = 137.5 exactly"),
                ("paren", r"\frac{275}{2}", True, ""),
                ("bare", "137.25", False, ""),
            ],
        ),
        (
            "counting_and_probability/377",
            [
                ("bare", "0.028672", True, "448/15625 = 28672/10^6 exactly"),
                ("bare", r"\frac{448}{15652}", False, "digits swapped in the denominator"),
            ],
        ),
        (
            "precalculus/1303",
            [
                ("paren", r"\sqrt{51}", True, ""),
                ("bare", "51", False, "the square, not the root"),
            ],
        ),
        ("prealgebra/1003", [("bare", r"\frac{270}{7}", True, "unit 'degrees' of the reference dropped")]),
        (
            "algebra/2735",
            [
                ("bare", r"\frac{9a+11}{20}", True, ""),
                ("bare", r"\frac{11+9a}{2}", False, ""),
            ],
        ),
        ("geometry/1140", [("answer", r"\frac{3840}{289}", True, "")]),
        (
            "intermediate_algebra/1063",
            [
                ("dollar", "1 + 274i", True, ""),
                ("dollar", "1 - 274i", False, "conjugate"),
            ],
        ),
        (
            "prealgebra/1924",
            [
                ("bare", "2(k+1)", True, "2(k+1) = 2k+2"),
                ("bare", "2k+1", False, ""),
            ],
        ),
    ]
    for uid, variants in table:
        ref = m500(uid)
        for kind, ans, label, note in variants:
            add(
                c,
                w(kind, ans),
                ref,
                label,
                construct(f"{M500_FILE}:test/{uid}.json"),
                f"{kind} wrapper; {note}".rstrip("; "),
            )

    # More equivalent forms of real MATH-500 answers, one wrapper each.
    for uid, kind, ans, note in [
        ("precalculus/1146", "answer", r"\frac{35}{64}", ""),
        ("precalculus/1146", "dollar", r"\tfrac{35}{64}", "tfrac"),
        ("algebra/1072", "bare", "0.3888", "243/625 = 0.3888 exactly"),
        ("counting_and_probability/1114", "paren", "11/36", ""),
        ("precalculus/1056", "ddollar", r"288\pi", ""),
        ("algebra/2264", "bracket", "1 + 2i", ""),
        ("precalculus/1291", "answer", "1-12i", ""),
        ("intermediate_algebra/1210", "bare", "3 - 13x", "terms reordered"),
        ("geometry/686", "dollar", r"2\pi + 18", "terms reordered"),
        ("algebra/1547", "dollar", "6r^2 - 4r - 24", ""),
        ("number_theory/516", "bare", "2516_{8}", ""),
        ("precalculus/927", "bare", r"90^{\circ}", ""),
        ("precalculus/927", "answer", "90", "degree sign dropped"),
        ("prealgebra/1302", "paren", r"11\sqrt{2}", ""),
        ("algebra/2700", "bare", "1.5", "3/2 = 1.5"),
        ("intermediate_algebra/1410", "bare", r"\frac{6}{5}", ""),
        ("intermediate_algebra/1410", "answer", "1.2", "6/5 = 1.2"),
        ("algebra/518", "bare", "0.75", "3/4 = 0.75"),
        ("intermediate_algebra/1279", "think", r"\frac{2}{1005}", ""),
        ("precalculus/697", "dollar", r"-\sqrt{3}", ""),
        ("geometry/795", "bracket", r"\frac{1}{5}\sqrt{21}", ""),
        ("algebra/2046", "bare", "x^3 + 3x - 6", ""),
    ]:
        add(
            c,
            w(kind, ans),
            m500(uid),
            True,
            construct(f"{M500_FILE}:test/{uid}.json"),
            f"{kind} wrapper; {note}".rstrip("; "),
        )

    # Real extracted answers of Qwen2.5-Math-7B-Instruct (the file's `pred`) given as the whole completion.
    qwen_preds = [
        (6, r"\frac{5}{16}", "answer", False, ""),
        (6, r"\frac{3}{4}", "bare", False, ""),
        (6, r"\frac{3}{8}", "dollar", True, ""),
        (37, r"1\frac{8}{91}", "answer", False, "mixed number 1 8/91 != 1 1/10"),
        (37, r"1\frac{1}{9}", "bare", False, ""),
        (37, r"1\frac{1}{10}", "paren", True, ""),
        (54, "12.5", "bare", False, ""),
        (54, "22.22", "answer", False, ""),
        (54, "25", "bracket", True, "reference 25\\% (percent sign dropped)"),
        (81, "C", "answer", False, "another choice letter"),
        (81, "A", "bare", True, ""),
        (17, "6287000", "bare", False, "unrounded; the question asks to round"),
        (92, r"\sqrt{34}+3\sqrt{10}", "bare", False, "about 15.3, not 28"),
        (24, r"12\frac{3}{5}", "answer", True, ""),
        (22, "4a-2", "dollar", True, ""),
        (33, "4t", "answer", True, ""),
        (43, r"7\pi", "ddollar", True, ""),
        (1, r"\frac{1}{9}", "answer", True, "reference written \\dfrac{1}{9}"),
    ]
    for idx, pred, kind, label, note in qwen_preds:
        assert pred in QWEN[idx]["pred"], (idx, pred)
        add(
            c,
            w(kind, pred),
            QWEN[idx]["answer"],
            label,
            f"{QWEN_FILE}:idx={idx} (a real `pred`, reference = `answer`)",
            f"{kind} wrapper; {note}".rstrip("; "),
        )

    # The reference is given as a full solution text (its last \boxed{} is the answer).
    for uid, ans, label, note in [
        ("algebra/2584", r"\frac{14}{3}", True, ""),
        ("algebra/2584", r"\frac{13}{3}", False, ""),
        ("intermediate_algebra/47", "(-2,1)", True, ""),
        ("intermediate_algebra/47", "(1,-2)", False, "pair swapped"),
        ("precalculus/24313", r"\cot x", True, ""),
        ("algebra/1349", "Evelyn", True, "text answer \\text{Evelyn} in the solution"),
        ("algebra/1349", "Carla", False, "another runner named in the solution"),
    ]:
        add(
            c,
            ans,
            M500[uid]["solution"],
            label,
            construct(f"{M500_FILE}:test/{uid}.json (reference = the `solution` text)"),
            f"reference written as a solution; {note}".rstrip("; "),
        )


# --------------------------------------------------------------------------------------------------------
# 2. relation: inequalities, intervals written as (double) inequalities, \neq, unions, |x| bounds
# --------------------------------------------------------------------------------------------------------


def relation() -> None:
    c = "relation"
    m5 = [
        # (MATH-500 id, completion, label, note)
        ("algebra/101", r"-2 \le x \le 7", True, "double inequality = the interval"),
        ("algebra/101", w("dollar", r"-2 \leq x \leq 7"), True, "double inequality = the interval"),
        ("algebra/101", r"The solution set is $\boxed{-2\le x\le 7}$.", True, "boxed double inequality"),
        ("algebra/101", r"$[-2, 7]$", True, "the interval without 'x \\in'"),
        ("algebra/101", r"-2 < x \le 7", False, "left endpoint excluded (open vs closed)"),
        ("algebra/101", r"\boxed{-2 \le x \le 5}", False, "wrong right endpoint"),
        ("algebra/101", r"x \le -2 \text{ or } x \ge 7", False, "the complement (plus endpoints)"),
        ("intermediate_algebra/183", "x > 2", True, ""),
        ("intermediate_algebra/183", r"\(2 < x\)", True, "reversed inequality"),
        ("intermediate_algebra/183", r"x \ge 2", False, "2 included"),
        ("intermediate_algebra/183", r"x < 2", False, "wrong direction"),
        ("intermediate_algebra/1714", r"\[x>5\]", True, ""),
        ("intermediate_algebra/1714", r"$x \geq 5$", False, "5 included"),
        ("precalculus/695", r"y \le 0", True, "range written as an inequality on y"),
        ("precalculus/695", r"y \leq 0", True, ""),
        ("precalculus/695", r"y < 0", False, "0 excluded"),
        ("algebra/2486", r"\frac{3}{5} < p \le \frac{8}{3}", True, ""),
        ("algebra/2486", r"0.6 < p \leq \frac{8}{3}", True, "3/5 = 0.6 exactly"),
        ("algebra/2486", r"\frac{3}{5} \le p \le \frac{8}{3}", False, "left endpoint included"),
        ("algebra/2486", r"\frac{3}{5} < p < \frac{8}{3}", False, "right endpoint excluded"),
        ("intermediate_algebra/558", r"3 < \lambda \le 4", True, ""),
        ("intermediate_algebra/558", r"3 \le \lambda \le 4", False, "3 included"),
        ("algebra/1078", r"-\sqrt{3} < x < \sqrt{3}", True, ""),
        ("algebra/1078", r"|x| < \sqrt{3}", True, "|x| < a is the interval (-a, a)"),
        ("algebra/1078", r"|x| \le \sqrt{3}", False, "closed"),
        ("intermediate_algebra/1992", r"0 < x < 9 \text{ or } 9 < x < 36", True, "union as 'or'"),
        ("intermediate_algebra/1992", r"0 < x < 36,\ x \neq 9", True, "same set: (0,36) without 9"),
        ("intermediate_algebra/1992", r"0 < x < 36", False, "9 included"),
        ("algebra/2043", r"x < 2 \text{ or } x > 3", True, ""),
        ("algebra/2043", r"$x<2$ or $x>3$", True, ""),
        ("algebra/2043", r"x \le 2 \text{ or } x \ge 3", False, "endpoints included"),
        ("algebra/2043", r"2 < x < 3", False, "the complement"),
        ("intermediate_algebra/1981", r"2 < x < 102 \text{ and } x \neq 12", True, ""),
        ("intermediate_algebra/1981", r"2 < x < 102", False, "12 included"),
        (
            "precalculus/499",
            r"\frac{\pi^2}{8} \le f(x) \le \frac{5\pi^2}{4}",
            True,
            "range as a double inequality on f(x)",
        ),
        ("precalculus/499", r"\frac{\pi^2}{8} < f(x) \le \frac{5\pi^2}{4}", False, "minimum excluded"),
    ]
    for uid, comp, label, note in m5:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)

    math_rows = [
        (688, r"|x| \ge 5", True, "(-inf,-5] U [5,inf) = {|x| >= 5}"),
        (688, r"x \le -5 \text{ or } x \ge 5", True, ""),
        (688, r"|x| > 5", False, "endpoints excluded"),
        (40, r"x < -8 \text{ or } x > 8", True, ""),
        (40, r"|m| > 8", True, "(-inf,-8) U (8,inf) = {|m| > 8}"),
        (2193, r"1 \le |x+1| \le 2", True, "|x+1| in [1,2] <=> x in [-3,-2] U [0,1]"),
        (2193, r"-3 \le x \le -2 \text{ or } 0 \le x \le 1", True, ""),
        (2193, r"1 < |x+1| \le 2", False, "drops x = -2 and x = 0"),
        (2193, r"[-3,-2]", False, "one of the two intervals"),
        (2461, r"y \neq 5", True, "range R \\ {5}"),
        (2461, "y != 5", True, "ASCII !="),
        (2461, r"y \ne 5", True, ""),
        (2461, "y > 5", False, ""),
        (2176, r"\boxed{y \neq 3}", True, ""),
        (2176, r"\boxed{y \neq -3}", False, "wrong excluded value"),
        (56, r"y \neq -\frac{1}{2}", True, "domain of k(y) = all y except -1/2"),
        (56, r"y \neq \frac{1}{2}", False, "sign error"),
        (783, r"0 < f(x) \le 1", True, "range (0,1] as an inequality on f(x)"),
        (783, r"0 < y \le 1", True, ""),
        (783, r"0 \le y \le 1", False, "0 included"),
        (708, r"0 \le x < 1", True, ""),
        (708, r"0 < x < 1", False, "0 excluded"),
        (1035, r"F(x) \geq 6", True, ""),
        (1035, r"F(x) > 6", False, "6 excluded"),
        (2498, r"f(4) > f(1) > f(2)", True, "the same order written the other way"),
        (2498, "f(2), f(1), f(4)", True, "the order in the format the problem asks for"),
        (2498, r"f(1) < f(2) < f(4)", False, "wrong order"),
    ]
    for idx, comp, label, note in math_rows:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)

    for idx, comp, note in [
        (2368, "y > 27", "the set of values (27, inf) as an inequality"),
        (2313, r"x \ge 3", ""),
        (3034, r"0 \le g(x) \le 25", ""),
        (2330, r"-36 \le k \le 104", ""),
        (2563, r"-4 \le k < 0", ""),
        (2612, r"-5 < f(x) \le \sqrt{26}", ""),
        (2983, r"|x| \ge 2", ""),
        (2983, r"x \le -2 \text{ or } x \ge 2", ""),
        (2742, r"x \neq -4", "all reals except -4"),
        (894, r"f(x) \neq 0", "all reals except 0"),
        (2923, r"x \le -2 \text{ or } x \ge -1", ""),
        (195, r"$-3 \le x \le 2$", ""),
        (453, r"1 \le j(x) \le 9", ""),
        (2979, r"\(-13 \le h(x) \le 3\)", ""),
        (1052, r"-10 \leq g(x) \leq 4", ""),
    ]:
        add(c, comp, math_ans(idx), True, construct(f"{MATH_FILE}:idx={idx}"), note)
    add(
        c,
        r"\(x \in [-2, 7]\)",
        m500("algebra/101"),
        True,
        construct(f"{M500_FILE}:test/algebra/101.json"),
        "same interval, spacing differs",
    )

    # Relation against relation: a real interval answer written as an inequality (the reference), and the
    # completion as another form of the same relation.
    rel_rows = [
        (2412, r"x \le 0", "x <= 0", True, "ASCII <="),
        (2412, r"x \le 0", r"0 \geq x", True, "reversed"),
        (2412, r"x \le 0", r"-x \ge 0", True, "multiplied by -1"),
        (2412, r"x \le 0", "x < 0", False, "strict"),
        (2496, "k < 4", r"4 > k", True, "reversed"),
        (2496, "k < 4", r"-k > -4", True, "multiplied by -1"),
        (2496, "k < 4", r"k \le 4", False, "not strict"),
        (2496, "k < 4", "k > 4", False, "wrong direction"),
        (2426, "y > -5", "-y < 5", True, "multiplied by -1"),
        (2426, "y > -5", "y >= -5", False, "not strict"),
        (2424, "x < -3", "-3 > x", True, ""),
        (2424, "x < -3", "3 < -x", True, ""),
        (2424, "x < -3", "x > -3", False, "wrong direction"),
        (2461, r"y \neq 5", "y != 5", True, "ASCII !="),
        (2461, r"y \neq 5", "y = 5", False, "equation, not its negation"),
        (2498, r"f(2) < f(1) < f(4)", r"f(2)<f(1)<f(4)", True, "identical up to spaces"),
    ]
    for idx, ref, comp, label, note in rel_rows:
        src = construct(f"{MATH_FILE}:idx={idx} (answer {math_ans(idx)} written as a relation)")
        add(c, comp, ref, label, src, note)

    for pid, label, note in [
        ("math-340", False, "x > 2 vs (-inf,-2] U [2,inf)"),
        ("math-489", False, "[0,inf) vs (-inf,0]"),
        ("math-241", False, "(-inf,5) U (5,inf) vs (5,inf)"),
        ("math-36", False, "(4,inf) instead of (8,inf)"),
        ("math-368", False, "(-inf,0) vs (-inf,0]: open bracket"),
        ("math-567", True, ""),
        ("math-573", True, ""),
        ("math-611", True, "\\left[ \\right] spacing differs"),
        ("math-755", True, ""),
        ("math-844", True, ""),
        ("math-803", True, ""),
        ("math-265", False, "wrong endpoints"),
        ("math-495", False, "different intervals"),
        ("math-837", True, "no \\boxed; the interval is the last formula, followed by a closing sentence"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, label, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 3. equation: chains (the last side answers), assignments, tuple assignments, equations as answers
# --------------------------------------------------------------------------------------------------------


def equation() -> None:
    c = "equation"
    chains = [
        # (GSM8K index, completion, label, note)
        (
            0,
            "Janet sells 16 - 3 - 4 = 9 eggs a day.\nThe answer is $\\boxed{9 \\cdot 2 = 18}$.",
            True,
            "last side",
        ),
        (
            0,
            "Janet sells 16 - 3 - 4 = 9 eggs a day.\n$\\boxed{x = 16 - 3 - 4 = 9}$ dollars.",
            False,
            "last side 9 is the number of eggs, not dollars",
        ),
        (23, r"\boxed{2 \times 4 = 8}", True, ""),
        (23, r"\boxed{2 \times 5 = 10}", False, "last side 10"),
        (46, r"\boxed{x = 220 + 23 - 80 = 163}", True, "chain taken from the GSM8K solution"),
        (46, r"\boxed{x = 220 - 23 - 80 = 117}", False, ""),
        (69, r"$\boxed{100 - 40 = 60}$", True, ""),
        (92, r"Jackson is $\boxed{9 - 5 = 4}$ years old.", True, ""),
        (161, r"\boxed{15 + 9 + 8 = 32}", True, ""),
        (161, r"\boxed{15 + 9 + 8 = 33}", False, "the stated result (last side) is 33"),
        (920, r"\boxed{9+7+21+7+3 = 47}", True, ""),
        (1311, r"\boxed{600 - 6 = 594}", True, ""),
        (345, r"\boxed{n = 4 \cdot 40 + 3 \cdot 50 = 160 + 150 = 310}", True, "long chain"),
        (
            1196,
            r"\boxed{T = 50 + 25 = 70 = 75}",
            True,
            "sloppy middle side (50+25 is not 70); the last side is the answer, as in the issue's 'x = 5+5+1 = 7 = 11'",
        ),
        (1104, r"\boxed{C = 4 \cdot 2 \cdot 3 = 24}", True, ""),
        (1104, r"\boxed{C = 4 \cdot 2 = 8}", False, "stops one step early"),
    ]
    for i, comp, label, note in chains:
        add(c, comp, gsm_ans(i), label, construct(f"{GSM_FILE}:line={i + 1}"), note)

    tuples = [
        ("intermediate_algebra/956", "(p,q,r) = (6,31,-1)", True, "tuple assignment"),
        (
            "intermediate_algebra/956",
            "p = 6, q = 31, r = -1",
            True,
            "assignments in the problem's order (p,q,r)",
        ),
        (
            "intermediate_algebra/956",
            r"\boxed{p=6},\ \boxed{q=31},\ \boxed{r=-1}",
            True,
            "three boxed assignments",
        ),
        ("intermediate_algebra/956", "(p,q,r) = (6,-1,31)", False, "q and r swapped"),
        ("intermediate_algebra/47", "(a,b) = (-2,1)", True, ""),
        ("intermediate_algebra/47", r"$(a, b) = (1, -2)$", False, "swapped"),
        (
            "intermediate_algebra/690",
            "a = 1, b = -16, c = -4, d = 43",
            True,
            "assignments in the problem's order (a,b,c,d)",
        ),
        ("intermediate_algebra/690", "(a,b,c,d) = (1,-16,4,43)", False, "sign of c"),
        ("algebra/864", r"\((x,y) = (-1,6)\)", True, ""),
        ("algebra/864", "(x, y) = (-1, -6)", False, "sign"),
        ("geometry/1108", r"The image is $(x, y) = (2, 4)$.", True, ""),
        ("geometry/538", "P = (8,-2)", True, ""),
        ("geometry/538", "P=(-2,8)", False, "swapped"),
        ("precalculus/43", r"\boxed{(x,y) = (15,-29)}", True, ""),
        ("precalculus/43", r"\boxed{(x,y) = (15,29)}", False, "sign"),
        ("precalculus/541", r"(m,b) = \left(\frac{3}{2}, -13\right)", True, ""),
        ("precalculus/541", r"m = \frac{3}{2}, b = -13", True, "assignments in the problem's order (m,b)"),
        ("precalculus/541", r"(m,b) = \left(\frac{2}{3}, -13\right)", False, "reciprocal slope"),
    ]
    for uid, comp, label, note in tuples:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)

    # Several assignments on both sides (reference written as assignments of the problem's unknowns).
    ref_mb = r"m = \frac{3}{2}, b = -13"
    src_mb = construct(f"{M500_FILE}:test/precalculus/541.json (answer (m,b) written as assignments)")
    for comp, label, note in [
        (r"\boxed{m = \frac{3}{2}}, \boxed{b = -13}", True, "two boxed assignments"),
        (r"\boxed{b = -13} \text{ and } \boxed{m = \frac{3}{2}}", True, "named assignments in another order"),
        (r"m = 1.5,\ b = -13", True, "3/2 = 1.5"),
        (r"m = \frac{3}{2}, b = 13", False, "sign of b"),
        (r"m = -13, b = \frac{3}{2}", False, "values swapped between the names"),
        (r"\boxed{m = \frac{3}{2}}", False, "b missing"),
    ]:
        add(c, comp, ref_mb, label, src_mb, note)
    add(
        c,
        "(a,b) = (-2,1)",
        "(a,b) = (-2,1)",
        True,
        construct(f"{M500_FILE}:test/intermediate_algebra/47.json"),
        "identical tuple assignments",
    )
    add(
        c,
        "(-2, 1)",
        "(a,b) = (-2,1)",
        True,
        construct(f"{M500_FILE}:test/intermediate_algebra/47.json"),
        "bare tuple vs tuple assignment",
    )

    # The reference is a bare value, the completion an assignment (or the other way round).
    assign = [
        ("precalculus/1146", r"d = \frac{35}{64}", True, ""),
        ("precalculus/1146", r"d = \frac{35}{128}", False, ""),
        ("intermediate_algebra/964", r"\boxed{f(2015,2) = 1}", True, "f(...) = value vs a bare value"),
        ("intermediate_algebra/964", r"\boxed{f(2015,2) = 2}", False, ""),
        ("algebra/791", "a = 41", True, ""),
        ("algebra/1936", r"$b = -1$", True, ""),
        ("algebra/1936", r"$b = 1$", False, "sign"),
        ("intermediate_algebra/2146", r"P(16) = 406", True, ""),
        ("intermediate_algebra/2146", r"P(16) = 416", False, ""),
        ("counting_and_probability/10", r"\[n = 4\]", True, ""),
        ("algebra/2430", r"\(n=8\)", True, ""),
        ("algebra/2430", r"\(n=9\)", False, ""),
        ("intermediate_algebra/834", r"x = 9", True, ""),
        ("algebra/2584", r"f(-2)+f(-1)+f(0) = \frac{14}{3}", True, "the asked expression = value"),
        ("algebra/2193", "5", True, "reference x=5, completion the bare value"),
        ("algebra/2193", "x = 5", True, ""),
        ("algebra/2193", "x=-5", False, "sign"),
        ("algebra/2193", r"x = 5 \text{ or } x = 1", False, "x = 1 is extraneous (1 != sqrt(9)+4)"),
    ]
    for uid, comp, label, note in assign:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)
    for idx, comp, label, note in [
        (1549, "15", True, "reference k = 15"),
        (1549, "k=16", False, ""),
        (119, r"\boxed{4}", True, "reference b=4"),
        (221, r"\boxed{x = 4}", True, ""),
        (221, r"\boxed{x = -4}", False, ""),
    ]:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)

    # Equations as answers (lines, planes, conics).
    eqs = [
        ("precalculus/323", "y = 3 + 2x", True, "terms reordered"),
        ("precalculus/323", "2x + 3 = y", True, "sides swapped"),
        ("precalculus/323", "y = 2x - 3", False, "intercept sign"),
        ("precalculus/323", "y = 3x + 2", False, "slope and intercept swapped"),
        ("precalculus/356", "y=-2x", True, ""),
        ("precalculus/356", "y = 2x", False, "slope sign"),
        ("precalculus/356", r"y = -\frac{1}{2}x", False, "perpendicular slope"),
        (
            "precalculus/659",
            "5x - 7y + 11z = -4",
            True,
            "constant moved to the right-hand side: the same plane, same coefficients",
        ),
        ("precalculus/659", "5x - 7y + 11z - 4 = 0", False, "sign of D"),
    ]
    for uid, comp, label, note in eqs:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)
    for idx, comp, label, note in [
        (1824, "y^2 + x^2 = 13", True, ""),
        (1824, "x^2 + y^2 = 169", False, "radius squared twice"),
        (2169, r"-\frac{y^2}{9} + \frac{x^2}{16} = 1", True, "terms reordered"),
        (2169, r"\frac{x^2}{9} - \frac{y^2}{16} = 1", False, "denominators swapped"),
        (2477, r"y = -0.5x^2 + 4x - 6", True, "-1/2 = -0.5"),
        (2477, r"y = -\frac{1}{2} x^2 - 4x - 6", False, "sign of the linear term"),
    ]:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)

    for pid, label, note in [
        ("math-308", False, "c = b vs b - 1"),
        ("math-679", True, "no \\boxed; last formula f(x) = -x + 1 vs 1 - x"),
        ("math-957", True, "no \\boxed; the equation x^2 + y^2 = 13 is the last formula"),
        ("math-906", True, "h(6) = 2(6) + 3 = 15 and 'The final answer is 15'"),
        ("math-999", True, "no \\boxed; 'a total of 2 + 1 = 3 possible values'"),
        ("math-865", True, "no \\boxed; 'the vertical asymptote occurs at x = 1' vs 1"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, label, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 4. several_answers: several \boxed{}, "and"/"or" lists, \pm, any order, tuples separated by ;
# --------------------------------------------------------------------------------------------------------


def several_answers() -> None:
    c = "several_answers"
    m5 = [
        ("intermediate_algebra/1388", r"\boxed{1}, \boxed{-2}", True, "two boxes = the list"),
        (
            "intermediate_algebra/1388",
            r"The integers are $\boxed{-2}$ and $\boxed{1}$.",
            True,
            "any order: the problem asks for all such integers",
        ),
        ("intermediate_algebra/1388", r"$n = 1$ or $n = -2$", True, "solutions joined by 'or'"),
        ("intermediate_algebra/1388", r"\boxed{1}", False, "-2 missing"),
        ("intermediate_algebra/1388", r"\boxed{1}, \boxed{-2}, \boxed{2}", False, "extra value"),
        ("intermediate_algebra/428", r"\boxed{3}, \boxed{5}, \boxed{7}", True, ""),
        ("intermediate_algebra/428", r"3 \text{ and } 5 \text{ and } 7", True, "'and' list"),
        ("intermediate_algebra/428", r"x = 7, x = 5, x = 3", True, "any order (roots)"),
        ("intermediate_algebra/428", r"\boxed{3}, \boxed{7}", False, "5 missing"),
        ("intermediate_algebra/428", r"3 \text{ and } 5", False, "7 missing"),
        ("intermediate_algebra/1102", r"x = 1 \text{ or } x = -2", True, "integer roots in another order"),
        ("intermediate_algebra/1102", r"\boxed{-2, -1}", False, "wrong second root"),
        ("intermediate_algebra/662", r"1+\sqrt{19}, 1-\sqrt{19}", True, "\\pm expanded"),
        (
            "intermediate_algebra/662",
            r"x = \boxed{1 - \sqrt{19}} \text{ and } x = \boxed{1 + \sqrt{19}}",
            True,
            "two boxes, other order",
        ),
        ("intermediate_algebra/662", r"1 + \sqrt{19}", False, "one root missing"),
        ("intermediate_algebra/662", r"-1 \pm \sqrt{19}", False, "sign of the centre"),
        ("precalculus/768", r"3+2\sqrt{2}, 3-2\sqrt{2}", True, ""),
        ("precalculus/768", r"\boxed{3-2\sqrt2}, \boxed{3+2\sqrt2}", True, ""),
        ("precalculus/768", r"3 \pm \sqrt{2}", False, "wrong radical"),
        ("intermediate_algebra/2015", r"-2, 1+\sqrt{5}, 1-\sqrt{5}", True, "the set listed in another order"),
        ("intermediate_algebra/2015", r"\{1+\sqrt{5}, 1-\sqrt{5}, -2\}", True, ""),
        ("intermediate_algebra/2015", r"\{-2, 1+\sqrt{5}\}", False, "1 - sqrt(5) missing"),
    ]
    for uid, comp, label, note in m5:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)

    math_rows = [
        (2156, r"\boxed{1} \text{ and } \boxed{3}", True, ""),
        (2156, r"\boxed{3}", False, "1 missing"),
        (2163, r"9 \text{ or } -7", True, ""),
        (2163, r"-7, 9", True, "other order (real roots)"),
        (2163, r"9 \text{ or } 7", False, "sign"),
        (2826, r"x = -8 \text{ or } x = 1", True, ""),
        (2826, r"x = 8 \text{ or } x = 1", False, "sign"),
        (27, r"12, 10 or 6", True, "'a, b or c' list; the problem asks for decreasing order, which it is"),
        (27, r"12, 10", False, "6 missing"),
        (2185, r"\pm\sqrt{5}", True, "\\pm a = {a, -a}"),
        (2185, r"\sqrt{5}", False, "-sqrt(5) missing"),
        (4771, r"\pm \frac{3}{4}", True, ""),
        (4771, r"\pm \frac{4}{3}", False, "reciprocal"),
        (4638, r"2 \pm \sqrt{6}", True, ""),
        (4638, r"2 \pm \sqrt{3}", False, ""),
        (3033, r"\pm 3i", True, ""),
        (3033, r"\{-3i, 3i\}", True, "set notation"),
        (3033, r"\pm 3", False, "real instead of imaginary"),
        (2166, r"\pm 1, \pm 2, \pm 4", True, "six values via \\pm"),
        (2166, r"1, 2, 4", False, "negative divisors missing"),
        (2672, r"\pm 1, \pm 2, \pm 3, \pm 6", True, ""),
        (2672, r"\pm 1, \pm 2, \pm 3", False, "+-6 missing"),
        (3029, r"\boxed{2}, \boxed{1}, \boxed{\frac{1}{2}}", True, "three boxes, other order"),
        (3029, r"\boxed{2}, \boxed{1}", False, "1/2 missing"),
        (2812, r"\{-2,-1,1,2\}", True, "set notation"),
        (2812, r"2; 1; -1; -2", True, "separated by ';', other order"),
        (2812, r"-2,-1,1", False, "2 missing"),
        (2465, r"\boxed{\text{A}}, \boxed{\text{D}}", True, "two boxed choices = the list A,D"),
    ]
    for idx, comp, label, note in math_rows:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)

    for idx, comp, note in [
        (2175, r"\boxed{-3}, \boxed{\frac{5}{2}}", "other order"),
        (2228, r"x = \frac{1}{2} \text{ or } x = -\frac{1}{12}", ""),
        (2428, r"7, -1, -\frac{3}{2}", "other order"),
        (2435, r"4, -2 \pm 3i", "\\pm inside a list"),
        (2525, r"\boxed{2} \text{ and } \boxed{6}", ""),
        (2530, r"\boxed{-3}, \boxed{1}", "other order"),
        (
            2704,
            r"\boxed{\frac{1}{2}}, \boxed{\frac{2}{5}}, \boxed{\frac{1}{4}}, \boxed{\frac{1}{5}}",
            "four boxes, other order",
        ),
        (2734, r"b = 1 \text{ or } b = 2", ""),
        (2762, r"0 \text{ and } 4", ""),
        (2798, r"k = \pm\frac{9}{4}", ""),
        (2878, "4, 1, -5", "other order"),
        (2948, r"1 \pm \sqrt{2}, 2 \pm \sqrt{3}", "two \\pm pairs"),
        (3001, "-3, 2, 4", "other order (roots)"),
        (3006, "-3, -2, 1, 2", "other order (roots)"),
        (3012, r"-3 \text{ and } 24", ""),
        (3031, r"\boxed{-\frac13}, \boxed{3}", ""),
        (4457, r"\boxed{45^\circ} \text{ and } \boxed{135^\circ}", ""),
        (4596, r"x = 0, \frac{2\pi}{3}, \frac{4\pi}{3}, 2\pi", ""),
        (4798, r"0, 2\pi, \pi", "other order"),
        (4991, r"\sqrt{3} \pm 2", "sqrt 3 + 2 and sqrt 3 - 2"),
        (2531, r"m = \frac{1}{5} \text{ or } m = -\frac{1}{3}", ""),
    ]:
        add(c, comp, math_ans(idx), True, construct(f"{MATH_FILE}:idx={idx}"), note)

    # Sets of tuples (no MATH test reference is a list of tuples; written for the class: the intersection
    # points of y = x and x^2 + y^2 = 2 are (1,1) and (-1,-1)).
    pts = "(1,1), (-1,-1)"
    src = "constructed (intersection of y = x and x^2 + y^2 = 2: (1,1) and (-1,-1))"
    for comp, label, note in [
        (r"\boxed{(1,1)} \text{ and } \boxed{(-1,-1)}", True, "two boxed tuples"),
        ("(-1,-1); (1,1)", True, "tuples separated by ';', other order"),
        (r"(x,y) = (1,1) \text{ or } (x,y) = (-1,-1)", True, ""),
        ("(1,1); (1,-1)", False, "(1,-1) is not on y = x"),
        (r"\boxed{(1,1)}", False, "one point missing"),
    ]:
        add(c, comp, pts, label, src, note)
    pts2 = r"\boxed{(2,2)} \text{ and } \boxed{(6,2)}"
    src2 = "constructed (the issue's example shape: two boxed points as the reference)"
    for comp, label, note in [
        ("(2,2),(6,2)", True, "list of the two boxed tuples"),
        ("(6,2); (2,2)", True, "';' separated, other order"),
        ("(2,2),(2,6)", False, "second point transposed"),
    ]:
        add(c, comp, pts2, label, src2, note)

    for pid, label, note in [
        ("math-1", False, "3, -5 vs 1 +- sqrt(19)"),
        ("math-209", False, "1, (9 +- i sqrt 239)/2 vs 2,6"),
        ("math-790", True, "same six values"),
        ("math-712", True, "2, 1, -1, -2: the same values in another order"),
        ("math-210", False, "-1, 1: two of the four values"),
        ("math-409", False, "0, 44/5 vs 0,4"),
        ("math-448", False, "-1, 0, 1: an extra value"),
        ("math-174", False, "1, (3 +- sqrt 33)/2 vs 1,3"),
        ("math-494", False, "wrong values"),
        ("math-280", False, "x = 1 only; -3 missing"),
        ("math-410", False, "+-3 vs 3i,-3i"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, label, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 5. number_format: thousands separators (space, thin space, {,}, ,\!), decimal commas, "32, 349"
# --------------------------------------------------------------------------------------------------------


def number_format() -> None:
    c = "number_format"
    thin, nnbsp, nbsp = "\u2009", "\u202f", "\u00a0"
    m5 = [
        ("counting_and_probability/508", "10 080", True, "space as thousands separator"),
        ("counting_and_probability/508", r"10\,080", True, "LaTeX thin space"),
        ("counting_and_probability/508", r"10\ 080", True, "LaTeX control space"),
        ("counting_and_probability/508", "10{,}080", True, ""),
        ("counting_and_probability/508", f"10{thin}080", True, "U+2009 thin space"),
        ("counting_and_probability/508", f"10{nnbsp}080", True, "U+202F narrow no-break space"),
        ("counting_and_probability/508", "10 800", False, "different number"),
        ("counting_and_probability/508", "1 080", False, "a digit missing"),
        ("number_theory/417", "11 111 111 100", True, ""),
        ("number_theory/417", "11111111100", True, ""),
        ("number_theory/417", "11 111 111 000", False, ""),
        ("counting_and_probability/737", r"\boxed{58\,500}", True, ""),
        ("counting_and_probability/737", f"$58{nbsp}500$", True, "U+00A0 no-break space"),
        ("counting_and_probability/737", "5 850", False, "a tenth"),
        ("algebra/2626", r"\boxed{32,348}", True, "reference \\$32,\\!348"),
        ("algebra/2626", r"\boxed{\$32{,}348}", True, ""),
        ("algebra/2626", r"\boxed{32\,348}", True, ""),
        (
            "algebra/2626",
            r"\boxed{32, 348}",
            False,
            "convention from the issue: a comma followed by a space separates list items, so '32, 348' is two numbers, not 32348",
        ),
        ("algebra/2626", r"\boxed{32,384}", False, "digits swapped"),
        (
            "algebra/2780",
            r"18,90 $",
            True,
            "decimal comma (two digits after the comma cannot be a thousands group)",
        ),
        ("algebra/2780", r"\boxed{18,90}", True, "decimal comma"),
        ("algebra/2780", r"18,09 $", False, "18.09"),
        ("prealgebra/1044", r"5,4 \text{ cents}", True, "decimal comma"),
        ("prealgebra/1044", "4,5", False, "4.5"),
    ]
    for uid, comp, label, note in m5:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)
    for idx, comp, label, note in [
        (1723, r"0,25 \text{ cm}", True, "decimal comma"),
        (1723, "0,5", False, ""),
        (3845, "111 111 111", True, ""),
        (3845, "111111111", True, ""),
    ]:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)
    for i, comp, label, note in [
        (230, "276 000", True, "reference 276,000"),
        (230, r"\$276\,000", True, ""),
        (230, "267 000", False, ""),
        (201, r"\boxed{114\,200}", True, "reference 114,200"),
        (201, r"\boxed{114, 200}", False, "convention from the issue: comma-space separates list items"),
        (611, "1 450 000", True, ""),
        (611, "1 405 000", False, ""),
        (759, "60 000", True, "reference 60000"),
        (759, "6 000", False, ""),
        (299, r"\$31{,}800", True, "reference 31800"),
        (146, "2,125", True, "comma + three digits = thousands"),
    ]:
        add(c, comp, gsm_ans(i), label, construct(f"{GSM_FILE}:line={i + 1}"), note)
    for idx, comp, label, note in [
        (75, "13,18", True, "decimal comma"),
        (75, r"\boxed{13,18}", True, "decimal comma"),
        (75, "13,81", False, ""),
        (65, "37,50", True, "decimal comma"),
        (65, r"37,5 \$", True, "37.5 = 37.50"),
        (65, "37,05", False, ""),
        (98, r"\boxed{50, 625}", False, "convention from the issue: comma-space separates list items"),
    ]:
        add(c, comp, QWEN[idx]["answer"], label, construct(f"{QWEN_FILE}:idx={idx}"), note)

    for i, comp, note in [
        (249, "5 600", "space as thousands separator"),
        (505, r"1\,600", "LaTeX thin space"),
        (610, "65 960", "space as thousands separator"),
        (640, r"\$43\,500", "LaTeX thin space"),
        (642, "10{,}800", "{,} separator"),
        (819, r"\$6\,250", "LaTeX thin space"),
        (829, "14 000", "space as thousands separator"),
        (1009, "1\u2009875", "U+2009 thin space"),
        (1206, r"\boxed{40\ 000}", "LaTeX control space"),
    ]:
        add(c, comp, gsm_ans(i), True, construct(f"{GSM_FILE}:line={i + 1}"), note)

    # Real responses whose boxed number is written without separators (reference with separators).
    for idx, k, label, note in [
        (72, 7, True, "\\boxed{10000} vs 10{,}000; the file's grader `score` says False (a grader error)"),
        (72, 0, False, "\\boxed{9999}"),
        (98, 0, True, "\\boxed{50625} vs 50,\\!625"),
        (98, 1, False, "\\boxed{759375}"),
        (53, 0, True, "\\boxed{900000000} vs 900,\\!000,\\!000"),
        (59, 0, True, "\\boxed{3250} vs 3,\\!250"),
    ]:
        text, cut = qwen_text(idx, k)
        add(c, text, QWEN[idx]["answer"], label, f"{QWEN_FILE}:idx={idx},response={k}", cut + note)
    for pid, label, note in [
        ("math-504", True, "3110400 vs 3,\\!110,\\!400"),
        ("math-4", False, "3104400"),
        ("math-780", True, "5866608 vs 5,\\!866,\\!608"),
        ("math-433", False, "10248 vs 10,\\!236"),
        ("math-237", False, "16,511 / 16511 vs 16,\\!471"),
        ("math-114", False, "900{,}009 vs 90{,}900{,}909"),
        ("math-160", False, "no \\boxed; \\$26,518 vs \\$32,\\!348"),
        ("gsm8k-59", False, "\\$6000 vs 6,600"),
        ("math-671", True, "115{,}000 and $115,000$ vs \\$115,000"),
        ("math-730", True, "no \\boxed; **12,441,600** vs 12441600"),
        ("math-719", True, "\\boxed{76.80} vs \\$76.80"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        split = "gsm8k" if pid.startswith("gsm8k") else "math"
        add(c, text, ref, label, f"{PB_FILE.format(split)}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 6. text_answer: \text{E} = E, \mathrm{e} = e, words, identical text answers, units dropped
# --------------------------------------------------------------------------------------------------------


def text_answer() -> None:
    c = "text_answer"
    for idx, comp, label, note in [
        (2366, "E", True, ""),
        (2366, r"\text{E}", True, "identical"),
        (2366, "(E)", True, ""),
        (2366, r"\textbf{(E)}", True, ""),
        (2366, r"\mathrm{E}", True, ""),
        (2366, "D", False, ""),
        (2173, "odd", True, ""),
        (2173, r"\text{odd}", True, "identical"),
        (2173, r"\textbf{odd}", True, ""),
        (2173, r"\mathrm{odd}", True, ""),
        (2173, "Odd", True, "capitalised word"),
        (2173, "even", False, ""),
        (2173, r"\text{neither}", False, ""),
        (2141, r"\boxed{\text{neither}}", True, ""),
        (2141, r"\boxed{\text{even}}", False, ""),
        (2212, r"\text{even}", True, "identical"),
        (2212, r"\text{odd}", False, ""),
        (3087, "Friday", True, ""),
        (3087, r"\text{Saturday}", False, ""),
        (655, "June 20", True, ""),
        (655, r"\text{June 21}", False, ""),
        (696, "VW", True, ""),
        (696, r"\text{V}", False, "W missing"),
        (2737, "circle", True, ""),
        (2737, r"\text{parabola}", False, ""),
        (2013, "13", True, "\\text{13} is the number 13"),
        (2465, "A, D", True, ""),
        (2465, r"\text{D, A}", True, "the set of chosen options in another order"),
        (2465, r"\text{A}", False, "D missing"),
        (4456, "B, E, G", True, ""),
        (4456, r"\text{B, E}", False, "G missing"),
        (565, r"85 \textnormal{ feet}", True, "unit in \\textnormal"),
        (565, "85", True, "unit dropped"),
        (565, r"58 \text{ feet}", False, ""),
        (1097, "25", True, "unit dropped"),
        (2086, r"25\textnormal{ km}", True, ""),
        (2086, r"24 \text{ km}", False, ""),
        (1604, "210", True, "reference 210\\text{ ways}"),
        (1604, r"120 \text{ ways}", False, ""),
    ]:
        add(c, comp, math_ans(idx), label, construct(f"{MATH_FILE}:idx={idx}"), note)
    for uid, comp, label, note in [
        ("precalculus/819", "C", True, ""),
        ("precalculus/819", r"\text{C}", True, ""),
        ("precalculus/819", "(A)", False, ""),
        ("intermediate_algebra/754", r"\textbf{(B)}", True, ""),
        ("intermediate_algebra/754", "E", False, ""),
        ("algebra/1349", "Evelyn", True, ""),
        ("algebra/1349", r"\text{Evelyn}", True, "identical"),
        ("algebra/1349", r"\text{Angela}", False, "another runner"),
        ("prealgebra/105", "east", True, ""),
        ("prealgebra/105", r"\text{East}", True, "capitalised word"),
        ("prealgebra/105", "west", False, ""),
        ("prealgebra/1991", r"\text{Navin}", True, "identical"),
        ("intermediate_algebra/860", r"\text{ellipse}", True, "identical"),
        ("intermediate_algebra/860", "hyperbola", False, ""),
        ("geometry/473", "864", True, "unit dropped (reference 864 \\mbox{ inches}^2)"),
        ("geometry/473", r"864 \textnormal{ square inches}", True, ""),
        ("geometry/473", "846", False, ""),
        ("prealgebra/1114", r"15 \text{ cm}^2", True, ""),
        ("prealgebra/1114", "30", False, ""),
    ]:
        add(c, comp, m500(uid), label, construct(f"{M500_FILE}:test/{uid}.json"), note)
    for idx, comp in [
        (2751, "parabola"),
        (2890, "ellipse"),
        (2788, r"\textbf{even}"),
        (2814, "odd"),
        (2853, "neither"),
        (798, "Monday"),
        (3092, r"\text{Saturday}"),
        (3158, "Sunday"),
        (2157, "D"),
        (2561, "(A)"),
        (2638, r"\mathrm{B}"),
        (2648, "B"),
        (2882, r"\text{C}"),
        (3017, "A"),
        (3338, "M"),
    ]:
        add(c, comp, math_ans(idx), True, construct(f"{MATH_FILE}:idx={idx}"), "")
    # e written \mathrm{e}: no MATH test answer is e itself; the row uses lim (1 + 1/n)^n = e.
    src_e = "constructed (lim_{n->inf} (1+1/n)^n = e, and powers of it)"
    for comp, ref, label, note in [
        (r"\mathrm{e}", "e", True, "upright e"),
        (r"\mathrm{e}^2", "e^2", True, ""),
        (r"\frac{1}{\mathrm{e}}", "e^{-1}", True, ""),
        (r"\mathrm{e}", r"\pi", False, ""),
        (r"2\mathrm{e}", "e^2", False, "2e != e^2"),
    ]:
        add(c, comp, ref, label, src_e, note)
    # GSM8K answers in miles with the unit in \textnormal.
    for i, comp, label in [
        (123, r"\boxed{50\textnormal{ miles}}", True),
        (834, r"\boxed{80 \textnormal{ miles}}", True),
        (1008, r"\boxed{230\textnormal{ miles}}", True),
        (804, r"\boxed{40\textnormal{ miles}}", False),
        (1101, r"\boxed{28\textnormal{ miles}}", False),
    ]:
        add(c, comp, gsm_ans(i), label, construct(f"{GSM_FILE}:line={i + 1}"), "unit in \\textnormal")
    # Real responses.
    text, cut = qwen_text(3, 0)
    add(
        c,
        text,
        QWEN[3]["answer"],
        True,
        f"{QWEN_FILE}:idx=3,response=0",
        cut
        + "\\boxed{4:30 \\text{ p.m.}} vs \\text{4:30 p.m.}; the file's grader `score` says False (a grader error)",
    )
    for k, label in [(0, True), (3, False)]:
        text, cut = qwen_text(81, k)
        add(
            c,
            text,
            QWEN[81]["answer"],
            label,
            f"{QWEN_FILE}:idx=81,response={k}",
            cut + ("choice A" if label else "choice C"),
        )
    for pid, label, note in [
        ("math-14", False, "\\boxed{Sunday} vs \\text{Friday}"),
        ("math-403", False, "\\boxed{\\text{Saturday}} vs \\text{Friday}"),
        ("math-372", False, "no \\boxed; **west** vs \\text{east}"),
        ("math-713", True, "\\boxed{\\text{C}} vs \\text{C}"),
        ("math-324", False, "no choice letter given at all"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, label, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 7. matrix_vector: \left[\begin{array}..\end{array}\right] / bmatrix = pmatrix; decimals vs fractions
# --------------------------------------------------------------------------------------------------------


def _pm_rows(ref: str) -> list[list[str]]:
    body = ref.split(r"\begin{pmatrix}")[1].split(r"\end{pmatrix}")[0]
    return [[e.strip() for e in row.split("&")] for row in body.split(r"\\")]


def _array(rows: list[list[str]]) -> str:
    cols = "c" * len(rows[0])
    inner = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\left[\begin{{array}}{{{cols}}} {inner} \end{{array}}\right]"


def _bmatrix(rows: list[list[str]]) -> str:
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(r) for r in rows) + r" \end{bmatrix}"


def _pmatrix(rows: list[list[str]]) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(" & ".join(r) for r in rows) + r" \end{pmatrix}"


def _dec(entry: str, digits: int) -> str:
    """A decimal for a rational entry such as -5/13 (rounded to ``digits`` places, trailing zeros kept off)."""
    value = Fraction(entry.replace(" ", ""))
    s = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return s


def matrix_vector() -> None:
    c = "matrix_vector"
    # array / bmatrix forms of real pmatrix answers (label True), and near misses.
    for idx, kind in [
        (4474, "array"),
        (4527, "array"),
        (4589, "bmatrix"),
        (4724, "array"),
        (4732, "bmatrix"),
        (4788, "array"),
        (4855, "array"),
        (4469, "array"),
        (4840, "array"),
        (4981, "bmatrix"),
        (4459, "array"),
        (4548, "array"),
        (4645, "bmatrix"),
        (4932, "array"),
    ]:
        ref = math_ans(idx)
        rows = _pm_rows(ref)
        comp = _array(rows) if kind == "array" else _bmatrix(rows)
        add(c, comp, ref, True, construct(f"{MATH_FILE}:idx={idx}"), f"{kind} form of the same matrix")
    for idx, kind in [
        (4593, "array"),
        (4886, "bmatrix"),
        (4973, "array"),
        (4974, "array"),
        (4472, "array"),
        (4475, "array"),
        (4578, "bmatrix"),
        (4583, "array"),
        (4661, "array"),
    ]:
        ref = math_ans(idx)
        rows = _pm_rows(ref)
        comp = _array(rows) if kind == "array" else _bmatrix(rows)
        add(c, comp, ref, True, construct(f"{MATH_FILE}:idx={idx}"), f"{kind} form of the same matrix")
    add(
        c,
        r"\left[\begin{array}{cc} \frac{1}{5} & \frac{4}{5} \\ 0 & 1 \end{array}\right]",
        math_ans(4477),
        True,
        construct(f"{MATH_FILE}:idx=4477"),
        "array form, \\frac entries vs 1/5",
    )
    # Near misses: transposed, one entry changed, sign flipped.
    for idx, edit, note in [
        (4474, "transpose", "transposed (50 and -18 swap places)"),
        (4527, "transpose", "transposed"),
        (4589, ("1", "0", "-4", "4"), "one entry with the wrong sign"),
        (4855, ("1", "0", "-1", "1"), "one entry with the wrong sign"),
        (4981, ("2", "2", "-1", "1"), "last diagonal entry sign"),
        (4459, ("1", "0", "3", "4"), "one entry changed"),
        (4932, ("2", "0", "-1", "1"), "sign"),
    ]:
        ref = math_ans(idx)
        rows = _pm_rows(ref)
        if edit == "transpose":
            rows = [list(col) for col in zip(*rows, strict=True)]
        else:
            r_, c_, old, new = edit
            assert rows[int(r_)][int(c_)] == old, (idx, rows)
            rows[int(r_)][int(c_)] = new
        add(c, _array(rows), ref, False, construct(f"{MATH_FILE}:idx={idx}"), note)
    for uid, kind in [
        ("precalculus/920", "array"),
        ("precalculus/263", "array"),
        ("precalculus/881", "bmatrix"),
        ("precalculus/145", "array"),
    ]:
        ref = m500(uid)
        rows = _pm_rows(ref)
        comp = _array(rows) if kind == "array" else _bmatrix(rows)
        add(c, comp, ref, True, construct(f"{M500_FILE}:test/{uid}.json"), f"{kind} form of the same matrix")
    add(
        c,
        _array([["1", "0"], ["0", "1"]]),
        m500("precalculus/920"),
        False,
        construct(f"{M500_FILE}:test/precalculus/920.json"),
        "I instead of -I",
    )
    add(
        c,
        _bmatrix([["-2"], ["-14"], ["7"]]),
        m500("precalculus/263"),
        False,
        construct(f"{M500_FILE}:test/precalculus/263.json"),
        "sign of the last entry",
    )

    # Decimal entries against fraction entries: 9 decimals are within the default rel_tol 1e-6 (true);
    # 2-4 decimals are rounded values, off by more than 1e-6 (false, by the configured tolerance).
    for src, ref in [
        (f"{M500_FILE}:test/precalculus/1300.json", m500("precalculus/1300")),
        (f"{M500_FILE}:test/precalculus/625.json", m500("precalculus/625")),
        (f"{MATH_FILE}:idx=4476", math_ans(4476)),
        (f"{MATH_FILE}:idx=4531", math_ans(4531)),
        (f"{MATH_FILE}:idx=4665", math_ans(4665)),
    ]:
        rows = _pm_rows(ref)
        add(
            c,
            _pmatrix([[_dec(e, 9) for e in r] for r in rows]),
            ref,
            True,
            construct(src),
            "decimals to 9 places: within rel_tol 1e-6",
        )
        add(
            c,
            _pmatrix([[_dec(e, 3) for e in r] for r in rows]),
            ref,
            False,
            construct(src),
            "decimals to 3 places: off by more than the configured rel_tol 1e-6 (convention: MathReward's default tolerance)",
        )
    for src, ref in [
        (f"{M500_FILE}:test/precalculus/398.json", m500("precalculus/398")),
        (f"{MATH_FILE}:idx=4505", math_ans(4505)),
        (f"{MATH_FILE}:idx=4510", math_ans(4510)),
        (f"{MATH_FILE}:idx=4624", math_ans(4624)),
        (f"{MATH_FILE}:idx=4891", math_ans(4891)),
        (f"{MATH_FILE}:idx=4972", math_ans(4972)),
    ]:
        rows = _pm_rows(ref)
        add(c, _pmatrix([[_dec(e, 9) for e in r] for r in rows]), ref, True, construct(src), "exact decimals")
    add(
        c,
        r"\begin{pmatrix} 0.2 \\ 0.6 \end{pmatrix}",
        math_ans(4624),
        False,
        construct(f"{MATH_FILE}:idx=4624"),
        "sign of the second entry",
    )
    ref = math_ans(4789)
    add(
        c,
        r"\begin{pmatrix} 0.707106781 & 0.707106781 \\ -0.707106781 & 0.707106781 \end{pmatrix}",
        ref,
        True,
        construct(f"{MATH_FILE}:idx=4789"),
        "1/sqrt(2) = 0.70710678118..., within rel_tol 1e-6",
    )
    add(
        c,
        r"\begin{pmatrix} 0.7071 & 0.7071 \\ -0.7071 & 0.7071 \end{pmatrix}",
        ref,
        False,
        construct(f"{MATH_FILE}:idx=4789"),
        "rounded to 4 places: off by 1.5e-5 relative (convention: MathReward's default tolerance)",
    )
    add(
        c,
        r"\left[\begin{array}{cc} \frac{\sqrt{2}}{2} & \frac{\sqrt{2}}{2} \\ -\frac{\sqrt{2}}{2} & \frac{\sqrt{2}}{2} \end{array}\right]",
        ref,
        True,
        construct(f"{MATH_FILE}:idx=4789"),
        "sqrt(2)/2 = 1/sqrt(2), array form",
    )
    for pid, label, note in [
        ("math-510", True, "-\\frac{1}{3} entries vs -1/3"),
        ("math-595", True, ""),
        ("math-799", True, ""),
        ("math-367", False, "second row should be -1/sqrt 2, 1/sqrt 2"),
        ("math-128", False, "different vector"),
        ("math-220", False, "different vector"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, label, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)


# --------------------------------------------------------------------------------------------------------
# 8. answer_sentence: the value sits in a final sentence (**Answer:** ..., "Therefore, ... is 12 inches.")
# --------------------------------------------------------------------------------------------------------


def answer_sentence() -> None:
    c = "answer_sentence"
    # Real solutions without \boxed whose final answer is stated in a sentence.
    for pid, label, note in [
        ("gsm8k-299", True, "the issue's example: '**Answer:** Verna received $7.00 in change.' vs 7"),
        ("gsm8k-200", True, "20 centimeters"),
        ("gsm8k-233", True, "$8 left"),
        ("gsm8k-238", True, "34 hours"),
        ("gsm8k-286", True, "54 miles east"),
        ("gsm8k-290", True, "40 cubic inches (last formula)"),
        ("gsm8k-305", True, "310 legs"),
        ("gsm8k-312", True, "2 hours"),
        ("gsm8k-338", True, "\\$324"),
        ("gsm8k-353", True, "**12 tomatoes**"),
        ("gsm8k-364", True, "72 inches"),
        ("gsm8k-368", True, "\\(\\$440\\)"),
        ("gsm8k-3", False, "35 vs 25"),
        ("gsm8k-4", False, "$37 vs 31"),
        ("gsm8k-19", False, "2,280 vs 360"),
        ("gsm8k-39", False, "'Answer: John has 180 minutes to nap.' vs 100"),
        ("gsm8k-42", False, "$195,000 vs 70000"),
        ("gsm8k-63", False, "$225.00 vs 235"),
        ("gsm8k-85", False, "**4 liters** vs 16"),
        ("gsm8k-98", False, "90,000 vs 93000"),
        ("gsm8k-111", False, "4,000 feet vs 3000"),
        ("math-588", True, "$75$ square units"),
        ("math-601", True, "128 pages"),
        ("math-633", True, ""),
        ("math-687", True, "108 meters"),
        ("math-890", True, "\\frac{8\\pi}{5} square units vs \\tfrac{8\\pi}5"),
        ("math-925", True, "AC = 25 cm"),
        ("math-729", True, "$30^\\circ$ vs 30"),
        ("math-902", True, ""),
        ("math-943", True, "**14**"),
        ("math-523", True, "'Final Answer: The final answer is $16\\pi$.'"),
        ("math-349", False, "126 inches vs 42"),
        ("math-208", False, "196 square feet vs 49\\pi"),
        ("math-225", False, "approximately 3.3 vs 3.5"),
        ("math-8", False, "107 vs 53"),
        ("math-294", False, "x = 32/15 vs 1.8"),
        ("math-70", False, "66.4 degrees vs 68 degrees"),
        ("math-88", False, "**10 digits** vs 9"),
        ("math-383", False, "54,145 vs 2,\\!598,\\!960"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        split = "gsm8k" if pid.startswith("gsm8k") else "math"
        add(c, text, ref, label, f"{PB_FILE.format(split)}:{pid} (reference: {rsrc})", cut + note)

    for pid, note in [
        ("math-530", "'The final answer is 2.'"),
        ("math-542", "'the number on the card that was removed is 45'"),
        ("math-553", "'the degree of the polynomial ... is 15'"),
        ("math-571", "'x^3 = 12'"),
        ("math-680", "'AB = 10 units'"),
        ("math-783", "'the greatest possible value of y^3 is 216'"),
        ("math-809", "'**8**'"),
        ("math-849", "'**6**'"),
        ("math-895", "'there are 50 whole numbers left'"),
        ("math-923", "'**36**'"),
        ("math-972", "'**7**'"),
        ("math-975", "'The slope of the line is 1.'"),
    ]:
        text, cut = pb_text(pid)
        ref, rsrc = pb_ref(pid)
        add(c, text, ref, True, f"{PB_FILE.format('math')}:{pid} (reference: {rsrc})", cut + note)

    # GSM8K reference solutions (calculator annotations removed, '#### n' line removed) ending in an
    # '**Answer:**' sentence written for the row.
    for i, sentence, label, note in [
        (0, "**Answer:** Janet makes $18.00 every day at the farmers' market.", True, "$18.00 = 18"),
        (23, "**Answer:** The candle will be 8 centimeters shorter.", True, ""),
        (69, "**Answer:** Bailey started with $60.", True, ""),
        (115, "**Answer:** She makes a profit of 90 dollars.", True, ""),
        (322, "**Answer:** They need 9 boxes.", True, ""),
        (506, "**Answer:** It will cost him $144.00 to buy snowshoes for all of his dogs.", True, ""),
        (575, "**Answer:** Kate can make $36.", True, ""),
        (644, "**Answer:** Steve's son's wife is 29 years old.", True, ""),
        (828, "**Answer:** Mulan has $60 left.", True, ""),
        (1058, "**Answer:** Leo has 250 stickers in his collection.", True, ""),
        (1150, "Answer: She has 21 roses now.", True, "'Answer:' without bold"),
        (1242, "**Final answer:** Skyler has 20 white hats.", True, ""),
        (46, "**Answer:** There were 163 Post-it notes in the package.", True, ""),
        (92, "**Answer:** Jackson is 4 years old.", True, ""),
        (207, "**Answer:** Joe's bag of candy weighs 2,600 grams.", True, "2,600 = 2600"),
        (138, "**Answer:** He left 105 questions incomplete.", True, ""),
        (345, "**Answer:** The restaurant's tables have 310 legs in total.", True, ""),
        (414, "**Answer:** The discounted blouses cost $56 in total.", True, ""),
        (460, "**Answer:** Grayson earns 84 cents from recycling in a four-week month.", True, ""),
        (552, "**Answer:** Antonella earned $450.", True, ""),
        (713, "**Answer:** Mr. Boarden needs 576 mosaic tiles.", True, ""),
        (874, "**Answer:** Ella would earn $132.00.", True, ""),
        (1081, "**Answer:** Frankie's score was 195.", True, ""),
    ]:
        body = gsm_body(i).rsplit("\n", 1)[0]  # drop the reference's own final sentence
        add(c, f"{body}\n{sentence}", gsm_ans(i), label, construct(f"{GSM_FILE}:line={i + 1}"), note)
    # The same sentences with a wrong value (a real wrong model answer where there is one).
    for i, sentence, note in [
        (
            0,
            "**Answer:** Janet makes $26.00 every day at the farmers' market.",
            "26 (the 6B model's answer in example_model_solutions)",
        ),
        (23, "**Answer:** The candle will be 10 centimeters shorter.", ""),
        (69, "**Answer:** Bailey started with $40.", "40 is the amount spent, not the start"),
        (322, "**Answer:** They need 8 boxes.", ""),
        (644, "**Answer:** Steve's son's wife is 32 years old.", "the husband's age"),
        (828, "**Answer:** Mulan has $80 left.", "80 is what she spent"),
        (1150, "Answer: She has 6 roses now.", "an intermediate value"),
        (207, "**Answer:** Joe's bag of candy weighs 1,600 grams.", "an intermediate value"),
    ]:
        body = gsm_body(i).rsplit("\n", 1)[0]
        add(c, f"{body}\n{sentence}", gsm_ans(i), False, construct(f"{GSM_FILE}:line={i + 1}"), note)

    # Real GSM8K model solutions ending 'A: n' (their `A:` line rewritten as an '**Answer:**' sentence).
    for line, key, label in [
        (0, "6b_finetuning", False),  # 26 vs 18
        (1, "175b_verification", False),  # 65000 vs 70000
        (2, "6b_verification", True),  # 540 vs 540
        (3, "175b_finetuning", False),  # 43 vs 20
        (5, "6b_finetuning", False),  # 10.95 vs 460
        (7, "175b_verification", False),  # 221 vs 125
        (9, "175b_verification", True),  # 14 vs 14
    ]:
        row = GSM_SOL[line]
        sol = row[key]
        ref = gsm_ans(GSM_BY_Q[row["question"].strip()])
        body, a = sol["solution"].rsplit("A:", 1)
        value = a.strip()
        add(
            c,
            f"{body.strip()}\n**Answer:** {value}",
            ref,
            label,
            f"{GSM_SOL_FILE}:line={line + 1}:{key} (reference: {GSM_FILE})",
            f"model's 'A: {value}' line written as '**Answer:** {value}'; the answer {value} vs {ref}",
        )


def main() -> None:
    bare_answer()
    relation()
    equation()
    several_answers()
    number_format()
    text_answer()
    matrix_vector()
    answer_sentence()
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    with OUT.open("w", encoding="utf-8") as f:
        for r in ROWS:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    by = {}
    for r in ROWS:
        t, fl = by.get(r["class"], (0, 0))
        by[r["class"]] = (t + r["label"], fl + (not r["label"]))
    for k, (t, fl) in by.items():
        print(f"{k:16} {t:4} true {fl:4} false")
    print(f"{len(ROWS)} rows, {sum(not r['label'] for r in ROWS)} false, written to {OUT}")


if __name__ == "__main__":
    main()
