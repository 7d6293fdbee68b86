"""A sandbox for model-written code: isolated processes, hard limits, a warm pool, tamper-proof judging.

    from rewardlab.sandbox import SandboxPool, Limits, plan_asserts

    with SandboxPool(size=2, limits=Limits(timeout=5)) as pool:
        run = pool.run("print(sum(map(int, input().split())))", stdin="1 2\\n")   # RunResult
        verdict = pool.judge(plan_asserts(code, ["assert add(1, 2) == 3"]))       # JudgeResult

What every job gets (with bubblewrap; see :mod:`.isolation` for the fallbacks and what they lose):

- its own processes, forked from a zygote that never runs submitted code, in a sandbox with no network
  (new network namespace), its own pid namespace, a read-only root that holds only ``/usr`` and the Python
  installation, and a private size-limited ``/tmp``;
- a fresh working directory, removed afterwards together with anything else the job wrote;
- an empty environment (``PATH``, ``HOME``, ``TMPDIR``, ``LANG`` only): no secret of the caller leaks in;
- an unprivileged user of its own when rewardlab runs as root, ``no_new_privs``, not dumpable;
- ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE`` (see :class:`Limits`);
- capped stdout/stderr, and at the wall-clock deadline ``SIGKILL`` for its process group and then for
  every process left in the sandbox.

Judging (:meth:`SandboxPool.judge`) runs the tests in a *judge* process and the submitted code in a
separate *candidate* process; only plain data crosses between them, and the judge reports each test on a
channel the candidate cannot reach, tagged with a nonce the candidate never sees. So a program that exits
early, overrides ``check``, patches builtins or ``assert`` machinery, returns an object whose ``__eq__`` is
always true, or prints fake "passed" lines does not pass a single test it would not pass honestly.

Differences from the anchors, and why:

- OpenAI human-eval's ``execution.py`` (and evalplus, which follows it) ``exec``s the program and its
  tests in one forked process, disables dangerous functions by monkeypatching ``os``/``shutil``/
  ``subprocess`` (undone by ``import posix`` or ``importlib.reload``), uses ``signal.alarm`` (main thread
  only), keeps the network and the caller's environment, kills only the direct child, and records
  "passed" after ``exec`` returns in a shared list (evalplus: a shared-memory array) that the tested code
  can reach. Here the boundary is the kernel's (namespaces, users, rlimits), and the verdict is computed
  where the tested code does not run.
- verl's ``prime_code`` (APPS ``testing_util``) likewise runs tests in a forked process with
  ``reliability_guard``, counts in a ``Manager`` list, and ``p.kill()``s only the child; verl's sandbox
  fusion sends every test case as an HTTP request to a separately deployed sandbox service. rewardlab
  needs no service: it is a library call with a warm local pool, and one request runs all tests of a sample.
- eval-protocol's local code reward prepends a Python-level guard to the program, runs it with
  ``subprocess`` and ``signal.alarm``, inherits the environment and network, and scores by exit status or
  stdout, which the program controls. Here stdout is only ever compared with expected output, never
  trusted as a verdict.
"""

from __future__ import annotations

from rewardlab.sandbox._wire import Opaque
from rewardlab.sandbox.isolation import MODES, SandboxWarning
from rewardlab.sandbox.limits import Limits
from rewardlab.sandbox.plans import JudgePlan, TestUnit, plan_asserts, plan_check_function
from rewardlab.sandbox.pool import SandboxPool
from rewardlab.sandbox.results import ExitInfo, JudgeResult, RunResult, SandboxError, TestOutcome

__all__ = [
    "MODES",
    "ExitInfo",
    "JudgePlan",
    "JudgeResult",
    "Limits",
    "Opaque",
    "RunResult",
    "SandboxError",
    "SandboxPool",
    "SandboxWarning",
    "TestOutcome",
    "TestUnit",
    "plan_asserts",
    "plan_check_function",
]
