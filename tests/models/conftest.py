"""Fixtures: tiny random base checkpoints built once per session (no download), and easy pair files."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import _tiny


@pytest.fixture(scope="session")
def bert_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny.bert_dir(tmp_path_factory.mktemp("bert") / "base")


@pytest.fixture(scope="session")
def llama_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny.llama_dir(tmp_path_factory.mktemp("llama") / "base")


@pytest.fixture(scope="session")
def easy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny.write_jsonl(tmp_path_factory.mktemp("data") / "pairs.jsonl", _tiny.easy_pairs(160))


@pytest.fixture(scope="session")
def trained_bt(tmp_path_factory: pytest.TempPathFactory, bert_base: Path, easy_file: Path) -> Path:
    """A tiny BERT reward model trained on the easy pairs (shared by the scoring tests)."""
    from rewardlab.models import TrainSettings, train_reward_model

    out = tmp_path_factory.mktemp("bt") / "rm"
    st = TrainSettings(epochs=3, batch_size=16, lr=3e-3, max_length=48, eval_fraction=0.25, device="cpu")
    train_reward_model("bt", bert_base, easy_file, out, st)
    return out
