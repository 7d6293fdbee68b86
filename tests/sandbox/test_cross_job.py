"""One job must not change another job's reward: after each attack, honest samples on the same sandboxes
score exactly as they would on a fresh machine (a correct program 1.0, a wrong one 0.0).

Every attack runs through the same ``code`` reward, with one warm sandbox, as the honest samples after it:
the honest samples run on the very sandbox the attack ran on. Attacks come from both sides: the submitted program, and the test code itself (test suites
are often generated or scraped; a hostile one must not reach past its own job).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

import pytest

from rewardlab import Sample
from rewardlab.errors import SandboxError
from rewardlab.rewards.code import CodeTests
from rewardlab.sandbox import Limits, SandboxPool

SANDBOXES = 1  # one sandbox: every honest job after an attack runs where the attack ran

HONEST_TESTS = """
import math

def check(candidate):
    assert candidate([3, 1, 2]) == sorted([3, 1, 2])
    assert candidate([5, 4]) == [4, 5]
    assert math.isclose(candidate([0.5, 0.25])[0], 0.25)
    assert len(candidate(list(range(9, -1, -1)))) == 10 and candidate([2, 1])[0] == 1
"""
CORRECT = "def sort_list(xs):\n    return sorted(xs)\n"
WRONG = "def sort_list(xs):\n    return list(xs)\n"  # wrong on every test but the length half of the last
HONEST_REFERENCE = {"test": HONEST_TESTS, "entry_point": "sort_list"}
STDIO_REFERENCE = {"inputs": ["2 3\n", "10 -4\n"], "outputs": ["5", "6"]}
STDIO_CORRECT = "a, b = map(int, input().split())\nprint(a + b)\n"
STDIO_WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeTests]:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed: run `make sysdeps`")
    r = CodeTests(timeout=2.0, sandboxes=SANDBOXES, isolation="bwrap")
    yield r
    r.close()


@pytest.fixture(scope="module")
def pool(reward: CodeTests) -> SandboxPool:
    return reward._pool


def score(reward: CodeTests, code: str, reference: dict) -> float:
    result = reward.compute(Sample(prompt="", completion=f"```python\n{code}```", reference=reference))
    return result.score


def assert_honest(reward: CodeTests) -> None:
    """Honest correct samples score 1.0 and honest wrong ones 0.0 (twice: the first after the attack)."""
    for _ in range(2):
        assert score(reward, CORRECT, HONEST_REFERENCE) == 1.0
        assert score(reward, WRONG, HONEST_REFERENCE) == 0.0
        assert score(reward, STDIO_CORRECT, STDIO_REFERENCE) == 1.0
        assert score(reward, STDIO_WRONG, STDIO_REFERENCE) == 0.0


def judge_attack(reward: CodeTests, tests: str) -> None:
    """Score an honest wrong program under a hostile test suite (the suite runs in the judge). Whatever
    that job scores, or an error when the suite breaks its own judge, is the attacker's own business."""
    with contextlib.suppress(SandboxError, ValueError):
        score(reward, WRONG, {"test": tests, "entry_point": "sort_list"})


def test_honest_samples_score_as_expected_on_a_fresh_pool(reward: CodeTests) -> None:
    assert_honest(reward)


# -- the test code attacks its judge ----------------------------------------------------------------------
PATCH_HARNESS = """
import sys

def _all_pass(units, ns, report, budget):
    for i, unit in enumerate(units):
        if unit.get("counted", True):
            report(event="test", i=i, ok=True)

for module in list(sys.modules.values()):   # whatever the harness module is called in the judge
    if hasattr(module, "_run_units"):
        module._run_units = _all_pass

def check(candidate):
    assert candidate([1]) == [1]
"""

PATCH_BUILTINS_AND_MODULES = """
import builtins, math
builtins.sorted = lambda xs, **kw: list(xs)   # the honest tests compare against sorted()
math.isclose = lambda *a, **kw: True

def check(candidate):
    assert candidate([1]) == [1]
"""

LINGERING_DAEMON = """
import os, time, signal
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 6
        while time.time() < end:   # kill whatever runs in the sandbox next, for seconds
            for pid in range(2, 400):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.001)
    os._exit(0)

def check(candidate):
    assert candidate([1]) == [1]
"""

BREAK_THE_JUDGE = """
import builtins, json, sys, os
builtins.len = lambda xs: 10
json.loads = lambda *a, **kw: {}
builtins.AssertionError = type("AssertionError", (Exception,), {})
sys.setrecursionlimit(60)
sys.stdout = open(os.devnull, "w")
sys.modules["struct"] = None

def check(candidate):
    assert candidate([1]) == [1]
"""


@pytest.mark.parametrize(
    "tests",
    [PATCH_HARNESS, PATCH_BUILTINS_AND_MODULES, LINGERING_DAEMON, BREAK_THE_JUDGE],
    ids=["patch-harness", "patch-builtins-and-modules", "lingering-daemon", "break-the-judge"],
)
def test_a_hostile_test_suite_does_not_reach_later_jobs(reward: CodeTests, tests: str) -> None:
    judge_attack(reward, tests)  # whatever it scores, it is the attacker's own job
    assert_honest(reward)


