"""Code-execution rewards: run the completion's Python code against tests in the sandbox.

``"code"`` scores the fraction of tests passed; ``"code_strict"`` scores 1.0 only when all pass. The test
format is read from ``sample.reference`` (a dict, or a JSON string holding one):

- HumanEval: ``{"test": "<defines check(candidate)>", "entry_point": "name", "prompt": "..."?}``. A
  completion that is a function body (its first line indented) is appended to the code prompt, as
  HumanEval does; a full program gets the prompt prepended, so helper functions it defines stay
  available. The code prompt is ``reference["prompt"]``, else ``sample.prompt`` when that parses as Python.
  Each top-level statement of ``check`` that asserts something about the candidate is one test. Helper
  functions the tests call (HumanEval's ``poly``) are taken from the prompt, never from the program: a
  reference whose tests use a helper that no trusted prompt defines is an error (the program could
  redefine it), unless ``reference["program_names"]`` lists it as a function the program must write.
- MBPP: ``{"test_list": ["assert f(1) == 2", ...], "test_imports": [...]?, "entry_point": "f"?}``; each
  assert is one test. As in MBPP's harness, the asserts may use a module the program imports
  (``sys.getsizeof`` after ``import sys``): they get the judge's own copy of that standard module.
- stdin/stdout: ``{"inputs": ["1 2\\n", ...], "outputs": ["3\\n", ...]}``; each pair is one run of the
  program, passing when it exits 0 and its output matches (``compare="tokens"``: same whitespace-separated
  tokens; ``"lines"``: same lines up to trailing whitespace and trailing blank lines).

Code is extracted from the completion (:func:`extract_code`): text after the last ``</think>`` (nothing
when a ``<think>`` is never closed), then the last fenced Python (or untagged) block, or the first, all of
them joined, or the block whose info string names ``block``; without fences, the raw text. A completion
without code scores 0.0 with ``info["reason"]``. A program that does not compile scores 0.0 with
``info["compile_error"]``. ``info`` always has ``format``, ``passed``, ``total``, ``error_type`` (of the
first failing test: ``AssertionError``, the program's own exception type, ``Timeout``, ``NameError`` for a
missing function, ``SyntaxError``...) and ``first_failure`` (the test's text, type and message). A broken
reference (unknown format, tests that do not parse or fail before running) is an error, never a 0.0.

Differences from the anchors, and why:

- Counting. human-eval and evalplus record "passed" when ``exec`` of program + tests returns, in a list or
  shared array the program can reach; verl's ``prime_code`` (APPS ``testing_util``) counts in a ``Manager``
  list inside the same process as the program; eval-protocol scores by exit status or by stdout. Each can
  be forged by the program (``os._exit(0)`` at the right moment, rewriting the shared result, printing
  the expected text). Here the tests run in a judge process where no submitted code runs, the program
  runs in a separate process, only plain data crosses, and results reach rewardlab on a pipe the program
  cannot reach, tagged with a nonce it never sees (see :mod:`rewardlab.sandbox`). Return values cross as
  their builtin base type, so an object whose ``__eq__`` always answers ``True`` passes nothing; helpers the
  tests use (HumanEval's ``poly``) come from the task prompt, not from the program.
- Partial credit. human-eval and evalplus are all-or-nothing per task; ``prime_code``'s ``continuous``
  mode runs only the first 10 stdin/stdout cases; verl's sandbox fusion sends one HTTP request per case.
  Here every test (assert) is counted, in one sandbox job per sample, and the all-pass variant is a
  separate name.
- Extraction. ``prime_code`` takes ``split("```python")[-1]``, which returns prose when the block is
  untagged and a half block when it is unclosed; eval-protocol takes the *first* block of the language.
  Here fences are parsed line by line (any length of backticks or tildes, indented fences, untagged
  blocks), ``<think>`` drafts are ignored, and which block counts is an option.
- Failures are data: a completion without code or with a syntax error is a 0.0 with the reason in
  ``info``; a sandbox that cannot start or a broken test suite is an error recorded by the runner.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rewardlab.core.budget import deadline
from rewardlab.core.reward import Reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import RewardTimeoutError
from rewardlab.sandbox import JudgePlan, JudgeResult, Limits, RunResult, SandboxPool
from rewardlab.sandbox.isolation import ISOLATION_CHOICES
from rewardlab.sandbox.plans import parse, plan_asserts, plan_check_function
from rewardlab.sandbox.process import JUDGE_GRACE

PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3", "ipython", "pycon"})
_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)|MemoryError)\b")
_TEXT_LIMIT = 300


@dataclass(frozen=True)
class Block:
    """A fenced block: its info string (``python title="x.py"``), content, and whether it was closed."""

    info: str
    code: str
    closed: bool

    @property
    def language(self) -> str:
        return self.info.split()[0].lower().strip("{}.") if self.info.split() else ""


@dataclass(frozen=True)
class Extracted:
    code: str
    source: str  # "fenced" or "raw"
    blocks: int = 0


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block (backticks or tildes, 3 or more, indented up to 3 spaces), in order.

    A block that is never closed runs to the end of the text (``closed=False``).
    """
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if m is None or (m.group(2)[0] == "`" and "`" in m.group(3)):
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            c = _FENCE_CLOSE.match(lines[i])
            if c and c.group(1)[0] == fence[0] and len(c.group(1)) >= len(fence):
                closed = True
                break
            line = lines[i]
            strip = min(indent, len(line) - len(line.lstrip(" ")))
            body.append(line[strip:])
            i += 1
        blocks.append(Block(info, "\n".join(body), closed))
        i += 1
    return blocks


