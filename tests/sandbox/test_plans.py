"""Judging: tests run in a judge process, the program in a candidate process, plain data in between."""

from __future__ import annotations

import pytest
from _sandbox_helpers import assert_serves, needs_bwrap

from rewardlab.sandbox import JudgePlan, Limits, SandboxPool, TestUnit, plan_asserts, plan_check_function

pytestmark = needs_bwrap

ADD = "def add(a, b):\n    return a + b\n"


def outcomes(pool: SandboxPool, plan: JudgePlan, **limits: object) -> list[tuple[bool, str | None]]:
    result = pool.judge(plan, limits=Limits(**limits) if limits else None)  # type: ignore[arg-type]
    return [(t.passed, t.error_type) for t in result.tests]


def test_each_assert_is_counted(pool: SandboxPool) -> None:
    plan = plan_asserts(
        ADD, ["assert add(1, 2) == 3", "assert add(2, 2) == 5", "assert add('a', 'b') == 'ab'"]
    )
    result = pool.judge(plan)
    assert result.load["status"] == "ok"
    assert (result.passed, result.total) == (2, 3)
    assert result.first_failure is not None
    assert (result.first_failure.index, result.first_failure.error_type) == (1, "AssertionError")
    assert result.first_failure.label == "assert add(2, 2) == 5"


def test_exceptions_of_the_program_keep_their_type(pool: SandboxPool) -> None:
    code = "class Boom(Exception):\n    pass\n\ndef f(x):\n    if x == 0:\n        return 1 / x\n    raise Boom('no')\n"
    plan = plan_asserts(code, ["assert f(0) == 1", "assert f(1) == 1"])
    assert outcomes(pool, plan) == [(False, "ZeroDivisionError"), (False, "Boom")]


def test_a_test_that_expects_an_exception_sees_the_builtin_type(pool: SandboxPool) -> None:
    tests = "def check(candidate):\n    try:\n        candidate(-1)\n    except ValueError:\n        pass\n    else:\n        assert False\n"
    code = "def sqrt(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x ** 0.5\n"
    assert outcomes(pool, plan_check_function(code, tests, "sqrt")) == [(True, None)]


@pytest.mark.parametrize(
    ("returns", "test"),
    [
        ("(1, 2)", "assert f() == (1, 2) and isinstance(f(), tuple)"),
        ("{1: [2, 3], 'a': {4}}", "assert f() == {1: [2, 3], 'a': {4}}"),
        ("frozenset({1, 2})", "assert f() == frozenset({1, 2})"),
        ("b'\\x00\\xff'", "assert f() == b'\\x00\\xff'"),
        ("bytearray(b'ab')", "assert f() == bytearray(b'ab')"),
        ("3 ** 200", "assert f() == 3 ** 200"),
        ("-(2 ** 70)", "assert f() == -(2 ** 70)"),
        ("float('nan')", "import math\nassert math.isnan(f())"),
        ("float('-inf')", "assert f() == float('-inf')"),
        ("1.5 + 2j", "assert f() == 1.5 + 2j"),
        ("range(2, 9, 3)", "assert f() == range(2, 9, 3)"),
        ("(x * x for x in range(4))", "assert list(f()) == [0, 1, 4, 9]"),
        (
            "__import__('fractions').Fraction(1, 3)",
            "from fractions import Fraction\nassert f() == Fraction(1, 3)",
        ),
        (
            "__import__('decimal').Decimal('1.10')",
            "from decimal import Decimal\nassert f() == Decimal('1.10')",
        ),
        ("{'b': 1, 'a': 2}.keys()", "assert f() == {'a', 'b'}"),
        ("__import__('collections').Counter('aab')", "assert f() == {'a': 2, 'b': 1}"),
        ("'\\ud800 lone surrogate'", "assert f() == '\\ud800 lone surrogate'"),
        ("None", "assert f() is None"),
        ("True", "assert f() is True"),
    ],
)
def test_plain_data_crosses_faithfully(pool: SandboxPool, returns: str, test: str) -> None:
    plan = JudgePlan(code=f"def f():\n    return {returns}\n", units=(TestUnit(test),), bind={"f": "f"})
    assert outcomes(pool, plan) == [(True, None)]


def test_objects_that_are_not_data_keep_only_their_truth_and_repr(pool: SandboxPool) -> None:
    code = "import re\ndef match(s):\n    return re.search('a.*b$', s)\n"
    plan = plan_asserts(
        code, ["assert match('aab')", "assert not match('ba')", "assert match('aab') == match('aab')"]
    )
    assert outcomes(pool, plan) == [(True, None), (True, None), (False, "AssertionError")]


def test_arguments_are_copies_and_must_be_data(pool: SandboxPool) -> None:
    code = "def grow(xs):\n    xs.append(1)\n    return len(xs)\n\ndef call(fn):\n    return fn()\n"
    plan = plan_asserts(code, ["xs = [0]\nassert grow(xs) == 2 and xs == [0]", "assert call(lambda: 1) == 1"])
    assert outcomes(pool, plan) == [(True, None), (False, "TypeError")]


def test_a_hanging_test_times_out_and_the_rest_do_not_run(pool: SandboxPool) -> None:
    code = "def f(x):\n    while x == 2:\n        pass\n    return x\n"
    plan = plan_asserts(code, ["assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3"])
    result = pool.judge(plan, limits=Limits(timeout=0.5))
    assert [(t.passed, t.error_type) for t in result.tests] == [
        (True, None),
        (False, "Timeout"),
        (False, "Timeout"),
    ]
    assert result.timed_out and result.duration < 2.0
    assert_serves(pool)


