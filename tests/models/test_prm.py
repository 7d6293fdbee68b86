"""PRM: labels only at the separator after each step, ProcessBench labels, truncation, a tiny model that
learns an easy task, plain-transformers loading, and step scores through the ``reward_model`` reward."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import _tiny  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.cli import app  # noqa: E402
from rewardlab.models.encode import Wrap  # noqa: E402
from rewardlab.models.prm import encode_solutions, layout, parse_solution, read_solutions, step_marker  # noqa: E402

ROW = {"problem": "what is the total ?", "steps": ["one plus one", "two wrong", "three right"], "label": 1}


def test_processbench_labels_mask_or_negative_after_the_error() -> None:
    assert parse_solution(0, ROW).labels == (1, 0, None)
    assert parse_solution(0, ROW, after_error="negative").labels == (1, 0, 0)
    assert parse_solution(0, {**ROW, "label": -1}).labels == (1, 1, 1)
    stepwise = {"prompt": "q", "completions": ["a", "b"], "labels": [True, False]}
    sol = parse_solution(0, stepwise)
    assert sol.labels == (1, 0) and sol.earliest == 1


def test_labels_sit_on_the_separator_token_after_each_step() -> None:
    tok = _tiny.tokenizer()
    sol = parse_solution(0, ROW)
    enc, _ = encode_solutions([sol], tok, separator=" . ", max_length=64)
    tokens = tok.convert_ids_to_tokens(list(enc[0].ids))
    assert tokens == [
        "[CLS]", "what", "is", "the", "total", "?", ".", "one", "plus", "one", ".", "two", "wrong", ".",
        "three", "right", ".", "[SEP]",
    ]  # fmt: skip
    assert enc[0].positions == (10, 13, 16)
    assert [tokens[p] for p in enc[0].positions] == ["."] * 3
    assert enc[0].labels == (1, 0, None)
    # a separator that encodes to nothing (whitespace here) falls back to the tokenizer's [SEP] marker
    assert step_marker(tok, "\n\n") == [tok.sep_token_id]


def test_truncation_cuts_the_problem_first_then_trailing_steps() -> None:
    tok = _tiny.tokenizer()
    marker, wrap = step_marker(tok, " . "), Wrap.of(tok)
    ids, pos, cut = layout(tok, "what is the total ?", ROW["steps"], marker, wrap, 14)
    assert cut == 4 and len(ids) == 14 and len(pos) == 3  # "what is the total" cut, "?" and every step kept
    ids, pos, cut = layout(tok, "what is the total ?", ROW["steps"], marker, wrap, 10)
    assert cut == 5 and len(pos) == 2  # the problem is gone and the third step's label is lost
    sol = parse_solution(0, ROW)
    _, counts = encode_solutions([sol], tok, separator=" . ", max_length=10)
    assert counts == {"solutions": 1, "problem_truncated": 1, "steps_cut": 1, "solutions_with_steps_cut": 1}


def test_bad_rows_are_reported(tmp_path: Path) -> None:
    rows = [ROW, {"problem": "q"}, {**ROW, "label": 7}, {**ROW, "steps": ["a", " "]}, {**ROW, "labels": [1]}]
    data = read_solutions(_tiny.write_jsonl(tmp_path / "s.jsonl", rows))
    assert [r.index for r in data.rows] == [0]
    assert [(b.index, b.reason.split(":")[0]) for b in data.bad] == [
        (1, "missing column 'steps'"),
        (2, "bad label"),
        (3, "empty step"),
        (4, "bad labels"),
    ]


def easy_solutions(n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        k = rng.randint(2, 4)
        wrong = rng.choice([-1, *range(k)])
        steps = [
            f"step {' '.join(rng.choices(['one', 'two', 'three', 'plus'], k=3))} {'wrong' if j == wrong else 'right'}"
            for j in range(k)
        ]
        rows.append({"problem": "what is the total ?", "steps": steps, "label": wrong})
    return rows


def test_train_prm_cli_learns_and_scores_steps(bert_base: Path, tmp_path: Path) -> None:
    data = _tiny.write_jsonl(tmp_path / "pb.jsonl", easy_solutions(160))
    out = tmp_path / "prm"
    args = [
        "train",
        "prm",
        "--model",
        str(bert_base),
        "--data",
        str(data),
        "--out",
        str(out),
        "--max-length",
        "64",
    ]
    args += [
        "--epochs",
        "8",
        "--batch-size",
        "16",
        "--lr",
        "0.005",
        "--warmup-ratio",
        "0.1",
        "--device",
        "cpu",
    ]
    res = CliRunner().invoke(app, [*args, "--eval-fraction", "0.2", "--no-plot"])
    assert res.exit_code == 0, res.output
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in history if r["split"] == "eval"][-1]
    assert final["step_accuracy"] >= 0.9 and final["processbench_f1"] >= 0.8
    meta = json.loads((out / "config.json").read_text())["rewardlab"]
    assert meta["kind"] == "prm" and meta["separator"] == "\n\n"

    from transformers import AutoModelForTokenClassification

    plain = AutoModelForTokenClassification.from_pretrained(str(out)).eval()
    from rewardlab.models.checkpoint import load_tokenizer

    tok = load_tokenizer(out)
    test = easy_solutions(3, seed=9)
    samples = [{"prompt": str(r["problem"]), "completion": "\n\n".join(r["steps"])} for r in test]  # type: ignore[arg-type]
    got = rl.score({"type": "reward_model", "path": str(out), "aggregate": "min"}, samples, workers=0)
    for row, result in zip(test, got, strict=True):
        ids, pos, _ = layout(
            tok, str(row["problem"]), row["steps"], meta["step_token_ids"], Wrap.of(tok), 512
        )  # type: ignore[arg-type]
        with torch.no_grad():
            probs = plain(input_ids=torch.tensor([ids])).logits.softmax(-1)[0, :, 1]
        assert result.step_scores == pytest.approx([float(probs[p]) for p in pos], abs=1e-5)
        assert result.score == pytest.approx(min(result.step_scores))
        wrong = row["label"]
        flagged = next((i for i, p in enumerate(result.step_scores) if p < 0.5), -1)
        assert flagged == wrong
