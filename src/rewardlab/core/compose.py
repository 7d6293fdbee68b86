"""Composition: weighted sums with gates, min/max, multiplicative penalties.

Every composite validates itself when built and reports every problem at once (duplicate names, weights
that do not match the components, non-finite weights, gates that name a missing component or form a
cycle). Results carry the per-component breakdown: ``components[name]`` is the unweighted score of each
child, nested children appear as ``"parent.child"``.

Differences from the anchors: verifiers' ``Rubric`` zips functions and weights without a length check and
turns a failing function into 0.0; here a failing component makes the composite's score ``None`` with an
error that names the component, and the components that did succeed are still reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.core.reward import Reward, RewardLike, is_reward
from rewardlab.core.types import ErrorInfo, RewardResult, Sample
from rewardlab.errors import ConfigError

ComponentsArg = Mapping[str, Any] | Sequence[tuple[str, Any]]
"""Named components: ``{"name": reward}`` or ``[("name", reward), ...]``."""


def _named(components: ComponentsArg, problems: list[str]) -> list[tuple[str, Any]]:
    pairs = list(components.items()) if isinstance(components, Mapping) else list(components)
    seen: set[str] = set()
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            problems.append(f"component #{i} must be a (name, reward) pair, got {pair!r}")
            continue
        name = pair[0]
        if not name or "." in name:
            problems.append(f"component name {name!r} must be non-empty and contain no '.'")
        if name in seen:
            problems.append(f"duplicate component name {name!r}")
        seen.add(name)
    if not pairs:
        problems.append("a composite needs at least one component")
    return [p for p in pairs if isinstance(p, tuple) and len(p) == 2]


def _check(value: Any, name: str, problems: list[str]) -> RewardLike | None:
    """Composites take reward objects only; :func:`rewardlab.combine` resolves names and specs first."""
    if is_reward(value):
        return value
    problems.append(
        f"component {name!r} is not a reward (got {type(value).__name__}); rl.combine()/rl.penalize() "
        "accept names and specs"
    )
    return None


def _merge_child(out: RewardResult, name: str, child: RewardResult) -> None:
    if child.score is not None:
        out.components[name] = child.score
    for sub, v in child.components.items():
        out.components[f"{name}.{sub}"] = v
    if child.info:
        out.info[name] = child.info


def _call_child(reward: RewardLike, sample: Sample) -> RewardResult:
    try:
        return reward(sample)
    except Exception as exc:  # recorded on the composite's result, never hidden
        return RewardResult.failure(exc)


def _component_error(name: str, err: ErrorInfo) -> ErrorInfo:
    return ErrorInfo(type="ComponentError", message=f"component {name!r} failed: {err.type}: {err.message}")


class Combine(Reward):
    """Named components reduced by a weighted sum (``mode="sum"``), or by ``"min"`` / ``"max"``.

    ``weights`` is a mapping name -> weight (missing names weigh 1.0) or a sequence with one weight per
    component. ``gates`` maps a component to the component that must pass first, as ``name`` or
    ``(name, threshold)``; a gated component contributes 0 unless its gate scored ``>= threshold``
    (default 1.0) and is then not evaluated at all (listed in ``info["gated_off"]``).

    Components are reward objects; :func:`rewardlab.combine` builds a ``Combine`` from names and specs.
    """

    composite = True  # children's results are reported as components ``name`` and ``name.sub``

    def __init__(
        self,
        components: ComponentsArg,
        *,
        weights: Mapping[str, float] | Sequence[float] | None = None,
        mode: str = "sum",
        gates: Mapping[str, str | tuple[str, float]] | None = None,
        name: str = "combine",
    ) -> None:
        problems: list[str] = []
        pairs = _named(components, problems)
        names = [n for n, _ in pairs]
        if mode not in ("sum", "min", "max"):
            problems.append(f"mode must be 'sum', 'min' or 'max', got {mode!r}")
        w = self._weights(names, weights, problems)
        if mode != "sum" and weights is not None:
            problems.append(f"weights apply only to mode='sum' (mode is {mode!r})")
        g = self._gates(names, gates or {}, problems)
        resolved = [(n, _check(r, n, problems)) for n, r in pairs]
        if problems:
            raise ConfigError(problems, where=f"composite {name!r}")
        self.name = name
        self.mode = mode
        self.components = [(n, r) for n, r in resolved if r is not None]
        self.weights = w
        self.gates = g
        self._order = self._topological(names, g)

    def children(self) -> list[tuple[str, RewardLike]]:
        return list(self.components)

    @staticmethod
    def _weights(
        names: list[str], weights: Mapping[str, float] | Sequence[float] | None, problems: list[str]
    ) -> dict[str, float]:
        if weights is None:
            return dict.fromkeys(names, 1.0)
        if isinstance(weights, Mapping):
            extra = sorted(set(weights) - set(names))
            if extra:
                problems.append(f"weights name unknown component(s) {extra} (components: {names})")
            items = {n: weights.get(n, 1.0) for n in names}
        else:
            weights = list(weights)
            if len(weights) != len(names):
                problems.append(f"got {len(weights)} weights for {len(names)} components {names}")
            items = dict(zip(names, weights, strict=False))
        out: dict[str, float] = {}
        for n, v in items.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                problems.append(f"weight of {n!r} must be a finite number, got {v!r}")
            else:
                out[n] = float(v)
        return out

    @staticmethod
    def _gates(
        names: list[str], gates: Mapping[str, str | tuple[str, float]], problems: list[str]
    ) -> dict[str, tuple[str, float]]:
        out: dict[str, tuple[str, float]] = {}
        for target, spec in gates.items():
            gate, threshold = (spec, 1.0) if isinstance(spec, str) else (spec[0], spec[1])
            if target not in names:
                problems.append(f"gate on unknown component {target!r}")
            if gate not in names:
                problems.append(f"component {target!r} is gated by unknown component {gate!r}")
            if gate == target:
                problems.append(f"component {target!r} cannot gate itself")
            if not isinstance(threshold, int | float) or not math.isfinite(threshold):
                problems.append(f"gate threshold of {target!r} must be a finite number, got {threshold!r}")
            out[target] = (str(gate), float(threshold) if isinstance(threshold, int | float) else math.nan)
        return out

    @staticmethod
    def _topological(names: list[str], gates: dict[str, tuple[str, float]]) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                raise ConfigError(f"gates form a cycle: {' -> '.join([*path, n])}")
            state[n] = 1
            if n in gates:
                visit(gates[n][0], [*path, n])
            state[n] = 2
            order.append(n)

        for n in names:
            visit(n, [])
        return order

    def __call__(self, sample: Sample) -> RewardResult:
        by_name = dict(self.components)
        out = RewardResult(score=None)
        scores: dict[str, float] = {}
        gated_off: list[str] = []
        for n in self._order:
            if n in self.gates:
                gate, threshold = self.gates[n]
                if gate in gated_off or scores.get(gate, -math.inf) < threshold:
                    gated_off.append(n)
                    continue
            child = _call_child(by_name[n], sample)
            _merge_child(out, n, child)
            if child.error is not None or child.score is None:
                out.error = _component_error(n, child.error or ErrorInfo("MissingScore", "no score"))
                return out
            scores[n] = child.score
        if gated_off:
            out.info["gated_off"] = gated_off
        if self.mode == "sum":
            out.score = sum(self.weights[n] * scores.get(n, 0.0) for n, _ in self.components)
        else:
            vals = [scores.get(n, 0.0) for n, _ in self.components]
            out.score = min(vals) if self.mode == "min" else max(vals)
        return out


class Penalized(Reward):
    """``score = main x product(penalty factors)``, as CaRL combines a main reward with penalties.

    Every penalty must return a factor in ``[0, 1]``; anything else is an error on that sample, not a
    silent clamp.
    """

    composite = True  # children's results are reported as components ``name`` and ``name.sub``

    def __init__(
        self,
        main: RewardLike,
        penalties: ComponentsArg,
        *,
        main_name: str = "main",
        name: str = "penalized",
    ) -> None:
        problems: list[str] = []
        pairs = _named(penalties, problems)
        if main_name in [n for n, _ in pairs]:
            problems.append(f"penalty name {main_name!r} clashes with the main component")
        main_r = _check(main, main_name, problems)
        resolved = [(n, _check(r, n, problems)) for n, r in pairs]
        if problems:
            raise ConfigError(problems, where=f"composite {name!r}")
        assert main_r is not None
        self.name = name
        self.main_name = main_name
        self.main = main_r
        self.penalties = [(n, r) for n, r in resolved if r is not None]

    def children(self) -> list[tuple[str, RewardLike]]:
        return [(self.main_name, self.main), *self.penalties]

    def __call__(self, sample: Sample) -> RewardResult:
        out = RewardResult(score=None)
        total = 1.0
        for n, r in [(self.main_name, self.main), *self.penalties]:
            child = _call_child(r, sample)
            _merge_child(out, n, child)
            if child.error is not None or child.score is None:
                out.error = _component_error(n, child.error or ErrorInfo("MissingScore", "no score"))
                return out
            if n != self.main_name and not 0.0 <= child.score <= 1.0:
                out.error = ErrorInfo(
                    "ValueError", f"penalty {n!r} returned factor {child.score}, outside [0, 1]"
                )
                return out
            total *= child.score
        out.score = total
        return out
