"""``MathReward`` through the runner (``rewardlab.score("math", ...)``): scores, info, errors, options.

The completions are the endings (a sentence or two) of real rows, named in each case id as in
test_parse.py: ``pb:<id>`` = processbench/processbench_gsm8k_math_with_reference_answers.jsonl,
``gsm8k-ex:<line>:<model>`` = gsm8k/example_model_solutions.jsonl, ``gsm8k-test:<line>`` =
gsm8k/test.jsonl, ``math-test:<idx>`` = math/MATH/test.jsonl; the reference is that row's own.
"""

from __future__ import annotations

import json
import pickle
from functools import cache
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab import RewardResult, Sample
from rewardlab.rewards.math import MathReward, parse_reference, verify

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"

ENTER_ALL = "Enter all possible values, separated by commas."  # the end of pb:math-712's problem

# (case id, prompt, completion, reference, expected score, expected rule)
REAL_ROWS = [
    (
        "pb:gsm8k-238",
        "",
        "So, Charisma spends a total of 34 hours on meditation and yoga practice in 4 weeks.",
        "34",
        1.0,
        "last_sentence",
    ),
    ("pb:gsm8k-19", "", "Therefore, Vince stapled a total of 2,280 reports.", "360", 0.0, "last_sentence"),
    (
        "pb:gsm8k-62",
        "",
        r"Therefore, after three days, there are **\boxed{2160}** people infected.",
        "3430",
        0.0,
        "boxed",
    ),
    (
        "pb:math-8",
        "",
        "So, my father's age is 107 years old. Final Answer: The final answer is 107. I hope it is correct.",
        "53",
        0.0,
        "answer_phrase",
    ),
    (
        "pb:math-535",
        "",
        r"Final Answer: The final answer is \(1\frac{9}{10}\). I hope it is correct.",
        r"1\frac{9}{10}",
        1.0,
        "answer_phrase",
    ),
    (
        "pb:math-447",
        "",
        "The final answer is 0.00000672. I hope it is correct.",
        ".0000672",
        0.0,
        "answer_phrase",
    ),
    (
        "pb:math-890",
        "",
        r"Therefore, the area of the ellipse is \(\frac{8\pi}{5}\) square units.",
        r"\tfrac{8\pi}5",
        1.0,
        "last_sentence",
    ),
    (
        "pb:math-730",
        "",
        "Therefore, there are **12,441,600** ways the candidates can be listed on the ballot.",
        "12441600",
        1.0,
        "last_sentence",
    ),
    (
        "pb:math-504",
        "",
        "So, the total number of ways to arrange the 14 delegates under the given conditions is:\n"
        "\\[ \\boxed{3110400} \\]",
        r"3,\!110,\!400",
        1.0,
        "boxed",
    ),
    (
        "pb:math-247",
        "",
        "Thus, the value of \\( x \\) is:\n\\[ \\boxed{-\\frac{58}{87}} \\]",
        r"-\dfrac{2}{3}",
        1.0,
        "boxed",
    ),
    (
        "pb:math-392",
        "",
        r"Therefore, the final answer is: \(\boxed{\frac{1}{\sin x \cos x} - \tan x}\).",
        r"\cot x",
        1.0,
        "boxed",
    ),
    (
        "pb:math-36",
        "",
        r"Therefore, the solution in interval notation is $\boxed{(-\infty, -8) \cup (4, \infty)}$. Final Answer: "
        r"The final answer is $(-\infty, -8) \cup (4, \infty)$. I hope it is correct.",
        r"(-\infty,-8)\cup (8,\infty)",
        0.0,
        "boxed",
    ),
    (
        "pb:math-510",
        "",
        "The final answer is:\n"
        r"\[\boxed{\begin{pmatrix} -\frac{1}{3} \\ \frac{2}{3} \\ \frac{5}{3} \end{pmatrix}}\]",
        r"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}",
        1.0,
        "boxed",
    ),
    (
        "pb:math-14",
        "",
        r"Therefore, the day of the week Carlos will be 706 days old is: \boxed{Sunday}.",
        r"\text{Friday}",
        0.0,
        "boxed",
    ),
    (
        "pb:math-671",
        "",
        r"0.15x &= 17{,}250\\ x &= \boxed{115{,}000}. \end{align*}",
        r"\$115,000",
        1.0,
        "boxed",
    ),
    (
        "pb:math-712",
        ENTER_ALL,
        r"Thus, the possible values of \(\omega^n + \frac{1}{\omega^n}\) are \(\boxed{2, 1, -1, -2}\).",
        "-2,-1,1,2",
        1.0,
        "boxed",
    ),
    (
        "gsm8k-ex:0:175b_verification",
        "",
        "She sells her eggs for $2 per egg and has 9 available for sale so 2 * 9 = $<<2*9=18>>18 per day\nA: 18",
        "18",
        1.0,
        "a_colon",
    ),
    (
        "gsm8k-ex:1:6b_finetuning",
        "",
        "This means he made a profit of 130,000-40,000=$<<130000-40000=90000>>90,000\nA: 90,000",
        "70000",
        0.0,
        "a_colon",
    ),
    (
        "gsm8k-test:2",
        "",
        "So he made a profit of 200,000-130,000=$<<200000-130000=70000>>70,000\n#### 70000",
        "70000",
        1.0,
        "gsm8k",
    ),
    (
        "math-test:91",
        "",
        "so \\begin{align*}\na+b+c+d&=53+2+53+53\\\\\n&=\\boxed{161}.\n\\end{align*}",
        "161",
        1.0,
        "boxed",
    ),
]
IDS = [row[0] for row in REAL_ROWS]


