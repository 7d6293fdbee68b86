"""Jobs cannot create or join namespaces or mount anything.

Without a filter, a job could create a user namespace and hold every capability inside it: mount a tmpfs
past the ``/tmp`` cap, build its own network namespace, remount what it sees. Every job process (program,
candidate and judge) runs under a seccomp filter that refuses ``unshare``, ``setns``, the mount system
calls and ``clone`` with namespace flags, answers ``clone3`` with ENOSYS (the C library then uses
``clone``) and refuses the x32 ABI's numbers. Ordinary processes and threads still work.
"""

from __future__ import annotations

import platform
import shutil
import warnings
from collections.abc import Iterator

import pytest
from _sandbox_helpers import assert_serves

from rewardlab.errors import SandboxError
from rewardlab.sandbox import Limits, SandboxPool, plan_asserts

pytestmark = pytest.mark.skipif(
    platform.machine() not in ("x86_64", "aarch64"),
    reason="the seccomp filter is written for x86_64 and aarch64",
)

ATTEMPTS = r"""
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUSER, NEWNET, NEWPID, NEWIPC = 0x20000, 0x10000000, 0x40000000, 0x20000000, 0x08000000
nr = {"x86_64": {"clone": 56, "clone3": 435, "unshare": 272, "setns": 308},
      "aarch64": {"clone": 220, "clone3": 435, "unshare": 97, "setns": 268}}[os.uname().machine]

def errno_of(rc):
    return 0 if rc >= 0 else ctypes.get_errno()

out = {}
out["unshare_user"] = errno_of(libc.unshare(NEWUSER))
out["unshare_mount_net"] = errno_of(libc.unshare(NEWNS | NEWNET))
out["unshare_ipc_pid"] = errno_of(libc.unshare(NEWIPC | NEWPID))
out["mount_tmpfs"] = errno_of(libc.mount(b"none", b"/tmp", b"tmpfs", 0, b"size=4g"))
out["umount"] = errno_of(libc.umount2(b"/tmp", 2))
fd = os.open("/proc/self/ns/net", os.O_RDONLY)
out["setns"] = errno_of(libc.setns(fd, 0))
out["clone_newuser"] = errno_of(libc.syscall(nr["clone"], 17 | NEWUSER, 0, 0, 0, 0))
out["clone3"] = errno_of(libc.syscall(nr["clone3"], 0, 0))
if os.uname().machine == "x86_64":
    out["x32_unshare"] = errno_of(libc.syscall(0x40000000 | nr["unshare"], NEWUSER))
r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
out["unshare_command"] = r.returncode
pid = os.fork()
if pid == 0:
    os._exit(5)
out["fork"] = os.waitpid(pid, 0)[1] >> 8
import threading
box = []
t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join()
out["thread"] = box == [1]
print(out)
"""

EXPECTED = {
    "unshare_user": 1,
    "unshare_mount_net": 1,
    "unshare_ipc_pid": 1,
    "mount_tmpfs": 1,
    "umount": 1,
    "setns": 1,
    "clone_newuser": 1,
    "clone3": 38,
    "unshare_command": 1,
    "fork": 5,
    "thread": True,
}


def _modes() -> list[str]:
    modes = ["none"]
    if shutil.which("unshare"):
        modes.append("unshare")
    if shutil.which("bwrap"):
        modes.append("bwrap")
    return modes


@pytest.fixture(scope="module", params=_modes())
def any_pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "none" mode warns that it does not isolate
        with SandboxPool(size=1, limits=Limits(timeout=5.0), isolation=request.param) as p:
            try:
                p.start()
            except SandboxError as exc:
                if request.param == "none":
                    raise
                pytest.skip(f"{request.param} does not work here: {exc}")
            yield p


def test_a_program_cannot_create_namespaces_or_mount(any_pool: SandboxPool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = any_pool.run(ATTEMPTS)
        assert result.ok, result.stderr
        seen = eval(result.stdout)  # our own program's dict literal
        expected = dict(EXPECTED)
        if platform.machine() == "x86_64":
            expected["x32_unshare"] = 1
        assert seen == expected
        assert_serves(any_pool)


def test_test_code_in_the_judge_cannot_create_namespaces_either(any_pool: SandboxPool) -> None:
    tests = [
        "assert __import__('ctypes').CDLL(None, use_errno=True).unshare(0x10000000) == -1",
        "assert add(1, 2) == 3",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verdict = any_pool.judge(plan_asserts("def add(a, b):\n    return a + b\n", tests))
    assert [t.passed for t in verdict.tests] == [True, True], verdict.tests
