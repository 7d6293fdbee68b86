"""Implicit PRM: outcome-only training of a causal LM against a frozen reference; step rewards read out
as differences of the cumulative log-ratio, checked against the credit module's formula."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import _tiny  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.cli import app  # noqa: E402
from rewardlab.credit import implicit_process_rewards  # noqa: E402
from rewardlab.models.encode import Wrap  # noqa: E402
from rewardlab.models.implicit import Encoded, ImplicitTask, auc, layout, parse_outcomes, token_logprobs  # noqa: E402

GSM8K_ROW = {
    "question": "what is the total ?",
    "ground_truth": "two\nA: 2",
    "6b_finetuning": {"is_correct": False, "solution": "one plus two\nA: 3"},
    "175b_verification": {"is_correct": True, "solution": "one plus one\nA: 2"},
}


def test_rows_plain_and_gsm8k_model_solutions() -> None:
    out = parse_outcomes(3, GSM8K_ROW)
    assert [(o.index, o.response, o.correct) for o in out] == [
        (3, "one plus two\nA: 3", 0),
        (3, "one plus one\nA: 2", 1),
    ]
    plain = parse_outcomes(0, {"prompt": "q", "completion": "a", "correct": True})
    assert plain[0].correct == 1
    with pytest.raises(ValueError, match="bad label"):
        parse_outcomes(0, {"prompt": "q", "completion": "a", "correct": "yes"})
    with pytest.raises(ValueError, match="empty response"):
        parse_outcomes(0, {"prompt": "q", "completion": " ", "correct": 1})


def test_layout_marks_the_response_and_each_step_end() -> None:
    tok = _tiny.tokenizer(bos_eos=True)
    ids, start, ends, cut = layout(tok, "what is it ?", ["one plus one", "two"], " .", Wrap.of(tok), 64)
    tokens = tok.convert_ids_to_tokens(ids)
    assert tokens == ["<s>", "what", "is", "it", "?", "one", "plus", "one", ".", "two"]
    assert (start, ends, cut) == (5, [8, 9], 0)


def test_step_rewards_are_beta_times_the_steps_log_ratio(llama_base: Path) -> None:
    from rewardlab.models.implicit import load_causal

    model, tok = load_causal(llama_base)
    ref, _ = load_causal(llama_base)
    with torch.no_grad():  # make the policy differ from the reference
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.eval()
    ids, start, ends, _ = layout(tok, "what is it ?", ["one plus one", "two"], " .", Wrap.of(tok), 64)
    item = Encoded(tuple(ids), start, tuple(ends), 1, 2)
    task = ImplicitTask(tok.pad_token_id, 0.5, ref)
    with torch.no_grad():
        ratio, resp = task.ratios(model, [item], "cpu")
        x = torch.tensor([ids])
        lp, lr = token_logprobs(model, x, torch.ones_like(x)), token_logprobs(ref, x, torch.ones_like(x))
    step_ids = np.full(len(ids), -1)
    step_ids[start : ends[0] + 1] = 0
    step_ids[ends[0] + 1 : ends[1] + 1] = 1
    want, _ = implicit_process_rewards(lp[0].numpy(), lr[0].numpy(), step_ids, beta=0.5)
    got_total = float(0.5 * (ratio * resp).sum())
    assert got_total == pytest.approx(float(np.sum(want)), abs=1e-5)
    assert float(resp[0, :start].sum()) == 0 and float(resp[0, start:].sum()) == len(ids) - start


def test_auc() -> None:
    assert auc([0.9, 0.8, 0.1], [1, 1, 0]) == 1.0
    assert auc([0.5, 0.5], [1, 0]) == 0.5
    assert np.isnan(auc([1.0], [1]))


def easy_outcomes(n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        ok = i % 2 == 0
        lines = [
            " ".join(rng.choices(["one", "two", "three", "plus"], k=3)) for _ in range(rng.randint(1, 2))
        ]
        lines.append("so it is " + ("right" if ok else "wrong"))
        rows.append(
            {
                "prompt": f"what is the total {rng.choice(['?', '.'])}",
                "completion": "\n".join(lines),
                "correct": ok,
            }
        )
    return rows


def test_train_implicit_prm_cli_learns_outcomes_and_scores_steps(llama_base: Path, tmp_path: Path) -> None:
    data = _tiny.write_jsonl(tmp_path / "o.jsonl", [*easy_outcomes(96), {"prompt": "q", "completion": "a"}])
    held = _tiny.write_jsonl(tmp_path / "h.jsonl", easy_outcomes(24, seed=7))
    out = tmp_path / "iprm"
    args = ["train", "implicit-prm", "--model", str(llama_base), "--data", str(data), "--out", str(out)]
    args += ["--eval-data", str(held), "--epochs", "3", "--batch-size", "8", "--lr", "0.003", "--beta", "0.5"]
    res = CliRunner().invoke(app, [*args, "--device", "cpu", "--max-length", "48", "--no-plot"])
    assert res.exit_code == 0, res.output
    assert "1 bad row(s) skipped" in res.output
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in history if r["split"] == "eval"][-1]
    assert final["outcome_auc"] >= 0.9
    meta = json.loads((out / "config.json").read_text())["rewardlab"]
    assert meta["kind"] == "implicit-prm" and meta["reference"] == str(llama_base.resolve())

    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(str(out))  # a plain causal LM directory
    test = easy_outcomes(4, seed=9)
    got = rl.score(
        {"type": "reward_model", "path": str(out)},
        [{"prompt": r["prompt"], "completion": r["completion"]} for r in test],
        workers=0,
    )
    for row, r in zip(test, got, strict=True):
        assert (
            r.ok
            and r.step_scores is not None
            and len(r.step_scores) == str(row["completion"]).count("\n") + 1
        )
        assert sum(r.step_scores) == pytest.approx(r.score, abs=1e-4)
    assert [r.score > 0 for r in got] == [bool(row["correct"]) for row in test]


def test_a_directory_that_is_no_reward_model_is_refused(llama_base: Path) -> None:
    results = rl.score({"type": "reward_model", "path": str(llama_base)}, [{"completion": "hi"}], workers=0)
    assert results[0].score is None and "not a reward model" in results[0].error.message
