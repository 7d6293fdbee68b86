"""rewardlab inside verifiers 0.4.0's own scoring (``scripts/verifiers_reward.py`` in the verifiers venv).

Two rewardlab task rewards plugged into one task by config, exactly as the README's verifiers section
writes them (a rewards file, ``TaskConfig.rewards.<name>.fn = "file.py:obj"``); rollouts are real
``Trace`` objects whose model answers are committed by verifiers' turn recording (the model is the faked
boundary), scored by ``Task.score`` under verifiers' own scoring boundary; three groups of rollouts
scored concurrently. Task data is a ``TaskData`` subclass and the wire form ``WireTaskData``.
"""

from __future__ import annotations

from typing import Any

import pytest
from _trainer_envs import SPEC, VERIFIERS, last_json, run_in


@pytest.fixture(scope="module")
def rollouts() -> Any:
    done = run_in(VERIFIERS, "verifiers_reward.py", str(SPEC), timeout=600)
    assert done.returncode == 0, done.stderr[-6000:]
    return last_json(done.stdout)


def by_text(rollouts: Any, text: str) -> Any:
    (found,) = [r for r in rollouts["rollouts"] if r["text"] == text]
    return found


def test_task_data_reaches_the_reward_and_scores_are_weighted(rollouts: Any) -> None:
    boxed, bare, wire = by_text(rollouts, "\\boxed{72}"), by_text(rollouts, "72"), by_text(rollouts, "42")
    assert boxed["error"] is None and boxed["rewards"] == {"correct": [1.0, 1.0], "style": [1.0, 0.5]}
    assert bare["rewards"] == {"correct": [1.5, 1.0], "style": [0.0, 0.5]} and bare["reward"] == 1.5
    assert wire["error"] is None and wire["rewards"]["correct"] == [1.5, 1.0]  # WireTaskData's extra field
    assert by_text(rollouts, "\\boxed{41}")["rewards"]["correct"] == [0.0, 1.0]


def test_two_rewards_on_one_task_keep_separate_metrics(rollouts: Any) -> None:
    metrics = by_text(rollouts, "72")["metrics"]
    assert metrics == {
        "trainer_spec/correct": 1.0,
        "trainer_spec/exact": 1.0,
        "trainer_spec/trip": 1.0,
        "trainer_spec/error": 0.0,
        "boxed_format/error": 0.0,
    }


def test_a_failing_and_a_hanging_sample_fail_the_trace_visibly(rollouts: Any) -> None:
    crash, hang = by_text(rollouts, "CRASH 72"), by_text(rollouts, "HANG")
    assert (
        crash["error"].startswith("TaskError") and "component 'trip' failed: RuntimeError" in crash["error"]
    )
    assert crash["metrics"]["trainer_spec/error"] == 1.0 and crash["metrics"]["boxed_format/error"] == 0.0
    assert crash["rewards"]["correct"] is None  # never a silent 0.0: verifiers records the TaskError
    assert "Timeout" in hang["error"] and hang["metrics"]["trainer_spec/error"] == 1.0


def test_a_group_of_concurrent_rollouts_is_scored_as_one_batch(rollouts: Any) -> None:
    """Concurrent rollouts reach rewardlab as batches, not one call each (usually all 7 at once; how the
    event loop interleaves them on a busy machine may split them)."""
    assert len(rollouts["rollouts"]) == 7
    sizes = rollouts["batch_sizes"]
    assert sum(sizes) == 7 and sizes[0] > 1, sizes
