"""The ``reward_model`` reward: options checked, batched == one by one, spec forms, failures recorded."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")

import _tiny

import rewardlab as rl
from rewardlab.core.types import Sample
from rewardlab.errors import ConfigError
from rewardlab.models import RewardModel
from rewardlab.models.prm import aggregate_steps


def samples(n: int = 4) -> list[Sample]:
    rows = _tiny.easy_pairs(n, seed=21)
    return [Sample(prompt="", completion=r[k]) for r in rows for k in ("chosen", "rejected")]


def test_options_are_checked_all_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        RewardModel(str(tmp_path / "nowhere"), batch_size=0, device="tpu", aggregate="max")
    text = str(exc.value)
    assert "`path` of reward_model must be a saved model directory" in text
    assert "`batch_size` of reward_model must be an integer >= 1, got 0" in text
    assert "`device` of reward_model must be 'cpu', 'cuda', 'cuda:N' or 'auto', got 'tpu'" in text
    assert "`aggregate` of reward_model must be one of min, last, product, mean, got 'max'" in text


def test_batched_equals_one_by_one_and_the_model_is_not_pickled(trained_bt: Path) -> None:
    reward = RewardModel(str(trained_bt), batch_size=3)
    batch = reward.score_batch(samples())
    single = [reward(s) for s in samples()]
    assert [r.score for r in batch] == pytest.approx([r.score for r in single], abs=1e-5)
    assert reward._loaded is not None
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._loaded is None and clone.path == reward.path
    assert len(pickle.dumps(reward)) < 2000


def test_rl_score_with_a_dict_spec_in_a_worker_process(trained_bt: Path) -> None:
    spec = {
        "type": "reward_model",
        "path": str(trained_bt),
        "batch_size": 4,
        "max_length": 64,
        "device": "cpu",
    }
    results = rl.score(spec, [s.to_dict() for s in samples()], workers=1)
    direct = RewardModel(str(trained_bt), batch_size=4, max_length=64).score_batch(samples())
    assert all(r.ok for r in results)
    assert [r.score for r in results] == pytest.approx([r.score for r in direct], abs=1e-5)


def test_normalize_uses_the_saved_mean_and_std(trained_bt: Path) -> None:
    import json

    meta = json.loads((trained_bt / "config.json").read_text())["rewardlab"]
    raw = RewardModel(str(trained_bt)).score_batch(samples(1))
    norm = RewardModel(str(trained_bt), normalize=True).score_batch(samples(1))
    for r, n in zip(raw, norm, strict=True):
        assert n.score == pytest.approx((r.score - meta["reward_mean"]) / meta["reward_std"], abs=1e-5)
        assert n.info["raw"] == pytest.approx(r.score)


def test_a_broken_model_is_a_recorded_error_never_a_score(trained_bt: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(trained_bt, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    results = rl.score(
        {"type": "reward_model", "path": str(broken)}, [s.to_dict() for s in samples(1)], workers=0
    )
    assert all(r.score is None and r.error is not None for r in results)


def test_aggregates() -> None:
    steps = [0.9, 0.5, 0.8]
    assert aggregate_steps(steps, "min") == 0.5
    assert aggregate_steps(steps, "last") == 0.8
    assert aggregate_steps(steps, "product") == pytest.approx(0.36)
    assert aggregate_steps(steps, "mean") == pytest.approx(2.2 / 3)
    with pytest.raises(ValueError, match="no step scores"):
        aggregate_steps([], "min")


def test_registered_and_reachable_from_the_package() -> None:
    assert rl.models.RewardModel is RewardModel
    entry = rl.REGISTRY.get("reward_model")
    assert entry.group == "models" and entry.factory() is RewardModel
