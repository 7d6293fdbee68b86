"""Test plans for the judge: which trusted test code runs, which names come from the submitted program.

A :class:`JudgePlan` is data: the untrusted ``code``, trusted ``setup`` (run first; a failure means the
test suite is broken), an optional trusted ``prelude`` (e.g. a task prompt whose helper functions the tests
use; failures tolerated), ``units`` (statements run in order, each ``counted`` one is a test), and ``bind``
(test-side name -> the program's name). The judge process runs everything except ``code``; the program
runs in a separate process and only plain data crosses between them (see :mod:`._wire`); a bound name
that is a module in the program is, in the tests, the judge's own copy of that standard module, or a
stand-in that refuses when the module is not one of ``_roles.TEST_MODULES``.

Two builders cover the common Python test styles:

- :func:`plan_check_function`: a ``check(candidate)`` function (HumanEval). Each top-level statement of
  ``check``'s body that asserts something about the candidate is one counted test, so the score can be a
  fraction; ``assert True`` lines and setup statements are not counted.
- :func:`plan_asserts`: a list of ``assert`` statements that call the program's functions by name (MBPP).
"""

from __future__ import annotations

import ast
import builtins
import functools
import types
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.sandbox._roles import TEST_MODULES

_BUILTINS = frozenset(dir(builtins))
_TEST_MODULE_ROOTS = frozenset(m.split(".")[0] for m in TEST_MODULES)


@dataclass(frozen=True)
class TestUnit:
    source: str
    counted: bool = True
    label: str = ""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class JudgePlan:
    code: str
    units: tuple[TestUnit, ...]
    setup: tuple[str, ...] = ()
    prelude: tuple[str, ...] = ()
    bind: Mapping[str, str] = field(default_factory=dict)
    filename: str = "solution.py"
    modules_only: frozenset[str] = frozenset()  # bound names the program may supply only as a module

    def __post_init__(self) -> None:
        if not any(u.counted for u in self.units):
            raise ValueError("a judge plan needs at least one counted test")

    @property
    def counted(self) -> list[TestUnit]:
        return [u for u in self.units if u.counted]

    def to_wire(self, nonce: str, budget: float) -> dict[str, Any]:
        return {
            "nonce": nonce,
            "budget": budget,
            "code": self.code,
            "filename": self.filename,
            "setup": list(self.setup),
            "prelude": list(self.prelude),
            "bind": dict(self.bind),
            "modules_only": sorted(self.modules_only),
            "units": [{"source": u.source, "counted": u.counted} for u in self.units],
        }


def parse(source: str) -> ast.Module:
    """``ast.parse`` without compile-time warnings (invalid escapes in test strings are common and
    harmless; under ``-W error`` they would otherwise turn into a SyntaxError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _names(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """(names read, names bound) anywhere in ``nodes``."""
    loaded: set[str] = set()
    bound: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
    return loaded, bound


def top_level_names(source: str | None, *, skip_stubs: bool = False) -> set[str]:
    """Names a trusted prompt defines at its top level (empty when it does not parse).

    ``skip_stubs`` leaves out functions whose body is only a docstring, ``pass`` or ``...``: in a task
    prompt those are what the program must write, not helpers.
    """
    if not source:
        return set()
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = _names(tree.body)[1]
    if skip_stubs:
        names -= {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and all(_is_filler(s) for s in n.body)
        }
    return names


def _is_filler(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


def _segment(lines: list[bytes], stmt: ast.stmt) -> tuple[str, str] | None:
    """(indentation, text) of a statement that starts its line, from the source's UTF-8 lines."""
    if stmt.end_lineno is None or stmt.end_col_offset is None:
        return None
    first, last = stmt.lineno - 1, stmt.end_lineno - 1
    prefix = lines[first][: stmt.col_offset]
    if prefix.strip():  # another statement before it on the line (``a; b``)
        return None
    if first == last:
        chunk = lines[first][stmt.col_offset : stmt.end_col_offset]
    else:
        chunk = b"".join(
            [lines[first][stmt.col_offset :], *lines[first + 1 : last], lines[last][: stmt.end_col_offset]]
        )
    return prefix.decode("utf-8"), chunk.decode("utf-8")


