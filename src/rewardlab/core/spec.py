"""Declarative reward specs (dicts or TOML), validated whole before anything runs.

A node is a registered reward name (``"math"``) or a table with ``type``::

    type = "sum"                       # "sum" | "min" | "max" | "penalized" | any registered reward
    [components.correct]
    type = "math"
    weight = 1.0
    [components.format]
    type = "think_answer_format"
    weight = 0.2
    gate = "correct"                   # counts only when "correct" scored >= gate_threshold (default 1)

``penalized`` nodes have ``main`` (a node) and ``penalties`` (name -> node). All other keys of a leaf
are options of that reward. A spec file may instead hold ``[reward]`` (a node) and ``[runner]``
(``workers``, ``timeout``, ``on_error``, ``memory_mb``, ``chunk_size``). Every problem in the spec is
reported in one :class:`ConfigError`.

:func:`as_reward` is the one place where what a user hands rewardlab (a registered name, a TOML path, a
dict, a loaded :class:`Spec`, a reward object or a plain function) becomes a reward object; the runner,
the server, the adapters and the rewards that nest other rewards all call it. Composites
(:class:`~rewardlab.core.compose.Combine`, :class:`~rewardlab.core.compose.Penalized`) take reward objects
only; :func:`combine` and :func:`penalize` resolve their arguments first.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from rewardlab.core.compose import Combine, ComponentsArg, Penalized
from rewardlab.core.registry import REGISTRY, unknown_name_message
from rewardlab.core.reward import FunctionReward, RewardLike, is_reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, UnknownRewardError

COMPOSITES = ("sum", "min", "max", "penalized")
CHILD_KEYS = ("weight", "gate", "gate_threshold")  # belong to the parent's view of a child
RUNNER_KEYS = ("workers", "timeout", "on_error", "memory_mb", "chunk_size")
DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "data" / "default_spec.toml"
"""rewardlab's default spec (math correctness plus a small ``\\boxed{}`` bonus): demo, score and serve."""

RewardSpec: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | Spec | RewardLike | Callable[[Sample], float | RewardResult]"


@dataclass
class Spec:
    """A loaded spec: the reward node (a table, a name or a reward object) and the ``[runner]`` table."""

    reward: Any
    runner: dict[str, Any] = field(default_factory=dict)
    source: str = "<dict>"
    problems: list[str] = field(default_factory=list)  # of the file's own shape: top-level keys, [runner]


def load_spec(spec: RewardSpec, *, strict: bool = True) -> Spec:
    """Read a spec without building anything: a TOML path (``str`` ending in ``.toml`` or any path-like),
    a registered name, a dict, a :class:`Spec` (returned as is) or a reward object (wrapped, no runner table).

    Problems of the spec's own shape (unknown top-level keys, a ``runner`` that is not a table or has
    unknown keys) raise one :class:`ConfigError` that also lists the reward node's problems; with
    ``strict=False`` they are kept in :attr:`Spec.problems` instead, for a caller that reports them
    together with its own (:func:`rewardlab.runner.resolve` adds the runner settings' problems).
    """
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and spec.endswith(".toml")):
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"spec file {str(path)!r} does not exist")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        return _checked(_split(data, str(path)), strict)
    if isinstance(spec, str):
        return Spec(reward=spec, source=spec)
    if isinstance(spec, Mapping):
        return _checked(_split(spec, "<dict>"), strict)
    if is_reward(spec) or callable(spec):
        return Spec(
            reward=spec, source=f"<{type(spec).__name__} {getattr(spec, 'name', '')}>".replace(" >", ">")
        )
    raise ConfigError(
        "a reward is a registered name, a TOML path, a spec dict, a reward object or a function "
        f"sample -> float, got {type(spec).__name__}"
    )


def _split(data: Mapping[str, Any], source: str) -> Spec:
    if "reward" in data and "type" not in data:
        extra = sorted(set(data) - {"reward", "runner"})
        problems = [f"unknown top-level key {k!r} (expected 'reward' and 'runner')" for k in extra]
        runner = data.get("runner", {})
        if not isinstance(runner, Mapping):
            problems.append("'runner' must be a table")
            runner = {}
        problems += [
            f"runner: unknown key {k!r} (allowed: {', '.join(RUNNER_KEYS)})"
            for k in runner
            if k not in RUNNER_KEYS
        ]
        return Spec(reward=data["reward"], runner=dict(runner), source=source, problems=problems)
    return Spec(reward=dict(data), source=source)


