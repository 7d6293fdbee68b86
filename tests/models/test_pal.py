"""PAL-style pluralistic reward models: the formula, training on two groups a shared model cannot serve,
few-shot users, save/load, bad rows and options, and the ``pal_reward`` reward through ``rl.score``."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import _tiny  # noqa: E402

import rewardlab as rl  # noqa: E402
from rewardlab.errors import ConfigError  # noqa: E402
from rewardlab.models.pal import (  # noqa: E402
    PalModel,
    fit_weights,
    pal_rewards,
    prototype_rewards,
    split_prompt,
)
from rewardlab.models.pal_reward import PalReward  # noqa: E402
from rewardlab.models.pal_train import PalSettings, read_user_pairs, train_pal  # noqa: E402

A_WORDS, B_WORDS = ["yes", "sure", "here"], ["no", "sorry", "cannot"]
FILLER = ["the", "it", "this", "that", "so", "then", "will", "would"]


def two_group_rows(n_pairs: int, users_per_group: int, *, seed: int) -> list[dict[str, Any]]:
    """Every text pair is judged by one user of each group, in opposite ways: group A prefers the reply
    that ends in an A word, group B the one that ends in a B word. Any user-blind scorer is right on
    exactly one of each mirrored pair (both wrong on a tie), so it cannot exceed 50%."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_pairs):
        body = " ".join(rng.choices(FILLER, k=rng.randint(1, 3)))
        a, b = f"{body} {rng.choice(A_WORDS)}", f"{body} {rng.choice(B_WORDS)}"
        ua, ub = f"a{i % users_per_group}", f"b{i % users_per_group}"
        rows.append({"user": ua, "prompt": "question:", "chosen": a, "rejected": b})
        rows.append({"user": ub, "prompt": "question:", "chosen": b, "rejected": a})
    return rows


def accuracy(model: PalModel, rows: list[dict[str, Any]], weights_of: Any) -> float:
    ws = [weights_of(r["user"]) for r in rows]
    prompts = [r["prompt"] for r in rows]
    rc = model.rewards(prompts, [r["chosen"] for r in rows], ws)
    rr = model.rewards(prompts, [r["rejected"] for r in rows], ws)
    return sum(c > r for c, r in zip(rc, rr, strict=True)) / len(rows)


SETTINGS = {"dim": 8, "hidden": 32, "epochs": 40, "batch_size": 32, "lr": 1e-2, "max_length": 32}


@pytest.fixture(scope="module")
def two_groups(tmp_path_factory: pytest.TempPathFactory, bert_base: Path) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("pal")
    train = _tiny.write_jsonl(d / "train.jsonl", two_group_rows(160, 4, seed=0))
    held = two_group_rows(40, 4, seed=1)
    out = {}
    for k in (1, 2):
        st = PalSettings(prototypes=k, eval_fraction=0.0, seed=0, **SETTINGS)  # type: ignore[arg-type]
        result = train_pal(str(bert_base), train, d / f"k{k}", st)
        out[k] = (PalModel.load(d / f"k{k}"), result)
    return {"dir": d, "held": held, "models": out}


def test_the_reward_formula_on_a_2d_toy() -> None:
    z = torch.tensor([[1.0, 2.0], [0.0, 1.0]])
    protos = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    w = torch.tensor([[0.25, 0.75], [0.25, 0.75]])
    # a = 0.25 * (0, 0) + 0.75 * (2, 0) = (1.5, 0); r = -||z - a||^2
    assert pal_rewards(z, protos, w).tolist() == pytest.approx([-(0.25 + 4.0), -(2.25 + 1.0)])
    assert prototype_rewards(z, protos).flatten().tolist() == pytest.approx([-5.0, -5.0, -1.0, -5.0])
    # the mixture of prototype rewards differs from the ideal-point reward by a constant of the user:
    # sum_k w_k ||p_k||^2 - ||a||^2 = 0.75 * 4 - 2.25 = 0.75, so comparisons are linear in w
    mix = prototype_rewards(z, protos) @ w[0]
    assert (pal_rewards(z, protos, w) - mix).tolist() == pytest.approx([0.75, 0.75])


def test_fit_weights_is_deterministic_and_follows_the_winning_prototype() -> None:
    diff = torch.tensor([[1.0, -1.0, 0.0]] * 5)  # prototype 0 always ranks the preferred side higher
    w1 = fit_weights(diff, [1 / 3] * 3, l2=0.0)
    w2 = fit_weights(diff, [1 / 3] * 3, l2=0.0)
    assert w1.tolist() == w2.tolist()
    assert float(w1.sum()) == pytest.approx(1.0) and float(w1[0]) > 0.9
    held = fit_weights(diff, [1 / 3] * 3, l2=10.0)  # a strong pull keeps it near the prior
    assert abs(float(held[0]) - 1 / 3) < abs(float(w1[0]) - 1 / 3)


