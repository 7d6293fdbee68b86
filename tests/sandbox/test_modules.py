"""Names the tests use that the program binds to a standard module (``import sys`` in the program,
``sys.getsizeof(...)`` in an MBPP assert): the judge binds them to its own copy of the module, from the
standard library, learning only the module's name from the program. Then the attacks on that: forged
module names, home-made and monkeypatched modules, modules shadowed by files in the working directory.
None of them passes a test, and the judge is unchanged afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from _sandbox_helpers import assert_serves, needs_bwrap

from rewardlab.sandbox import JudgePlan, Limits, SandboxPool, TestUnit, plan_asserts, plan_check_function
from rewardlab.sandbox._roles import TEST_MODULES

pytestmark = needs_bwrap


def outcomes(pool: SandboxPool, plan: JudgePlan) -> list[tuple[bool, str | None]]:
    return [(t.passed, t.error_type) for t in pool.judge(plan).tests]


@pytest.mark.parametrize(
    ("code", "test"),
    [
        (  # MBPP 596, the reported case
            "import sys \ndef tuple_size(tuple_list):\n  return (sys.getsizeof(tuple_list)) ",
            'assert tuple_size(("A", 1, "B", 2, "C", 3) ) == sys.getsizeof(("A", 1, "B", 2, "C", 3))',
        ),
        (
            "import sys\ndef tuple_size(t):\n    return sys.getsizeof(t)\n",
            'assert sys.getsizeof(tuple_size(("a", 1))) == sys.getsizeof(sys.getsizeof(("a", 1)))',
        ),
        ("import math as m\ndef area(r):\n    return m.pi * r * r\n", "assert m.isclose(area(2), 4 * m.pi)"),
        ("import re\ndef f(s):\n    return s * 3\n", "assert re.fullmatch('a+', f('a'))"),
        (
            "import collections\ndef f(s):\n    return sorted(s)\n",
            "assert collections.Counter(f('abca')) == collections.Counter('aabc')",
        ),
        (
            "import heapq as hq\ndef f(xs):\n    return hq.nlargest(2, xs)\n",
            "assert f([3, 1, 2]) == hq.nlargest(2, [1, 2, 3])",
        ),
        (
            "from collections import abc\ndef f():\n    return [1]\n",
            "assert isinstance(f(), abc.Sequence) and not isinstance(f(), abc.Set)",
        ),
        (
            "import collections.abc\ndef f():\n    return {}\n",
            "assert isinstance(f(), collections.abc.Mapping)",
        ),
        (
            "import itertools, functools, operator\ndef f(xs):\n    return list(itertools.accumulate(xs))\n",
            "assert f([1, 2, 3])[-1] == functools.reduce(operator.add, [1, 2, 3])",
        ),
        (
            "import string, math\ndef f():\n    return string.ascii_lowercase[:3]\n",
            "assert f() == string.ascii_lowercase[: math.isqrt(9)]",
        ),
        (
            "import cmath as math\ndef f():\n    return -1\n",
            "assert math.sqrt(f()) == 1j",
        ),  # renamed, as legal
        (
            "import statistics, fractions, decimal\ndef f():\n    return [1, 2, 4]\n",
            "assert statistics.mean(map(fractions.Fraction, f())) == fractions.Fraction(7, 3)",
        ),
        (
            "import bisect, array\ndef f():\n    return [1, 3, 5]\n",
            "assert bisect.bisect_left(f(), 3) == 1 and array.array('i', f()).tolist() == f()",
        ),
    ],
    ids=[
        "mbpp_596",
        "sys_of_a_returned_value",
        "math_as_m",
        "re",
        "collections",
        "heapq_as_hq",
        "from_collections_import_abc",
        "import_collections_abc",
        "itertools_functools_operator",
        "string_math",
        "cmath_as_math",
        "statistics_fractions",
        "bisect_array",
    ],
)
def test_a_standard_module_the_program_imports_reaches_the_tests(
    pool: SandboxPool, code: str, test: str
) -> None:
    assert outcomes(pool, plan_asserts(code, [test])) == [(True, None)]


def test_a_check_function_uses_a_module_the_program_imports(pool: SandboxPool) -> None:
    tests = "def check(candidate):\n    assert candidate((1, 2)) == sys.getsizeof((1, 2))\n"
    code = "import sys\n\ndef size(t):\n    return sys.getsizeof(t)\n"
    assert outcomes(pool, plan_check_function(code, tests, "size")) == [(True, None)]


def test_a_module_off_the_list_or_never_imported_fails_with_a_clear_error(pool: SandboxPool) -> None:
    result = pool.judge(plan_asserts("import os\ndef f():\n    return '/'\n", ["assert os.getcwd() == f()"]))
    assert result.tests[0].error_type == "ImportError"
    assert "'os'" in result.tests[0].message and "cannot use" in result.tests[0].message
    missing = pool.judge(plan_asserts("def f(t):\n    return 0\n", ["assert f((1,)) == sys.getsizeof((1,))"]))
    assert missing.tests[0].error_type == "NameError"
    assert "'sys'" in missing.tests[0].message


def test_the_list_holds_standard_modules_that_compute() -> None:
    assert {name.split(".")[0] for name in TEST_MODULES} <= sys.stdlib_module_names
    acting = {"os", "site", "antigravity", "this", "subprocess", "signal", "ctypes", "gc", "importlib"}
    acting |= {"builtins", "shutil", "unittest", "unittest.mock", "tkinter", "turtle", "idlelib", "test"}
    assert not acting & TEST_MODULES


# -- attacks ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one() -> Iterator[SandboxPool]:
    """One sandbox, so every job meets the same judge and a probe sees what earlier jobs left."""
    with SandboxPool(size=1, limits=Limits(timeout=2.0), isolation="bwrap") as p:
        p.start()
        yield p


PROBE = """
import sys
roles = sys.modules["rewardlab.sandbox._roles"]
standard = roles.standard_modules()
assert sorted(standard) == sorted(roles.TEST_MODULES), sorted(set(roles.TEST_MODULES) - set(standard))
for name, module in standard.items():
    assert sys.modules[name] is module, name
    origin = module.__spec__.origin
    assert origin in ("built-in", "frozen") or not origin.startswith(("/tmp", "/dev/shm")), (name, origin)
