"""Fallbacks when bubblewrap is missing: ``unshare`` (warned), then no isolation (warned loudly), and what
each still guarantees."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from _sandbox_helpers import needs_root

from rewardlab.sandbox import SandboxPool, SandboxWarning, plan_asserts

PROBE = """
import os, socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    print("network: yes")
except OSError:
    print("network: no")
print("env:", sorted(os.environ))
print("pids:", len([p for p in os.listdir("/proc") if p.isdigit()]))
print("uid:", os.getuid())
import encodings.idna, json  # a module the zygote did not preload, and one it did
print("imports: ok")
"""


def without(*tools: str) -> Callable[[str], str | None]:
    real = shutil.which

    def which(name: str, *args: object, **kwargs: object) -> str | None:
        return None if name in tools else real(name)

    return which


@needs_root
def test_auto_falls_back_to_unshare_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    monkeypatch.setattr(shutil, "which", without("bwrap"))
    with SandboxPool() as pool, pytest.warns(SandboxWarning, match="falls back to `unshare`"):
        result = pool.run(PROBE)
        assert pool.mode == "unshare"
    assert result.ok, result.stderr
    assert "network: no" in result.stdout
    assert "env: ['HOME', 'LANG', 'PATH', 'TMPDIR']" in result.stdout
    pids = int(result.stdout.split("pids: ")[1].split()[0])
    assert pids <= 3  # its own pid namespace: the zygote, the program, a pre-forked job at most
    assert "imports: ok" in result.stdout


@needs_root
def test_unshare_keeps_tmp_private_and_processes_contained() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    with SandboxPool(isolation="unshare") as pool:
        wrote = pool.run("open('/tmp/rewardlab-unshare-probe', 'w')")
        assert "PermissionError" in wrote.stderr
        assert not Path("/tmp/rewardlab-unshare-probe").exists()
        bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
        assert pool.run(bomb, limits={"timeout": 0.5}).timed_out
        verdict = pool.judge(
            plan_asserts("def f(x):\n    return x * 2\n", ["assert f(2) == 4", "assert f(3) == 5"])
        )
        assert [t.passed for t in verdict.tests] == [True, False]


def test_no_isolation_warns_loudly_but_keeps_limits_and_an_empty_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REWARDLAB_TEST_SECRET", "hunter2")
    monkeypatch.setattr(shutil, "which", without("bwrap", "unshare"))
    with SandboxPool() as pool, pytest.warns(SandboxWarning, match="NO SANDBOX ISOLATION"):
        result = pool.run(PROBE + f"\nopen({str(tmp_path / 'x')!r}, 'w')")
        assert pool.mode == "none"
        assert "hunter2" not in result.stdout
        assert "env: ['HOME', 'LANG', 'PATH', 'TMPDIR']" in result.stdout
        assert "imports: ok" in result.stdout
        timed = pool.run("while True:\n    pass", limits={"timeout": 0.5})
        assert timed.timed_out
        assert pool.run("import os\nprint(os.getcwd())").stdout.startswith(str(Path("/tmp")))
    if os.geteuid() == 0:  # jobs run as another user: it cannot write our files
        assert "uid: 0" not in result.stdout and "PermissionError" in result.stderr


def test_explicit_none_also_warns() -> None:
    with SandboxPool(isolation="none") as pool, pytest.warns(SandboxWarning, match="NO SANDBOX ISOLATION"):
        assert pool.run("print(6 * 7)").stdout == "42\n"
