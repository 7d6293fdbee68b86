"""One exception tree for rewardlab, rooted in :class:`RewardLabError`.

Every error rewardlab raises on purpose is defined here and derives from ``RewardLabError``; modules
re-export the ones that belong to them (``rewardlab.rewards.math.TooComplex`` is this module's class).
The tree (a test compares it with the classes below)::

    RewardLabError
    ├── ConfigError (ValueError)            a spec, option or setting is invalid; lists every problem
    │   └── UnknownRewardError              a reward name is not registered
    ├── SampleError (ValueError)            a row cannot become a Sample (its index and why)
    ├── ArrayError (ValueError)             a credit-assignment array is malformed
    ├── DependencyError (ImportError)       an optional dependency is missing (names the extra)
    ├── RewardError                         a sample failed and the error policy is "raise"
    ├── ScoringError                        one sample could not be scored; recorded on its result
    │   ├── RewardTimeoutError (TimeoutError)   past the per-sample deadline (recorded as "Timeout")
    │   ├── WorkerCrashedError              the worker process died (recorded as "WorkerCrashed")
    │   ├── Unverifiable                    an answer checker reached no verdict
    │   │   ├── Unreadable                  the answer cannot be read (malformed LaTeX)
    │   │   ├── TooComplex                  comparing could take unbounded time (power tower)
    │   │   └── SymbolicError               the symbolic engine failed on two readable answers
    │   ├── QueryError                      an SQL query gave no result (timeout, row cap, SQLite)
    │   ├── GroupError                      a group reward got no group, too small a group, or part of one
    │   ├── GraderError                     an OpenAI-style grader failed (``flag``: OpenAI's category)
    │   └── JudgeError                      an LLM judge gave no usable verdict (an abstention)
    │       ├── JudgeParseError             its answer holds no verdict in the declared form
    │       ├── JudgeRefusal                it declined to judge
    │       ├── JudgeUnavailable            no answer: every retry failed (``kind``: timeout, http, ...)
    │       └── GuardRejected               the answer tripped the guard and the policy is "abstain"
    ├── SandboxError                        the code sandbox itself failed, not the program
    │   └── SandboxCrash                    the sandbox died or stopped answering during a job
    ├── ServiceError                        the reward server refuses new work (HTTP 503)
    │   ├── Overloaded                      the queue is full (``retry_after`` seconds)
    │   └── ShuttingDown                    the server is draining
    └── ServerError                         a client call got an error answer (``status``, ``body``)
        └── ServerUnavailable               every retry failed (connection error or 502/503/504)

A :class:`ScoringError` raised inside a reward is never turned into a score: the runner records it on
the sample's result as ``ErrorInfo(type, message)``, where ``type`` is the class name (or the short
``recorded_as`` name of the two runner errors), and the error policy (``on_error``) decides what the
sample then scores. Errors carry context (which sample, component or option) in their message and, where
useful, as attributes, so that a caller can act on them without parsing text.

Private exceptions that never leave their module (the sandbox wire protocol's ``WireError``, which must
stay importable without rewardlab inside the sandbox, or the math fast path's ``NotFast``) are not part
of the tree.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RewardLabError(Exception):
    """Root of every error rewardlab raises on purpose."""


# -- configuration and input -------------------------------------------------------------------------


class ConfigError(RewardLabError, ValueError):
    """A reward spec, option or runner setting is invalid.

    ``problems`` lists every problem found: a spec is validated whole and reported at once.
    """

    def __init__(self, problems: list[str] | str, *, where: str = "") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        head = f"invalid {where}" if where else "invalid configuration"
        if len(self.problems) == 1:
            msg = f"{head}: {self.problems[0]}"
        else:
            msg = f"{head} ({len(self.problems)} problems):\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(msg)


class UnknownRewardError(ConfigError):
    """A reward name is not in the registry."""


class SampleError(RewardLabError, ValueError):
    """A row cannot be turned into a :class:`~rewardlab.Sample` (wrong keys or types)."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        self.index = index
        super().__init__(f"row {index}: {message}" if index is not None else message)


class ArrayError(RewardLabError, ValueError):
    """An array argument of a credit-assignment function is malformed.

    Wrong shape or length, non-finite values, or an invalid grouping. ``argument`` names the offending
    argument; ``index`` (when known) is the first offending position.
    """

    def __init__(self, argument: str, message: str, *, index: int | None = None) -> None:
        self.argument = argument
        self.index = index
        super().__init__(f"`{argument}`: {message}")


class DependencyError(RewardLabError, ImportError):
    """An optional dependency is missing; the message says which extra installs it."""


# -- scoring ---------------------------------------------------------------------------------------


class RewardError(RewardLabError):
    """A reward failed on a sample and the error policy is ``"raise"``."""

    def __init__(self, index: int, error_type: str, message: str) -> None:
        self.index = index
        self.error_type = error_type
        super().__init__(f"sample {index}: {error_type}: {message}")