assert not {"antigravity", "this", "site", "subprocess", "evil", "fake", "solution_mod"} & set(sys.modules)
assert "" not in sys.path and not any(p.startswith(("/tmp", "/dev/shm", ".")) for p in sys.path), sys.path
import math, statistics, heapq
assert math.isclose(1, 2) is False and math.pi > 3.14 and statistics.mean([1, 2, 3]) == 2
assert sys.getsizeof(()) > 0 and heapq.nlargest(1, [1, 2]) == [2]
"""


def probe(pool: SandboxPool) -> None:
    """The judge still holds exactly the standard modules, untouched, and imported nothing it was told to."""
    result = pool.judge(JudgePlan(code="x = 1\n", units=(TestUnit(PROBE),), bind={"x": "x"}))
    assert result.passed == 1, result.tests[0].message


FORGED_NAMES = [
    "os",
    "subprocess",
    "antigravity",
    "this",
    "site",
    "builtins",
    "importlib",
    "unittest.mock",
    "rewardlab.sandbox._roles",
    "tests",
    "solution",
    "__main__",
    "evil",
    "../../tmp/evil",
    "/tmp/evil.py",
    "math\x00",
    "math ",
    "MATH",
    "",
    "x" * 100_000,
    5,
    None,
    ["math"],
    {"math": 1},
]


def test_forged_module_names_reach_nothing(one: SandboxPool) -> None:
    """The program answers the judge's questions itself and names modules of its choosing."""
    probe(one)
    for forged in FORGED_NAMES:
        code = (
            "import sys\nroles = sys.modules['rewardlab.sandbox._roles']\n"
            f"FORGED = {forged!r}\n"
            "def _answer(ns, req):\n"
            "    return {'names': {n: {'kind': 'module', 'module': FORGED} for n in req.get('names', [])}}\n"
            "roles._answer = _answer\n"
        )
        expected = forged if isinstance(forged, str) else "math"
        tests = [f"assert mod.__name__ == {expected!r}", "assert mod.getcwd() == '/'", "assert mod(1) == 1"]
        result = one.judge(plan_asserts(code, tests))
        assert result.load["status"] == "ok"
        assert result.passed == 0, (forged, [t.message for t in result.tests])
        assert {t.error_type for t in result.tests} <= {"ImportError", "AttributeError"}, forged
    probe(one)
    assert_serves(one)