def test_split_prompt_cuts_hh_transcripts_at_the_last_assistant_turn() -> None:
    head = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: help me\n\nAssistant:"
    assert split_prompt("", [head + " sure", head + " no"]) == (head, ["sure", "no"])
    assert split_prompt("", ["plain a", "plain b"]) == ("", ["plain a", "plain b"])
    assert split_prompt("p", ["x", "y"]) == ("p", ["x", "y"])
    msgs = [{"role": "user", "content": "hi"}]
    assert split_prompt(msgs, ["x"]) == ("\n\nHuman: hi", ["x"])


def test_pal_serves_two_groups_a_shared_model_cannot(two_groups: dict[str, Any]) -> None:
    held = two_groups["held"]
    shared, _ = two_groups["models"][1]
    pal, result = two_groups["models"][2]
    losses = [r["loss"] for r in result.history if r["split"] == "train"]
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy(shared, held, shared.weights_of) <= 0.5  # provably: see two_group_rows
    assert accuracy(pal, held, pal.weights_of) >= 0.9
    wa = [pal.weights_of(f"a{i}") for i in range(4)]
    wb = [pal.weights_of(f"b{i}") for i in range(4)]
    ka = {max(range(2), key=lambda k: w[k]) for w in wa}
    kb = {max(range(2), key=lambda k: w[k]) for w in wb}
    assert len(ka) == 1 and len(kb) == 1 and ka != kb  # each group follows its own prototype


def test_few_shot_fit_recovers_a_new_users_group(two_groups: dict[str, Any]) -> None:
    pal, _ = two_groups["models"][2]
    new = [r for r in two_group_rows(50, 1, seed=7) if r["user"] == "b0"]
    shots, held = new[:10], new[10:]
    w = pal.fit_user(shots)
    assert w == pal.fit_user(shots)  # deterministic
    assert sum(w) == pytest.approx(1.0)
    group_b = max(range(2), key=lambda k: pal.weights_of("b0")[k])
    assert w[group_b] > 0.6  # the fit starts at the population's ~(0.5, 0.5) and is pulled back to it
    assert accuracy(pal, held, lambda u: w) >= 0.9
    assert accuracy(pal, held, lambda u: pal.population_weights()) < 0.75


def test_save_and_load_score_identically(two_groups: dict[str, Any], tmp_path: Path, bert_base: Path) -> None:
    pal, _ = two_groups["models"][2]
    pal.add_user("newcomer", [0.3, 0.7])
    pal.save(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "pal.json").read_text())["rewardlab"]
    assert cfg["kind"] == "pal" and cfg["encoder"] == str(bert_base) and cfg["prototypes"] == 2
    assert cfg["users"][-1] == "newcomer" and cfg["data_sha256"]
    from safetensors.torch import load_file

    keys = set(load_file(str(tmp_path / "m" / "pal.safetensors")))
    assert {"prototypes", "user_weights", "feature_mean", "feature_std"} <= keys
    again = PalModel.load(tmp_path / "m")
    rows = two_groups["held"][:12]
    ws = [pal.weights_of(r["user"]) for r in rows]
    before = pal.rewards([r["prompt"] for r in rows], [r["chosen"] for r in rows], ws)
    after = again.rewards([r["prompt"] for r in rows], [r["chosen"] for r in rows], ws)
    assert after == pytest.approx(before, abs=1e-6)
    assert again.weights_of("newcomer") == pytest.approx([0.3, 0.7])


def test_bad_rows_are_reported_with_index_and_reason(tmp_path: Path) -> None:
    rows: list[Any] = [
        {"user": "u", "chosen": "a", "rejected": "b"},
        {"chosen": "a", "rejected": "b"},
        {"user": "u", "chosen": "same", "rejected": "same"},
        {"user": "u", "chosen": "  ", "rejected": "b"},
        {"user": "", "chosen": "a", "rejected": "b"},
        {"user": [1], "chosen": "a", "rejected": "b"},
        {"user": 7, "prompt": "p", "responses": ["best", "x", "y"], "label": 0},
    ]
    path = _tiny.write_jsonl(tmp_path / "rows.jsonl", rows)
    data = read_user_pairs(path)
    assert [(r.index, r.user, r.chosen, r.rejected) for r in data.rows] == [
        (0, "u", "a", "b"), (6, "7", "best", "x"), (6, "7", "best", "y"),
    ]  # fmt: skip
    reasons = {b.index: b.reason for b in data.bad}
    assert reasons[1] == "missing column 'user'" and reasons[4] == "missing column 'user'"
    assert reasons[2].startswith("chosen equals rejected")
    assert reasons[3].startswith("empty response")
    assert reasons[5].startswith("bad type: 'user'")
    with pytest.raises(ConfigError) as exc:
        read_user_pairs(path, on_bad="error")
    assert all(f"row {i}:" in str(exc.value) for i in (1, 2, 3, 4, 5))


