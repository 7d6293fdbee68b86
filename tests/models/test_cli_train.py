"""The ``rewardlab train`` contract: options, files written, plain-transformers loading, bad rows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import _tiny  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.cli import app  # noqa: E402


def test_train_bt_contract(bert_base: Path, tmp_path: Path) -> None:
    rows = [
        *_tiny.easy_pairs(60, seed=2),
        {"chosen": "only one side"},
        {"chosen": "same", "rejected": "same"},
    ]
    data = tmp_path / "pairs.jsonl.gz"
    data.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    out = tmp_path / "rm"
    args = ["train", "bt", "--model", str(bert_base), "--data", str(data), "--out", str(out)]
    args += ["--max-length", "40", "--epochs", "2", "--batch-size", "8", "--lr", "0.001", "--seed", "3"]
    res = CliRunner().invoke(app, [*args, "--save-every", "5", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "2 bad row(s) skipped" in res.output
    for name in ("config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl", "training.json"):
        assert (out / name).is_file(), name
    assert (out / "training-curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.html").is_file() and list((out / "checkpoints").glob("step-*"))
    info = json.loads((out / "training.json").read_text())
    assert info["settings"]["seed"] == 3 and info["settings"]["max_length"] == 40
    assert {b["index"] for b in info["data"]["bad_examples"]} == {60, 61}

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    plain = AutoModelForSequenceClassification.from_pretrained(str(out)).eval()
    tok = AutoTokenizer.from_pretrained(str(out))
    pair = _tiny.easy_pairs(1, seed=8)[0]
    prompt = pair["chosen"][: pair["chosen"].rindex("Assistant:") + len("Assistant:")]
    completion = pair["chosen"][len(prompt) :]
    with torch.no_grad():
        want = float(plain(**tok(prompt + completion, return_tensors="pt")).logits[0, 0])
    got = rl.score({"type": "reward_model", "path": str(out)}, [{"prompt": prompt, "completion": completion}])
    assert got[0].score == pytest.approx(want, abs=1e-5)

    resumed = CliRunner().invoke(app, [*args, "--epochs", "3", "--resume", "--device", "cpu"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "training.json").read_text())["result"]["resumed_from"].endswith(
        "step-0000010"
    )  # 54 pairs, 7 steps an epoch: 5, 10


def test_bad_rows_fatal_with_on_bad_error(bert_base: Path, tmp_path: Path) -> None:
    data = _tiny.write_jsonl(tmp_path / "d.jsonl", [*_tiny.easy_pairs(4), {"chosen": "", "rejected": "x"}])
    res = CliRunner().invoke(
        app,
        [
            "train",
            "bt",
            "--model",
            str(bert_base),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--on-bad",
            "error",
        ],
    )
    assert res.exit_code == 2
    assert "row 4: empty response" in res.output
    assert not (tmp_path / "o" / "model.safetensors").exists()


def test_unknown_kind_and_bad_settings_exit_2(bert_base: Path, tmp_path: Path) -> None:
    base = ["--model", str(bert_base), "--data", str(tmp_path / "x.jsonl"), "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(app, ["train", "ppo", *base])
    assert res.exit_code == 2 and "KIND must be one of bt, listwise, prm, implicit-prm" in res.output
    res = CliRunner().invoke(app, ["train", "bt", *base, "--epochs", "0", "--truncation", "middle"])
    assert res.exit_code == 2
    assert "`epochs` must be a number in (0.0, inf], got 0.0" in res.output
    assert "`truncation` must be 'prefix', 'left' or 'right', got 'middle'" in res.output
