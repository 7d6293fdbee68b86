"""One sandbox: a zygote process inside bubblewrap (or a fallback) that runs one job at a time.

The parent side of the protocol in :mod:`._inside`. For each job the zygote forks fresh processes and
returns their pipes over the control socket; this module writes the job's input to them, reads their
output with caps, enforces the wall-clock deadline, then asks the zygote to end the job (kill every
process, remove the job's files, check that nothing is left). A zygote that cannot confirm a clean state,
or dies, is marked unhealthy and the pool replaces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import time
from typing import Any

from rewardlab.errors import SandboxCrash
from rewardlab.sandbox._pump import Pump
from rewardlab.sandbox._roles import COMPILE_ERROR_EXIT
from rewardlab.sandbox._wire import pack
from rewardlab.sandbox.isolation import CTL_FD, Launch
from rewardlab.sandbox.limits import Limits, judge_limits
from rewardlab.sandbox.plans import JudgePlan
from rewardlab.sandbox.results import ExitInfo, JudgeResult, RunResult, SandboxError, TestOutcome

JUDGE_GRACE = 1.0  # seconds the judge gets past the program's budget to report and exit
END_TIMEOUT = 5.0  # seconds the zygote gets to kill and clean a job
_COMPILE_ERRORS = ("SyntaxError", "IndentationError", "TabError", "ValueError: source code string")


def _die_with_parent() -> None:  # preexec_fn: runs in the child between fork and exec
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class Sandbox:
    """A started zygote. Not thread-safe: the pool lends it to one caller at a time."""

    def __init__(self, launch: Launch, start_timeout: float = 30.0) -> None:
        self.mode = launch.mode
        self.launch = launch
        self.jobs = 0
        self.healthy = True
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [a if a != CTL_FD else str(child.fileno()) for a in launch.argv]
        try:
            self.proc = subprocess.Popen(
                argv,
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=launch.env,
                cwd=launch.cwd,
                preexec_fn=_die_with_parent if launch.die_with_parent else None,
            )
        finally:
            child.close()
        self.ctl = parent
        self.ctl.settimeout(start_timeout)
        try:
            hello = self._recv()
        except (OSError, SandboxCrash) as exc:
            err = self._stderr()
            self.kill()
            raise SandboxError(f"{self.mode} sandbox did not start: {err or exc}") from None
        if hello.get("op") != "ready":
            self.kill()
            raise SandboxError(f"{self.mode} sandbox sent {hello!r} instead of ready")
        self.drops_privileges = bool(hello.get("drop"))
        self.pending_end: int | None = None
        self.in_job = False  # a job was started and not yet ended (an interrupted caller taints us)
        self.ctl.settimeout(None)

    # -- control channel ----------------------------------------------------------------------------------
    def _recv(self, fds: int = 0) -> dict[str, Any]:
        try:
            if fds:
                data, got, _, _ = socket.recv_fds(self.ctl, 1 << 20, fds)
            else:
                data, got = self.ctl.recv(1 << 20), []
        except TimeoutError:
            raise
        except OSError:  # ECONNRESET: it died with our request unread
            data, got = b"", []
        if not data:
            self.healthy = False
            raise SandboxCrash(f"the {self.mode} sandbox exited ({self._stderr() or 'no message'})")
        msg: dict[str, Any] = json.loads(data)
        if got:
            msg["_fds"] = got
        return msg

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.ctl.send(json.dumps(message).encode())
        except OSError as exc:
            self.healthy = False
            raise SandboxCrash(f"the {self.mode} sandbox is gone ({exc})") from None

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            return self.proc.stderr.read(4000).decode("utf-8", "replace").strip()
        return ""

    def _spawn(
        self, kind: str, limits: Limits, exited: dict[str, dict[str, Any]]
    ) -> tuple[int, list[int], dict[str, Any]]:
        self._await_end()
        self.jobs += 1
        jid = self.jobs
        self.in_job = True
        wire_limits = {"program": limits.rlimits(), "judge": judge_limits(limits)}
        self._send({"op": "spawn", "id": jid, "kind": kind, "limits": wire_limits})
        self.ctl.settimeout(10.0)
        try:
            while True:
                msg = self._recv(fds=8)
                if msg.get("op") == "spawned" and msg.get("id") == jid:
                    return jid, msg.pop("_fds"), msg
                self._control(msg, exited)
        except TimeoutError:
            self.healthy = False
            raise SandboxCrash(f"the {self.mode} sandbox did not start the job in time") from None
        finally:
            self.ctl.settimeout(None)

    def _control(self, msg: dict[str, Any], exited: dict[str, dict[str, Any]]) -> None:
        for fd in msg.pop("_fds", []):
            os.close(fd)
        if msg.get("op") == "exited":
            exited[msg["role"]] = msg["status"]
        elif msg.get("op") == "error":
            self.healthy = False
            raise SandboxCrash(f"the sandbox reported an internal error: {msg.get('message')}")

    def _end(self, jid: int) -> None:
        """Ask the zygote to end job ``jid`` (kill, clean); its answer is read before the next job."""
        self._send({"op": "end", "id": jid})
        self.pending_end = jid
        self.in_job = False

    def _await_end(self) -> None:
        jid, self.pending_end = self.pending_end, None
        if jid is None:
            return
        self.ctl.settimeout(END_TIMEOUT)
        try:
            while True:
                msg = self._recv()
                if msg.get("op") == "ended" and msg.get("id") == jid:
                    break
                self._control(msg, {})
        except TimeoutError:
            self.healthy = False
            raise SandboxCrash(f"the {self.mode} sandbox did not end a job in time") from None
        finally:
            self.ctl.settimeout(None)
        if not msg.get("clean"):
            self.healthy = False
            raise SandboxCrash(f"the {self.mode} sandbox is not clean after a job: {msg.get('problem')}")

    # -- jobs ---------------------------------------------------------------------------------------------
    def run(self, code: str, stdin: bytes, limits: Limits) -> RunResult:
        start = time.monotonic()
        exited: dict[str, dict[str, Any]] = {}
        jid, (code_w, in_w, out_r, err_r), _ = self._spawn("run", limits, exited)
        pump = Pump(self.ctl, lambda: self._control(self._recv(), exited), exited, limits.output_kb << 10)
        pump.write(code_w, code.encode("utf-8", "surrogatepass"))
        pump.write(in_w, stdin)
        pump.read("stdout", out_r)
        pump.read("stderr", err_r)
        with pump:
            stop = pump.loop(
                start + limits.timeout, lambda: pump.settled("program", ("stdout", "stderr"), need_exit=True)
            )
            self._end(jid)
        info = _exit_info(exited.get("program"))
        stderr = pump.text("stderr")
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        return RunResult(
            exit=info,
            stdout=pump.text("stdout"),
            stderr=stderr,
            timed_out=stop == "deadline",
            compile_error=info.code == COMPILE_ERROR_EXIT and last.startswith(_COMPILE_ERRORS),
            output_limit_exceeded=stop == "overflow",
            stdout_truncated="stdout" in pump.truncated,
            stderr_truncated="stderr" in pump.truncated,
            duration=time.monotonic() - start,
            isolation=self.mode,
        )

    def judge(self, plan: JudgePlan, limits: Limits) -> JudgeResult:
        start = time.monotonic()
        nonce = secrets.token_hex(16)
        exited: dict[str, dict[str, Any]] = {}
        jid, (out_r, err_r, judge_fd, judge_err), _ = self._spawn("judge", limits, exited)
        pump = Pump(self.ctl, lambda: self._control(self._recv(), exited), exited, limits.output_kb << 10)
        pump.read("stdout", out_r)
        pump.read("stderr", err_r)
        pump.read("results", judge_fd, frames=True)
        pump.read("judge", judge_err)
        with pump:
            self._send_plan(judge_fd, plan.to_wire(nonce, limits.timeout))
            stop = pump.loop(
                start + limits.timeout + JUDGE_GRACE,
                lambda: pump.reported(nonce) or pump.settled("judge", ("results",), need_exit=False),
            )
            self._end(jid)
        return _judge_result(self, plan, nonce, pump, stop, exited, time.monotonic() - start)

    def _send_plan(self, fd: int, plan: dict[str, Any]) -> None:
        """The plan goes to the job's own judge (a fresh process that exits after this job)."""
        judge = socket.socket(fileno=fd)
        try:
            judge.setblocking(True)
            judge.sendall(pack(plan))
            judge.setblocking(False)
        except OSError as exc:
            self.healthy = False
            raise SandboxCrash(f"the judge process is gone ({exc})") from None
        finally:
            judge.detach()  # the descriptor stays the pump's

    def kill(self) -> None:
        self.healthy = False
        with contextlib.suppress(OSError):
            self.ctl.close()
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        if self.launch.owned_dir:
            import shutil

            shutil.rmtree(self.launch.owned_dir, ignore_errors=True)


