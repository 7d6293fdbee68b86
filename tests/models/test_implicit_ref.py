"""An implicit PRM finds its frozen reference after a move: recorded as passed, with its absolute and its
checkpoint-relative path; the ``reference`` option of ``reward_model`` overrides it; a missing reference is
one clear error naming the path and the override."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")

import _tiny

import rewardlab as rl
from rewardlab.errors import ConfigError
from rewardlab.models import RewardModel, TrainSettings, train_reward_model
from rewardlab.models.implicit_ref import record, relative_to, resolve


def outcomes(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {"prompt": "what is the total ?", "completion": f"{rng.choice(['one', 'two'])} plus one\nso it is "
         + ("right" if i % 2 == 0 else "wrong"), "correct": i % 2 == 0}
        for i in range(n)
    ]  # fmt: skip


TEST = [{"prompt": str(r["prompt"]), "completion": str(r["completion"])} for r in outcomes(4, seed=5)]


def scores(path: Path, **options: object) -> list[float | None]:
    return [
        r.score for r in rl.score({"type": "reward_model", "path": str(path), **options}, TEST, workers=0)
    ]


def test_record_and_resolve(tmp_path: Path) -> None:
    base = _tiny.write_jsonl(tmp_path / "x.jsonl", [])  # any existing path
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "config.json").write_text("{}")
    assert record("HuggingFaceTB/SmolLM2-135M") == {
        "reference": "HuggingFaceTB/SmolLM2-135M",
        "reference_path": None,
    }
    assert record(base)["reference_path"] == str(base.resolve())
    info = {**record(tmp_path / "base"), **relative_to(record(tmp_path / "base"), tmp_path / "runs" / "iprm")}
    assert info["reference_relative"] == "../../base"
    assert resolve(info, tmp_path / "runs" / "iprm") == str((tmp_path / "base").resolve())
    # a hub name stays a name; a relative path is read against the checkpoint directory
    assert resolve({"reference": "org/model", "reference_path": None}, tmp_path) == "org/model"
    assert resolve({"reference": "../base"}, tmp_path / "runs") == str((tmp_path / "base").resolve())
    assert resolve({"reference": str(tmp_path / "base")}, "/elsewhere") == str((tmp_path / "base").resolve())
    assert resolve({"reference": None}, tmp_path) is None
    with pytest.raises(ConfigError, match="trained without a reference model"):
        resolve({"reference": None}, tmp_path, override=str(tmp_path / "base"))
    with pytest.raises(ConfigError, match="is not a model directory"):
        resolve(info, tmp_path, override=str(tmp_path / "nowhere"))


def test_a_moved_checkpoint_finds_its_reference_or_says_how_to_point_at_it(
    llama_base: Path, tmp_path: Path
) -> None:
    first = tmp_path / "a"
    shutil.copytree(llama_base, first / "base")
    data = _tiny.write_jsonl(tmp_path / "o.jsonl", outcomes(24, seed=0))
    st = TrainSettings(epochs=1, batch_size=8, lr=3e-3, max_length=32, device="cpu")
    train_reward_model("implicit-prm", first / "base", data, first / "iprm", st, prm_options={"beta": 0.5})
    meta = json.loads((first / "iprm" / "config.json").read_text())["rewardlab"]
    assert meta["reference"] == str(first / "base")  # as passed
    assert meta["reference_path"] == str((first / "base").resolve())
    assert meta["reference_relative"] == "../base"
    before = scores(first / "iprm")
    assert all(s is not None for s in before) and any(abs(s or 0.0) > 1e-4 for s in before)  # pi != pi_ref

    second = tmp_path / "b"
    shutil.move(str(first), str(second))  # checkpoint and reference moved together
    assert scores(second / "iprm") == pytest.approx(before, abs=1e-6)

    elsewhere = tmp_path / "c" / "my-base"
    elsewhere.parent.mkdir()
    shutil.move(str(second / "base"), str(elsewhere))  # now only the reference moves
    failed = rl.score({"type": "reward_model", "path": str(second / "iprm")}, TEST, workers=0)
    for r in failed:
        assert r.score is None and r.error is not None
        assert "frozen reference model was not found" in r.error.message
        assert (
            str(first / "base") in r.error.message and "`reference` option of reward_model" in r.error.message
        )
    assert scores(second / "iprm", reference=str(elsewhere)) == pytest.approx(before, abs=1e-6)
    direct = RewardModel(str(second / "iprm"), reference=str(elsewhere)).score_batch(
        [rl.Sample(**t) for t in TEST]
    )
    assert [r.score for r in direct] == pytest.approx(before, abs=1e-6)


def test_the_reference_option_is_checked(llama_base: Path) -> None:
    with pytest.raises(ConfigError, match="`reference` of reward_model must be a model directory or name"):
        RewardModel(str(llama_base), reference="")
