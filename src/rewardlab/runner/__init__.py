"""Runners: score many samples in isolation, with per-sample deadlines and errors recorded as data.

- :class:`Runner` (``rl.Runner``): worker processes on this machine (:mod:`.local`);
- :class:`RayRunner`: Ray actors across a cluster, each with its own local runner (:mod:`.ray_backend`);
- :func:`make_runner`: either one for a spec, its ``[runner]`` table merged with explicit settings;
- :class:`RunnerSettings`: workers, timeout, error policy, memory cap and chunk size, validated once;
- :func:`score_one`: one sample in this process with the runner's error semantics (errors recorded).

Both backends build on :mod:`._base` (settings, counters, the error policy, the shared API) and satisfy
:class:`RunnerLike`.
"""

from __future__ import annotations

from rewardlab.runner._base import (
    DEFAULT_CHUNK,
    BaseRunner,
    OnError,
    RunnerLike,
    RunnerSettings,
    RunStats,
    apply_error_policy,
)
from rewardlab.runner.factory import make_runner, resolve
from rewardlab.runner.local import Runner
from rewardlab.runner.ray_backend import RayRunner
from rewardlab.runner.score import ascore, score
from rewardlab.runner.worker import score_one

__all__ = [
    "DEFAULT_CHUNK",
    "BaseRunner",
    "OnError",
    "RayRunner",
    "RunStats",
    "Runner",
    "RunnerLike",
    "RunnerSettings",
    "apply_error_policy",
    "ascore",
    "make_runner",
    "resolve",
    "score",
    "score_one",
]
