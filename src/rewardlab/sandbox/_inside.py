"""The zygote: a fork server that runs inside the sandbox.

Standard library only. rewardlab ships this file, :mod:`._roles` and :mod:`._wire` into the sandbox as
source text and starts it with ``python -I -S``; nothing here imports the rest of rewardlab.

The zygote never runs submitted code and never sees a job's data. On request it forks the processes of
one job (see :mod:`._roles`), confines each of them before any job code runs (own session, resource
limits, another user when it can, no new privileges, empty environment, its own directory), and hands
their pipes back to rewardlab over the control socket (``SCM_RIGHTS``). Every process of a job (the
program, or the candidate *and its judge*) is a fresh fork of a zygote that has never held job data, so
no job can read another job's code or tests from inherited memory, and nothing a job's test code does
to its judge (patching the judge's modules, its builtins, the harness) outlives the job: the next job's
judge is another fresh fork. When a job ends the zygote kills every process left (as pid 1 of the
sandbox's pid namespace it sees all of them), removes the job's files, reports whether the sandbox is
clean, and forks the next job's processes ahead of the next request.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback
from typing import Any

from rewardlab.sandbox._confine import _become, _hidden_roots, seccomp_program
from rewardlab.sandbox._roles import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    TEST_MODULES,
    _flush_and_exit,
    _prctl,
    run_program,
    serve_candidate,
    serve_judge,
    standard_modules,
)

# Imported once by the zygote, before any job: every job process starts with them loaded, and the judge
# takes the standard modules the tests may use from here (``TEST_MODULES``).
PRELOAD = sorted(TEST_MODULES | {"contextlib", "csv", "ctypes", "io"})


# -- process setup of a forked role -----------------------------------------------------------------------
# -- the zygote -------------------------------------------------------------------------------------------
def _status(raw: int) -> dict[str, int | None]:
    if os.WIFSIGNALED(raw):
        return {"code": None, "signal": os.WTERMSIG(raw)}
    return {"code": os.WEXITSTATUS(raw) if os.WIFEXITED(raw) else None, "signal": None}


class Zygote:
    """Forks the processes of one job at a time; kills and cleans everything between jobs.

    After a job ends it forks the next job's processes ahead of time, with the same kind and limits
    (they wait, confined, for their input), so a request usually finds its processes ready. A ``judge``
    job's judge is one of its processes: forked fresh for the job and killed with it, like the candidate.
    """

    def __init__(self, ctl_fd: int, config: dict[str, Any]) -> None:
        self.ctl = socket.socket(fileno=ctl_fd)
        self.scratch: str = config["scratch"]
        self.wipe: list[str] = config.get("wipe", [])
        self.mounts: set[str] = set(config.get("mounts", []))  # mount points in ``wipe``: emptied, kept
        self.own_ipc: bool = bool(config.get("own_ipc"))  # a private IPC namespace: all of it is the jobs'
        self.pid1 = os.getpid() == 1
        self.uid: int | None = config.get("uid") if self._can_drop() else None
        self.hidden = _hidden_roots() if self.uid is not None else []
        self.seccomp = seccomp_program()  # None on machines the filter is not written for
        self.job: dict[str, Any] | None = None  # handed to rewardlab
        self.ready: dict[str, Any] | None = None  # forked ahead of the next request
        self.count = 0

    @staticmethod
    def _can_drop() -> bool:
        """Root in the initial user namespace can run jobs as other users."""
        if os.geteuid() != 0:
            return False
        try:
            with open("/proc/self/uid_map") as f:
                return f.read().split() == ["0", "0", "4294967295"]
        except OSError:
            return False

    def send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(self.ctl, [data], fds)
        else:
            self.ctl.send(data)

    def serve(self) -> None:
        for name in PRELOAD:
            with contextlib.suppress(Exception):
                __import__(name)
        standard_modules()  # the tests' standard modules, as imported here before any job (judges inherit it)
        _prctl(PR_SET_DUMPABLE, 0)
        gc.freeze()  # children's collections skip what we preloaded: fewer copy-on-write page faults
        if not self.pid1:
            _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of a job come back to us, so we can kill them
        hello = {"op": "ready", "pid": os.getpid(), "pid1": self.pid1, "drop": self.uid is not None}
        self.send({**hello, "seccomp": self.seccomp is not None})
        sel = selectors.DefaultSelector()
        sel.register(self.ctl, selectors.EVENT_READ)
        while True:
            for key, _ in sel.select(timeout=0.5):
                if key.fileobj is self.ctl:
                    data = self.ctl.recv(1 << 20)
                    if not data:
                        self._sweep()
                        os._exit(0)
                    self._handle(json.loads(data))
                else:
                    sel.unregister(key.fileobj)
                    os.close(key.fd)
            for pidfd in self._reap():
                sel.register(pidfd, selectors.EVENT_READ)

    def _handle(self, msg: dict[str, Any]) -> None:
        try:
            if msg["op"] == "spawn":
                self._spawn(msg)
            elif msg["op"] == "end":
                self._end(msg)
            else:
                self.send({"op": "error", "message": f"unknown op {msg['op']!r}"})
        except Exception:
            self.send({"op": "error", "message": traceback.format_exc()[-2000:]})

    def _fork(
        self, role: str, fdmap: dict[int, int], rlimits: dict[str, int], uid: int | None, cwd: str
    ) -> int:
        pid = os.fork()
        if pid == 0:
            status = 70
            try:
                _become(
                    fdmap,
                    rlimits,
                    uid,
                    cwd,
                    dumpable=role != "judge",
                    hidden=self.hidden,
                    seccomp=self.seccomp,
                )
                {"program": run_program, "candidate": serve_candidate, "judge": serve_judge}[role]()
                status = 0
            except BaseException as exc:
                try:
                    traceback.print_exc()
                except BaseException:
                    with contextlib.suppress(OSError):  # last resort: no imports needed
                        os.write(2, f"rewardlab sandbox: {role} failed: {exc!r}\n".encode())
            _flush_and_exit(status)
        return pid

    def _create(self, kind: str, limits: dict[str, Any]) -> dict[str, Any]:
        """Fork a job's processes; they block until rewardlab writes their input."""
        self.count += 1
        workdir = os.path.join(self.scratch, f"job-{self.count}")
        os.mkdir(workdir, 0o700)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        roles: dict[str, int] = {}
        null = os.open("/dev/null", os.O_RDWR)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        if kind == "run":
            code_r, code_w = os.pipe()
            in_r, in_w = os.pipe()
            fdmap = {0: in_r, 1: out_w, 2: err_w, 3: code_r}
            roles["program"] = self._fork("program", fdmap, limits["program"], self.uid, workdir)
            keep, close = [code_w, in_w, out_r, err_r], [null, code_r, in_r, out_w, err_w]
        else:
            mine, theirs = socket.socketpair()  # judge <-> candidate: calls and plain-data answers
            fdmap = {0: null, 1: out_w, 2: err_w, 3: theirs.fileno()}
            roles["candidate"] = self._fork("candidate", fdmap, limits["program"], self.uid, workdir)
            theirs.close()
            # The judge: plans in and reports out on fd 3 (rewardlab's end travels back with the job), its
            # stderr for rewardlab, the candidate's socket on fd 4. Another user than the candidate's when
            # the sandbox can drop privileges, so the program cannot signal or trace it.
            plans, plans_theirs = socket.socketpair()
            jerr_r, jerr_w = os.pipe()
            judge_uid = self.uid + 1 if self.uid is not None else None
            jmap = {0: null, 1: null, 2: jerr_w, 3: plans_theirs.fileno(), 4: mine.fileno()}
            roles["judge"] = self._fork("judge", jmap, limits["judge"], judge_uid, "/")
            keep = [out_r, err_r, os.dup(plans.fileno()), jerr_r]
            close = [null, out_w, err_w, jerr_w]
            for sock in (mine, plans, plans_theirs):
                sock.close()
        for fd in close:
            os.close(fd)
        pidfds = []
        for pid in roles.values():
            with contextlib.suppress(OSError):
                pidfds.append(os.pidfd_open(pid))
        key = json.dumps([kind, limits], sort_keys=True)
        return {
            "id": None,
            "key": key,
            "dir": workdir,
            "roles": roles,
            "status": {},
            "pidfds": pidfds,
            "fds": keep,
        }

    def _discard(self, job: dict[str, Any]) -> None:
        for pid in job["roles"].values():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        for fd in job["fds"] + job["pidfds"]:
            with contextlib.suppress(OSError):
                os.close(fd)
        job["fds"], job["pidfds"] = [], []
        for pid in job["roles"].values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._clean_dirs(job["dir"], wipe=False)

    def _spawn(self, msg: dict[str, Any]) -> None:
        if self.job is not None:
            raise RuntimeError("a job is still running; end it first")
        kind, limits = msg["kind"], msg["limits"]
        job, self.ready = self.ready, None
        self._reap()
        if job is not None and (job["key"] != json.dumps([kind, limits], sort_keys=True) or job["status"]):
            self._discard(job)  # made for other limits, or one of its processes died while waiting
            job = None
        if job is None:
            job = self._create(kind, limits)
        job["id"] = int(msg["id"])
        self.job = job
        self.send({"op": "spawned", "id": job["id"], "pids": job["roles"]}, job["fds"])
        for fd in job["fds"]:
            os.close(fd)
        job["fds"] = []

    def _reap(self) -> list[int]:
        """Collect exited children; report the job's own processes. Returns new pidfds to watch."""
        new: list[int] = []
        for job in (self.job, self.ready):
            if job is not None and job["pidfds"]:
                new += job["pidfds"]
                job["pidfds"] = []
        while True:
            try:
                pid, raw, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return new
            if pid == 0:
                return new
            for job in (self.job, self.ready):
                if job is None:
                    continue
                for role, rpid in job["roles"].items():
                    if rpid != pid:
                        continue
                    status = {
                        **_status(raw),
                        "cpu": usage.ru_utime + usage.ru_stime,
                        "maxrss_kb": usage.ru_maxrss,
                    }
                    job["status"][role] = status
                    if job is self.job:
                        self.send({"op": "exited", "id": job["id"], "role": role, "status": status})

    def _others(self) -> list[int]:
        """Every process but us: all of them in our pid namespace, else our descendants."""
        spare = {os.getpid()}
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        if self.pid1:
            return [p for p in pids if p not in spare]
        parent: dict[int, int] = {}
        for p in pids:
            try:
                with open(f"/proc/{p}/stat", "rb") as f:
                    stat = f.read()
                parent[p] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        found: list[int] = []
        frontier = {os.getpid()}
        while frontier:
            kids = {p for p, pp in parent.items() if pp in frontier and p not in spare}
            found += kids
            frontier = kids
        return found

    def _sweep(self, patience: float = 2.0) -> bool:
        """SIGKILL every process but us, reap, and check that none remains."""
        stop = time.monotonic() + patience
        pause = 0.0001
        while True:
            for job in (self.job, self.ready):
                for pid in (job or {}).get("roles", {}).values():
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
            if self.pid1:
                with contextlib.suppress(OSError):
                    os.kill(-1, signal.SIGKILL)  # from init: every other process in the namespace
            else:
                for pid in self._others():
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            self._reap()
            if not self._others():
                return True
            if time.monotonic() > stop:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _end(self, msg: dict[str, Any]) -> None:
        job = self.job
        if job is None or job["id"] != msg["id"]:
            raise RuntimeError(f"no running job {msg['id']}")
        if self.ready is not None:  # cannot happen (made after a job ends), but never sweep it unseen
            self._discard(self.ready)
            self.ready = None
        self._reap()
        running = [role for role in job["roles"] if role not in job["status"]]
        clean = self._sweep()
        problem = "" if clean else "processes survived SIGKILL"
        for role in running:  # still running when the job ended: killed by us, unless it just exited
            status = job["status"].setdefault(role, {"code": None, "signal": int(signal.SIGKILL)})
            status["killed"] = status.get("signal") == signal.SIGKILL
        for pidfd in job["pidfds"]:
            os.close(pidfd)
        leftovers = self._clean_dirs(job["dir"], wipe=True)
        if self.own_ipc:
            leftovers += _remove_sysv_ipc()
        if leftovers:
            clean, problem = False, f"could not remove {leftovers[:3]}"
        self.job = None
        message = {
            "op": "ended",
            "id": job["id"],
            "clean": clean,
            "problem": problem,
            "status": job["status"],
        }
        self.send(message)
        if clean:
            kind, limits = json.loads(job["key"])
            self.ready = self._create(kind, limits)

    def _clean_dirs(self, workdir: str, *, wipe: bool) -> list[str]:
        def force(func: Any, path: str, _exc: Any) -> None:
            with contextlib.suppress(OSError):
                os.chmod(os.path.dirname(path), 0o700)
                os.chmod(path, 0o700)
            with contextlib.suppress(OSError):
                func(path)

        targets = [workdir]
        if wipe:
            targets += [os.path.join(d, e) for d in self.wipe if os.path.isdir(d) for e in os.listdir(d)]
            inside = [m for m in self.mounts if m in targets and os.path.ismount(m)]
            targets = [t for t in targets if t not in inside]
            targets += [os.path.join(m, e) for m in inside for e in os.listdir(m)]
        for path in targets:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=force)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        return [p for p in targets if os.path.lexists(p)]


def _remove_sysv_ipc() -> list[str]:
    """Remove every SysV shared-memory segment, message queue and semaphore set of this IPC namespace.

    They outlive the processes that made them: left in place, they pin memory outside the job's limits
    and can be read by the next job. Only called where the namespace is the sandbox's own, so everything
    in it was made by a job. Returns what could not be removed.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    left: list[str] = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            if kind == "shm":
                rc = libc.shmctl(ident, ipc_rmid, None)
            elif kind == "msg":
                rc = libc.msgctl(ident, ipc_rmid, None)
            else:
                rc = libc.semctl(ident, 0, ipc_rmid)
            if rc != 0:
                left.append(f"SysV {kind} {ident}")
    return left


def main() -> None:
    Zygote(int(sys.argv[1]), json.loads(sys.argv[2])).serve()