def _checked(loaded: Spec, strict: bool) -> Spec:
    if strict and loaded.problems:
        raise ConfigError([*loaded.problems, *validate(loaded.reward)], where=f"spec {loaded.source}")
    return loaded


def validate(node: Any, path: str = "reward") -> list[str]:
    """Every problem in a node tree, as ``path: message`` strings. Builds nothing."""
    problems: list[str] = []
    if is_reward(node):  # an object placed in a Python-built spec
        return problems
    if isinstance(node, str):
        if node in COMPOSITES:
            problems.append(f"{path}: composite {node!r} needs a table with its components")
            return problems
        node = {"type": node}
    if not isinstance(node, Mapping):
        return [f"{path}: expected a reward name or a table, got {type(node).__name__}"]
    kind = node.get("type")
    if not isinstance(kind, str):
        return [f"{path}: missing 'type' (a registered reward or one of {', '.join(COMPOSITES)})"]
    if kind in ("sum", "min", "max"):
        allowed = {"type", "components", "name", *CHILD_KEYS}
        problems += [f"{path}: unknown key {k!r} for a {kind!r} node" for k in node if k not in allowed]
        comps = node.get("components")
        if not isinstance(comps, Mapping) or not comps:
            problems.append(f"{path}: a {kind!r} node needs a non-empty 'components' table")
            return problems
        for cname, child in comps.items():
            cpath = f"{path}.components.{cname}"
            problems += validate(child, cpath)
            if isinstance(child, Mapping):
                weight = child.get("weight", 1.0)
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or weight != weight
                    or abs(weight) == float("inf")
                ):
                    problems.append(f"{cpath}.weight: must be a finite number, got {weight!r}")
                if kind != "sum" and "weight" in child:
                    problems.append(f"{cpath}.weight: weights apply only to 'sum' nodes")
                gate = child.get("gate")
                if gate is not None and gate not in comps:
                    problems.append(f"{cpath}.gate: no component named {gate!r} (have {', '.join(comps)})")
        return problems
    if kind == "penalized":
        allowed = {"type", "main", "penalties", "name", *CHILD_KEYS}
        problems += [f"{path}: unknown key {k!r} for a 'penalized' node" for k in node if k not in allowed]
        if "main" not in node:
            problems.append(f"{path}: a 'penalized' node needs 'main'")
        else:
            problems += validate(node["main"], f"{path}.main")
        pens = node.get("penalties")
        if not isinstance(pens, Mapping) or not pens:
            problems.append(f"{path}: a 'penalized' node needs a non-empty 'penalties' table")
        else:
            for pname, child in pens.items():
                problems += validate(child, f"{path}.penalties.{pname}")
        return problems
    if kind not in REGISTRY:
        return [f"{path}: {unknown_name_message(kind, REGISTRY.names())}"]
    options = {k: v for k, v in node.items() if k not in ("type", *CHILD_KEYS)}
    try:
        problems += [f"{path}: {p}" for p in REGISTRY.option_problems(kind, options)]
    except UnknownRewardError as exc:
        problems.append(f"{path}: {exc.problems[0]}")
    except ImportError as exc:
        problems.append(f"{path}: reward {kind!r} cannot be loaded: {exc}")
    return problems


def _build(node: Any, path: str, problems: list[str]) -> RewardLike | None:
    if is_reward(node):
        return node
    if isinstance(node, str):
        node = {"type": node}
    kind = node["type"]
    try:
        if kind in ("sum", "min", "max"):
            comps = node["components"]
            children = [(n, _build(c, f"{path}.components.{n}", problems)) for n, c in comps.items()]
            if any(c is None for _, c in children):
                return None
            weights = (
                {n: c.get("weight", 1.0) for n, c in comps.items() if isinstance(c, Mapping)}
                if kind == "sum"
                else None
            )
            gates = {
                n: (c["gate"], c.get("gate_threshold", 1.0))
                for n, c in comps.items()
                if isinstance(c, Mapping) and "gate" in c
            }
            return Combine(children, weights=weights, mode=kind, gates=gates, name=node.get("name", kind))
        if kind == "penalized":
            main = _build(node["main"], f"{path}.main", problems)
            pens = [(n, _build(c, f"{path}.penalties.{n}", problems)) for n, c in node["penalties"].items()]
            if main is None or any(p is None for _, p in pens):
                return None
            return Penalized(main, pens, name=node.get("name", "penalized"))
        options = {k: v for k, v in node.items() if k not in ("type", *CHILD_KEYS)}
        return REGISTRY.build(kind, **options)
    except ConfigError as exc:
        problems.extend(f"{path}: {p}" for p in exc.problems)
        return None