def _unit(lines: list[bytes], stmt: ast.stmt, limit: int = 300) -> tuple[str, str]:
    """(source, label) of a statement of a function body as code that runs at module level: its own text
    (faster than ``ast.unparse`` and faithful), under ``if True:`` so that its indentation stays valid."""
    segment = _segment(lines, stmt)
    if segment is None or not segment[0]:
        text = source = ast.unparse(stmt)
    else:
        source = "if True:\n" + segment[0] + segment[1] + "\n"
        text = segment[1]
    label = " ".join(text.split()) if "\n" in text else text
    return source, label if len(label) <= limit else label[: limit - 3] + "..."


def plan_check_function(
    code: str,
    tests: str,
    entry_point: str,
    *,
    prompt: str | None = None,
    check_name: str = "check",
    program_names: Iterable[str] = (),
) -> JudgePlan:
    """A plan for HumanEval-style tests: ``tests`` defines ``check(candidate)``; ``candidate`` is the
    program's ``entry_point``. ``prompt``, when given, runs in the judge first so that helper functions the
    tests use (HumanEval's ``poly``, ``encode_cyclic``) come from the task, not from the program.

    Which names the tests may take from the program: the entry point, functions the prompt declares
    without a body (stubs the program must write), ``program_names`` (other functions the task asks the
    program to write), and standard modules the program imports (``math``: bound to the judge's own
    copy, never to anything else the program binds to that name). Any other name the tests read and do
    not define is a helper of the task: it must come from trusted text, so without a prompt that defines
    it the plan cannot be judged honestly and this raises ``ValueError`` (HumanEval 32, 38 and 50 need
    their prompt: a program that redefines ``poly`` would otherwise pass its own tests). Also raises
    ``ValueError`` when ``tests`` does not parse or has no ``check`` function.

    The analysis of the tests is cached (the same task is scored many times during training).
    """
    units, prelude, bind, modules_only = _check_function_plan(
        tests, entry_point, prompt, check_name, tuple(sorted(set(program_names)))
    )
    return JudgePlan(
        code=code, units=units, setup=(tests,), prelude=prelude, bind=bind, modules_only=modules_only
    )


@functools.lru_cache(maxsize=2048)
def _check_function_plan(
    tests: str, entry_point: str, prompt: str | None, check_name: str, program_names: tuple[str, ...]
) -> tuple[tuple[TestUnit, ...], tuple[str, ...], Mapping[str, str], frozenset[str]]:
    try:
        tree = parse(tests)
    except SyntaxError as exc:
        raise ValueError(f"the test code does not parse: {exc}") from exc
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == check_name), None)
    if check is None or not check.args.args:
        raise ValueError(f"the test code must define {check_name}(candidate)")
    param = check.args.args[0].arg
    body = check.body
    loaded, bound = _names([tree])
    # The prompt runs in the judge only when the tests use one of its helpers (not a stub to be written).
    helpers = top_level_names(prompt, skip_stubs=True) - {entry_point}
    stubs = top_level_names(prompt) - helpers
    known = helpers & (loaded - bound) if prompt else set()
    prelude = (prompt,) if prompt and known else ()
    free = sorted(n for n in loaded - bound - known - _BUILTINS if n != param)
    from_program = {entry_point, *stubs, *program_names}
    modules_only = frozenset(n for n in free if n not in from_program and n in _TEST_MODULE_ROOTS)
    untrusted = [n for n in free if n not in from_program and n not in modules_only]
    if untrusted:
        where = "the task prompt defines no such function" if prompt else "no task prompt was given"
        raise ValueError(
            f"the tests use {', '.join(map(repr, untrusted))}, which is neither the entry point "
            f"{entry_point!r} nor defined by the tests, and {where}: a helper of the task must come from "
            "trusted text, never from the program (give the task prompt as reference['prompt']; if the "
            "program must write it, list it in reference['program_names'])"
        )
    bind = {param: entry_point, **{n: n for n in free}}
    subjects = set(bind)
    flat_ok = not any(
        isinstance(n, ast.Return | ast.Yield | ast.YieldFrom | ast.Nonlocal | ast.Global)
        for stmt in body
        for n in _walk_same_scope(stmt)
    )
    units: list[TestUnit] = []
    if flat_ok:
        stmts = [
            s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]  # docstrings and bare strings are not tests
        asserts = [_asserts_something(s) for s in stmts]
        uses = _uses_candidate(stmts, subjects)
        if not any(a and u for a, u in zip(asserts, uses, strict=True)):
            uses = [True] * len(stmts)  # no assert mentions the candidate: count every assert
        lines = tests.encode("utf-8").splitlines(keepends=True)
        units = []
        for stmt, a, u in zip(stmts, asserts, uses, strict=True):
            source, label = _unit(lines, stmt)
            units.append(TestUnit(source, counted=a and u, label=label))
    if not any(u.counted for u in units):
        units = [TestUnit(f"{check_name}({param})", counted=True, label=f"{check_name}({entry_point})")]
    return tuple(units), prelude, types.MappingProxyType(bind), modules_only


