"""``make_runner``: a runner for a reward spec on the chosen backend, settings merged in one place."""

from __future__ import annotations

from typing import Any, Literal

from rewardlab.core.spec import RUNNER_KEYS, RewardSpec, as_reward, load_spec
from rewardlab.errors import ConfigError
from rewardlab.runner._base import BaseRunner, RunnerSettings
from rewardlab.runner.local import Runner, pickled
from rewardlab.runner.ray_backend import DEFAULT_RAY_CHUNK, RayRunner

Backend = Literal["local", "ray"]
BACKENDS = ("local", "ray")


def resolve(
    spec: RewardSpec, settings: RunnerSettings | None = None, /, **overrides: Any
) -> tuple[Any, RunnerSettings]:
    """The reward object and its runner settings: the spec's ``[runner]`` table (or ``settings`` when
    given, which replaces it), then ``overrides`` that are not None. Every problem of the spec (its shape,
    the runner settings, the reward) is reported at once (:class:`ConfigError`)."""
    loaded = load_spec(spec, strict=False)
    table = {k: v for k, v in loaded.runner.items() if k in RUNNER_KEYS}  # unknown keys: loaded.problems
    base = settings.as_dict() if settings is not None else table
    problems = list(loaded.problems)
    try:
        merged = RunnerSettings.merged(base, **overrides)
    except ConfigError as exc:
        problems += [f"runner: {p}" for p in exc.problems]
    try:
        reward = as_reward(loaded)
    except ConfigError as exc:
        if not problems:
            raise
        raise ConfigError([*exc.problems, *problems], where=f"spec {loaded.source}") from None
    if problems:
        raise ConfigError(problems, where=f"spec {loaded.source}")
    return reward, merged


def check(
    spec: RewardSpec, settings: RunnerSettings | None = None, /, **overrides: Any
) -> tuple[Any, RunnerSettings]:
    """What :func:`make_runner` checks before it starts anything (:func:`resolve`, then whether the reward
    can be sent to worker processes when there are any), without starting anything: ``rewardlab
    validate`` runs exactly this, so it refuses what ``rewardlab score`` would."""
    reward, merged = resolve(spec, settings, **overrides)
    if merged.cpu_workers() > 0:
        pickled(reward)
    return reward, merged


def make_runner(
    spec: RewardSpec,
    settings: RunnerSettings | None = None,
    /,
    *,
    backend: Backend = "local",
    ray_address: str | None = None,
    **overrides: Any,
) -> BaseRunner:
    """A runner for ``spec`` (anything :func:`~rewardlab.as_reward` accepts).

    Settings come from the spec's ``[runner]`` table, or ``settings`` when given, with ``overrides``
    (``workers=``, ``timeout=``, ... ; None means "not set") on top. ``backend="ray"`` returns a
    :class:`~rewardlab.runner.RayRunner` where ``workers`` is the number of actors and ``ray_address``
    joins a running cluster (``"auto"``); otherwise a local :class:`~rewardlab.Runner`.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be 'local' or 'ray', got {backend!r}")
    reward, merged = resolve(spec, settings, **overrides)
    if backend == "ray":
        kw = merged.as_dict()
        actors = kw.pop("workers")
        kw["chunk_size"] = kw["chunk_size"] or DEFAULT_RAY_CHUNK
        return RayRunner(reward, actors=actors, address=ray_address, **kw)
    return Runner.from_settings(reward, merged)
