"""The processes a sandbox job consists of: a program, or a candidate and its judge.

Standard library only; shipped into the sandbox as source with :mod:`._wire` and :mod:`._inside`, which
forks these roles after confining the new process (see ``_inside._become``).

- ``program``: runs a program as ``__main__`` with the job's stdin/stdout/stderr (code arrives on fd 3).
- ``candidate``: loads the submitted code and answers calls to its functions over a socket (fd 3),
  with plain data only (see :mod:`._wire`).
- ``judge``: runs the trusted test code, calling into the candidate through proxies, and reports each
  test's outcome to rewardlab on its own socket, tagged with a nonce that only the judge and rewardlab
  know. It is forked for one job and exits after it (test code cannot leave anything behind for the
  next job) and never runs submitted code. The candidate cannot reach the judge's socket or memory: it
  runs as another user when rewardlab runs as root, and the judge is not dumpable (no ``ptrace``, no
  ``/proc/<pid>/fd`` or ``/proc/<pid>/mem``).

A name the tests use that the solution binds to a module (``import sys``, ``import heapq as hq``) is not
called across: the candidate names the module (a string), and the judge binds the name to its own copy of
that module when it is one of :data:`TEST_MODULES`, taken from the standard library before any job ran.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import socket
import sys
import time
import traceback
import types
from typing import Any

from rewardlab.sandbox._wire import (
    ClosedMidFrame,
    FrameReader,
    WireError,
    decode,
    encode,
    pack,
    read_message,
    write_all,
)

COMPILE_ERROR_EXIT = 113  # exit status of a ``program`` whose code does not compile

# Standard modules a test may use through a name the solution binds to one (MBPP runs its asserts in the
# solution's namespace: ``sys.getsizeof(...)`` after the solution's ``import sys``). The judge binds such a
# name to its own copy of the module, never to the solution's: the zygote imports these at start-up, from
# the standard library, before any job exists (``_inside.PRELOAD``), and the judge takes them from there.
# A list rather than ``sys.stdlib_module_names``: the solution chooses which module a test's name reaches
# (``import os as math`` is legal), and importing or reaching some standard modules acts on the judge,
# which serves every job of its sandbox: ``site`` rewrites ``sys.path``, ``antigravity`` starts a browser,
# ``this`` prints, ``tkinter``, ``turtle`` and ``idlelib`` start GUIs, ``test.*`` changes interpreter
# settings, ``os``, ``shutil``, ``subprocess``, ``signal``, ``ctypes``, ``gc`` and ``importlib`` act on
# processes, files or the interpreter, and ``unittest.mock.ANY`` equals everything. These are the modules
# that compute; a solution's other modules reach the tests as a stand-in that raises ``ImportError``.
TEST_MODULES = frozenset(
    {
        "abc",
        "array",
        "ast",
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "cmath",
        "collections",
        "collections.abc",
        "colorsys",
        "copy",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "enum",
        "fractions",
        "functools",
        "graphlib",
        "hashlib",
        "heapq",
        "html",
        "itertools",
        "json",
        "keyword",
        "math",
        "numbers",
        "operator",
        "pprint",
        "random",
        "re",
        "statistics",
        "string",
        "struct",
        "sys",
        "textwrap",
        "time",
        "typing",
        "unicodedata",
        "zlib",
    }
)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
_libc: Any = None


def _prctl(option: int, value: int) -> bool:
    global _libc
    try:
        if _libc is None:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True)
        return bool(_libc.prctl(option, value, 0, 0, 0) == 0)
    except (ImportError, OSError, AttributeError):
        return False


def _describe(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": _message(exc)}
    if isinstance(exc, SyntaxError):
        out["lineno"] = exc.lineno
    return out


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:1000]
    except Exception:
        return "<unprintable exception>"


def _compile(source: str, filename: str) -> Any:
    # dont_inherit: this module's ``from __future__`` flags must not leak into submitted code.
    return compile(source, filename, "exec", dont_inherit=True)


def _new_module(name: str, filename: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__file__ = filename
    mod.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules[name] = mod
    return mod


def _flush_and_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _exit_status(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


# -- role: program ---------------------------------------------------------------------------------------
def run_program() -> None:
    _compile("pass", "warm.py")
    chunks = []
    while chunk := os.read(3, 1 << 16):
        chunks.append(chunk)
    os.close(3)
    source = b"".join(chunks).decode("utf-8", "replace")
    try:
        code = _compile(source, "solution.py")
    except (SyntaxError, ValueError) as exc:
        traceback.print_exception(exc, limit=0)
        _flush_and_exit(COMPILE_ERROR_EXIT)
    mod = _new_module("__main__", "solution.py")
    status = 0
    try:
        exec(code, mod.__dict__)
    except SystemExit as exc:
        status = _exit_status(exc)
    except BaseException as exc:
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # hide this function's frame
        traceback.print_exception(type(exc), exc, tb)
        status = 1
    _flush_and_exit(status)


# -- role: candidate --------------------------------------------------------------------------------------
class _Channel:
    def __init__(self, fd: int) -> None:
        self.fd, self.reader, self.queue = fd, FrameReader(), []  # type: ignore[var-annotated]

    def recv(self, deadline: float | None = None) -> Any:
        return read_message(self.fd, self.reader, self.queue, deadline)

    def send(self, message: Any) -> None:
        write_all(self.fd, pack(message))


def _warm_up() -> None:
    """Take the code paths a job takes before the job arrives: the copy-on-write page faults after the
    fork then happen while the process waits, pre-forked, instead of on the job's clock."""
    exec(_compile("def _f(x):\n    return [x, (x,), {x: x}]\n\n_f(1)\n", "warm.py"), {})
    decode(json.loads(pack({"v": encode([1, "a", (2.5,), {3: None}])})[4:])["v"])


