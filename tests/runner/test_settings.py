"""RunnerSettings: one validated, frozen home for workers, timeout, error policy, memory and chunk size;
``make_runner`` merges a spec's ``[runner]`` table with explicit options in one place."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab.errors import ConfigError
from rewardlab.runner import RayRunner, Runner, make_runner, resolve
from rewardlab.runner.local import preload_modules


def test_every_problem_is_reported_at_once_with_the_value_received() -> None:
    with pytest.raises(ConfigError) as info:
        rl.RunnerSettings(workers=-1, timeout=0, on_error="ignore", memory_mb=8, chunk_size=0)
    assert info.value.problems == [
        "workers must be an integer >= 0 or None, got -1",
        "timeout must be a positive number of seconds or None, got 0",
        "memory_mb must be an integer >= 64 or None, got 8",
        "chunk_size must be an integer >= 1, got 0",
        "on_error must be 'record', 'raise' or a finite penalty number, got 'ignore'",
    ]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"workers": True}, "workers must be an integer"),
        ({"timeout": float("inf")}, "timeout must be a positive number"),
        ({"workers": 0, "timeout": 1}, "timeout needs worker processes"),
        ({"on_error": float("nan")}, "finite penalty"),
        ({"memory_mb": 100.5}, "memory_mb must be an integer"),
    ],
)
def test_invalid_values(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        rl.RunnerSettings(**kwargs)


def test_settings_are_frozen_and_normalised() -> None:
    s = rl.RunnerSettings(timeout=3, on_error=-1)
    assert (s.timeout, s.on_error) == (3.0, -1.0) and isinstance(s.on_error, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.workers = 4  # type: ignore[misc]
    with pytest.raises(ConfigError, match="memory_mb"):
        s.replace(memory_mb=1)


def test_merged_layers_explicit_options_over_the_table_and_ignores_none() -> None:
    s = rl.RunnerSettings.merged({"workers": 2, "timeout": 7, "on_error": -2}, timeout=3, on_error=None)
    assert s == rl.RunnerSettings(workers=2, timeout=3, on_error=-2)
    with pytest.raises(ConfigError, match="unknown runner setting 'thread'"):
        rl.RunnerSettings.merged({"thread": 2})


def test_resolve_reads_the_spec_table_then_overrides(tmp_path: Path) -> None:
    spec = tmp_path / "r.toml"
    spec.write_text('[reward]\ntype = "math"\n[runner]\nworkers = 1\ntimeout = 7\nchunk_size = 4\n')
    reward, settings = resolve(spec, timeout=2)
    assert reward.name == "math"
    assert settings == rl.RunnerSettings(workers=1, timeout=2, chunk_size=4)
    with pytest.raises(ConfigError, match="timeout needs worker processes"):
        resolve(spec, workers=0, timeout=None)  # None leaves the table's timeout in place


def test_make_runner_builds_the_local_runner_with_merged_settings(tmp_path: Path) -> None:
    spec = tmp_path / "r.toml"
    spec.write_text('[reward]\ntype = "math"\n[runner]\nworkers = 1\ntimeout = 7\nchunk_size = 4\n')
    with make_runner(spec, on_error=-1.0) as runner:
        assert isinstance(runner, Runner)
        assert (runner.workers, runner.timeout, runner.on_error, runner.chunk_size) == (1, 7.0, -1.0, 4)
        (result,) = runner.score([{"completion": "\\boxed{2}", "reference": "2"}])
        assert result.score == 1.0
    with pytest.raises(ConfigError, match="backend must be 'local' or 'ray'"):
        make_runner("math", backend="spark")  # type: ignore[arg-type]


def test_rl_exports_the_runner_face() -> None:
    assert rl.Runner is Runner and rl.RayRunner is RayRunner and rl.make_runner is make_runner


def test_preload_reaches_rewards_nested_in_wrappers_and_criteria() -> None:
    checklist = rl.reward("checklist", criteria=[{"id": "right", "kind": "reward", "reward": "math"}])
    nested = rl.combine(length=rl.reward("cosine_length", correct="math", max_length=100), check=checklist)
    mods = preload_modules(nested)
    assert {"sympy", "latex2sympy2_extended", "rewardlab.rewards.math"} <= mods
    assert {"rewardlab.rewards.length", "rewardlab.rewards.checklist", "rewardlab.core.compose"} <= mods


def test_reward_and_runner_problems_of_a_spec_are_reported_together(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(
        '[reward]\ntype = "sum"\n[reward.components.a]\ntype = "maths"\n'
        '[runner]\nworkers = 0\ntimeout = 3\non_error = "ignore"\n'
    )
    with pytest.raises(ConfigError) as info:
        resolve(spec)
    assert info.value.problems == [
        "reward.components.a: unknown reward 'maths'; did you mean 'math'? (run `rewardlab rewards` to list all)",
        "runner: timeout needs worker processes (workers >= 1); workers=0 cannot stop a running reward",
        "runner: on_error must be 'record', 'raise' or a finite penalty number, got 'ignore'",
    ]