def as_reward(spec: RewardSpec) -> RewardLike:
    """The reward object for anything a user may pass as a reward.

    - a reward object (a :class:`~rewardlab.Reward`, or any callable with a string ``name``): itself;
    - a plain function ``sample -> float | RewardResult``: wrapped in :class:`~rewardlab.FunctionReward`;
    - a registered name (``"math"``), an import path (``"pkg.mod:Factory"``), a spec dict, a TOML path or a
      loaded :class:`Spec`: validated whole first (names, option names, weights, gates), then every leaf is
      built and construction errors (bad option values) are collected too; one :class:`ConfigError`
      lists every problem.
    """
    if is_reward(spec):
        return spec  # type: ignore[return-value]
    if callable(spec) and not isinstance(spec, Spec):
        return FunctionReward(spec)
    loaded = load_spec(spec)
    problems = validate(loaded.reward)
    if problems:
        cls = UnknownRewardError if all("unknown reward" in p for p in problems) else ConfigError
        raise cls(problems, where=f"reward spec {loaded.source}")
    build_problems: list[str] = []
    reward = _build(loaded.reward, "reward", build_problems)
    if build_problems or reward is None:
        raise ConfigError(build_problems or ["could not build reward"], where=f"reward spec {loaded.source}")
    return reward


build_reward = as_reward
"""The name :func:`as_reward` had before; kept for code that uses ``rl.build_reward``."""


class _Unresolved:
    """Stands in for a component that could not be resolved, so that its name still counts in the
    composite's own checks (weights, gates) and every problem is reported at once. Never scored."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, sample: Sample) -> RewardResult:  # pragma: no cover - never built into a reward
        raise RuntimeError(f"component {self.name!r} was not resolved")


def _resolve_all(pairs: list[tuple[Any, Any]], problems: list[str]) -> list[tuple[Any, Any]]:
    out = []
    for name, value in pairs:
        if is_reward(value):
            out.append((name, value))
            continue
        if not (isinstance(value, str | os.PathLike | Mapping | Spec) or callable(value)):
            problems.append(f"component {name!r} is not a reward (got {type(value).__name__})")
            out.append((name, _Unresolved(str(name))))
            continue
        try:
            out.append((name, as_reward(value)))
        except ConfigError as exc:
            problems.extend(f"component {name!r}: {p}" for p in exc.problems)
            out.append((name, _Unresolved(str(name))))
    return out


def _pairs(components: ComponentsArg) -> list[tuple[Any, Any]]:
    items = list(components.items()) if isinstance(components, Mapping) else list(components)
    return [p if isinstance(p, tuple) and len(p) == 2 else (None, p) for p in items]


def combine(
    components: ComponentsArg | None = None,
    /,
    *,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    mode: str = "sum",
    gates: Mapping[str, str | tuple[str, float]] | None = None,
    name: str = "combine",
    **named: RewardSpec,
) -> Combine:
    """``rl.combine(correct=rl.math_answer(), fmt="think_answer_format", weights={"fmt": 0.2})``.

    Components may be anything :func:`as_reward` accepts; every problem (of the components and of the
    composite) is reported in one :class:`ConfigError`.
    """
    if components is not None and named:
        raise ConfigError("pass components either as a mapping/list or as keyword arguments, not both")
    raw = components if components is not None else named
    problems: list[str] = []
    pairs = _pairs(raw)
    resolved = _resolve_all([p for p in pairs if p[0] is not None], problems)
    malformed = [p[1] for p in pairs if p[0] is None]  # let Combine report them in its own words
    try:
        built = Combine([*resolved, *malformed], weights=weights, mode=mode, gates=gates, name=name)
    except ConfigError as exc:
        raise ConfigError([*exc.problems, *problems], where=f"composite {name!r}") from None
    if problems:
        raise ConfigError(problems, where=f"composite {name!r}")
    return built


def penalize(main: RewardSpec, /, *, name: str = "penalized", **penalties: RewardSpec) -> Penalized:
    """``rl.penalize(rl.math_answer(), overlong=rl.reward("overlong_penalty", ...))``: main x product of factors."""
    problems: list[str] = []
    (_, main_r), *pens = _resolve_all([("main", main), *penalties.items()], problems)
    try:
        built = Penalized(main_r, pens, name=name)
    except ConfigError as exc:
        raise ConfigError([*exc.problems, *problems], where=f"composite {name!r}") from None
    if problems:
        raise ConfigError(problems, where=f"composite {name!r}")
    return built