# -- the program leaves things behind ---------------------------------------------------------------------
MAKE_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT = 0, 0o1000
shm = [libc.shmget(IPC_PRIVATE, 4 << 20, IPC_CREAT | 0o666) for _ in range(3)]
msg = [libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o666) for _ in range(2)]
sem = [libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o666) for _ in range(2)]
print(sum(x >= 0 for x in shm + msg + sem))
"""

COUNT_IPC = """
counts = []
for kind in ("shm", "msg", "sem"):
    with open(f"/proc/sysvipc/{kind}") as f:
        counts.append(len(f.read().splitlines()) - 1)
print(counts)
"""


def test_sysv_ipc_objects_do_not_outlive_their_job(reward: CodeTests, pool: SandboxPool) -> None:
    made = pool.run(MAKE_IPC)
    assert made.stdout.strip() == "7", made  # the attack really created its objects
    for _ in range(3):  # every later job, on whichever sandbox of the pool, sees none of them
        seen = pool.run(COUNT_IPC)
        assert seen.stdout.strip() == "[0, 0, 0]", seen
    assert_honest(reward)


MAKE_MQUEUE = """
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
print(rt.mq_open(b"/left-behind", os.O_CREAT | os.O_RDWR, 0o666, None) >= 0)
"""

OPEN_MQUEUE = """
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
print(rt.mq_open(b"/left-behind", os.O_RDWR, 0, None) >= 0)
"""


def test_posix_message_queues_do_not_outlive_their_job(reward: CodeTests, pool: SandboxPool) -> None:
    made = pool.run(MAKE_MQUEUE)
    assert made.stdout.strip() == "True", made
    for _ in range(3):
        seen = pool.run(OPEN_MQUEUE)
        assert seen.stdout.strip() == "False", seen
    assert_honest(reward)


DEEP_TREE = """
import os
for _ in range(5000):  # deeper than PATH_MAX allows in one path, and deeper than recursion limits
    os.mkdir("d")
    os.chdir("d")
print("built")
"""

MANY_LINKS = """
import os
open("f", "w").close()
for i in range(20000):
    os.link("f", f"l{i}")
print("built")
"""

UNREADABLE_TREE = """
import os
os.makedirs("a/b/c")
open("a/b/c/f", "w").close()
os.chmod("a/b/c", 0)
os.chmod("a/b", 0o100)
os.chmod("a", 0)
for place in ("/tmp", "/dev/shm"):  # where the job user may write
    try:
        os.makedirs(place + "/x/y")
        os.chmod(place + "/x", 0)
    except OSError:
        pass
print("built")
"""


@pytest.mark.parametrize(
    "attack", [DEEP_TREE, MANY_LINKS, UNREADABLE_TREE], ids=["deep-tree", "many-links", "unreadable-tree"]
)
def test_a_poisoned_tree_does_not_cost_the_next_honest_job(
    reward: CodeTests, pool: SandboxPool, attack: str
) -> None:
    made = pool.run(attack)
    assert made.stdout.strip() == "built", made
    for _ in range(3):
        honest = pool.run(LOOK_AROUND)
        assert honest.ok and honest.stdout == "[] [] []\n", honest
    assert_honest(reward)


LEFT_IN_TMP = """
import os
for place in ("/tmp", "/dev/shm", os.environ["HOME"], "."):  # wherever the job user may write
    try:
        with open(place + "/sort_list.py", "w") as f:
            f.write("def sort_list(xs):\\n    return sorted(xs)\\n")
        os.makedirs(place + "/site-packages", exist_ok=True)
    except OSError:
        pass
print("left")
"""

# What an honest job sees of the places every job may write to (its own working directory left out).
LOOK_AROUND = """
import os
here = os.getcwd()
print(sorted(os.listdir(".")), [p for p in os.listdir("/tmp") if "/tmp/" + p != here], os.listdir("/dev/shm"))
"""


def test_files_a_job_leaves_in_shared_places_are_gone(reward: CodeTests, pool: SandboxPool) -> None:
    assert pool.run(LEFT_IN_TMP).stdout.strip() == "left"
    for _ in range(3):
        seen = pool.run(LOOK_AROUND)
        assert seen.stdout == "[] [] []\n", seen
    assert_honest(reward)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare (util-linux) is not installed")
def test_ipc_objects_do_not_outlive_their_job_in_the_unshare_fallback() -> None:
    try:
        pool = SandboxPool(size=1, limits=Limits(timeout=3.0), isolation="unshare").start()
    except SandboxError as exc:
        pytest.skip(f"unshare does not work here: {exc}")
    with pool:
        assert pool.run(MAKE_IPC).stdout.strip() == "7"
        assert pool.run(MAKE_MQUEUE).stdout.strip() == "True"
        for _ in range(3):
            assert pool.run(COUNT_IPC).stdout.strip() == "[0, 0, 0]"
            assert pool.run(OPEN_MQUEUE).stdout.strip() == "False"
