"""How a sandbox is isolated from the machine: bubblewrap, ``unshare``, or nothing (degraded).

``bwrap`` (preferred): new network, pid, ipc and uts namespaces; a root filesystem that holds only
``/usr``, the Python installation (read-only) and a private size-limited ``/tmp``; no environment
variables; ``--die-with-parent``. The zygote is pid 1 of the namespace, so nothing inside can signal it,
and when it exits the kernel kills every process in the namespace.

``unshare`` (fallback, root only): new network, pid, mount, ipc and uts namespaces and private tmpfs
mounts on the world-writable directories, but the rest of the host filesystem stays visible: the program
can *read* every world-readable file (datasets with answers, source code). Chosen with a loud warning.

``none`` (degraded): no namespaces at all. The program keeps its resource limits, temporary directory,
empty environment and process-group kill, and runs as an unprivileged user when rewardlab runs as root;
otherwise it runs as you, with network access and your file permissions. Chosen with a loud warning.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("bwrap", "unshare", "none")
ISOLATION_CHOICES = ("auto", *MODES)
_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Capabilities the zygote keeps as root inside bubblewrap: run jobs as other users, kill them, remove
# their files. Every job process drops all of them when it changes user.
_ZYGOTE_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
_WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
CTL_FD = "{ctl_fd}"  # replaced by the control socket's descriptor number when the sandbox starts


class SandboxWarning(RuntimeWarning):
    """The sandbox runs with weaker isolation than bubblewrap gives (shown by default)."""


def warn(message: str) -> None:
    warnings.warn(message, SandboxWarning, stacklevel=3)
    print(f"rewardlab: WARNING: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one zygote."""

    mode: str
    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    owned_dir: str | None = None  # a host directory the sandbox owns (removed when it stops)
    die_with_parent: bool = False  # set PR_SET_PDEATHSIG on the launched process
    extra: dict[str, object] = field(default_factory=dict)


def _bootstrap_source() -> str:
    here = Path(__file__).resolve().parent
    sources = {
        f"rewardlab.sandbox.{name}": (here / f"{name}.py").read_text(encoding="utf-8")
        for name in ("_wire", "_roles", "_confine", "_inside")
    }
    return (
        "import sys, types\n"
        "for _name in ('rewardlab', 'rewardlab.sandbox'):\n"
        "    _pkg = types.ModuleType(_name); _pkg.__path__ = []; sys.modules[_name] = _pkg\n"
        f"for _name, _src in {sources!r}.items():\n"
        "    _mod = types.ModuleType(_name); sys.modules[_name] = _mod\n"
        "    exec(compile(_src, _name.rpartition('.')[2] + '.py', 'exec'), _mod.__dict__)\n"
        "del _name, _src, _mod, _pkg\n"
        "sys.modules['rewardlab.sandbox._inside'].main()\n"
    )


def python_command(python: str | None, site_packages: bool) -> tuple[list[str], list[str]]:
    """(interpreter argv, host paths it needs) for the zygote's Python."""
    if python is None:
        exe = sys.executable if site_packages else os.path.realpath(sys.executable)
        needs = {sys.base_prefix, sys.prefix} if site_packages else {sys.base_prefix}
    else:
        exe = python if site_packages else os.path.realpath(python)
        needs = {str(Path(os.path.realpath(python)).parent.parent), str(Path(python).parent.parent)}
    flags = ["-I", "-B", "-X", "utf8"] if site_packages else ["-I", "-S", "-B", "-X", "utf8"]
    return [exe, *flags], sorted(needs)


def _bwrap_binds(paths: list[str]) -> list[str]:
    args: list[str] = []
    made: set[str] = set()
    for path in sorted({os.path.realpath(p) for p in paths}):
        if path == "/usr" or path.startswith("/usr/") or not os.path.isdir(path):
            continue
        parents = list(reversed(Path(path).parents))[1:]  # skip "/"
        for parent in parents:
            if str(parent) not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", path, path]
        made.add(path)
    return args


