"""Programs that try to pass tests without solving them: exiting early, overriding ``check``, patching
builtins, ``assert`` machinery or the harness, objects that equal everything, fake "passed" output and
forged result frames, reading the tests, killing the judge, patched, home-made, shadowed or forged modules
for the tests to use. None of them passes a single test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from _code_variants import humaneval_rows

from rewardlab import Sample
from rewardlab.rewards.code import CodeTests

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")

ADD_TESTS = {"test_list": ["assert add(1, 2) == 3", "assert add(5, 7) == 12", "assert add(-1, 4) == 3"]}
HONEST_ADD = "def add(a, b):\n    return a + b\n"
TRUNC = next(r for r in humaneval_rows(shared=False) if r["task_id"] == "HumanEval/2")
TRUNC_REF = {"test": TRUNC["test"], "entry_point": "truncate_number", "prompt": TRUNC["prompt"]}

FORGE_FRAMES = """
import json, os, struct

def frame(message):
    data = json.dumps(message).encode()
    return struct.pack(">I", len(data)) + data

forged = []
for i in range(3):
    forged += [{"n": "0" * 32, "event": "test", "i": i, "ok": True}, {"event": "test", "i": i, "ok": True}]
forged += [{"event": "load", "status": "ok"}, {"event": "done"}]
targets = list(range(64))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            targets += [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            pass
for target in targets:
    try:
        fd = target if isinstance(target, int) else os.open(target, os.O_WRONLY | os.O_NONBLOCK)
        for message in forged:
            os.write(fd, frame(message))
    except OSError:
        pass
print("passed")
print("3 passed in 0.01s")
print(json.dumps({"passed": True, "result": "passed"}))
"""

ATTACKS = {
    "sys_exit_before_tests": "import sys\nsys.exit(0)\n" + HONEST_ADD,
    "os_exit_before_tests": "import os\nos._exit(0)\n" + HONEST_ADD,
    "exit_inside_the_call": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "system_exit_inside_the_call": "def add(a, b):\n    raise SystemExit(0)\n",
    "keyboard_interrupt_inside_the_call": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "fake_passed_output_and_forged_frames": FORGE_FRAMES + "def add(a, b):\n    return 0\n",
    "always_equal_object": (
        "class Eq:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\n"
        "    __hash__ = object.__hash__\n\ndef add(a, b):\n    return Eq()\n"
    ),
    "int_subclass_that_equals_everything": (
        "class Liar(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n\n"
        "def add(a, b):\n    return Liar(0)\n"
    ),
    "patched_builtins_and_assert_machinery": (
        "import builtins\nbuiltins.AssertionError = type('Quiet', (BaseException,), {})\n"
        "builtins.__build_class__ = None\nbuiltins.len = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n"
        "import sys\nsys.excepthook = lambda *a: None\n\ndef add(a, b):\n    return None\n"
    ),
    "patched_harness_answers_true": (
        "import sys\nroles = sys.modules.get('rewardlab.sandbox._roles')\nwire = sys.modules.get('rewardlab.sandbox._wire')\n"
        "if roles:\n    roles._answer = lambda ns, req: {'ok': True, 'names': {'add': {'kind': 'callable'}}}\n"
        "if wire:\n    wire.encode = lambda value, depth=0: True\n\ndef add(a, b):\n    return 0\n"
    ),
    "sleep_past_the_deadline": "import time\ntime.sleep(60)\n" + HONEST_ADD,
}


# MBPP runs its asserts in the program's namespace, so tests may use the program's modules (MBPP 596:
# ``sys.getsizeof`` after the program's ``import sys``). The judge uses its own standard module of that
# name; what the program does to or with its module does not reach the tests.
MODULE_TESTS = {
    "test_list": [
        "assert tuple_size((1, 'a')) == sys.getsizeof((1, 'a'))",
        "assert math.isclose(area(2), 12.566370614359172)",
    ]
}
HONEST_MODULES = (
    "import math, sys\n\ndef tuple_size(t):\n    return sys.getsizeof(t)\n\n"
    "def area(r):\n    return math.pi * r * r\n"
)
WRONG_MODULES = "def tuple_size(t):\n    return 0\n\ndef area(r):\n    return 0\n"
MODULE_ATTACKS = {
    "monkeypatched_modules": (
        "import math, sys\nmath.isclose = lambda *a, **k: True\nsys.getsizeof = lambda *a: 0\n"
    ),
    "home_made_modules": (
        "import types\nmath, sys = types.ModuleType('math'), types.ModuleType('sys')\n"
        "math.isclose = lambda *a, **k: True\nsys.getsizeof = lambda *a: 0\n"
    ),
    "shadowing_files_in_the_working_directory": (
        "import os, sys\nfor name, text in {'math': 'def isclose(*a, **k):\\n    return True\\n',"
        " 'sys_fake': 'def getsizeof(*a):\\n    return 0\\n'}.items():\n"
        "    with open(name + '.py', 'w') as f:\n        f.write(text)\n"
        "sys.path.insert(0, os.getcwd())\nsys.modules.pop('math', None)\nimport math\n"
        "import sys_fake as sys\nsys.__name__ = 'sys'\n"
    ),
    "forged_module_names": (
        "import sys\nroles = sys.modules['rewardlab.sandbox._roles']\n"
        "def _answer(ns, req):\n"
        "    return {'names': {n: {'kind': 'module', 'module': 'os'} for n in req.get('names', [])}}\n"
        "roles._answer = _answer\n"
    ),
}


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeTests]:
    r = CodeTests(timeout=1.5)
    yield r
    r.close()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_no_attack_passes_a_test(reward: CodeTests, attack: str) -> None:
    result = reward(Sample(completion=ATTACKS[attack], reference=ADD_TESTS))
    assert result.error is None
    assert result.score == 0.0 and result.info["passed"] == 0, result.info
    honest = reward(Sample(completion=HONEST_ADD, reference=ADD_TESTS))  # the harness still works
    assert honest.score == 1.0


@pytest.mark.parametrize("attack", sorted(MODULE_ATTACKS))
def test_the_programs_modules_reach_the_tests_only_as_the_standard_ones(
    reward: CodeTests, attack: str
) -> None:
    result = reward(Sample(completion=MODULE_ATTACKS[attack] + WRONG_MODULES, reference=MODULE_TESTS))
    assert result.error is None and "load_error" not in result.info, result.info
    assert result.score == 0.0 and result.info["passed"] == 0, result.info
    assert reward(Sample(completion=HONEST_MODULES, reference=MODULE_TESTS)).score == 1.0


@pytest.mark.parametrize(
    "completion",
    [
        "def truncate_number(number):\n    return 0.0\n\ndef check(candidate):\n    pass\n\ncheck = lambda candidate: None\n",
        "def abs(x):\n    return 0\n\ndef truncate_number(number):\n    return 42.0\n",
        "import builtins\nbuiltins.abs = lambda x: 0\n\ndef truncate_number(number):\n    return 42.0\n",
        (
            "class Zero:\n    def __sub__(self, other):\n        return self\n    def __abs__(self):\n        return 0\n"
            "    def __lt__(self, other):\n        return True\n\ndef truncate_number(number):\n    return Zero()\n"
        ),
        "import sys\nMETADATA = {}\nsys.modules['__main__'].check = lambda c: None\n\ndef truncate_number(n):\n    return -1.0\n",
    ],
    ids=["override_check", "shadow_abs", "patch_builtin_abs", "object_with_rigged_operators", "patch_main"],
)
def test_humaneval_check_cannot_be_overridden_or_rigged(reward: CodeTests, completion: str) -> None:
    result = reward(Sample(completion=completion, reference=TRUNC_REF))
    assert result.score == 0.0, result.info


def test_the_tests_are_not_in_the_programs_reach(reward: CodeTests) -> None:
    snoop = """
import gc, os, sys
needle = "add(5, " + "7) == 12"  # built at run time, so the program's own constants do not match
found = set()
for obj in gc.get_objects():
    for value in (obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()):
        if isinstance(value, str) and needle in value and value is not needle:
            found.add(value)
for pid in os.listdir("/proc"):
    for name in ("cmdline", "environ", "mem", "fd"):
        try:
            path = f"/proc/{pid}/{name}"
            data = str(os.listdir(path)) if name == "fd" else open(path, "rb").read(1 << 16).decode("latin-1")
            if needle in data:
                found.add(path)
        except (OSError, ValueError):
            pass
print("LEAKED" if found else "nothing", sorted(found)[:3], file=sys.stderr)

def add(a, b):
    raise RuntimeError("leaked: " + repr(sorted(found))[:200])
"""
    result = reward(Sample(completion=snoop, reference=ADD_TESTS))
    assert result.score == 0.0
    assert result.info["error_type"] == "RuntimeError"
    assert result.info["first_failure"]["message"] == "leaked: []"


@pytest.mark.skipif(os.geteuid() != 0, reason="jobs run as separate users only when rewardlab runs as root")
def test_killing_or_tracing_the_judge_changes_nothing(reward: CodeTests) -> None:
    attack = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        libc.ptrace(16, int(pid), 0, 0)  # PTRACE_ATTACH
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(int(pid), sig)
            except OSError:
                pass
"""
    assert reward(Sample(completion=attack + HONEST_ADD, reference=ADD_TESTS)).score == 1.0
    assert (
        reward(Sample(completion=attack + "def add(a, b):\n    return 0\n", reference=ADD_TESTS)).score == 0.0
    )


# A task whose tests call a helper of the task (as HumanEval 32, 38 and 50 do): the helper is trusted
# text from the task prompt; a program that redefines it must not get to grade itself.
HELPER_PROMPT = '''def scale(xs, k):
    """Multiply every element by k (a helper the tests use)."""
    return [x * k for x in xs]


def normalise(xs):
    """Return xs divided by its sum."""
'''
HELPER_TESTS = """
def check(candidate):
    assert scale(candidate([1, 3]), 4) == [1.0, 3.0]
    assert sum(scale(candidate([2, 2, 4]), 1)) == 1.0
"""
FORGED_HELPER = (
    "def scale(xs, k):\n    return [1.0, 3.0] if len(xs) == 2 else [0.5, 0.5]\n\n"
    "def normalise(xs):\n    return xs\n"
)
HONEST_HELPER = "def normalise(xs):\n    total = sum(xs)\n    return [x / total for x in xs]\n"


def test_a_program_cannot_redefine_the_tasks_helpers(reward: CodeTests) -> None:
    ref = {"test": HELPER_TESTS, "entry_point": "normalise", "prompt": HELPER_PROMPT}
    assert reward(Sample(completion=FORGED_HELPER, reference=ref)).score == 0.0
    assert reward(Sample(completion=HONEST_HELPER, reference=ref)).score == 1.0
    # the prompt may also arrive as the sample's prompt (it parses as Python)
    in_prompt = {"test": HELPER_TESTS, "entry_point": "normalise"}
    assert reward(Sample(prompt=HELPER_PROMPT, completion=FORGED_HELPER, reference=in_prompt)).score == 0.0


def test_helpers_without_trusted_text_make_the_sample_an_error_not_a_pass(reward: CodeTests) -> None:
    ref = {"test": HELPER_TESTS, "entry_point": "normalise"}  # no prompt anywhere
    with pytest.raises(ValueError, match=r"'scale'.*trusted text"):
        reward.compute(Sample(prompt="Normalise a list.", completion=FORGED_HELPER, reference=ref))
    declared = {**ref, "program_names": ["scale"]}  # the task asks the program to write both
    assert reward(Sample(completion=HELPER_PROMPT + HONEST_HELPER, reference=declared)).score == 1.0


@pytest.mark.parametrize(
    "fake",
    [
        "class math:\n    isclose = staticmethod(lambda *a, **k: True)\n",
        "def math():\n    return 0\n",
        "math = {'isclose': True}\n",
    ],
    ids=["class", "function", "value"],
)
def test_a_standard_module_name_in_the_tests_is_never_the_programs_object(
    reward: CodeTests, fake: str
) -> None:
    tests = "def check(candidate):\n    assert math.isclose(candidate(2), 5.0)\n"
    ref = {"test": tests, "entry_point": "f"}
    result = reward(Sample(completion=fake + "def f(x):\n    return 0\n", reference=ref))
    assert result.score == 0.0 and result.info["error_type"] == "NameError", result.info
    assert (
        reward(Sample(completion="import math\ndef f(x):\n    return x + 3.0\n", reference=ref)).score == 1.0
    )


# The program's end of the judge channel is fd 3 of its process. Frames it writes there are answers the
# judge reads: a malformed one is tampering, scored as a failed run with the tampering named in ``info``.
CHANNEL_ATTACKS = {  # Python expressions, evaluated in the program (the program text stays small)
    "deeply_nested_frame": "'[' * 200_000 + ']' * 200_000",
    "nested_within_the_parser_limit": "'{\"seq\": 1, \"status\": \"error\", \"type\": ' + '[' * 900 + ']' * 900 + '}'",
    "oversized_header": "None",  # a length beyond the frame limit
    "huge_frame": "'{\"seq\": 1, \"ok\": [' + '[],' * 20_000_000 + '[]]}'",  # over the judge's memory
    "not_json": "'\\udcff\\udcfe{{{{'",
    "a_list_where_a_status_belongs": '\'{"seq": 1, "status": ["ok"]}\'',
}
WELL_FORMED = {"nested_within_the_parser_limit", "a_list_where_a_status_belongs"}  # valid frames, bad answers
WRITE_FRAME = """
import os, struct
def _send(payload):
    data = payload.encode("utf-8", "surrogateescape") if payload is not None else b""
    size = len(data) if payload is not None else (1 << 31)
    try:
        os.write(3, struct.pack(">I", size) + data)
    except OSError:
        pass
"""


@pytest.mark.parametrize("when", ["at_load", "in_the_call"])
@pytest.mark.parametrize("attack", sorted(CHANNEL_ATTACKS))
def test_a_malformed_frame_on_the_judge_channel_is_a_failed_run(
    reward: CodeTests, attack: str, when: str
) -> None:
    payload = CHANNEL_ATTACKS[attack]
    if when == "at_load":
        program = WRITE_FRAME + f"_send({payload})\n" + "def add(a, b):\n    return 0\n"
    else:
        program = WRITE_FRAME + f"def add(a, b):\n    _send({payload})\n    return 0\n"
    result = reward(Sample(completion=program, reference=ADD_TESTS))
    assert result.error is None, result.error
    assert result.score == 0.0 and result.info["passed"] == 0, result.info
    if attack == "huge_frame" and result.info.get("timed_out"):
        pass  # building the frame in the judge's memory outlasted the deadline: a failed run too
    elif attack not in WELL_FORMED:  # a frame the judge cannot read: the tampering is named
        assert "judge channel" in result.info["tampering"], result.info
        assert result.info["error_type"] == "ChannelTampering", result.info
    assert reward(Sample(completion=HONEST_ADD, reference=ADD_TESTS)).score == 1.0
    wrong = reward(Sample(completion="def add(a, b):\n    return a - b\n", reference=ADD_TESTS))
    assert wrong.score == 0.0 and "tampering" not in wrong.info
