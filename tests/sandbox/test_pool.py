"""The warm pool: programs run with their stdin/stdout, concurrency is limited, dead sandboxes are replaced,
and the pool pickles by configuration."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import pytest
from _sandbox_helpers import assert_serves, needs_bwrap

from rewardlab.sandbox import Limits, SandboxPool, plan_asserts

pytestmark = needs_bwrap


def test_a_program_gets_stdin_and_its_output_and_status_come_back(pool: SandboxPool) -> None:
    result = pool.run(
        "import sys\nname = input()\nprint('hi', name)\nprint('err', file=sys.stderr)\nsys.exit(3)",
        stdin="ada\n",
    )
    assert (result.stdout, result.stderr, result.exit.code) == ("hi ada\n", "err\n", 3)
    assert not result.ok and not result.timed_out and result.isolation == "bwrap"
    assert result.exit.cpu_seconds is not None and result.exit.max_rss_kb


def test_uncaught_exceptions_and_compile_errors_are_reported(pool: SandboxPool) -> None:
    raised = pool.run("def f():\n    raise KeyError('k')\nf()")
    assert raised.exit.code == 1 and raised.stderr.rstrip().endswith("KeyError: 'k'")
    assert 'File "solution.py", line 2, in f' in raised.stderr and "_roles" not in raised.stderr
    broken = pool.run("print(1\n")
    assert broken.compile_error and "SyntaxError" in broken.stderr and broken.stdout == ""
    assert not pool.run("raise SystemExit(113)").compile_error  # a program cannot fake one


def test_large_input_and_output_do_not_deadlock(pool: SandboxPool) -> None:
    data = "x" * 3_000_000
    result = pool.run("import sys\ndata = sys.stdin.read()\nsys.stdout.write(data[::-1])", stdin=data)
    assert result.ok and result.stdout_truncated and len(result.stdout) == 1024 * 1024


def test_a_program_that_never_reads_stdin_still_finishes(pool: SandboxPool) -> None:
    result = pool.run("print('done')", stdin="y" * 5_000_000)
    assert result.ok and result.stdout == "done\n"


def test_non_utf8_output_is_replaced_not_fatal(pool: SandboxPool) -> None:
    result = pool.run("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok')")
    assert result.ok and result.stdout.endswith(" ok")


def test_concurrency_is_limited_to_the_pool_size(pool: SandboxPool) -> None:
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def job() -> None:
        start = time.monotonic()
        result = pool.run("import time\ntime.sleep(0.4)")
        assert result.ok
        with lock:
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=job) for _ in range(4)]
    begin = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    took = time.monotonic() - begin
    assert len(spans) == 4
    assert took > 0.75  # 4 jobs of 0.4 s on 2 sandboxes: two rounds
    assert took < 3.0


def test_a_killed_sandbox_is_replaced_and_the_job_retried() -> None:
    with SandboxPool(size=1, isolation="bwrap") as fresh:
        assert fresh.run("print(1)").ok
        live = fresh._live
        assert live is not None
        (box,) = live.all
        os.kill(box.proc.pid, signal.SIGKILL)
        box.proc.wait(timeout=5)
        result = fresh.run("print(2)")
        assert result.ok and result.stdout == "2\n"
        assert fresh.stats["crashes"] == 1 and fresh.stats["replaced"] == 1
        assert box not in live.all


def test_sandboxes_are_recycled_after_a_number_of_jobs() -> None:
    with SandboxPool(size=1, isolation="bwrap", recycle_after=2) as fresh:
        for i in range(5):
            assert fresh.run(f"print({i})").stdout == f"{i}\n"
        assert fresh.stats["replaced"] >= 2


def test_the_pool_pickles_by_configuration(pool: SandboxPool) -> None:
    assert pool.run("print(1)").ok
    copy = pickle.loads(pickle.dumps(pool))
    assert copy._live is None and copy.size == pool.size and copy.limits == pool.limits
    try:
        assert copy.run("print(2)").stdout == "2\n"
        assert copy._live is not None and copy._live is not pool._live
    finally:
        copy.close()
    assert_serves(pool)


def test_judge_and_run_alternate_on_one_sandbox() -> None:
    with SandboxPool(size=1, isolation="bwrap") as fresh:
        plan = plan_asserts("def f(x):\n    return x\n", ["assert f(1) == 1"])
        for _ in range(3):
            assert fresh.judge(plan).passed == 1
            assert fresh.run("print(3)").stdout == "3\n"
            assert fresh.run("print(4)", limits=Limits(timeout=1.0, memory_mb=128)).stdout == "4\n"


def test_options_are_validated_with_their_names() -> None:
    with pytest.raises(ValueError, match="`size` of SandboxPool"):
        SandboxPool(size=0)
    with pytest.raises(ValueError, match="`isolation` of SandboxPool"):
        SandboxPool(isolation="docker")
    with pytest.raises(ValueError, match="`timeout` of sandbox limits"):
        Limits(timeout=-1)
    with pytest.raises(ValueError, match="`memory_mb` of sandbox limits must be an integer >= 32, got 1"):
        Limits(memory_mb=1)
    with pytest.raises(ValueError, match="unknown key"):
        SandboxPool(limits={"time": 3})
    assert Limits(timeout=2.5).cpu == 4 and Limits(timeout=1, cpu_seconds=7).cpu == 7
