"""A warm pool of sandboxes with a concurrency limit.

``SandboxPool(size=n)`` keeps ``n`` zygotes started, each in its own sandbox, and lends each to one job at
a time, so at most ``n`` jobs run at once and a job pays for a ``fork`` instead of an interpreter start.
A sandbox that dies, stops answering, cannot confirm a clean state after a job, or has run
``recycle_after`` jobs is killed and replaced in the background.

The pool is picklable by configuration: pickling drops the live processes, and a copy starts its own
sandboxes on first use. That is how a reward owns a pool inside each runner worker process. The
sandboxes are started by one long-lived thread of the pool, because ``--die-with-parent`` (and the
``PR_SET_PDEATHSIG`` of the fallbacks) fires when the *thread* that started a process exits.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from rewardlab.sandbox.isolation import (
    FALLBACK_WARNINGS,
    ISOLATION_CHOICES,
    Launch,
    bwrap_launch,
    none_launch,
    python_command,
    unshare_launch,
    warn,
)
from rewardlab.sandbox.limits import Limits
from rewardlab.sandbox.plans import JudgePlan
from rewardlab.sandbox.process import Sandbox, SandboxCrash
from rewardlab.sandbox.results import JudgeResult, RunResult, SandboxError

T = TypeVar("T")


class _Live:
    """The running part of a pool (never pickled)."""

    def __init__(self, pool: SandboxPool) -> None:
        self.pid = os.getpid()
        self.size = pool.size
        self.isolation = pool.isolation
        self.python, self.needs = python_command(pool.python, pool.site_packages)
        self.tmpfs_mb = pool.limits.tmpfs_mb
        self.start_timeout = pool.start_timeout
        self.mode: str | None = None if pool.isolation == "auto" else pool.isolation
        self.idle: queue.Queue[Sandbox | BaseException] = queue.Queue()
        self.requests: queue.Queue[bool] = queue.Queue()
        self.warnings: list[str] = []
        self.all: set[Sandbox] = set()
        self.lock = threading.Lock()
        self.closed = False
        self.stats = {"started": 0, "replaced": 0, "crashes": 0}
        self.thread = threading.Thread(target=self._launcher, name="rewardlab-sandbox-launcher", daemon=True)
        self.thread.start()
        for _ in range(self.size):
            self.requests.put(True)

    def _launch(self, mode: str) -> Launch:
        uid = 2_000_000 + 2 * secrets.randbelow(500_000_000)  # the job user; the judge gets uid + 1
        if mode == "bwrap":
            return bwrap_launch(self.python, self.needs, self.tmpfs_mb, uid)
        if mode == "unshare":
            return unshare_launch(self.python, self.tmpfs_mb, uid)
        return none_launch(self.python, uid)

    def _start(self) -> Sandbox:
        if self.mode is not None:
            if self.mode == "none" and self.stats["started"] == 0:
                self.warnings.append(
                    FALLBACK_WARNINGS["none"].format(reason="isolation='none' was requested")
                )
            return Sandbox(self._launch(self.mode), self.start_timeout)
        reasons = []
        for mode in ("bwrap", "unshare", "none"):
            try:
                box = Sandbox(self._launch(mode), self.start_timeout)
            except (OSError, SandboxError) as exc:
                reasons.append(f"{mode}: {exc}")
                continue
            self.mode = mode
            if mode != "bwrap":
                self.warnings.append(FALLBACK_WARNINGS[mode].format(reason="; ".join(reasons)))
            return box
        raise SandboxError("no sandbox could be started: " + "; ".join(reasons))

    def _launcher(self) -> None:
        while True:
            self.requests.get()
            if self.closed:
                return
            try:
                box: Sandbox | BaseException = self._start()
            except Exception as exc:
                box = exc if isinstance(exc, SandboxError) else SandboxError(f"{type(exc).__name__}: {exc}")
            with self.lock:
                if self.closed:
                    if isinstance(box, Sandbox):
                        box.kill()
                    return
                if isinstance(box, Sandbox):
                    self.all.add(box)
                    self.stats["started"] += 1
            self.idle.put(box)

    def acquire(self) -> Sandbox:
        box = self.idle.get()  # jobs have deadlines and starts have a timeout: this wait ends
        while self.warnings:
            warn(self.warnings.pop(0))
        if isinstance(box, BaseException):
            self.requests.put(True)  # keep the slot: try again for the next caller
            raise SandboxError(str(box)) from box
        return box

    def release(self, box: Sandbox, recycle_after: int) -> None:
        alive = box.proc.poll() is None
        if box.healthy and alive and box.jobs < recycle_after and not self.closed:
            self.idle.put(box)
            return
        box.kill()
        with self.lock:
            self.all.discard(box)
            self.stats["replaced"] += 1
        self.requests.put(True)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            boxes = list(self.all)
            self.all.clear()
        for box in boxes:
            with contextlib.suppress(Exception):
                box.kill()
        self.requests.put(False)


def _close_live(live: _Live) -> None:
    if live.pid == os.getpid():
        live.close()


class SandboxPool:
    """A warm pool of ``size`` sandboxes; ``run`` and ``judge`` are thread-safe and block when all are busy.

    ``limits`` are the defaults for every job (a call may pass its own). ``isolation``: ``"auto"`` (bwrap,
    else unshare, else none, warning loudly on each fallback), or one of ``"bwrap"``, ``"unshare"``,
    ``"none"``. ``python``: the interpreter inside the sandbox (default: this one, standard library only;
    ``site_packages=True`` also exposes its site-packages read-only). Nothing starts until first use.
    """

    def __init__(
        self,
        size: int = 1,
        *,
        limits: Limits | dict[str, Any] | None = None,
        isolation: str = "auto",
        python: str | None = None,
        site_packages: bool = False,
        recycle_after: int = 2000,
        start_timeout: float = 30.0,
    ) -> None:
        problems = []
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 256:
            problems.append(f"`size` of SandboxPool must be an integer in [1, 256], got {size!r}")
        if isolation not in ISOLATION_CHOICES:
            problems.append(
                f"`isolation` of SandboxPool must be one of {ISOLATION_CHOICES}, got {isolation!r}"
            )
        if python is not None and not (isinstance(python, str) and os.access(python, os.X_OK)):
            problems.append(f"`python` of SandboxPool must be an executable path, got {python!r}")
        if isinstance(recycle_after, bool) or not isinstance(recycle_after, int) or recycle_after < 1:
            problems.append(f"`recycle_after` of SandboxPool must be an integer >= 1, got {recycle_after!r}")
        if not isinstance(start_timeout, int | float) or not start_timeout > 0:
            problems.append(f"`start_timeout` of SandboxPool must be > 0 seconds, got {start_timeout!r}")
        try:
            self.limits = Limits.from_value(limits)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        self.size = size
        self.isolation = isolation
        self.python = python
        self.site_packages = bool(site_packages)
        self.recycle_after = recycle_after
        self.start_timeout = float(start_timeout)
        self._live: _Live | None = None
        self._lock = threading.Lock()

    # -- pickling by configuration ------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_live", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._live = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        mode = self._live.mode if self._live is not None else None
        return f"SandboxPool(size={self.size}, isolation={self.isolation!r}, running={mode!r})"

    # -- lifecycle ----------------------------------------------------------------------------------------
    def _running(self) -> _Live:
        with self._lock:
            live = self._live
            if live is None or live.pid != os.getpid() or live.closed:  # first use, or a forked copy
                live = self._live = _Live(self)
                weakref.finalize(self, _close_live, live)
            return live

    def start(self) -> SandboxPool:
        """Start the sandboxes now instead of on first use (waits for one to be ready)."""
        live = self._running()
        live.release(live.acquire(), self.recycle_after)
        return self

    @property
    def mode(self) -> str:
        """The isolation in effect (``"bwrap"``, ``"unshare"`` or ``"none"``); starts the pool."""
        live = self._running()
        if live.mode is None:
            self.start()
        return str(live.mode)

    @property
    def stats(self) -> dict[str, int]:
        return (
            dict(self._live.stats) if self._live is not None else {"started": 0, "replaced": 0, "crashes": 0}
        )

    def close(self) -> None:
        with self._lock:
            live, self._live = self._live, None
        if live is not None and live.pid == os.getpid():
            live.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs ---------------------------------------------------------------------------------------------
    def _with_sandbox(self, job: Callable[[Sandbox], T]) -> T:
        live = self._running()
        for attempt in (1, 2):  # a sandbox that crashes mid-job is replaced and the job retried once
            box = live.acquire()
            try:
                return job(box)
            except SandboxCrash:
                box.healthy = False
                live.stats["crashes"] += 1
                if attempt == 2:
                    raise
            finally:
                if box.in_job:  # interrupted mid-job (KeyboardInterrupt, a bug): do not reuse it
                    box.healthy = False
                live.release(box, self.recycle_after)
        raise AssertionError("unreachable")

    def run(
        self, code: str, *, stdin: str | bytes = b"", limits: Limits | dict[str, Any] | None = None
    ) -> RunResult:
        """Run ``code`` as a program (``__main__``) with ``stdin``; return its exit, output and timing."""
        lim = self.limits if limits is None else Limits.from_value(limits)
        data = stdin.encode("utf-8") if isinstance(stdin, str) else bytes(stdin)
        return self._with_sandbox(lambda box: box.run(code, data, lim))

    def judge(self, plan: JudgePlan, *, limits: Limits | dict[str, Any] | None = None) -> JudgeResult:
        """Run ``plan``'s tests against its program; outcomes are counted in a separate judge process.

        Raises ``ValueError`` when the plan's own test code fails before any test runs.
        """
        lim = self.limits if limits is None else Limits.from_value(limits)
        return self._with_sandbox(lambda box: box.judge(plan, lim))