def test_options_are_checked_all_at_once(two_groups: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        PalSettings(prototypes=0, projection="cnn", lr=0, eval_fraction=2.0, on_bad="drop")
    text = str(exc.value)
    for name in ("prototypes", "projection", "lr", "eval_fraction", "on_bad"):
        assert f"`{name}`" in text
    with pytest.raises(ConfigError) as exc:
        PalReward(str(tmp_path), unknown_user="zero", threads=0, weights=[0.5])
    text = str(exc.value)
    assert "`path` of pal_reward must be a saved PAL model" in text
    assert "`unknown_user` of pal_reward must be 'error' or 'mean', got 'zero'" in text
    assert "`threads` of pal_reward" in text and "`weights` of pal_reward" in text
    path = str(two_groups["dir"] / "k2")
    with pytest.raises(ConfigError, match=r"`weights` of pal_reward must be 2 non-negative"):
        PalReward(path, weights=[0.2, 0.2, 0.6])
    with pytest.raises(ConfigError, match=r"`weights\['x'\]` of pal_reward"):
        PalReward(path, weights={"x": [0.9, 0.2]})
    pal, _ = two_groups["models"][2]
    with pytest.raises(ConfigError, match="fit_user pairs"):
        pal.fit_user([{"chosen": "a", "rejected": "a"}])


def test_pal_reward_through_rl_score(two_groups: dict[str, Any]) -> None:
    path = str(two_groups["dir"] / "k2")
    pal = PalModel.load(path)
    r = two_groups["held"][0]
    samples = [
        {"prompt": r["prompt"], "completion": r["chosen"], "metadata": {"user": "a1"}},
        {"prompt": r["prompt"], "completion": r["chosen"], "metadata": {"user": "stranger"}},
        {"prompt": r["prompt"], "completion": r["chosen"]},
    ]
    got = rl.score({"type": "pal_reward", "path": path}, samples, workers=0)
    want = pal.rewards([r["prompt"]], [r["chosen"]], [pal.weights_of("a1")])[0]
    assert got[0].ok and got[0].score == pytest.approx(want, abs=1e-6)
    assert got[0].info["weights"] == pytest.approx(pal.weights_of("a1"))
    assert got[0].info["weights_from"] == "known"
    for bad in got[1:]:
        assert bad.score is None and bad.error is not None  # an unknown user is an error, never 0.0
    assert "unknown user 'stranger'" in got[1].error.message
    assert "no user id" in got[2].error.message

    mean = rl.score({"type": "pal_reward", "path": path, "unknown_user": "mean"}, samples[1:], workers=0)
    pop = pal.population_weights()
    assert all(m.ok and m.info["weights_from"] == "mean" for m in mean)
    assert mean[0].score == pytest.approx(pal.rewards([r["prompt"]], [r["chosen"]], [pop])[0], abs=1e-6)
    spec = {"type": "pal_reward", "path": path, "weights": {"stranger": [0.0, 1.0]}, "user_key": "who"}
    named = rl.score(spec, [{**samples[1], "metadata": {"who": "stranger"}}], workers=1)
    assert named[0].ok and named[0].info["weights"] == [0.0, 1.0]
    assert named[0].score == pytest.approx(
        pal.rewards([r["prompt"]], [r["chosen"]], [[0.0, 1.0]])[0], abs=1e-6
    )


def test_cli_train_pal(bert_base: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rewardlab.cli import app

    rows = [*two_group_rows(30, 2, seed=3), {"chosen": "a", "rejected": "b"}]
    data = _tiny.write_jsonl(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "pal"
    args = ["train", "pal", "--model", str(bert_base), "--data", str(data), "--out", str(out)]
    args += ["--prototypes", "2", "--epochs", "3", "--max-length", "32", "--device", "cpu", "--no-plot"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "1 bad row(s) skipped" in res.output
    for name in ("pal.json", "pal.safetensors", "metrics.jsonl", "training.json"):
        assert (out / name).is_file(), name
    info = json.loads((out / "training.json").read_text())
    assert info["settings"]["prototypes"] == 2 and info["settings"]["epochs"] == 3
    assert info["data"]["bad_examples"] == [{"index": 60, "reason": "missing column 'user'"}]
    assert {json.loads(x)["split"] for x in (out / "metrics.jsonl").read_text().splitlines()} == {
        "train",
        "eval",
    }
    bad = CliRunner().invoke(app, [*args[:8], "--prototypes", "0"])
    assert bad.exit_code == 2 and "`prototypes` must be an integer >= 1" in bad.output


def test_float32_whatever_the_default_dtype(two_groups: dict[str, Any]) -> None:
    """Another test module sets torch's default dtype to float64 for the whole process; PAL's tensors and
    the few-shot fit stay float32."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        m = PalModel("unused", prototypes=2, dim=3, hidden=4)
        m.build(6)
        assert {p.dtype for p in m.f_.parameters()} == {torch.float32}
        assert m.prototypes_.dtype == torch.float32
        pal, _ = two_groups["models"][2]
        w = pal.fit_user(two_group_rows(3, 1, seed=5)[:2])
        assert sum(w) == pytest.approx(1.0)
    finally:
        torch.set_default_dtype(before)