def test_a_program_that_dies_mid_test_fails_the_remaining_tests(pool: SandboxPool) -> None:
    code = "import os\ndef f(x):\n    if x == 2:\n        os._exit(0)\n    return x\n"
    plan = plan_asserts(code, ["assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3"])
    assert outcomes(pool, plan) == [(True, None), (False, "CandidateExited"), (False, "CandidateExited")]


def test_compile_and_load_errors_fail_every_test(pool: SandboxPool) -> None:
    result = pool.judge(plan_asserts("def add(a, b)\n    return a + b", ["assert add(1, 2) == 3"]))
    assert result.load["status"] == "compile_error" and result.load["type"] == "SyntaxError"
    assert result.load["lineno"] == 1
    assert [(t.passed, t.error_type) for t in result.tests] == [(False, "SyntaxError")]
    result = pool.judge(plan_asserts("import no_such_module\n" + ADD, ["assert add(1, 2) == 3"]))
    assert result.load["status"] == "error" and result.load["type"] == "ModuleNotFoundError"


def test_a_broken_test_suite_is_an_error_not_a_score(pool: SandboxPool) -> None:
    plan = plan_asserts(ADD, ["assert add(1, 2) == 3"], imports=["import no_such_module"])
    with pytest.raises(ValueError, match="test code failed"):
        pool.judge(plan)
    with pytest.raises(ValueError, match="check"):
        plan_check_function(ADD, "def test():\n    pass\n", "add")
    with pytest.raises(ValueError, match="parse"):
        plan_asserts(ADD, ["assert add(1, 2 == 3"])
    with pytest.raises(ValueError, match="counted"):
        JudgePlan(code=ADD, units=(TestUnit("x = 1", counted=False),))


def test_check_function_units_skip_assert_true_and_setup() -> None:
    tests = """
def check(candidate):
    import math
    assert candidate(1) == 2
    # a comment
    assert True, "always"
    xs = [candidate(i) for i in range(3)]
    for x in xs:
        assert x > 0
    print("done")
"""
    plan = plan_check_function("def inc(x):\n    return x + 1\n", tests, "inc")
    assert [u.counted for u in plan.units] == [False, True, False, False, True, False]
    assert plan.bind == {"candidate": "inc"}


def test_helpers_come_from_the_prompt_and_the_stub_from_the_program() -> None:
    prompt = 'def helper(x):\n    return x * 2\n\n\ndef solve(x):\n    """Use helper."""\n'
    tests = "def check(candidate):\n    assert candidate(1) == helper(1) + 1\n    assert solve(2) == 5\n"
    plan = plan_check_function(prompt + "    return helper(x) + 1\n", tests, "solve", prompt=prompt)
    assert plan.prelude == (prompt,)
    assert plan.bind == {"candidate": "solve", "solve": "solve"}  # `helper` stays the task's own

    with pytest.raises(ValueError, match=r"'helper'.*no task prompt was given"):  # never the program's helper
        plan_check_function(prompt + "    return helper(x) + 1\n", tests, "solve")
    with pytest.raises(ValueError, match=r"'helper'.*the task prompt defines no such function"):
        plan_check_function(
            "def solve(x):\n    return 3\n", tests, "solve", prompt="def solve(x):\n    pass\n"
        )
    declared = plan_check_function(prompt, tests, "solve", program_names=["helper"])
    assert declared.bind == {"candidate": "solve", "helper": "helper", "solve": "solve"}


def test_standard_module_names_in_the_tests_bind_to_modules_only() -> None:
    tests = "def check(candidate):\n    assert math.isclose(candidate(2), 4.0)\n"
    plan = plan_check_function("import math\ndef sq(x):\n    return x * x\n", tests, "sq")
    assert plan.bind == {"candidate": "sq", "math": "math"} and plan.modules_only == {"math"}


def test_mbpp_subjects_are_the_free_names_or_the_first_call() -> None:
    assert dict(plan_asserts("", ["assert set(f(1)) == set(g(2))"]).bind) == {"f": "f", "g": "g"}
    shadowing = plan_asserts("def sum(a, b):\n    return 0\n", ["assert sum(10, 15) == 6"])
    assert dict(shadowing.bind) == {"sum": "sum"}
    with_import = plan_asserts(
        "", ["assert math.isclose(area(1), 3.14159, rel_tol=0.01)"], imports=["import math"]
    )
    assert dict(with_import.bind) == {"area": "area"}


def test_a_judge_stuck_in_its_own_test_code_is_replaced(pool: SandboxPool) -> None:
    stuck = plan_asserts(ADD, ["assert add(1, 2) == 3", "while True:\n    pass"])
    result = pool.judge(stuck, limits=Limits(timeout=0.5))
    assert [(t.passed, t.error_type) for t in result.tests] == [(True, None), (False, "Timeout")]
    assert result.timed_out and result.duration < 3.0
    for _ in range(2 * pool.size):  # every sandbox judges correctly afterwards
        assert pool.judge(plan_asserts(ADD, ["assert add(2, 2) == 4"])).passed == 1
    assert_serves(pool)


def test_a_program_flooding_output_during_the_tests_is_stopped(pool: SandboxPool) -> None:
    code = "def f(x):\n    while True:\n        print('x' * 65536)\n"
    result = pool.judge(
        plan_asserts(code, ["assert f(1) == 1", "assert f(2) == 2"]), limits=Limits(output_kb=64)
    )
    assert result.output_limit_exceeded and not result.timed_out
    assert [t.error_type for t in result.tests] == ["OutputLimitExceeded", "OutputLimitExceeded"]
    assert len(result.stdout) <= 64 * 1024 and result.duration < 3.0
    assert_serves(pool)
