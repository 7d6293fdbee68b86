"""``rewardlab train bt --heads K`` and ``rewardlab train attributes`` end to end, and their bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import _tiny  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.cli import app  # noqa: E402


def test_train_bt_with_three_heads(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rm"
    args = ["train", "bt", "--model", str(bert_base), "--data", str(easy_file), "--out", str(out)]
    args += ["--max-length", "48", "--epochs", "1", "--batch-size", "16", "--lr", "0.003", "--device", "cpu"]
    res = CliRunner().invoke(app, [*args, "--heads", "3"])
    assert res.exit_code == 0, res.output
    assert "accuracy_h2" in res.output
    meta = json.loads((out / "config.json").read_text())["rewardlab"]
    assert meta["heads"] == 3 and meta["kind"] == "bt"
    info = json.loads((out / "training.json").read_text())
    assert info["settings"]["heads"] == 3 and {"accuracy", "accuracy_h0"} <= set(info["result"]["final_eval"])
    assert (out / "training-curve.png").is_file()

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    plain = AutoModelForSequenceClassification.from_pretrained(str(out)).eval()
    tok = AutoTokenizer.from_pretrained(str(out))
    text = _tiny.easy_pairs(1, seed=4)[0]["chosen"]
    with torch.no_grad():
        logits = plain(**tok([text, text], return_tensors="pt")).logits
    assert tuple(logits.shape) == (2, 3)
    got = rl.score({"type": "reward_model", "path": str(out), "ensemble": "min"}, [{"completion": text}])
    assert got[0].score == pytest.approx(float(logits[0].min()), abs=1e-5)


def test_train_attributes_named_and_inferred(bert_base: Path, tmp_path: Path) -> None:
    rows = [
        {"completion": r["chosen"], "helpful": 3, "verbose": 1.0, "id": i}
        for i, r in enumerate(_tiny.easy_pairs(24))
    ]
    rows += [{"completion": "x", "helpful": "lots", "verbose": 1}, {"completion": "x", "helpful": None}]
    data = _tiny.write_jsonl(tmp_path / "rated.jsonl", rows)
    base = ["train", "attributes", "--model", str(bert_base), "--data", str(data), "--max-length", "48"]
    base += ["--epochs", "1", "--batch-size", "8", "--device", "cpu"]
    res = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "2 bad row(s) skipped" in res.output and "mse_helpful" in res.output
    meta = json.loads((tmp_path / "a" / "config.json").read_text())["rewardlab"]
    assert meta["attributes"] == ["helpful", "verbose"]  # "id" is not an attribute
    bad = json.loads((tmp_path / "a" / "training.json").read_text())["data"]["bad_examples"]
    assert bad == [
        {"index": 24, "reason": "non-numeric: attribute 'helpful' is 'lots'"},
        {"index": 25, "reason": "all attributes missing: none of ['helpful', 'verbose'] is rated"},
    ]
    res = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "b"), "--attributes", "verbose"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b" / "config.json").read_text())["rewardlab"]["attributes"] == ["verbose"]
    got = rl.score({"type": "reward_model", "path": str(tmp_path / "b")}, [{"completion": "good"}])
    assert set(got[0].components) == {"verbose"} and got[0].score == got[0].components["verbose"]


def test_bad_heads_options_exit_2(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    base = ["--model", str(bert_base), "--data", str(easy_file), "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(app, ["train", "bt", *base, "--heads", "0", "--epochs", "-1"])
    assert res.exit_code == 2
    assert "`heads` must be an integer >= 1, got 0" in res.output and "`epochs` must be" in res.output
    res = CliRunner().invoke(app, ["train", "attributes", *base, "--heads", "2", "--device", "cpu"])
    assert res.exit_code == 2 and "`heads` > 1 is for kinds bt and listwise" in res.output
