"""Bradley-Terry training on tiny random models: it learns an easy task, the saved directory loads with
plain transformers and scores identically, the score positions are pinned, and resume is exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import _tiny  # noqa: E402

from rewardlab.core.types import Sample  # noqa: E402
from rewardlab.models import RewardModel, TrainSettings, load_model, train_reward_model  # noqa: E402
from rewardlab.models.bt import Group, RankTask  # noqa: E402
from rewardlab.models.losses import bradley_terry_loss  # noqa: E402
from rewardlab.models.trainer import batch_order  # noqa: E402


def test_loss_falls_and_held_out_accuracy_beats_chance(trained_bt: Path) -> None:
    history = [json.loads(line) for line in (trained_bt / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in history if r["split"] == "train"]
    evals = [r for r in history if r["split"] == "eval"]
    assert train[-1]["loss"] < train[0]["loss"] - 0.2  # from ~log 2 = 0.69 down
    assert evals[-1]["n"] == 40 and evals[-1]["accuracy"] >= 0.9
    info = json.loads((trained_bt / "training.json").read_text())
    assert info["train_examples"] == 120 and info["held_out_examples"] == 40
    # 48 tokens is shorter than many transcripts: every cut was counted and none reached the response
    cut = info["truncation"]["train"]
    assert (
        cut["truncated"] > 0 and cut["truncated_into_response"] == 0 and cut["fit"] + cut["truncated"] == 120
    )


def test_checkpoint_loads_with_plain_transformers_and_scores_identically(trained_bt: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    plain = AutoModelForSequenceClassification.from_pretrained(str(trained_bt)).eval()
    tok = AutoTokenizer.from_pretrained(str(trained_bt))
    rows = _tiny.easy_pairs(6, seed=11)
    texts = [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    with torch.no_grad():
        expected = [float(plain(**tok(t, return_tensors="pt")).logits[0, 0]) for t in texts]
    prompts = [t[: t.rindex("Assistant:") + len("Assistant:")] for t in texts]
    samples = [Sample(prompt=p, completion=t[len(p) :]) for p, t in zip(prompts, texts, strict=True)]
    got = [r.score for r in RewardModel(str(trained_bt), batch_size=4).score_batch(samples)]
    assert got == pytest.approx(expected, abs=1e-5)
    assert all(got[i] > got[i + 6] for i in range(6))  # chosen above rejected on new pairs
    cfg = json.loads((trained_bt / "config.json").read_text())
    assert cfg["rewardlab"]["kind"] == "bt" and cfg["rewardlab"]["head"] == "linear"
    assert set(cfg["rewardlab"]) >= {"reward_mean", "reward_std", "max_length", "truncation"}


def test_decoder_score_is_read_at_the_last_real_token_whatever_the_padding(
    llama_base: Path, tmp_path: Path
) -> None:
    from rewardlab.models.bt import pad, scalar_rewards
    from rewardlab.models.checkpoint import load_backbone

    model, tok = load_backbone(llama_base, kind="bt", num_labels=1)
    model.eval()
    short, long_ = tok("the answer is good")["input_ids"], tok("the answer is bad so sorry")["input_ids"]
    with torch.no_grad():
        batched = scalar_rewards(model, [short, long_], tok.pad_token_id, "cpu")
        hidden = model.model(input_ids=torch.tensor([short])).last_hidden_state  # (1, L, h)
        by_hand = float(model.score(hidden[0, -1]))  # the head applied to the last real token
        alone = scalar_rewards(model, [short], tok.pad_token_id, "cpu")
    ids, _mask = pad([short, long_], tok.pad_token_id, "cpu")
    assert ids[0, len(short) :].tolist() == [tok.pad_token_id] * (len(long_) - len(short))
    assert float(batched[0]) == pytest.approx(by_hand, abs=1e-5)
    assert float(alone[0]) == pytest.approx(by_hand, abs=1e-5)


def test_margin_column_reaches_the_loss() -> None:
    task = RankTask("bt", pad_id=0)
    rewards = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mask = torch.ones_like(rewards, dtype=torch.bool)
    items = [Group(0, ((1,), (2,)), margin=0.5), Group(1, ((1,), (2,)), margin=0.0)]
    got = task._loss(rewards, mask, items)
    want = bradley_terry_loss(rewards[:, 0], rewards[:, 1], torch.tensor([0.5, 0.0]))
    assert float(got) == pytest.approx(float(want)) and float(got) == pytest.approx(
        (0.474077 + 1.313262) / 2, abs=1e-5
    )


def test_length_grouped_batches_cover_every_item_once_in_similar_lengths() -> None:
    costs = list(range(100))
    batches = batch_order(costs, 10, seed=3, grouped=True)
    assert sorted(i for b in batches for i in b) == list(range(100))
    assert (
        max(max(costs[i] for i in b) - min(costs[i] for i in b) for b in batches) == 9
    )  # one window: sorted
    assert batch_order(costs, 10, seed=3, grouped=True) == batches  # seeded
    assert batch_order(costs, 10, seed=4, grouped=True) != batches


def test_mlp_head_round_trips_through_rewardlab(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    st = TrainSettings(
        epochs=0.5, batch_size=16, lr=1e-3, max_length=48, head="mlp", device="cpu", stats_samples=0
    )
    train_reward_model("bt", bert_base, easy_file, tmp_path / "mlp", st)
    model, _tok, info = load_model(tmp_path / "mlp")
    assert info["head"] == "mlp" and isinstance(model.classifier, torch.nn.Sequential)
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "mlp" / "model.safetensors"))
    assert torch.equal(saved["classifier.2.weight"], model.classifier[2].weight)


def test_grad_accum_and_listwise_train(bert_base: Path, tmp_path: Path) -> None:
    rows = _tiny.easy_pairs(40, seed=5)
    lists = [
        {"prompt": "", "responses": [r["rejected"], r["chosen"], r["rejected"] + " no"], "label": 1}
        for r in rows
    ]
    data = _tiny.write_jsonl(tmp_path / "lists.jsonl", lists)
    st = TrainSettings(
        epochs=1, batch_size=4, grad_accum=3, lr=1e-3, max_length=48, device="cpu", log_every=1
    )
    res = train_reward_model("listwise", bert_base, data, tmp_path / "lw", st)
    assert res.steps == 4  # 10 forward passes of 4 lists, 3 per step: 3 + 3 + 3 + 1
    assert json.loads((tmp_path / "lw" / "config.json").read_text())["rewardlab"]["kind"] == "listwise"


def test_resume_continues_exactly(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    st = TrainSettings(
        epochs=2, batch_size=16, lr=1e-3, max_length=48, device="cpu", save_every=5, stats_samples=0
    )
    train_reward_model("bt", bert_base, easy_file, tmp_path / "full", st)

    class Stop(Exception):
        pass

    def stop_at_checkpoint(kind: str, rec: dict[str, object]) -> None:
        if kind == "checkpoint" and rec["step"] == 10:
            raise Stop

    with pytest.raises(Stop):
        train_reward_model("bt", bert_base, easy_file, tmp_path / "cut", st, on_event=stop_at_checkpoint)
    res = train_reward_model("bt", bert_base, easy_file, tmp_path / "cut", st, resume=True)
    assert res.resumed_from is not None and res.resumed_from.endswith("step-0000010") and res.steps == 20
    from safetensors.torch import load_file

    a = load_file(str(tmp_path / "full" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert a.keys() == b.keys()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-6
    metrics = [json.loads(line) for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in metrics if r["split"] == "train"] == [10, 20]


def test_same_seed_same_model(bert_base: Path, easy_file: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    st = TrainSettings(epochs=0.25, batch_size=16, lr=1e-3, max_length=48, device="cpu", stats_samples=0)
    torch.manual_seed(123)  # whatever the caller's random state, the seed decides the head's initial weights
    train_reward_model("bt", bert_base, easy_file, tmp_path / "a", st)
    torch.manual_seed(456)
    train_reward_model("bt", bert_base, easy_file, tmp_path / "b", st)
    a = load_file(str(tmp_path / "a" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
