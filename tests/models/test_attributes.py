"""Multi-attribute regression reward models: masked MSE by hand, the data rules and bad rows, learning,
plain-transformers loading, components that the vector-reward tools read, weights checked."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import _tiny  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.core.types import Sample  # noqa: E402
from rewardlab.credit.multiobjective import pareto_mask, weighted_sum  # noqa: E402
from rewardlab.errors import ConfigError  # noqa: E402
from rewardlab.models import RewardModel, TrainSettings, train_reward_model  # noqa: E402
from rewardlab.models.attributes import infer_names, pearson, read_rated  # noqa: E402
from rewardlab.models.losses import masked_mse_loss  # noqa: E402

NAMES = ["positive", "polite"]


def rated_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Short answers whose ``positive`` rating is 3 when they end with a good word and 0 with a bad one,
    and whose ``polite`` rating is 2 when they say "please"; about one value in five is missing (null)."""
    rng = random.Random(seed)
    filler = [w for w in _tiny.WORDS if w not in ("good", "great", "fine", "bad", "awful", "poor", "please")]
    out = []
    for _ in range(n):
        good, polite = rng.random() < 0.5, rng.random() < 0.5
        words = rng.choices(filler, k=rng.randint(2, 5))
        if polite:
            words.insert(rng.randint(0, len(words)), "please")
        words.append(rng.choice(["good", "great", "fine"] if good else ["bad", "awful", "poor"]))
        row: dict[str, Any] = {
            "prompt": " ".join(rng.choices(filler, k=3)) + " ?",
            "completion": " " + " ".join(words),
        }
        row["positive"] = 3.0 if good else 0.0
        row["polite"] = 2.0 if polite else 0.0
        if rng.random() < 0.2:
            row[rng.choice(NAMES)] = None
        out.append(row)
    return out