def serve_candidate() -> None:
    _warm_up()
    chan = _Channel(3)
    try:
        request = chan.recv()
    except (WireError, OSError):
        _flush_and_exit(0)
    if not isinstance(request, dict) or request.get("op") != "load":
        _flush_and_exit(0)
    seq = request.get("seq")
    try:
        code = _compile(str(request["code"]), str(request.get("filename", "solution.py")))
    except (SyntaxError, ValueError) as exc:
        chan.send({"seq": seq, "status": "compile_error", **_describe(exc)})
        _flush_and_exit(0)
    mod = _new_module("solution", "solution.py")
    try:
        exec(code, mod.__dict__)
    except BaseException as exc:
        chan.send({"seq": seq, "status": "error", **_describe(exc)})
        _flush_and_exit(0)
    chan.send({"seq": seq, "status": "ok"})
    while True:
        try:
            request = chan.recv()
        except (WireError, OSError):
            request = None
        if not isinstance(request, dict):
            _flush_and_exit(0)
        chan.send({"seq": request.get("seq"), **_answer(mod.__dict__, request)})
        with contextlib.suppress(Exception):
            sys.stdout.flush()


def _answer(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "resolve":
        names: dict[str, Any] = {}
        for name in request.get("names", []):
            if name not in namespace:
                names[name] = {"kind": "missing"}
            elif _is_module(namespace[name]):
                names[name] = {"kind": "module", "module": _module_name(namespace[name])}
            elif callable(namespace[name]):
                names[name] = {"kind": "callable"}
            else:
                try:
                    names[name] = {"kind": "value", "value": encode(namespace[name])}
                except Exception as exc:
                    names[name] = {"kind": "error", **_describe(exc)}
        return {"names": names}
    try:
        fn = namespace[request["name"]]
        args = decode(request["args"])
        kwargs = decode(request["kwargs"])
        result = fn(*args, **kwargs)
        return {"ok": encode(result)}
    except BaseException as exc:
        return {"raised": _describe(exc)}


def _is_module(value: Any) -> bool:
    try:
        return isinstance(value, types.ModuleType)
    except Exception:
        return False


def _module_name(module: Any) -> str | None:
    """The name a module of the solution goes by (only a name crosses; the judge decides what it means)."""
    try:
        name = module.__name__
        return str.__str__(name)[:200] if isinstance(name, str) else None
    except Exception:
        return None


# -- role: judge ------------------------------------------------------------------------------------------
class CandidateTimeout(BaseException):
    """The candidate did not answer before the job's deadline (a BaseException: tests cannot swallow it)."""


class CandidateGone(BaseException):
    """The candidate process exited or broke the protocol."""


class ChannelTampering(CandidateGone):
    """The program wrote something to the judge's channel that is not a well-formed answer (a frame too
    big, too deep or not JSON at all): a failed run of the remaining tests, named as such."""

    type_name = "ChannelTampering"


_LOAD_STATUSES = frozenset({"ok", "compile_error", "error"})


class CandidateError(Exception):
    """The candidate raised an exception that is not a builtin type; ``type_name`` is its type."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name


_NOT_MIRRORED = {"SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseExceptionGroup", "ExceptionGroup"}


def _mirror(info: dict[str, Any]) -> BaseException:
    """The candidate's exception, rebuilt in the judge as the same builtin type where there is one."""
    name, message = _text(info.get("type"), 200) or "Exception", _text(info.get("message"), 1000)
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and name not in _NOT_MIRRORED:
        try:
            return cls(message)
        except Exception:
            pass
    return CandidateError(name, message)


class _Candidate:
    """The judge's end of the candidate socket: every request waits at most until the job deadline."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.chan = _Channel(fd)
        self.deadline = deadline
        self.seq = 0
        self.broken: BaseException | None = None

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.broken is not None:
            raise self.broken
        self.seq += 1
        message["seq"] = self.seq
        try:
            self.chan.send(message)
            while True:
                reply = self.chan.recv(self.deadline)
                if reply is None:
                    raise CandidateGone("the solution's process exited")
                if isinstance(reply, dict) and reply.get("seq") == self.seq:
                    return reply
        except TimeoutError:
            self.broken = CandidateTimeout()
        except (ClosedMidFrame, OSError) as exc:
            self.broken = CandidateGone(f"the solution's process exited ({exc})")
        except (WireError, RecursionError, MemoryError) as exc:  # whatever reading its frames raises
            self.broken = ChannelTampering(
                f"the program wrote a malformed frame to the judge channel ({exc})"
            )
        except CandidateGone as exc:
            self.broken = exc
        raise self.broken

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            payload = {"op": "call", "name": name, "args": encode(list(args)), "kwargs": encode(kwargs)}
        except WireError as exc:
            raise TypeError(f"the test passes a value the sandbox cannot send: {exc}") from None
        reply = self.request(payload)
        if "raised" in reply and isinstance(reply["raised"], dict):
            raise _mirror(reply["raised"])
        try:
            return decode(reply["ok"])
        except (WireError, KeyError) as exc:
            raise CandidateError("ProtocolError", f"malformed answer from the solution: {exc}") from None


class _Remote:
    """A function of the solution, called across the process boundary with plain-data arguments."""

    __slots__ = ("_candidate", "_name")

    def __init__(self, candidate: _Candidate, name: str) -> None:
        self._candidate, self._name = candidate, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._candidate.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<solution function {self._name}>"


class _Missing:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NameError(f"the solution does not define {self._name!r}")

    def __getattr__(self, attr: str) -> Any:  # ``sys.getsizeof`` when the solution never imported sys
        if attr.startswith("_"):  # dunder probes (copy, pickle) and our own slots
            raise AttributeError(attr)
        raise NameError(f"the solution does not define {self._name!r}")

    def __repr__(self) -> str:
        return f"<missing {self._name}>"


class _Unavailable:
    """A module of the solution that the tests cannot have (not one of :data:`TEST_MODULES`)."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str, module: Any) -> None:
        self._name, self._module = name, module

    def _refuse(self) -> ImportError:
        module = self._module if isinstance(self._module, str) else "?"
        return ImportError(
            f"{self._name!r} is the solution's module {module[:100]!r}, which the tests cannot use: "
            "only standard modules that compute (math, re, sys, collections, ...) reach the tests"
        )

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # dunder probes (copy, pickle) and our own slots
            raise AttributeError(attr)
        raise self._refuse()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._refuse()

    def __repr__(self) -> str:
        return f"<unavailable module of the solution {self._name}>"


_standard: dict[str, types.ModuleType] | None = None


def standard_modules() -> dict[str, types.ModuleType]:
    """The judge's copies of :data:`TEST_MODULES`: the modules the zygote imported before any job, each
    kept only if it comes from the standard library (built in, frozen, or a file in the directory of
    ``os``, outside ``site-packages``). Taken once, when the judge serves its first job."""
    global _standard
    if _standard is None:
        home = os.path.dirname(getattr(os, "__file__", None) or "")
        found = {}
        for name in TEST_MODULES:
            module = sys.modules.get(name)
            origin = getattr(getattr(module, "__spec__", None), "origin", None)
            if not isinstance(module, types.ModuleType) or not isinstance(origin, str):
                continue
            parts = set(origin.split(os.sep))
            if origin in ("built-in", "frozen") or (
                home and origin.startswith(home + os.sep) and not parts & {"site-packages", "dist-packages"}
            ):
                found[name] = module
        _standard = found
    return _standard


def _binding(candidate: _Candidate, name: str, info: Any) -> Any:
    kind = info.get("kind") if isinstance(info, dict) else None
    if kind == "module":  # only a name crossed: the judge's own module of that name, or a refusal
        module = info.get("module")
        standard = standard_modules()
        if isinstance(module, str) and module in standard:
            return standard[module]
        return _Unavailable(name, module)
    if kind == "callable":
        return _Remote(candidate, name)
    if kind == "value":
        try:
            return decode(info["value"])
        except (WireError, KeyError):
            return _Missing(name)
    return _Missing(name)


def serve_judge() -> None:
    """Judge one job: its plan arrives on the socket at fd 3, the candidate's socket is fd 4; reports go
    back on fd 3, tagged with the job's nonce. The judge is forked fresh for each job and exits after it,
    so nothing the job's test code does to this process (patched modules, builtins or harness functions)
    reaches another job.
    """
    _warm_up()
    _run_units([{"source": "assert len([1]) == 1", "counted": True}], {}, lambda **m: pack(m), 1.0)
    chan = socket.socket(fileno=3)
    reader = FrameReader()
    plans: list[Any] = []
    while not plans:
        data = chan.recv(1 << 16)
        if not data:
            _flush_and_exit(0)
        plans += reader.feed(data)
    judge_one(plans[0], 4, chan)
    _flush_and_exit(0)


def judge_one(plan: dict[str, Any], candidate_fd: int, chan: socket.socket) -> None:
    nonce = plan["nonce"]
    budget = float(plan["budget"])
    deadline = time.monotonic() + budget

    def report(**message: Any) -> None:
        chan.sendall(pack({"n": nonce, **message}))

    try:
        _judge(plan, candidate_fd, report, budget, deadline)
    except Exception as exc:  # a bug in the judge itself: say so instead of going silent
        report(event="judge_error", **_describe(exc))
    report(event="done")


def _judge(plan: dict[str, Any], candidate_fd: int, report: Any, budget: float, deadline: float) -> None:
    ns = _new_module("tests", "tests.py").__dict__
    for source in plan.get("prelude", []):  # trusted, optional (a task prompt): failures are tolerated
        try:
            exec(_compile(source, "prompt.py"), ns)
        except BaseException as exc:
            report(event="prelude_error", **_describe(exc))
    for source in plan.get("setup", []):  # trusted and required: a failure means a broken test suite
        try:
            exec(_compile(source, "tests.py"), ns)
        except BaseException as exc:
            report(event="setup_error", **_describe(exc))
            return
    candidate = _Candidate(candidate_fd, deadline)
    try:
        load = _load_reply(
            candidate.request({"op": "load", "code": plan["code"], "filename": plan["filename"]})
        )
    except CandidateTimeout:
        load = {"status": "timeout", "type": "Timeout", "message": f"loading took longer than {budget:g} s"}
    except ChannelTampering as exc:
        load = {"status": "tampered", "type": ChannelTampering.type_name, "message": _message(exc)}
    except CandidateGone as exc:
        load = {"status": "exited", "type": "CandidateExited", "message": str(exc)}
    report(event="load", **load)
    if load["status"] != "ok":
        return
    bind: dict[str, str] = plan.get("bind", {})
    try:
        names = candidate.request({"op": "resolve", "names": sorted(set(bind.values()))}).get("names", {})
    except (CandidateTimeout, CandidateGone):
        names = {}
    modules_only = set(plan.get("modules_only", []))
    for local, remote in bind.items():
        info = names.get(remote) if isinstance(names, dict) else None
        if local in modules_only and not (isinstance(info, dict) and info.get("kind") == "module"):
            info = None  # a standard module's name: the program's function or value of that name is not used
        ns[local] = _binding(candidate, remote, info)
    _run_units(plan["units"], ns, report, budget)


def _load_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """The candidate's answer to ``load``, as plain bounded fields (it comes from the program's process)."""
    status = reply.get("status")
    if not (isinstance(status, str) and status in _LOAD_STATUSES):
        return {
            "status": "tampered",
            "type": ChannelTampering.type_name,
            "message": "the program answered the judge channel with a malformed load reply",
            "lineno": None,
        }
    lineno = reply.get("lineno")
    return {
        "status": status,
        "type": _text(reply.get("type"), 200),
        "message": _text(reply.get("message"), 1000),
        "lineno": lineno if type(lineno) is int else None,
    }


def _text(value: Any, limit: int) -> str:
    """A string field of a message from the program's process: only a real string, bounded."""
    return str.__str__(value)[:limit] if isinstance(value, str) else ""


def _run_units(units: list[dict[str, Any]], ns: dict[str, Any], report: Any, budget: float) -> None:
    for i, unit in enumerate(units):
        error: tuple[str, str] | None = None
        stop = False
        try:
            exec(_compile(unit["source"], f"test_{i}.py"), ns)
        except CandidateTimeout:
            error, stop = ("Timeout", f"the solution did not finish within the {budget:g} s limit"), True
        except ChannelTampering as exc:
            error = (ChannelTampering.type_name, _message(exc))
        except CandidateGone as exc:
            error = ("CandidateExited", str(exc))
        except CandidateError as exc:
            error = (exc.type_name, _message(exc))
        except BaseException as exc:
            error = (type(exc).__name__, _message(exc))
        if unit.get("counted", True):
            if error is None:
                report(event="test", i=i, ok=True)
            else:
                report(event="test", i=i, ok=False, type=error[0], message=error[1])
        if stop:
            return