@pytest.fixture(scope="module")
def scored() -> list[RewardResult]:
    samples = [
        {"prompt": prompt, "completion": completion, "reference": reference}
        for _, prompt, completion, reference, _, _ in REAL_ROWS
    ]
    return rl.score("math", samples, workers=1, timeout=10)


def test_one_result_per_sample(scored: list[RewardResult]) -> None:
    assert len(scored) == len(REAL_ROWS)
    assert all(r.error is None for r in scored), [
        (i, r.error) for i, r in zip(IDS, scored, strict=True) if r.error
    ]


@pytest.mark.parametrize("index", range(len(REAL_ROWS)), ids=IDS)
def test_real_row(scored: list[RewardResult], index: int) -> None:
    _, _, _, reference, score, rule = REAL_ROWS[index]
    result = scored[index]
    assert result.error is None
    assert result.score == score, result.info
    assert result.info["rule"] == rule
    assert {"answer", "rule", "reference"} <= set(result.info)
    assert result.info["reference"] == parse_reference(reference).norm


def test_info_holds_the_extracted_answer(scored: list[RewardResult]) -> None:
    by_id = dict(zip(IDS, scored, strict=True))
    assert by_id["pb:gsm8k-238"].info["answer"] == "34"
    assert by_id["pb:math-730"].info["answer"] == "12,441,600"
    assert by_id["pb:math-730"].info["answer_norm"] == "12441600"
    assert by_id["pb:math-14"].info["answer"] == "Sunday"
    assert by_id["pb:math-14"].info["reference"] == "Friday"


@pytest.fixture(scope="module")
def scored_edge_cases() -> list[RewardResult]:
    samples = [
        {
            "completion": "Firstly, let's break down the problem into parts to understand the process.",
            "reference": "31",
        },
        {"completion": r"\boxed{1}", "reference": None},
        {"completion": r"\boxed{1}", "reference": {"a": 1}},
        {"completion": r"The answer is $\boxed{9^{9^{9^{9}}}}$.", "reference": "1"},
        {"completion": r"\boxed{7}", "reference": 7},  # a good sample among failing ones is unaffected
    ]
    return rl.score("math", samples, workers=1, timeout=10)


def test_no_answer_scores_zero_with_a_reason(scored_edge_cases: list[RewardResult]) -> None:
    result = scored_edge_cases[0]  # pb:gsm8k-4, step 0
    assert result.error is None
    assert result.score == 0.0
    assert result.info["reason"] == "no_answer"
    assert result.info["reference"] == "31"


