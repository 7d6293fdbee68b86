"""verl adapter: the parts verl's own code does not reach. verl itself runs in
``tests/integration/test_in_verl.py`` (verl 0.9.1 in its own virtualenv: ``RewardLoopManager`` on Ray
actors, ``RewardLoopWorker``, the DAPO group filter, the legacy ``BatchRewardManager``), which replaced
the replays of verl's call sites that lived here. These are unit tests of the adapter's own behaviour:
options, thread coalescing of the synchronous form, the missing-component policy.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rewardlab as rl
from _rewards import Behave
from rewardlab.adapters import verl as adapter
from rewardlab.adapters.verl import VerlReward
from rewardlab.errors import ConfigError


@pytest.fixture(autouse=True)
def _fresh_default() -> Any:
    adapter._DEFAULT.set(None)
    yield
    adapter._DEFAULT.set(None)


def test_module_functions_read_the_spec_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('[reward]\ntype = "sum"\n[reward.components.acc]\ntype = "math"\n[runner]\nworkers = 0\n')
    monkeypatch.setenv("REWARDLAB_SPEC", str(spec))
    row = adapter.compute_score(data_source="d", solution_str="\\boxed{3}", ground_truth="3", extra_info={})
    assert row == {"score": 1.0, "error": False, "error_type": "", "acc": 1.0}
    rows = adapter.compute_score_batch(["d", "d"], ["\\boxed{3}", "4"], ["3", "3"])
    assert [r["score"] for r in rows] == [1.0, 0.0]


def test_missing_components_are_nan_by_default_or_the_configured_policy() -> None:
    # `behave` is gated on `correct`, so a wrong answer never reaches it; one correct sample raises in it.
    reward = rl.combine(correct=rl.math_answer(), behave=Behave(), gates={"behave": "correct"})
    infos = [{"value": 0.5}, {}, {"do": "raise"}]
    answers = ["\\boxed{72}", "\\boxed{7}", "\\boxed{72}"]
    for missing, expect in ((math.nan, "nan"), (None, None), (-1.0, -1.0)):
        verl = VerlReward(reward, workers=0, error_score=-1.0, missing_component=missing)
        rows = verl.batch(["d"] * 3, answers, ["72"] * 3, infos)
        assert [r["score"] for r in rows] == [1.5, 0.0, -1.0]
        assert [r["error_type"] for r in rows] == ["", "", "ComponentError"]
        got = [rows[i]["behave"] for i in (1, 2)]
        assert all(math.isnan(g) for g in got) if expect == "nan" else got == [expect, expect]
        assert all(set(r) == {"score", "error", "error_type", "correct", "behave"} for r in rows)


def test_concurrent_synchronous_calls_from_threads_are_batched() -> None:
    """verl runs a synchronous ``compute_score`` in its event loop's thread pool, one call per sample."""
    reward = VerlReward(Behave(), workers=2)
    runner = reward.handle.runner
    sizes: list[int] = []
    real = runner.score

    def spy(samples: Any) -> Any:
        items = list(samples)
        sizes.append(len(items))
        return real(items)

    runner.score = spy  # type: ignore[method-assign]
    barrier = threading.Barrier(8)
    out: dict[int, float] = {}

    def call(i: int) -> None:
        barrier.wait()
        info = {"value": float(i)} if i else {"do": "sleep", "seconds": 0.3}  # the first batch takes a while
        out[i] = reward(data_source="d", solution_str="x", ground_truth="", extra_info=info)["score"]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reward.close()
    assert out == {0: 1.0, **{i: float(i) for i in range(1, 8)}}
    assert sum(sizes) == 8 and len(sizes) < 8  # threads arriving while a batch ran shared the next one


def test_numpy_ground_truths_and_extra_info_reach_the_reward() -> None:
    reward = VerlReward("math", workers=0)
    result = reward(data_source="d", solution_str="\\boxed{3}", ground_truth=np.str_("3"), extra_info=None)
    assert result["score"] == 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"on_error": "raise"}, "on_error='raise' would stop verl's reward loop"),
        ({"error_score": float("nan")}, "`error_score` must be a finite number"),
        ({"error_score": None}, "`error_score` must be a finite number"),
        ({"missing_component": "nan"}, "`missing_component` must be a number, NaN or None"),
        ({"timeout": -1}, "timeout must be a positive number"),
    ],
)
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VerlReward("math", **options)


def test_component_names_that_clash_with_verl_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"\['score'\] clash"):
        VerlReward(rl.combine(score=rl.math_answer()))


def test_bad_error_score_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_SPEC", "math")
    monkeypatch.setenv("REWARDLAB_ERROR_SCORE", "zero")
    with pytest.raises(ConfigError, match="REWARDLAB_ERROR_SCORE must be a finite number, got 'zero'"):
        adapter.compute_score("d", "x", "1")