class ScoringError(RewardLabError):
    """One sample could not be scored. Recorded on that sample's result; never a score of its own.

    ``recorded_as`` (when set) is the ``ErrorInfo.type`` written on the result instead of the class name.
    """

    recorded_as: ClassVar[str | None] = None


class RewardTimeoutError(ScoringError, TimeoutError):
    """A reward exceeded its per-sample deadline; its worker was killed."""

    recorded_as = "Timeout"


class WorkerCrashedError(ScoringError):
    """A worker process died while scoring a sample (a segfault, the memory cap, ``os._exit``)."""

    recorded_as = "WorkerCrashed"


class Unverifiable(ScoringError):
    """An answer checker could not reach a verdict on an (answer, reference) pair."""


class Unreadable(Unverifiable):
    """An answer cannot be read (malformed LaTeX). The math reward counts an unreadable answer as wrong."""


class TooComplex(Unverifiable):
    """An answer could take unbounded time to compare (power tower, huge factorial, very long input).

    Unlike a malformed answer this is not a verdict: the reward records it as an error, never as 0.0.
    """


class SymbolicError(Unverifiable):
    """The symbolic engine (sympy) raised while comparing two answers it could read.

    A crash of the checker is not a wrong answer: recorded as an error, never as 0.0.
    """


class QueryError(ScoringError):
    """A query did not produce a result: ``kind`` is ``"timeout"``, ``"too_many_rows"`` or ``"sqlite"``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class GroupError(ScoringError):
    """A group reward could not score its group: it was called outside a group, the group is smaller than
    it needs, or the group arrived split across calls (fewer samples than its ``group_size``)."""


class GraderError(ScoringError):
    """A grade failed; ``flag`` is the OpenAI error category (``"python_grader_runtime_error"``, ...)."""

    def __init__(self, flag: str, message: str) -> None:
        self.flag = flag
        super().__init__(message)


class JudgeError(ScoringError):
    """An LLM judge gave no usable verdict for this sample: recorded as an abstention, never as a score."""


class JudgeParseError(JudgeError):
    """The judge answered, but its final answer holds no verdict in the declared form (or two)."""


class JudgeRefusal(JudgeError):
    """The judge declined to judge (a refusal instead of a verdict)."""


class JudgeUnavailable(JudgeError):
    """No answer from the judge: every retry failed. ``kind`` is ``"timeout"``, ``"rate_limited"``,
    ``"http"`` or ``"connection"``; ``attempts`` is how many calls were made."""

    def __init__(self, kind: str, message: str, *, attempts: int = 1) -> None:
        self.kind = kind
        self.attempts = attempts
        super().__init__(message)


class GuardRejected(JudgeError):
    """The answer tripped the judge guard (``rules`` names which) and the guard's policy is to abstain."""

    def __init__(self, rules: list[str]) -> None:
        self.rules = list(rules)
        super().__init__(f"the answer tripped the judge guard: {', '.join(self.rules)}")


# -- the code sandbox ------------------------------------------------------------------------------


class SandboxError(RewardLabError):
    """The code sandbox itself failed (could not start, died, or broke its protocol); not the program's fault."""


class SandboxCrash(SandboxError):
    """The zygote died or stopped answering during a job (the pool retries once on a fresh sandbox)."""


# -- the server and its client ---------------------------------------------------------------------


class ServiceError(RewardLabError):
    """The reward server takes no new work right now (answered as HTTP 503 with ``Retry-After``)."""


class Overloaded(ServiceError):
    """A queue is full (``queue`` names it: the server's sample queue, or its grader queue); retry after
    ``retry_after`` seconds."""

    def __init__(
        self, queued: int, limit: int, retry_after: float, *, queue: str = "server", unit: str = "samples"
    ) -> None:
        self.retry_after = retry_after
        self.queue = queue
        super().__init__(
            f"{queue} queue is full ({queued} of {limit} {unit} queued); retry after {retry_after:g} s"
        )


class ShuttingDown(ServiceError):
    """The server is draining and takes no new work."""


class ServerError(RewardLabError):
    """The server answered a request with an error (``status``; ``body`` is its JSON error document)."""

    def __init__(self, status: int | None, body: Any) -> None:
        self.status = status
        self.body = body
        err = body.get("error", {}) if isinstance(body, dict) else {}
        where = f" (field {err['field']!r})" if err.get("field") else ""
        head = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{head}: {err.get('type', 'Error')}: {err.get('message', body)}{where}")


class ServerUnavailable(ServerError):
    """Every attempt failed: the server could not be reached or kept answering 502/503/504.

    ``attempts`` is the number of requests made; the last transport error (if any) is ``__cause__``.
    """

    def __init__(self, status: int | None, body: Any, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(status, body)