@pytest.mark.parametrize("index", [1, 2], ids=["None", "dict"])
def test_bad_reference_is_an_error(scored_edge_cases: list[RewardResult], index: int) -> None:
    result = scored_edge_cases[index]
    assert result.score is None
    assert result.error is not None
    assert result.error.type == "ValueError"
    assert "reference" in result.error.message


def test_power_tower_is_too_complex(scored_edge_cases: list[RewardResult]) -> None:
    result = scored_edge_cases[3]
    assert result.score is None
    assert result.error is not None
    assert result.error.type == "TooComplex"


def test_good_sample_next_to_errors(scored_edge_cases: list[RewardResult]) -> None:
    assert scored_edge_cases[4].error is None
    assert scored_edge_cases[4].score == 1.0


# --- options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"rel_tol": -1}, "rel_tol"),
        ({"rel_tol": 1}, "rel_tol"),
        ({"rel_tol": "0.1"}, "rel_tol"),
        ({"list_order": "x"}, "list_order"),
        ({"list_order": None}, "list_order"),
        ({"cache_size": -1}, "cache_size"),
        ({"cache_size": 1.5}, "cache_size"),
    ],
    ids=repr,
)
def test_invalid_options_name_the_option(options: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        MathReward(**options)
    with pytest.raises(rl.ConfigError, match=f"`{name}`"):
        rl.math_answer(**options)


LIST_COMPLETION = (
    r"Thus, the possible values of \(\omega^n + \frac{1}{\omega^n}\) are \(\boxed{2, 1, -1, -2}\)."
)


@pytest.mark.parametrize(
    ("list_order", "prompt", "score"),
    [
        ("auto", "Find all possible values of \\[\\omega^n + \\frac{1}{\\omega^n},\\]\n\n" + ENTER_ALL, 1.0),
        ("auto", "Find all possible values.", 1.0),  # "all possible values" alone also asks for a set
        ("auto", "", 1.0),  # no prompt: a bare list lists solutions
        ("auto", "List the values in increasing order.", 0.0),
        ("ordered", ENTER_ALL, 0.0),
        ("unordered", "", 1.0),
    ],
)
def test_list_order(list_order: str, prompt: str, score: float) -> None:
    reward = MathReward(list_order=list_order)
    result = reward(Sample(prompt=prompt, completion=LIST_COMPLETION, reference="-2,-1,1,2"))
    assert result.score == score, result.info


def test_list_order_does_not_reorder_tuples() -> None:
    # "(2, 1)" is a point: order matters even when the prompt asks for all solutions
    reward = MathReward(list_order="unordered")
    assert reward(Sample(prompt=ENTER_ALL, completion=r"\boxed{(2, 1)}", reference="(1, 2)")).score == 0.0


def test_list_order_in_a_chat_prompt() -> None:
    reward = MathReward()
    prompt = [{"role": "system", "content": "Reason step by step."}, {"role": "user", "content": ENTER_ALL}]
    completion = [{"role": "assistant", "content": LIST_COMPLETION}]
    assert reward(Sample(prompt=prompt, completion=completion, reference="-2,-1,1,2")).score == 1.0


def test_rel_tol_option() -> None:
    sample = Sample(completion=r"The answer is $\boxed{3.14}$.", reference=r"\pi")
    assert MathReward()(sample).score == 0.0
    assert MathReward(rel_tol=1e-2)(sample).score == 1.0


def test_pickle_round_trip_keeps_options() -> None:
    reward = MathReward(rel_tol=1e-3, list_order="unordered", cache_size=10)
    reward(Sample(completion=r"\boxed{2, 1}", reference="1, 2"))  # fills the cache
    clone = pickle.loads(pickle.dumps(reward))
    assert isinstance(clone, MathReward)
    assert (clone.rel_tol, clone.list_order, clone.cache_size) == (1e-3, "unordered", 10)
    assert clone.name == "math"
    assert clone(Sample(completion=r"\boxed{2, 1}", reference="1, 2")).score == 1.0
    assert clone(Sample(completion=r"\boxed{3.1413}", reference=r"\pi")).score == 1.0  # rel_tol 1e-3 kept


def test_cache_is_bounded_and_consistent() -> None:
    reward = MathReward(cache_size=2)
    samples = [Sample(completion=rf"\boxed{{{n}}}", reference="2") for n in (1, 2, 3, 2)]
    assert [reward(s).score for s in samples] == [0.0, 1.0, 0.0, 1.0]
    assert len(reward._cache) <= 2
    uncached = MathReward(cache_size=0)
    assert [uncached(s).score for s in samples] == [0.0, 1.0, 0.0, 1.0]
    assert len(uncached._cache) == 0


def test_reward_object_through_the_runner() -> None:
    results = rl.score(
        MathReward(list_order="ordered"),
        [{"prompt": ENTER_ALL, "completion": LIST_COMPLETION, "reference": "-2,-1,1,2"}],
        workers=1,
        timeout=10,
    )
    assert [r.score for r in results] == [0.0]


# --- the excerpts are real ---------------------------------------------------------------------------


@cache
def _rows(relative: str) -> list[dict]:
    with (DATA / relative).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _source(case_id: str) -> tuple[str, str, object]:
    """(prompt, completion, reference) of the row a case id names."""
    kind, _, key = case_id.partition(":")
    if kind == "pb":
        row = next(
            r
            for r in _rows("processbench/processbench_gsm8k_math_with_reference_answers.jsonl")
            if r["id"] == key
        )
        return row["problem"], "\n\n".join(row["steps"]), row["reference_answer"]
    if kind == "gsm8k-ex":
        line_no, model = key.split(":")
        row = _rows("gsm8k/example_model_solutions.jsonl")[int(line_no)]
        return row["question"], row[model]["solution"], row["ground_truth"].rsplit("A:", 1)[1].strip()
    if kind == "gsm8k-test":
        row = _rows("gsm8k/test.jsonl")[int(key)]
        return row["question"], row["answer"], row["answer"]
    row = next(r for r in _rows("math/MATH/test.jsonl") if r["idx"] == int(key))
    return row["problem"], row["solution"], row["solution"]


@pytest.mark.shared_data
@pytest.mark.skipif(
    not DATA.exists(), reason="needs ../shared/data (the rows these excerpts were copied from)"
)
@pytest.mark.parametrize("index", range(len(REAL_ROWS)), ids=IDS)
def test_excerpt_is_from_its_row(index: int) -> None:
    case_id, prompt, completion, reference, score, _ = REAL_ROWS[index]
    full_prompt, full_completion, full_reference = _source(case_id)
    assert prompt in full_prompt
    assert completion in full_completion
    # the reference is the row's own (for MATH / GSM8K test rows: the answer its solution states)
    assert verify(str(reference), full_reference)
    # and the whole real completion gets the same score as its ending
    result = MathReward()(Sample(prompt=full_prompt, completion=full_completion, reference=reference))
    assert result.score == score


@pytest.mark.parametrize(
    ("completion", "reference"),
    [("\\boxed{y = 2x + 1}", "2y = 4x + 2"), ("\\boxed{\\mathbb{Z}}", "\\mathbb{N}")],
    ids=["equation", "set"],
)
def test_a_sympy_crash_is_a_recorded_symbolic_error_not_a_wrong_answer(
    monkeypatch: pytest.MonkeyPatch, completion: str, reference: str
) -> None:
    import sympy

    def crash(*args: object, **kwargs: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    from rewardlab.rewards.math import equivalence

    equivalence.to_sympy.cache_clear()
    monkeypatch.setattr(sympy, "simplify", crash)
    result = MathReward()(Sample(completion=completion, reference=reference))
    assert result.score is None
    assert result.error.type == "SymbolicError"
    assert "RecursionError" in result.error.message or "recursion" in result.error.message


def test_equation_that_sympy_compares_is_still_a_verdict() -> None:
    assert MathReward()(Sample(completion="\\boxed{y = 2x + 1}", reference="2y = 4x + 2")).score == 1.0
    assert MathReward()(Sample(completion="\\boxed{y = 2x + 1}", reference="y = 2x + 2")).score == 0.0
