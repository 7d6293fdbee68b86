"""Confining a freshly forked process before any job code runs in it.

Standard library only; shipped into the sandbox as source (see :mod:`._inside`). ``_become`` turns a fork
of the zygote into a job process: its own session and process group, exactly the descriptors the job
needs, resource limits, another user (when the zygote runs as root), ``no_new_privs``, a seccomp filter
that refuses new namespaces and mounts, a parent-death signal, an empty environment, fresh standard
streams. When the job user cannot traverse to the Python installation (a pyenv under ``/root``), imports
go through a descriptor the zygote opened for it.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import platform
import resource
import signal
import struct
import sys
from pathlib import Path

from rewardlab.sandbox._roles import PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, _prctl

ALIAS_FD = 9  # first descriptor that aliases a Python directory the job user cannot traverse to

# -- seccomp: no new namespaces, no mounts ---------------------------------------------------------------
# A job process may not create namespaces (a user namespace gives it every capability inside it: it could
# mount a tmpfs past the /tmp cap, or build network namespaces), join one, or mount anything. Written as
# a classic BPF program by hand because the zygote runs with the standard library only (no libseccomp
# binding). ``clone3`` passes its flags in memory a filter cannot read, so it answers ENOSYS and the C
# library falls back to ``clone``, whose flags the filter checks (as Docker's and systemd's filters do).
_CLONE_NS_FLAGS = 0x7E020080  # NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_SYSCALLS = {  # machine -> (audit arch, clone, clone3, [refused: unshare, setns, mount, umount2, ...])
    "x86_64": (0xC000003E, 56, 435, [272, 308, 165, 166, 155, 428, 429, 430, 431, 432, 433, 442]),
    "aarch64": (0xC00000B7, 220, 435, [97, 268, 40, 39, 41, 428, 429, 430, 431, 432, 433, 442]),
}
_EPERM, _ENOSYS = 1, 38
_RET_ALLOW, _RET_ERRNO, _RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def seccomp_program() -> bytes | None:
    """The filter as ``struct sock_filter`` records for this machine, or None where there is none."""
    table = _SYSCALLS.get(platform.machine())
    if table is None:
        return None
    arch, clone, clone3, refused = table
    deny, nosys, kill = "deny", "nosys", "kill"
    code: list[tuple[int | str, int | str, int | str, int]] = [  # (op or label, jump if true/false, k)
        (_LD_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ, 0, kill, arch),
        (_LD_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JGE, deny, 0, 0x40000000),  # the x32 ABI's numbers
        (_JEQ, nosys, 0, clone3),
        *[(_JEQ, deny, 0, nr) for nr in refused],
        (_JEQ, "flags", 0, clone),
        (_RET, 0, 0, _RET_ALLOW),
        ("flags", 0, 0, 0),
        (_LD_ABS, 0, 0, 16),  # the low 32 bits of args[0] (little endian)
        (_JSET, deny, 0, _CLONE_NS_FLAGS),
        (_RET, 0, 0, _RET_ALLOW),
        (deny, 0, 0, 0),
        (_RET, 0, 0, _RET_ERRNO | _EPERM),
        (nosys, 0, 0, 0),
        (_RET, 0, 0, _RET_ERRNO | _ENOSYS),
        (kill, 0, 0, 0),
        (_RET, 0, 0, _RET_KILL),
    ]
    labels: dict[int | str, int] = {}
    body: list[tuple[int, int | str, int | str, int]] = []
    for op, jt, jf, k in code:
        if isinstance(op, str):
            labels[op] = len(body)
        else:
            body.append((op, jt, jf, k))

    def offset(target: int | str, at: int) -> int:
        return 0 if target == 0 else labels[target] - at - 1

    return b"".join(
        struct.pack("HBBI", op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(body)
    )


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program: bytes) -> None:
    """Load the filter into this process (after ``no_new_privs``); raises ``OSError`` when it fails."""
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot load the seccomp filter: {os.strerror(err)}")


def _hidden_roots() -> list[str]:
    """Python's installation directories whose path another user cannot traverse (``/root`` is 0700)."""
    hidden = []
    for root in sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}):
        parts = [root, *(str(p) for p in Path(root).parents)]
        if any(not os.stat(p).st_mode & 0o001 for p in parts):
            hidden.append(root)
    return hidden


def _alias_paths(roots: list[str]) -> None:
    """Import the standard library through ``/proc/self/fd/N``: a descriptor the zygote opened as root.

    The path of a hidden root is replaced everywhere the import system looks (``sys.path`` and the
    ``__path__`` of packages already imported), so a job user can import modules the zygote did not preload.
    """

    def alias(path: str) -> str:
        for i, root in enumerate(roots):
            if path == root or path.startswith(root + "/"):
                return f"/proc/self/fd/{ALIAS_FD + i}{path[len(root) :]}"
        return path

    sys.path[:] = [alias(p) for p in sys.path]
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            paths[:] = [alias(p) for p in paths]
    sys.path_importer_cache.clear()


def _become(
    fdmap: dict[int, int],
    rlimits: dict[str, int],
    uid: int | None,
    workdir: str,
    dumpable: bool,
    hidden: list[str],
    seccomp: bytes | None = None,
) -> None:
    """Turn a fresh fork of the zygote into a confined process (runs before any job code)."""
    os.setsid()  # its own session and process group: the whole group is killed at the deadline
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    if uid is not None:
        fdmap = {
            **fdmap,
            **{ALIAS_FD + i: os.open(r, os.O_RDONLY | os.O_DIRECTORY) for i, r in enumerate(hidden)},
        }
    high = {target: fcntl.fcntl(src, fcntl.F_DUPFD, 200) for target, src in fdmap.items()}
    for target, fd in high.items():
        os.dup2(fd, target)
    keep = sorted(fdmap)
    for low, high_end in zip([-1, *keep], [*keep, 1 << 20], strict=True):
        if low + 1 < high_end:  # closerange(n, n) would close everything (Python passes high - 1 unsigned)
            os.closerange(low + 1, high_end)
    for name, value in rlimits.items():
        res = getattr(resource, name)
        _, hard = resource.getrlimit(res)
        v = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(res, (v, v))
    os.chdir(workdir)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if hidden:
            _alias_paths(hidden)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    if seccomp is not None:
        install_seccomp(seccomp)  # fails closed: a process that cannot be filtered never runs a job
    if not dumpable:
        _prctl(PR_SET_DUMPABLE, 0)  # nobody else in the sandbox may ptrace it or open its /proc files
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
    home = workdir if workdir != "/" else "/tmp"
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8"})
    sys.argv = ["solution.py"]
    streams = {
        "stdin": open(0, encoding="utf-8", closefd=False),  # noqa: SIM115 - they live as long as the process
        "stdout": open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False),  # noqa: SIM115
        "stderr": open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False),  # noqa: SIM115
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