def strip_thinking(text: str) -> str | None:
    """The text after the last ``</think>``; the text itself without think tags; None if never closed."""
    if "</think>" in text:
        return text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        return None
    return text


def extract_code(text: str, *, block: str = "last") -> Extracted | None:
    """The code a completion submits, or None when it has none (see the module docstring)."""
    answer = strip_thinking(text)
    if answer is None:
        return None
    blocks = fenced_blocks(answer)
    if not blocks:
        code = answer.lstrip("\r\n").rstrip()
        return Extracted(code, "raw") if code.strip() else None
    python = [b for b in blocks if b.language in PYTHON_TAGS]
    if block in ("last", "first", "all"):
        chosen = python[-1:] if block == "last" else python[:1] if block == "first" else python
    else:
        chosen = [b for b in blocks if block in re.split(r"[\s=\"',:;]+", b.info)][-1:]
    code = "\n\n".join(b.code for b in chosen).rstrip()
    return Extracted(code, "fenced", len(blocks)) if code.strip() else None


def assemble_humaneval(code: str, prompt: str | None) -> str:
    """Program text HumanEval-style: prompt + body, or prompt + full program (helpers stay defined)."""
    if not prompt:
        return code
    first = next((line for line in code.splitlines() if line.strip()), "")
    if first[:1] in (" ", "\t"):
        return prompt + code if prompt.endswith("\n") else prompt + "\n" + code
    return prompt.rstrip() + "\n\n\n" + code


@functools.lru_cache(maxsize=1024)
def _parses(text: str) -> bool:
    try:
        parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def outputs_match(got: str, expected: str, compare: str = "tokens") -> bool:
    """Whitespace-tolerant comparison of program output with the expected output."""
    if compare == "tokens":
        return got.split() == expected.split()

    def lines(s: str) -> list[str]:
        out = [line.rstrip() for line in s.replace("\r\n", "\n").split("\n")]
        while out and not out[-1]:
            out.pop()
        return out

    return lines(got) == lines(expected)


