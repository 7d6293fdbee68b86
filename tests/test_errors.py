"""The exception tree: the drawing in ``rewardlab.errors`` is the tree the classes form, and every
public error is reachable from the package and raised where its docstring says."""

from __future__ import annotations

import inspect
import re

import pytest

import rewardlab as rl
from rewardlab import errors
from rewardlab.core.types import ErrorInfo, RewardResult


def _drawn_tree() -> dict[str, tuple[str | None, list[str]]]:
    """``{class: (drawn parent, drawn extra bases)}`` read from the module docstring's drawing."""
    doc = inspect.getdoc(errors) or ""
    lines = [ln for ln in doc.splitlines() if re.match(r"^\s*(RewardLabError|[│├└ ]+[├└]── )", ln)]
    tree: dict[str, tuple[str | None, list[str]]] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        m = re.match(r"^(?P<indent>[│├└─ ]*)(?P<name>\w+)(?: \((?P<extra>[\w, ]+)\))?", line.strip("\n"))
        assert m, line
        depth = len(m.group("indent")) // 4
        name = m.group("name")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        extra = [b.strip() for b in (m.group("extra") or "").split(",") if b.strip()]
        tree[name] = (parent, extra)
        stack.append((depth, name))
    return tree


def _defined() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__
    }


def test_drawing_names_exactly_the_defined_classes() -> None:
    assert set(_drawn_tree()) == set(_defined())


def test_drawing_matches_each_class_bases() -> None:
    classes = _defined()
    for name, (parent, extra) in _drawn_tree().items():
        bases = [b.__name__ for b in classes[name].__bases__]
        expected = ([parent] if parent else ["Exception"]) + extra
        assert bases == expected, f"{name}: drawn {expected}, defined {bases}"


def test_every_error_is_a_rewardlab_error_and_exported() -> None:
    for name, cls in _defined().items():
        assert issubclass(cls, errors.RewardLabError), name
        assert getattr(rl, name) is cls, f"rl.{name} missing"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("rewardlab.client", "ServerError"),
        ("rewardlab.serve.batcher", "Overloaded"),
        ("rewardlab.serve.batcher", "ShuttingDown"),
        ("rewardlab.rewards.math", "TooComplex"),
        ("rewardlab.rewards.math", "Unverifiable"),
        ("rewardlab.rewards.graders", "GraderError"),
        ("rewardlab.sandbox", "SandboxError"),
    ],
)
def test_old_import_paths_give_the_tree_class(module: str, name: str) -> None:
    import importlib

    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_recorded_type_is_the_short_name_for_runner_errors() -> None:
    assert ErrorInfo.from_exception(errors.RewardTimeoutError("late")).type == "Timeout"
    assert ErrorInfo.from_exception(errors.WorkerCrashedError("died")).type == "WorkerCrashed"
    assert ErrorInfo.from_exception(errors.TooComplex("tower")).type == "TooComplex"
    failed = RewardResult.failure(errors.QueryError("timeout", "query ran past 1 s"))
    assert (failed.score, failed.error) == (None, ErrorInfo("QueryError", "query ran past 1 s"))


def test_server_error_messages_name_status_type_and_field() -> None:
    exc = errors.ServerError(
        422, {"error": {"type": "ValidationError", "message": "bad", "field": "samples"}}
    )
    assert str(exc) == "HTTP 422: ValidationError: bad (field 'samples')"
    gone = errors.ServerUnavailable(
        None, {"error": {"type": "ConnectError", "message": "refused"}}, attempts=3
    )
    assert isinstance(gone, errors.ServerError) and gone.attempts == 3 and gone.status is None
    assert str(gone) == "no answer: ConnectError: refused"