def _exit_info(status: dict[str, Any] | None) -> ExitInfo:
    """How a process ended; one that had not exited when the job ended was killed by the sandbox."""
    if status is None:
        return ExitInfo(signal="SIGKILL", killed=True)
    return ExitInfo.from_wire(status)


def _judge_result(
    box: Sandbox,
    plan: JudgePlan,
    nonce: str,
    pump: Pump,
    stop: str,
    exited: dict[str, dict[str, Any]],
    took: float,
) -> JudgeResult:
    load: dict[str, Any] | None = None
    outcomes: dict[int, dict[str, Any]] = {}
    rejected = 0
    setup_error = None
    for msg in pump.frames:
        if not isinstance(msg, dict) or msg.get("n") != nonce:
            rejected += 1
            continue
        event = msg.get("event")
        if event == "load":
            load = {k: msg.get(k) for k in ("status", "type", "message", "lineno")}
        elif event == "test" and isinstance(msg.get("i"), int):
            outcomes.setdefault(msg["i"], msg)
        elif event == "setup_error":
            setup_error = f"{msg.get('type')}: {msg.get('message')}"
        elif event == "judge_error":
            raise SandboxError(f"the judge process failed: {msg.get('type')}: {msg.get('message')}")
    if setup_error is not None:
        raise ValueError(f"the test code failed before any test ran ({setup_error})")
    timed_out = (
        stop == "deadline"
        or (load or {}).get("status") == "timeout"
        or any(m.get("type") == "Timeout" for m in outcomes.values())
    )
    if load is None:
        if not timed_out and stop != "overflow":
            detail = pump.text("judge").strip()[-1500:] or "no message"
            who = (
                ""
                if box.drops_privileges
                else "; without root the program runs as the judge's user and can kill it"
            )
            raise SandboxError(f"the judge process died without reporting ({detail}{who})")
        load = (
            {
                "status": "timeout",
                "type": "Timeout",
                "message": "the program did not load before the deadline",
            }
            if timed_out
            else {
                "status": "error",
                "type": "OutputLimitExceeded",
                "message": "the program wrote too much output",
            }
        )
    tests = []
    for n, (i, unit) in enumerate((i, u) for i, u in enumerate(plan.units) if u.counted):
        msg = outcomes.get(i)
        if msg is not None:
            ok = msg.get("ok") is True
            tests.append(
                TestOutcome(
                    n, unit.label, ok, None if ok else str(msg.get("type")), str(msg.get("message", ""))
                )
            )
        elif load["status"] != "ok":
            tests.append(TestOutcome(n, unit.label, False, str(load["type"]), str(load.get("message") or "")))
        elif stop == "overflow":
            why = "not run: the program wrote far more output than the limit and was stopped"
            tests.append(TestOutcome(n, unit.label, False, "OutputLimitExceeded", why))
        else:
            kind = "Timeout" if timed_out else "NotRun"
            why = "not run: the time limit was reached" if timed_out else "not run: the job ended before it"
            tests.append(TestOutcome(n, unit.label, False, kind, why))
    return JudgeResult(
        load=load,
        tests=tests,
        timed_out=timed_out,
        candidate=_exit_info(exited.get("candidate")),
        stdout=pump.text("stdout"),
        stderr=pump.text("stderr"),
        duration=took,
        isolation=box.mode,
        rejected_reports=rejected,
        output_limit_exceeded=stop == "overflow",
    )