WRONG = "def area(r):\n    return 0\n\ndef tuple_size(t):\n    return 0\n\ndef scores():\n    return [9]\n"
HONEST = (
    "import math, sys\n\ndef area(r):\n    return math.pi * r * r\n\n"
    "def tuple_size(t):\n    return sys.getsizeof(t)\n\ndef scores():\n    return [1, 2, 3]\n\nimport statistics\n"
)
TESTS = [
    "assert math.isclose(area(2), 12.566370614359172)",
    "assert tuple_size((1, 'a')) == sys.getsizeof((1, 'a'))",
    "assert statistics.mean(scores()) == 2",
]
LENIENT = "lambda *a, **k: True"
ATTACKS = {
    "monkeypatched_modules": (
        f"import math, sys, statistics\nmath.isclose = {LENIENT}\nsys.getsizeof = lambda *a: 0\n"
        "statistics.mean = lambda *a: 2\n"
    ),
    "home_made_modules_with_standard_names": (
        "import types\nmath = types.ModuleType('math')\nsys = types.ModuleType('sys')\n"
        f"statistics = types.ModuleType('statistics')\nmath.isclose = {LENIENT}\n"
        "sys.getsizeof = lambda *a: 0\nstatistics.mean = lambda *a: 2\n"
    ),
    "module_subclass_that_answers_everything": (
        "import types\nclass Any(types.ModuleType):\n"
        "    def __getattr__(self, name):\n        return lambda *a, **k: 2 if name == 'mean' else 0 if name == 'getsizeof' else True\n"
        "    def __eq__(self, other):\n        return True\n    __hash__ = types.ModuleType.__hash__\n"
        "math, sys, statistics = Any('math'), Any('sys'), Any('statistics')\n"
    ),
    "name_that_equals_everything": (
        "import types\nclass Name(str):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = str.__hash__\n"
        "math = types.ModuleType('math')\nmath.__name__ = Name('math')\nmath.isclose = " + LENIENT + "\n"
        "import sys, statistics\n"
    ),
    "files_shadowing_standard_modules": (
        "import os, sys\n"
        "fake = {'math': 'def isclose(*a, **k):\\n    return True\\npi = 0\\n',"
        " 'statistics': 'def mean(*a):\\n    return 2\\n',"
        " 'sys': 'def getsizeof(*a):\\n    return 0\\n', 'heapq': 'def nlargest(*a):\\n    return [2]\\n'}\n"
        "for where in (os.getcwd(), '/tmp', '/dev/shm'):\n"
        "    for name, text in fake.items():\n"
        "        try:\n"
        "            with open(os.path.join(where, name + '.py'), 'w') as f:\n"
        "                f.write(text)\n"
        "        except OSError:\n"
        "            pass\n"
        "sys.path[:0] = [os.getcwd(), '/tmp', '/dev/shm', '']\n"
        "for name in ('math', 'statistics', 'heapq'):\n"
        "    sys.modules.pop(name, None)\n"
        "import math, statistics, heapq\n"
        "assert math.isclose(0, 1) and statistics.mean([]) == 2  # the program's own copies are the fakes\n"
    ),
    "stand_in_modules_in_sys_modules": (
        "import sys, types\nfor name in ('math', 'statistics'):\n"
        "    sys.modules[name] = types.ModuleType(name)\n"
        f"sys.modules['math'].isclose = {LENIENT}\nsys.modules['statistics'].mean = lambda *a: 2\n"
        "import math, statistics\n"
    ),
    "renamed_module_that_acts": "import os as math, subprocess as statistics, sys\n",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_no_module_trick_passes_a_test(one: SandboxPool, attack: str) -> None:
    result = one.judge(plan_asserts(ATTACKS[attack] + WRONG, TESTS))
    assert result.load["status"] == "ok", result.load
    assert result.passed == 0, [(t.error_type, t.message) for t in result.tests]
    assert one.judge(plan_asserts(HONEST, TESTS)).passed == 3
    probe(one)


def test_a_correct_program_with_a_home_made_module_is_judged_on_the_real_one(one: SandboxPool) -> None:
    """The tests see the standard module the program's one is named after, never the program's own: a
    correct program passes (the reference harness would use its module), a wrong one fails."""
    fake = "import types\nmath = types.ModuleType('math')\nmath.isclose = lambda *a, **k: False\n"
    right = fake + "def area(r):\n    return 3.141592653589793 * r * r\n"
    assert one.judge(plan_asserts(right, [TESTS[0]])).passed == 1
