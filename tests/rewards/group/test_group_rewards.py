"""Group and intrinsic rewards: hand-computed values and the properties the issue names."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import rewardlab as rl
from rewardlab.core import in_group, score_groups
from rewardlab.rewards.group import NoveltyMemory, ngram_similarity, vendi
from rewardlab.runner import score_one


def group(completions: list[str], key: str = "g", **extra: object) -> list[rl.Sample]:
    return [rl.Sample(completion=c, metadata={"group": key, **extra}) for c in completions]


def run(reward: object, samples: list[rl.Sample]) -> list[rl.RewardResult]:
    return score_groups(rl.as_reward(reward), samples, score_one)


def test_majority_vote_is_semantic_and_reports_the_vote() -> None:
    out = run(
        "majority_vote",
        group(["\\boxed{3/4}", "The answer is 0.75.", "\\boxed{\\frac{3}{4}}", "\\boxed{2}", ""]),
    )
    assert [r.score for r in out] == [1.0, 1.0, 1.0, 0.0, 0.0]
    info = out[0].info
    assert info["pseudo_label"] == "3/4" and info["agreement"] == 0.75 and info["margin"] == 0.5
    assert info["votes"] == 4 and info["clusters"] == 2 and out[4].info["answer"] is None


def test_majority_vote_is_invariant_to_group_order() -> None:
    answers = ["\\boxed{5}", "\\boxed{5.0}", "\\boxed{7}", "\\boxed{10/2}", "\\boxed{7}"]
    base = {a: r.score for a, r in zip(answers, run("majority_vote", group(answers)), strict=True)}
    for perm in itertools.permutations(answers):
        got = {a: r.score for a, r in zip(perm, run("majority_vote", group(list(perm))), strict=True)}
        assert got == base


def test_no_majority_no_label() -> None:
    tie = run("majority_vote", group(["\\boxed{1}", "\\boxed{2}"]))
    assert [r.score for r in tie] == [0.0, 0.0] and tie[0].info["no_label"] == "tie"
    weak = run(
        {"reward": {"type": "majority_vote", "min_agreement": 0.8}},
        group(["\\boxed{1}"] * 3 + ["\\boxed{2}"] * 2),
    )
    assert all(r.score == 0.0 for r in weak) and weak[0].info["no_label"] == "below min_agreement"


def test_majority_vote_reports_whether_the_pseudo_label_is_right_when_a_reference_exists() -> None:
    samples = [
        rl.Sample(completion=c, reference="4", metadata={"group": 1})
        for c in ["\\boxed{4}", "\\boxed{4}", "\\boxed{5}"]
    ]
    assert run("majority_vote", samples)[0].info["correct"] is True


def test_a_group_reward_needs_its_group_and_a_whole_one() -> None:
    alone = rl.score_one(rl.as_reward("majority_vote"), rl.Sample(completion="\\boxed{1}"))
    assert alone.error is not None and alone.error.type == "GroupError"
    split = run("majority_vote", group(["\\boxed{1}", "\\boxed{1}"], group_size=4))
    assert all(r.error is not None and "split across calls" in r.error.message for r in split)
    one = run("majority_vote", group(["\\boxed{1}"]))
    assert one[0].error is not None and "at least 2" in one[0].error.message


def test_vendi_counts_effective_distinct_items() -> None:
    assert vendi(np.eye(4)) == pytest.approx(4.0)
    assert vendi(np.ones((4, 4))) == pytest.approx(1.0)
    two_pairs = np.kron(np.eye(2), np.ones((2, 2)))
    assert vendi(two_pairs) == pytest.approx(2.0)
    # hand-computed: a duplicate pair and one distinct item: eigenvalues 2/3, 1/3
    K = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1.0]])
    assert vendi(K) == pytest.approx(math.exp(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)))


def test_a_duplicate_adds_no_diversity() -> None:
    texts = ["the cat sat on the mat", "a dog ran in the park", "the cat sat on the mat"]
    out = run("group_diversity", group(texts))
    whole = math.exp(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))  # a duplicate pair + one other
    assert out[1].score == pytest.approx(whole - 1.0) and out[0].score == 0.0 and out[2].score == 0.0
    assert ngram_similarity(["a b c", "a b c"])[0, 1] == pytest.approx(1.0)


def test_coverage_gains_are_submodular() -> None:
    facts = ["Paris is the capital", "population 2 million", "on the Seine"]
    samples = [rl.Sample(completion=c, reference={"facts": facts}, metadata={"group": 0})
               for c in ["Paris is the capital of France", "It lies on the Seine; Paris is the capital", "It has a population of 2 million"]]  # fmt: skip
    loo = run("group_coverage", samples)
    assert [r.score for r in loo] == pytest.approx([0.0, 1 / 3, 1 / 3]) and loo[0].info["coverage"] == 1.0
    seq = run({"reward": {"type": "group_coverage", "gain": "sequential"}}, samples)
    assert [r.score for r in seq] == pytest.approx([1 / 3, 1 / 3, 1 / 3]) and sum(
        r.score for r in seq
    ) == pytest.approx(1.0)


def test_self_certainty_hand_computed() -> None:
    uniform = [[math.log(0.5), math.log(0.5)]] * 3
    peaked = [[math.log(0.9), math.log(0.1)]] * 3
    sc = rl.as_reward("self_certainty")
    assert sc(rl.Sample(completion="x", metadata={"logprobs": uniform})).score == pytest.approx(0.0)
    expected = -math.log(2) - (math.log(0.9) + math.log(0.1)) / 2
    assert sc(rl.Sample(completion="x", metadata={"logprobs": peaked})).score == pytest.approx(expected)
    mean = rl.as_reward({"reward": {"type": "self_certainty", "mode": "mean_logprob"}})
    assert mean(rl.Sample(completion="x", metadata={"logprobs": [-1.0, -3.0]})).score == pytest.approx(-2.0)
    missing = rl.score_one(sc, rl.Sample(completion="x"))
    assert missing.error is not None and "logprobs" in missing.error.message


def test_novelty_decays_with_repeats_and_the_memory_saves(tmp_path: Path) -> None:
    memory = NoveltyMemory()
    reward = rl.as_reward({"reward": {"type": "global_novelty"}})
    reward.memory = memory
    s = rl.Sample(completion="The answer is 42")
    seen = []
    for _ in range(4):
        seen.append(reward(s).score)
        memory.update([s])
    assert seen == pytest.approx([1.0, 1 / math.sqrt(2), 1 / math.sqrt(3), 0.5])
    back = NoveltyMemory.load(memory.save(tmp_path / "memory.json"))
    assert back.counts == memory.counts and back.bonus("the answer is 42") == pytest.approx(1 / math.sqrt(5))


def test_episodic_novelty_and_move_repetition_read_the_turns() -> None:
    turns = [{"role": "assistant", "content": "Let me ask about your budget for the trip."},
             {"role": "user", "content": "1000"},
             {"role": "assistant", "content": "Let me ask about your budget for the trip."},
             {"role": "assistant", "content": "Which city do you prefer, Rome or Oslo?"}]  # fmt: skip
    sample = rl.Sample(completion=turns)
    epi = rl.as_reward("episodic_novelty")(sample)
    assert epi.step_scores == [1.0, 0.0, 1.0] and epi.score == pytest.approx(2 / 3)
    assert rl.as_reward("move_repetition")(sample).score == pytest.approx(2 / 3)


def belief(sample: rl.Sample, turns: list[str]) -> dict[str, float]:
    """A posterior over four hypotheses: each turn that names a hypothesis rules out half of the rest."""
    alive = ["a", "b", "c", "d"][: 4 >> len(turns)] or ["a"]
    return dict.fromkeys(alive, 1.0)


def test_information_gain_is_the_entropy_reduction_per_turn() -> None:
    reward = rl.as_reward({"reward": {"type": "information_gain", "posterior": f"{__name__}:belief"}})
    out = reward(
        rl.Sample(completion=[{"role": "assistant", "content": "q1"}, {"role": "assistant", "content": "q2"}])
    )
    assert out.step_scores == pytest.approx([math.log(2), math.log(2)]) and out.score == pytest.approx(
        math.log(4)
    )


def test_group_rewards_compose_with_per_sample_rewards() -> None:
    reward = rl.combine(
        correct=rl.reward("math"), vote=rl.reward("majority_vote"), weights={"correct": 0.8, "vote": 0.2}
    )
    samples = [
        rl.Sample(completion=c, reference="4", metadata={"group": "p"})
        for c in ["\\boxed{4}", "\\boxed{4}", "\\boxed{5}"]
    ]
    out = score_groups(reward, samples, score_one)
    assert [r.score for r in out] == pytest.approx([1.0, 1.0, 0.0])
    assert out[0].components == {"correct": 1.0, "vote": 1.0}
    with in_group(samples[:2], "p"):  # the context is what the group reward sees
        assert score_one(rl.reward("majority_vote"), samples[0]).info["votes"] == 2