def _clip(text: Any, limit: int = _TEXT_LIMIT) -> str:
    s = str(text)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _reference(ref: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            raise ValueError(
                "code reward: sample.reference is a string but not JSON (expected a test dict)"
            ) from None
    if not isinstance(ref, Mapping):
        raise ValueError(
            "code reward needs sample.reference to be a dict with 'test' and 'entry_point' (HumanEval), "
            f"'test_list' (MBPP) or 'inputs' and 'outputs' (stdin/stdout), got {type(ref).__name__}"
        )
    if "test" in ref and "entry_point" in ref:
        return "humaneval", dict(ref)
    if "test_list" in ref:
        return "mbpp", dict(ref)
    if "inputs" in ref and "outputs" in ref:
        inputs, outputs = ref["inputs"], ref["outputs"]
        if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
            raise ValueError("code reward: 'inputs' and 'outputs' must be lists of the same length")
        if not inputs:
            raise ValueError("code reward: 'inputs' is empty (no tests)")
        return "stdio", dict(ref)
    raise ValueError(
        f"code reward: unknown test format with keys {sorted(ref)}; expected 'test' + 'entry_point', "
        "'test_list', or 'inputs' + 'outputs'"
    )


class CodeTests(Reward):
    """Fraction of tests the completion's code passes, run in the sandbox (``strict``: 1.0 or 0.0).

    Options: ``strict`` (all-pass scoring), ``block`` (which fenced block: ``"last"``, ``"first"``,
    ``"all"``, or a name in the block's info string), ``timeout`` (wall-clock seconds per sample; per input
    for stdin/stdout tests), ``memory_mb`` (address space per process), ``limits`` (other
    :class:`~rewardlab.sandbox.Limits` fields, e.g. ``{"processes": 4}``), ``compare`` (``"tokens"`` or
    ``"lines"``, stdin/stdout only), ``sandboxes`` (warm sandboxes per process, 2 by default: one cleans up
    and pre-forks while the other runs; also the number of stdin/stdout inputs run in parallel),
    ``isolation`` (``"auto"``, ``"bwrap"``, ``"unshare"``, ``"none"``).

    Each process that uses the reward starts its own warm pool of sandboxes on first use. Give the runner
    a per-sample deadline above the worst case (``timeout``, times the number of inputs for stdin/stdout).
    """

    def __init__(
        self,
        *,
        strict: bool = False,
        block: str = "last",
        timeout: float = 5.0,
        memory_mb: int = 1024,
        limits: dict[str, Any] | None = None,
        compare: str = "tokens",
        sandboxes: int = 2,
        isolation: str = "auto",
    ) -> None:
        problems = []
        if not isinstance(strict, bool):
            problems.append(f"`strict` of code must be true or false, got {strict!r}")
        if not isinstance(block, str) or not block.strip():
            problems.append(f"`block` of code must be 'last', 'first', 'all' or a block name, got {block!r}")
        if compare not in ("tokens", "lines"):
            problems.append(f"`compare` of code must be 'tokens' or 'lines', got {compare!r}")
        if isinstance(sandboxes, bool) or not isinstance(sandboxes, int) or not 1 <= sandboxes <= 64:
            problems.append(f"`sandboxes` of code must be an integer in [1, 64], got {sandboxes!r}")
        if isolation not in ISOLATION_CHOICES:
            problems.append(f"`isolation` of code must be one of {ISOLATION_CHOICES}, got {isolation!r}")
        extra = {} if limits is None else dict(limits) if isinstance(limits, dict) else None
        if extra is None:
            problems.append(f"`limits` of code must be a dict of sandbox limits, got {type(limits).__name__}")
        elif {"timeout", "memory_mb"} & set(extra):
            problems.append("`limits` of code must not repeat `timeout` or `memory_mb` (they are options)")
        if problems:
            raise ValueError("; ".join(problems))
        try:
            sandbox_limits = Limits.from_value({**(extra or {}), "timeout": timeout, "memory_mb": memory_mb})
        except ValueError as exc:
            raise ValueError(f"sandbox limits of code: {exc}") from exc
        self.strict = strict
        self.block = block
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.limits = extra
        self.compare = compare
        self.sandboxes = sandboxes
        self.isolation = isolation
        self.name = "code_strict" if strict else "code"
        self._pool = SandboxPool(sandboxes, limits=sandbox_limits, isolation=isolation)

    def close(self) -> None:
        """Stop this process's sandboxes (they also stop with the process)."""
        self._pool.close()

    def compute(self, sample: Sample) -> RewardResult:
        fmt, ref = _reference(sample.reference)
        extracted = extract_code(sample.completion_text, block=self.block)
        # The plan is built (and the tests validated) even without code: a broken reference is an error.
        plan = self._plan(fmt, ref, sample, code=extracted.code if extracted else "")
        if extracted is None:
            total = len(ref["inputs"]) if plan is None else len(plan.counted)
            return self._result(0, total, {"format": fmt, "reason": "no code found", "error_type": "NoCode"})
        info: dict[str, Any] = {"format": fmt, "code_source": extracted.source}
        end = deadline()  # the runner's budget for this sample, if any: our limits fit inside it
        if plan is None:
            return self._stdio(extracted.code, ref, info, end)
        limits = self._budgeted(end, grace=JUDGE_GRACE)
        if limits is None:
            raise RewardTimeoutError("the sample's time budget was used up before its tests could run")
        return self._judged(self._pool.judge(plan, limits=limits), info)

    def _budgeted(self, end: float | None, grace: float) -> Limits | None:
        """The sandbox limits for the next job: the reward's own, with the timeout cut to what is left of
        the sample's budget (``end``, a ``time.monotonic()`` value; ``grace`` is what the sandbox may take
        past a job's timeout). None when too little is left to start a job. The CPU-seconds limit stays as
        it was, so pre-forked processes still fit the job."""
        limits = self._pool.limits
        if end is None:
            return limits
        left = end - time.monotonic() - grace
        if left >= limits.timeout:
            return limits
        if left < _MIN_JOB_S:
            return None
        return limits.with_(timeout=left, cpu_seconds=limits.cpu)

    def _plan(self, fmt: str, ref: dict[str, Any], sample: Sample, code: str) -> JudgePlan | None:
        if fmt == "humaneval":
            prompt = ref.get("prompt")
            if prompt is None and sample.prompt_text.strip() and _parses(sample.prompt_text):
                prompt = sample.prompt_text
            program = assemble_humaneval(code, prompt) if code else code
            names = ref.get("program_names") or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("code reward: 'program_names' must be a list of function names")
            return plan_check_function(
                program, str(ref["test"]), str(ref["entry_point"]), prompt=prompt, program_names=names
            )
        if fmt == "mbpp":
            tests = ref["test_list"]
            if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
                raise ValueError("code reward: 'test_list' must be a list of assert strings")
            imports = ref.get("test_imports") or []
            imports = [imports] if isinstance(imports, str) else imports
            setup = ref.get("test_setup_code") or ""
            entry = ref.get("entry_point")
            if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
                raise ValueError("code reward: 'test_imports' must be a list of import lines")
            if not isinstance(setup, str) or not (entry is None or isinstance(entry, str)):
                raise ValueError("code reward: 'test_setup_code' and 'entry_point' must be strings")
            return plan_asserts(
                code, tests, imports=[*imports, *([setup] if setup else [])], entry_point=entry
            )
        return None

    def _result(self, passed: int, total: int, info: dict[str, Any]) -> RewardResult:
        info = {"passed": passed, "total": total, "error_type": None, "first_failure": None, **info}
        if self.strict:
            score = 1.0 if total and passed == total else 0.0
        else:
            score = passed / total if total else 0.0
        return RewardResult(score=score, info=info)

    def _judged(self, result: JudgeResult, info: dict[str, Any]) -> RewardResult:
        info.update(isolation=result.isolation, seconds=round(result.duration, 4))
        load = result.load
        if load["status"] == "compile_error":
            info["compile_error"] = {
                "type": load["type"],
                "message": _clip(load["message"]),
                "line": load.get("lineno"),
            }
        elif load["status"] != "ok":
            info["load_error"] = {"type": load["type"], "message": _clip(load["message"])}
        tampered = [t.message for t in result.tests if t.error_type == "ChannelTampering"]
        tampered += [load["message"]] if load["type"] == "ChannelTampering" else []
        if tampered:  # a failed run of the tests, and said so
            info["tampering"] = _clip(tampered[0])
        if result.timed_out:
            info["timed_out"] = True
        if result.output_limit_exceeded:
            info["output_limit_exceeded"] = True
        first = result.first_failure
        if first is not None:
            info["error_type"] = first.error_type
            info["first_failure"] = {
                "index": first.index,
                "test": first.label,
                "error_type": first.error_type,
                "message": _clip(first.message),
            }
            if result.stderr.strip():
                info["stderr"] = _clip(result.stderr.strip()[-_TEXT_LIMIT:])
        return self._result(result.passed, result.total, info)

    def _stdio(self, code: str, ref: dict[str, Any], info: dict[str, Any], end: float | None) -> RewardResult:
        cases = list(zip(ref["inputs"], ref["outputs"], strict=True))

        def run(case: tuple[Any, Any]) -> RunResult | None:
            limits = self._budgeted(end, grace=_RUN_GRACE_S)
            return None if limits is None else self._pool.run(code, stdin=_as_text(case[0]), limits=limits)

        outcomes: list[tuple[str | None, str]] = []
        ran: list[RunResult | None] = []
        if self.sandboxes > 1 and not self.strict and len(cases) > 1:
            with ThreadPoolExecutor(self.sandboxes) as ex:
                ran = list(ex.map(run, cases))
        else:
            for case in cases:  # once the budget is spent, each later run() returns None at once
                ran.append(run(case))
                last = ran[-1]
                if last is not None and (
                    last.compile_error or (self.strict and _verdict(last, case[1], self.compare)[0])
                ):
                    break
        if all(r is None for r in ran):
            raise RewardTimeoutError("the sample's time budget was used up before its first input could run")
        runs = [r for r in ran if r is not None]
        for r, (_, expected) in zip(ran, cases, strict=False):
            if r is None:  # the sample's budget (the runner's deadline) was spent on earlier inputs
                info["budget_exhausted"] = True
                outcomes.append(("BudgetExhausted", "not run: the sample's time budget was used up"))
            else:
                outcomes.append(_verdict(r, expected, self.compare))
        first = ran[0]
        if first is not None and first.compile_error:
            text = first.stderr.strip()
            line = text.splitlines()[-1] if text else "SyntaxError"
            error = line.split(":", 1)[0]
            info["compile_error"] = {"type": error, "message": _clip(text)}
            outcomes = [(error, line)] * len(cases)
        outcomes += [("NotRun", "an earlier test failed (strict)")] * (len(cases) - len(outcomes))
        passed = sum(kind is None for kind, _ in outcomes)
        info.update(
            isolation=runs[0].isolation if runs else "", seconds=round(sum(r.duration for r in runs), 4)
        )
        bad = next((i for i, (kind, _) in enumerate(outcomes) if kind is not None), None)
        if bad is not None:
            failed, message = outcomes[bad]
            info["error_type"] = failed
            info["first_failure"] = {
                "index": bad,
                "test": _clip(repr(cases[bad][0])),
                "error_type": failed,
                "message": _clip(message),
            }
            if any(r.timed_out for r in runs):
                info["timed_out"] = True
        return self._result(passed, len(cases), info)


_MIN_JOB_S = 0.05  # below this much time left, a sandbox job is not started
_RUN_GRACE_S = 0.1  # what a program run may take past its timeout (kill, clean-up, reply)


def _as_text(value: Any) -> str:
    """A test input or output as text: a string as is, a list of lines joined (APPS stores both)."""
    if isinstance(value, list):
        return "".join(f"{line}\n" for line in value)
    return str(value)


def _verdict(run: RunResult, expected: Any, compare: str) -> tuple[str | None, str]:
    """(error type or None, message) for one stdin/stdout case."""
    if run.timed_out:
        return "Timeout", "the program did not finish before the deadline"
    if run.output_limit_exceeded:
        return "OutputLimitExceeded", "the program wrote far more than the output limit"
    if run.exit.signal is not None:
        return run.exit.signal, f"the program was {run.exit.describe()}"
    if run.exit.code != 0:
        lines = run.stderr.strip().splitlines()
        m = _EXC_LINE.match(lines[-1]) if lines else None
        return (m.group(1) if m else "NonZeroExit"), (lines[-1] if lines else run.exit.describe())
    if not outputs_match(run.stdout, str(expected), compare):
        return (
            "WrongAnswer",
            f"expected {_clip(repr(str(expected)), 120)}, got {_clip(repr(run.stdout), 120)}",
        )
    return None, ""


def code_strict(**options: Any) -> CodeTests:
    """1.0 when the completion's code passes every test, else 0.0 (``code`` with ``strict=True``)."""
    return CodeTests(strict=True, **options)


code_strict.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [p for name, p in inspect.signature(CodeTests).parameters.items() if name != "strict"]
)
