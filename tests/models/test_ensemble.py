"""K-head bootstrapped Bradley-Terry ensembles and ensemble scoring: the weighted loss and the aggregations
by hand, the bootstrap weights, learning, plain-transformers loading, lists of models, exact resume."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import _tiny  # noqa: E402

from rewardlab.core.types import Sample  # noqa: E402
from rewardlab.errors import ConfigError  # noqa: E402
from rewardlab.models import RewardModel, TrainSettings, train_reward_model  # noqa: E402
from rewardlab.models.bt import Group  # noqa: E402
from rewardlab.models.ensemble import (  # noqa: E402
    Bagged,
    HeadsTask,
    aggregate,
    bag,
    bootstrap_weights,
)
from rewardlab.models.losses import bradley_terry_loss, listwise_loss  # noqa: E402


@pytest.fixture(scope="module")
def trained_heads(tmp_path_factory: pytest.TempPathFactory, bert_base: Path, easy_file: Path) -> Path:
    """A tiny BERT with 3 bootstrapped heads trained on the easy pairs."""
    out = tmp_path_factory.mktemp("heads") / "rm"
    st = TrainSettings(
        epochs=3, batch_size=16, lr=3e-3, max_length=48, eval_fraction=0.25, device="cpu", heads=3
    )
    train_reward_model("bt", bert_base, easy_file, out, st)
    return out


def samples(n: int = 3, seed: int = 21) -> list[Sample]:
    rows = _tiny.easy_pairs(n, seed=seed)
    return [Sample(prompt="", completion=r[k]) for k in ("chosen", "rejected") for r in rows]


def plain_logits(path: Path, texts: list[str]) -> list[list[float]]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
    tok = AutoTokenizer.from_pretrained(str(path))
    with torch.no_grad():
        return [[float(x) for x in model(**tok(t, return_tensors="pt")).logits[0]] for t in texts]


# -- the loss ------------------------------------------------------------------------------------------
def test_weighted_bradley_terry_over_heads_by_hand() -> None:
    # rewards (B=2 pairs, G=2 responses, K=2 heads); weights: pair 0 (2, 0), pair 1 (1, 1)
    rewards = torch.tensor([[[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.5], [1.0, 0.0]]])
    mask = torch.ones((2, 2), dtype=torch.bool)
    items = [Bagged(0, ((1,), (2,)), 0.0, (2.0, 0.0)), Bagged(1, ((1,), (2,)), 0.0, (1.0, 1.0))]
    # head 0: diffs 1, -1 -> (2 * 0.3132617 + 1 * 1.3132617) / 2 = 0.9698925
    # head 1: diffs 2, 0.5 -> (0 * 0.1269280 + 1 * 0.4740770) / 2 = 0.2370385
    # mean over heads: 0.6034655
    got = HeadsTask("bt", pad_id=0, heads=2)._loss(rewards, mask, items)
    assert float(got) == pytest.approx(0.6034655, abs=1e-6)
    # held-out items (plain groups) weigh 1: the mean of the two unweighted BT losses
    plain = [Group(0, ((1,), (2,))), Group(1, ((1,), (2,)))]
    want = (
        bradley_terry_loss(rewards[:, 0, 0], rewards[:, 1, 0])
        + bradley_terry_loss(rewards[:, 0, 1], rewards[:, 1, 1])
    ) / 2
    assert float(HeadsTask("bt", 0, 2)._loss(rewards, mask, plain)) == pytest.approx(float(want), abs=1e-6)


def test_per_example_weight_of_the_losses_by_hand() -> None:
    c, r, w = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([3.0, 0.0])
    # (3 * 0.3132617 + 0) / 2: the sum is divided by B = 2, not by the weights' sum
    assert float(bradley_terry_loss(c, r, weight=w)) == pytest.approx(3 * 0.3132617 / 2, abs=1e-6)
    # with centring, the weight covers both terms: (3 * (0.3132617 + 0.1 * 1) + 0) / 2
    assert float(bradley_terry_loss(c, r, center_coef=0.1, weight=w)) == pytest.approx(
        3 * (0.3132617 + 0.1) / 2, abs=1e-6
    )
    assert float(bradley_terry_loss(c, r, weight=torch.ones(2))) == pytest.approx(
        float(bradley_terry_loss(c, r))
    )
    # listwise rows [2, 0, 1] and [0, 1, (padding)]: -log softmax[0] = 0.4076060 and 1.3132617; weights 0.5, 3
    lists = torch.tensor([[2.0, 0.0, 1.0], [0.0, 1.0, 9.0]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    got = listwise_loss(lists, mask, weight=torch.tensor([0.5, 3.0]))
    assert float(got) == pytest.approx((0.5 * 0.4076060 + 3 * 1.3132617) / 2, abs=1e-6)


def test_bootstrap_weights_are_seeded_poisson_per_head() -> None:
    w = bootstrap_weights(4000, 3, seed=7)
    assert w.shape == (3, 4000) and np.all(w == np.round(w)) and w.min() == 0
    assert abs(w.mean() - 1.0) < 0.05 and abs(w.var() - 1.0) < 0.1  # Poisson(1): mean 1, variance 1
    assert abs((w == 0).mean() - math.exp(-1)) < 0.03  # each head leaves out ~37% of the pairs
    assert not np.array_equal(w[0], w[1])
    assert np.array_equal(w, bootstrap_weights(4000, 3, seed=7))
    assert not np.array_equal(w, bootstrap_weights(4000, 3, seed=8))
    groups = [Group(i, ((i,), (i + 1,)), 0.5) for i in range(5)]
    bagged = bag(groups, 3, seed=7)
    small = bootstrap_weights(5, 3, seed=7)
    assert [b.weights for b in bagged] == [tuple(small[:, i]) for i in range(5)]
    assert [(b.index, b.ids, b.margin) for b in bagged] == [(g.index, g.ids, g.margin) for g in groups]


def test_heads_only_for_ranked_kinds_and_at_least_one() -> None:
    with pytest.raises(ConfigError, match=r"`heads` must be an integer >= 1, got 0"):
        TrainSettings(heads=0)
    with pytest.raises(ConfigError, match="`heads` > 1 is for kinds bt and listwise"):
        train_reward_model("prm", "nowhere", "nowhere.jsonl", "out", TrainSettings(heads=2, device="cpu"))


# -- training and loading ------------------------------------------------------------------------------
def test_k_heads_learn_the_easy_task(trained_heads: Path) -> None:
    history = [json.loads(line) for line in (trained_heads / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in history if r["split"] == "train"]
    last = [r for r in history if r["split"] == "eval"][-1]
    assert train[-1]["loss"] < train[0]["loss"] - 0.2
    assert last["n"] == 40 and last["accuracy"] >= 0.9
    assert all(last[f"accuracy_h{k}"] >= 0.8 for k in range(3)) and "head_std" in last
    meta = json.loads((trained_heads / "config.json").read_text())["rewardlab"]
    assert meta["heads"] == 3 and len(meta["head_reward_mean"]) == len(meta["head_reward_std"]) == 3


def test_k_head_checkpoint_loads_with_plain_transformers_and_scores_identically(trained_heads: Path) -> None:
    ss = samples()
    want = plain_logits(trained_heads, [s.completion for s in ss])
    assert all(len(row) == 3 for row in want)
    got = RewardModel(str(trained_heads), batch_size=4).score_batch(ss)
    for r, row in zip(got, want, strict=True):
        assert r.info["members"] == pytest.approx(row, abs=1e-5)
        assert r.score == pytest.approx(sum(row) / 3, abs=1e-5)
        assert r.info["mean"] == pytest.approx(r.score) and r.info["ensemble"] == "mean"
    assert len({round(x, 6) for x in want[0]}) == 3  # the heads are different functions


def test_aggregations_by_hand() -> None:
    # members 1, 2, 4: mean 7/3; population std sqrt((16/9 + 1/9 + 25/9) / 3) = 1.2472191
    assert aggregate([1.0, 2.0, 4.0], "mean") == pytest.approx((7 / 3, 7 / 3, 1.2472191))
    assert aggregate([1.0, 2.0, 4.0], "min")[0] == 1.0
    assert aggregate([1.0, 2.0, 4.0], "mean-std", 2.0)[0] == pytest.approx(7 / 3 - 2 * 1.2472191, abs=1e-6)
    assert aggregate([1.0, 2.0, 4.0], "mean-std", 0.0)[0] == pytest.approx(7 / 3)
    assert aggregate([5.0], "mean-std", 3.0) == (5.0, 5.0, 0.0)  # one member: std 0 (sample std: undefined)
    with pytest.raises(ValueError, match="at least one member"):
        aggregate([], "mean")


def test_reward_model_aggregations_use_the_members(trained_heads: Path) -> None:
    ss = samples(2)
    base = RewardModel(str(trained_heads)).score_batch(ss)
    lo = RewardModel(str(trained_heads), ensemble="min").score_batch(ss)
    pen = RewardModel(str(trained_heads), ensemble="mean-std", k=0.5).score_batch(ss)
    for b, m, p in zip(base, lo, pen, strict=True):
        xs = b.info["members"]
        mean = sum(xs) / 3
        std = math.sqrt(sum((x - mean) ** 2 for x in xs) / 3)
        assert m.score == pytest.approx(min(xs), abs=1e-6)
        assert p.score == pytest.approx(mean - 0.5 * std, abs=1e-6) and p.info["std"] == pytest.approx(std)
    meta = json.loads((trained_heads / "config.json").read_text())["rewardlab"]
    norm = RewardModel(str(trained_heads), normalize=True).score_batch(ss)
    for b, n in zip(base, norm, strict=True):
        want = [
            (x - mu) / sd
            for x, mu, sd in zip(
                b.info["members"], meta["head_reward_mean"], meta["head_reward_std"], strict=True
            )
        ]
        assert (
            n.info["members"] == pytest.approx(want, abs=1e-5) and n.info["raw_members"] == b.info["members"]
        )


def test_single_head_model_ignores_the_ensemble_option(trained_bt: Path) -> None:
    ss = samples(2)
    a = RewardModel(str(trained_bt)).score_batch(ss)
    b = RewardModel(str(trained_bt), ensemble="mean-std", k=3.0).score_batch(ss)
    assert [r.score for r in a] == [r.score for r in b]
    assert all("members" not in r.info and set(r.info) == {"tokens"} for r in a)


def test_a_list_of_models_each_with_its_own_tokenizer(
    trained_heads: Path, trained_bt: Path, llama_base: Path, easy_file: Path, tmp_path: Path
) -> None:
    st = TrainSettings(epochs=0.5, batch_size=16, lr=1e-3, max_length=48, device="cpu", stats_samples=8)
    llama_rm = tmp_path / "llama-rm"
    train_reward_model("bt", llama_base, easy_file, llama_rm, st)
    ss = samples(2)
    texts = [s.completion for s in ss]
    want = [
        a + b + c
        for a, b, c in zip(
            plain_logits(trained_heads, texts),
            plain_logits(trained_bt, texts),
            plain_logits(llama_rm, texts),
            strict=True,
        )
    ]
    paths = [str(trained_heads), str(trained_bt), str(llama_rm)]
    reward = RewardModel(paths, ensemble="min", batch_size=3)
    got = reward.score_batch(ss)
    for r, row in zip(got, want, strict=True):
        assert r.info["members"] == pytest.approx(row, abs=1e-5) and len(row) == 5
        assert r.score == pytest.approx(min(row), abs=1e-5)
        bert_tokens, llama_tokens = r.info["tokens"][1], r.info["tokens"][2]
        assert bert_tokens == llama_tokens + 1  # [CLS] ... [SEP] against <s> ...: each its own tokenizer
    assert len(reward._load()) == 3 and reward._load() is reward._load()  # loaded once


def test_bad_options_are_listed_at_once(trained_bt: Path, tmp_path: Path) -> None:
    prm = tmp_path / "prm"
    prm.mkdir()
    (prm / "config.json").write_text(json.dumps({"rewardlab": {"kind": "prm"}}))
    with pytest.raises(ConfigError) as exc:
        RewardModel(
            [str(trained_bt), str(prm), str(tmp_path / "nowhere")], ensemble="median", k=-1.0,
            weights={"helpfulness": 1.0},
        )  # fmt: skip
    text = str(exc.value)
    assert "`ensemble` of reward_model must be one of mean, min, mean-std, got 'median'" in text
    assert "`k` of reward_model must be a finite number >= 0, got -1.0" in text
    assert f"got {str(tmp_path / 'nowhere')!r}" in text
    assert f"a list holds bt or listwise models only, {prm} is kind 'prm'" in text
    assert f"`weights` of reward_model apply to attribute models; {trained_bt} is kind 'bt'" in text
    with pytest.raises(ConfigError, match="non-empty list"):
        RewardModel([])


def test_resume_with_heads_is_exact(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    st = TrainSettings(
        epochs=1, batch_size=16, lr=1e-3, max_length=48, device="cpu", save_every=3, stats_samples=0, heads=2
    )
    train_reward_model("bt", bert_base, easy_file, tmp_path / "full", st)

    class Stop(Exception):
        pass

    def stop(kind: str, rec: dict[str, object]) -> None:
        if kind == "checkpoint" and rec["step"] == 6:
            raise Stop

    with pytest.raises(Stop):
        train_reward_model("bt", bert_base, easy_file, tmp_path / "cut", st, on_event=stop)
    res = train_reward_model("bt", bert_base, easy_file, tmp_path / "cut", st, resume=True)
    assert res.resumed_from is not None and res.resumed_from.endswith("step-0000006")
    a = load_file(str(tmp_path / "full" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert a["classifier.weight"].shape == (2, 32)
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-6