def _asserts_something(stmt: ast.stmt) -> bool:
    """Has an ``assert`` whose condition is not a constant (``assert True`` checks nothing)."""
    return any(isinstance(n, ast.Assert) and not isinstance(n.test, ast.Constant) for n in ast.walk(stmt))


def _uses_candidate(stmts: Sequence[ast.stmt], subjects: set[str]) -> list[bool]:
    """Per statement: does it read the candidate, or a name computed from it by an earlier statement?"""
    tainted = set(subjects)
    out = []
    for stmt in stmts:
        loaded, bound = _names([stmt])
        uses = bool(loaded & tainted)
        if uses:
            tainted |= bound
        out.append(uses)
    return out


def _walk_same_scope(node: ast.AST) -> Iterable[ast.AST]:
    """``ast.walk`` that does not enter nested functions, lambdas or classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)


def plan_asserts(
    code: str,
    asserts: Sequence[str],
    *,
    imports: Sequence[str] = (),
    entry_point: str | None = None,
) -> JudgePlan:
    """A plan for MBPP-style tests: each of ``asserts`` is one counted test run after ``imports``.

    The program's functions are the names the asserts read that they do not define themselves and that
    are not builtins; if every name they call is a builtin (MBPP task 126 defines ``sum``), the first name
    the first assert calls is the program's. ``entry_point`` adds a name explicitly. Only these names come
    from the program: a program that defines ``set`` or ``math`` cannot change the tests' own tools. One of
    them that the program binds to a module (``sys`` after ``import sys``: MBPP runs its asserts in the
    program's namespace) is the judge's own copy of that standard module (see ``_roles.TEST_MODULES``).
    Raises ``ValueError`` when an assert does not parse or there are none. The analysis is cached.
    """
    units, setup, bind = _asserts_plan(tuple(asserts), tuple(imports), entry_point)
    program = f"{setup}\n{code}" if setup else code
    return JudgePlan(code=program, units=units, setup=(setup,) if setup else (), bind=bind)


@functools.lru_cache(maxsize=2048)
def _asserts_plan(
    asserts: tuple[str, ...], imports: tuple[str, ...], entry_point: str | None
) -> tuple[tuple[TestUnit, ...], str, Mapping[str, str]]:
    if not asserts:
        raise ValueError("no tests: the assert list is empty")
    trees = []
    for i, text in enumerate(asserts):
        try:
            trees.append(parse(text))
        except SyntaxError as exc:
            raise ValueError(f"test {i} does not parse: {exc}") from exc
    setup = "\n".join(imports)
    loaded, bound = _names(trees)
    bound |= top_level_names(setup)
    subjects = set(loaded - bound - _BUILTINS)
    if entry_point:
        subjects.add(entry_point)
    if not subjects:
        call = next(
            (n for n in ast.walk(trees[0]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)),
            None,
        )
        if call is None:
            raise ValueError("the tests call no function of the program")
        subjects.add(call.func.id)  # type: ignore[attr-defined]
    units = tuple(TestUnit(t, counted=True, label=t if len(t) <= 300 else t[:297] + "...") for t in asserts)
    return units, setup, types.MappingProxyType({n: n for n in sorted(subjects)})
