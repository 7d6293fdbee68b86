"""rewardlab inside verl 0.9.1's own reward code (``scripts/verl_reward.py`` in the verl virtualenv).

The README's route, exactly: ``REWARDLAB_SPEC`` names the spec, and
``reward.custom_reward_function.path=pkg://rewardlab.adapters.verl`` / ``name=acompute_score`` in verl's
own ``ppo_trainer.yaml``. verl's ``RewardLoopManager`` starts ``RewardLoopWorker`` Ray actors, each loads
the function with ``load_reward_manager`` and scores its chunk of a ``DataProto`` of real token ids (a
tiny local tokenizer; every response ends with EOS). Three prompts x (3, 3, 2) rollouts: one sample
crashes a component, one hangs past the deadline.
"""

from __future__ import annotations

from typing import Any

import pytest
from _trainer_envs import SPEC, VERL, is_nan, last_json, run_in

SCORES = [1.0, 1.5, 0.0, 1.5, 1.5, 1.5, 0.0, 1.5]  # \boxed{72}: correct only; "72": + exact; CRASH, HANG: 0


@pytest.fixture(scope="module")
def verl_run() -> Any:
    done = run_in(VERL, "verl_reward.py", str(SPEC), extra_env={"RAY_AUTH_MODE": "disabled"}, timeout=900)
    assert done.returncode == 0, done.stderr[-6000:]
    return last_json(done.stdout)


def test_reward_loop_on_ray_actors_scores_every_rollout_in_place(verl_run: Any) -> None:
    ray = verl_run["ray"]
    assert ray["rm_shape"] == [8, 16]  # (batch, response_len): one row per rollout, groups kept in order
    assert ray["rm_at_last_token"] == SCORES and ray["rm_elsewhere_zero"]
    assert ray["keys"] == ["score", "error", "error_type", "correct", "exact", "trip"]
    extra = ray["extra"]
    assert extra["score"] == SCORES
    # verl decodes with skip_special_tokens=True: the EOS never reaches exact_match ("72</s>" would be 0)
    assert extra["exact"][1] == 1.0 and extra["exact"][0] == 0.0


def test_a_failing_and_a_hanging_sample_are_flagged_never_silent_zeros(verl_run: Any) -> None:
    extra = verl_run["ray"]["extra"]
    assert extra["error"] == [False, False, True, False, False, False, True, False]
    assert extra["error_type"][2] == "ComponentError" and extra["error_type"][6] == "Timeout"
    # what the failed samples did not compute is NaN (a float), what they did compute is kept
    assert is_nan(extra["trip"][2]) and extra["correct"][2] == 0.0
    assert all(is_nan(extra[k][6]) for k in ("correct", "exact", "trip"))


def test_acompute_score_batches_a_reward_loop_chunk(verl_run: Any) -> None:
    """The batch form for verl's current trainer: the worker gathers one call per sample; rewardlab
    scores them in batches, not one by one (usually the whole chunk at once; on a busy machine the first
    calls may leave before the rest arrive; a smaller batch re-scores what followed the timeout)."""
    worker = verl_run["worker"]
    sizes = worker["batch_sizes"]
    assert sizes[0] > 1 and len(sizes) < 8, sizes
    assert worker["scores"] == SCORES


def test_a_component_as_the_dapo_filter_metric(verl_run: Any) -> None:
    """verl's DAPO filter calls float() on the metric: every value is a float, and a group holding a failed
    sample (NaN) is not evicted as constant; the all-correct group is."""
    dapo = verl_run["dapo"]
    for metric in ("trip", "correct", "score"):
        assert "error" not in dapo[metric], dapo[metric]
    assert dapo["trip"] == {"filtered": ["u1"], "counts": {"1.0": 1}}
    assert dapo["score"] == {"filtered": ["u1"], "counts": {"1.5": 1}}


def test_the_legacy_batch_manager_and_the_current_trainer_registry(verl_run: Any) -> None:
    legacy = verl_run["legacy_batch"]
    assert legacy["rm_sums"] == [s for i, s in enumerate(SCORES) if i != 6]
    assert legacy["extra"]["error"] == [False, False, True, False, False, False, False]
    # the current trainer has no "batch" reward manager: the README must point it at acompute_score
    assert verl_run["current_batch_manager"] == "Unknown reward manager: batch"