def bwrap_launch(python: list[str], needs: list[str], tmpfs_mb: int, uid: int) -> Launch:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap (bubblewrap) is not installed")
    args = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--die-with-parent", "--new-session", "--as-pid-1", "--ro-bind", "/usr", "/usr"]
    for link in _USR_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    args += ["--perms", "0755", "--dir", "/etc", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # /dev/mqueue shows this IPC namespace's POSIX message queues, so the zygote can wipe them between jobs
    args += ["--proc", "/proc", "--dev", "/dev", "--mqueue", "/dev/mqueue"]
    args += ["--perms", "0755", "--size", str(tmpfs_mb << 20), "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--size", str(1 << 20), "--tmpfs", "/dev/shm"]
    args += _bwrap_binds(needs)
    args += ["--chdir", "/", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
        for cap in _ZYGOTE_CAPS:
            args += ["--cap-add", cap]
    config = {"scratch": "/tmp", "wipe": ["/tmp", "/dev/shm", "/dev/mqueue"], "uid": uid, "own_ipc": True}
    argv = [*args, "--", *python, "-c", _bootstrap_source(), CTL_FD, json.dumps(config)]
    return Launch("bwrap", argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


_MQUEUE_DIR = "/tmp/.mqueue"


def unshare_launch(python: list[str], tmpfs_mb: int, uid: int) -> Launch:
    unshare = shutil.which("unshare")
    if unshare is None:
        raise FileNotFoundError("unshare (util-linux) is not installed")
    args = [unshare]
    if os.geteuid() != 0:
        args += ["--user", "--map-root-user"]
    args += ["--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts"]
    args += ["--propagation", "private"]
    mounts = " ".join(d for d in _WORLD_WRITABLE if os.path.isdir(d))
    # The new IPC namespace's POSIX message queues are listed (and removed between jobs) through an
    # mqueue file system mounted in the private /tmp, as bubblewrap's --mqueue does at /dev/mqueue.
    script = (
        f'for d in {mounts}; do mount -t tmpfs -o size={tmpfs_mb}m,mode=0755 tmpfs "$d" || exit 97; done; '
        f"mkdir -p {_MQUEUE_DIR} && mount -t mqueue mqueue {_MQUEUE_DIR} || true; "
        'exec "$@"'
    )
    config = {
        "scratch": "/tmp",
        "wipe": [d for d in _WORLD_WRITABLE if os.path.isdir(d)],
        "mounts": [_MQUEUE_DIR],  # emptied between jobs, never removed
        "uid": uid,
        "own_ipc": True,  # `unshare --ipc`
    }
    argv = [*args, "--", "/bin/sh", "-c", script, "sh", *python, "-c", _bootstrap_source()]
    argv += [CTL_FD, json.dumps(config)]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    return Launch("unshare", argv, env=env, cwd="/", die_with_parent=True)


def none_launch(python: list[str], uid: int) -> Launch:
    scratch = tempfile.mkdtemp(prefix="rewardlab-sandbox-")
    os.chmod(scratch, 0o711)  # jobs may enter their own directory, not list the others
    config = {"scratch": scratch, "wipe": [], "uid": uid}
    argv = [*python, "-c", _bootstrap_source(), CTL_FD, json.dumps(config)]
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return Launch("none", argv, env=env, cwd=scratch, owned_dir=scratch, die_with_parent=True)


FALLBACK_WARNINGS = {
    "unshare": (
        "bubblewrap (bwrap) is not usable here ({reason}); the code sandbox falls back to `unshare`: "
        "no network and a private pid namespace and /tmp, but submitted programs can READ every "
        "world-readable file on this machine (datasets, answers, source code). Install bubblewrap "
        "(`make sysdeps`, or `apt-get install bubblewrap`)."
    ),
    "none": (
        "NO SANDBOX ISOLATION: neither bubblewrap nor unshare works here ({reason}). Submitted programs "
        "run with resource limits, an empty environment and a temporary directory only: they have network "
        "access and can read (and, unless rewardlab runs as root, write) whatever this user can. Install "
        "bubblewrap (`make sysdeps`, or `apt-get install bubblewrap`)."
    ),
}