@pytest.fixture(scope="module")
def trained_attrs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama (read at the last token) regressing both attributes; its loss falls smoothly at this
    learning rate (a tiny BERT needed lr 1e-2 and escaped a predict-the-mean plateau only sometimes).
    Built and trained in float32 whatever the session's default dtype (tests/credit/test_reference.py sets
    float64 at import, which changes this trajectory in a full run)."""
    d = tmp_path_factory.mktemp("attrs")
    data = _tiny.write_jsonl(d / "rated.jsonl", rated_rows(200, seed=1))
    st = TrainSettings(epochs=8, batch_size=16, lr=3e-3, max_length=64, eval_fraction=0.25, device="cpu")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        base = _tiny.llama_dir(d / "base")
        train_reward_model("attributes", base, data, d / "rm", st)
    finally:
        torch.set_default_dtype(old)
    return d / "rm"


def test_masked_mse_by_hand() -> None:
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, math.nan], [3.0, 6.0]])
    # rated: (1 - 0)^2 = 1, (3 - 3)^2 = 0, (4 - 6)^2 = 4 -> 5 / 3; the NaN entry is not read
    got = masked_mse_loss(pred, target, ~torch.isnan(target))
    assert float(got) == pytest.approx(5 / 3)
    pred.requires_grad_(True)
    loss = masked_mse_loss(pred, target, ~torch.isnan(target))
    loss.backward()
    assert pred.grad is not None and float(pred.grad[0, 1]) == 0.0  # no gradient through a missing value
    assert float(pred.grad[1, 1]) == pytest.approx(2 * (4 - 6) / 3)
    none = torch.zeros((2, 2), dtype=torch.bool)
    assert float(masked_mse_loss(pred.detach(), target, none)) == 0.0  # nothing rated: 0, not 0/0


def test_names_inferred_from_the_first_row() -> None:
    assert infer_names(
        {"prompt": "q", "response": "a", "id": 3, "helpful": 4, "flag": True, "verbose": 1.5}
    ) == [
        "helpful",
        "verbose",
    ]
    assert infer_names({"completion": "a", "attributes": {"b": None, "a": 2}}) == ["b", "a"]
    assert pearson([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]) == pytest.approx(0.9933993, abs=1e-6)
    assert pearson([1.0, 1.0], [2.0, 3.0]) is None


def test_bad_rows_are_reported_with_index_and_reason(tmp_path: Path) -> None:
    rows: list[Any] = [
        {"completion": "good", "positive": 1, "polite": 0},
        {"response": "fine", "attributes": {"positive": 2}},  # nested object; polite missing: masked
        {"completion": "x", "positive": "high", "polite": 1},
        {"completion": "x", "positive": None},
        {"completion": "   ", "positive": 1},
        {"prompt": "q", "positive": 1},
        [1, 2],
        {"completion": "x", "positive": True},
        {"completion": "x", "attributes": [1, 2]},
    ]
    path = _tiny.write_jsonl(tmp_path / "r.jsonl", rows)
    got = read_rated(path)
    assert got.names == NAMES
    assert [(r.index, r.values[0]) for r in got.rows] == [(0, 1.0), (1, 2.0)] and math.isnan(
        got.rows[1].values[1]
    )
    reasons = {b.index: b.reason for b in got.bad}
    assert reasons == {
        2: "non-numeric: attribute 'positive' is 'high'",
        3: "all attributes missing: none of ['positive', 'polite'] is rated",
        4: "empty completion: the completion is blank",
        5: "missing column 'completion' (or 'response')",
        6: "unreadable: line 7: expected a JSON object, got list",
        7: "non-numeric: attribute 'positive' is True",
        8: "bad type: 'attributes' must be an object, got list",
    }
    assert got.report()["bad_by_reason"]["non-numeric"] == 2
    explicit = read_rated(path, ["polite"])
    assert [r.index for r in explicit.rows] == [0, 2] and explicit.names == ["polite"]  # "high" not read
    with pytest.raises(ConfigError) as exc:
        read_rated(path, on_bad="error")
    assert "row 2: non-numeric" in str(exc.value) and "row 8: bad type" in str(exc.value)


def test_attributes_learn_and_report_per_attribute_metrics(trained_attrs: Path) -> None:
    history = [json.loads(line) for line in (trained_attrs / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in history if r["split"] == "train"]
    last = [r for r in history if r["split"] == "eval"][-1]
    assert train[-1]["loss"] < train[0]["loss"] / 3
    # held-out target variances are about 2.25 (0 or 3) and 1.0 (0 or 2): both far below
    assert last["pearson_positive"] > 0.9 and last["mse_positive"] < 0.3
    assert last["pearson_polite"] > 0.9 and last["mse_polite"] < 0.3
    meta = json.loads((trained_attrs / "config.json").read_text())["rewardlab"]
    assert meta["kind"] == "attributes" and meta["attributes"] == NAMES
    info = json.loads((trained_attrs / "training.json").read_text())
    assert info["data"]["attributes"] == NAMES and info["held_out_examples"] == 50


def _samples() -> list[Sample]:
    return [Sample(prompt=r["prompt"], completion=r["completion"]) for r in rated_rows(6, seed=9)]


def test_checkpoint_loads_with_plain_transformers_and_scores_identically(trained_attrs: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    plain = AutoModelForSequenceClassification.from_pretrained(str(trained_attrs)).eval()
    tok = AutoTokenizer.from_pretrained(str(trained_attrs))
    assert plain.config.id2label == {0: "positive", 1: "polite"}
    ss = _samples()
    with torch.no_grad():
        want = [
            [float(x) for x in plain(**tok(s.prompt + s.completion, return_tensors="pt")).logits[0]]
            for s in ss
        ]
    got = RewardModel(str(trained_attrs), batch_size=4).score_batch(ss)
    weighted = RewardModel(str(trained_attrs), weights={"positive": 1.0, "polite": -0.5}).score_batch(ss)
    only = RewardModel(str(trained_attrs), weights={"polite": 2.0}).score_batch(ss)
    for r, w, o, row in zip(got, weighted, only, want, strict=True):
        assert [r.components["positive"], r.components["polite"]] == pytest.approx(row, abs=1e-5)
        assert r.score == pytest.approx(0.5 * row[0] + 0.5 * row[1], abs=1e-5)  # equal weights summing to 1
        assert w.score == pytest.approx(row[0] - 0.5 * row[1], abs=1e-5)
        assert o.score == pytest.approx(2.0 * row[1], abs=1e-5)  # a name left out weighs 0


def test_components_feed_the_vector_reward_tools(trained_attrs: Path) -> None:
    ss = _samples()
    weights = {"positive": 0.7, "polite": 0.3}
    results = RewardModel(str(trained_attrs), weights=weights).score_batch(ss)
    matrix = np.array([[r.components[n] for n in NAMES] for r in results])  # (N, A)
    assert weighted_sum(matrix, NAMES, weights) == pytest.approx([r.score for r in results], abs=1e-9)
    keep = pareto_mask(matrix)
    naive = [
        not any(np.all(matrix[j] >= matrix[i]) and np.any(matrix[j] > matrix[i]) for j in range(len(matrix)))
        for i in range(len(matrix))
    ]
    assert list(keep) == naive and any(naive)
    combined = rl.combine(rm={"type": "reward_model", "path": str(trained_attrs), "weights": weights})
    via = [combined(s) for s in ss]
    for c, r in zip(via, results, strict=True):
        assert c.components["rm.positive"] == pytest.approx(r.components["positive"], abs=1e-6)
        assert c.components["rm.polite"] == pytest.approx(r.components["polite"], abs=1e-6)
        assert c.score == pytest.approx(r.score, abs=1e-6)


def test_weights_are_checked_against_the_saved_attributes(trained_attrs: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        RewardModel(str(trained_attrs), weights={"positive": 1.0, "honest": 2.0, "polite": math.inf})
    text = str(exc.value)
    assert (
        "`weights` of reward_model name unknown attribute(s) ['honest']" in text
        and "['positive', 'polite']" in text
    )
    assert "the weight of 'polite' must be a finite number, got inf" in text
    with pytest.raises(ConfigError, match="must be a mapping"):
        RewardModel(str(trained_attrs), weights=[1.0, 2.0])  # type: ignore[arg-type]
