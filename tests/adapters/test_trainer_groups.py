"""Group rewards through the adapters, with each trainer's call shape: TRL's consecutive num_generations
completions per prompt, OpenRLHF's responses of one prompt in a request, verl's uid."""

from __future__ import annotations

import pytest

from rewardlab.adapters.openrlhf import OpenRLHFReward
from rewardlab.adapters.trl import TRLReward
from rewardlab.adapters.verl import _sample


def test_trl_groups_are_the_completions_of_one_prompt() -> None:
    reward = TRLReward("majority_vote", reference_column=None, workers=0)
    prompts = ["What is 2+2?"] * 3 + ["What is 3+3?"] * 3  # GRPO: num_generations=3, consecutive
    completions = ["\\boxed{4}", "\\boxed{4}", "\\boxed{5}", "\\boxed{6}", "\\boxed{7}", "\\boxed{6}"]
    assert reward(prompts=prompts, completions=completions) == [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    reward.close()


def test_trl_group_size_refuses_a_split_group() -> None:
    reward = TRLReward("majority_vote", reference_column=None, workers=0, group_size=4)
    with pytest.raises(ValueError, match="groups of 4"):
        reward(prompts=["p"] * 6, completions=["\\boxed{1}"] * 6)
    reward.close()


def test_openrlhf_groups_the_responses_of_one_prompt_in_a_request() -> None:
    reward = OpenRLHFReward("majority_vote", workers=0, eos_tokens=[])
    prompts = ["A", "B", "A", "B", "A"]  # interleaved, as a request may carry them
    queries = [
        p + r
        for p, r in zip(
            prompts, ["\\boxed{1}", "\\boxed{9}", "\\boxed{1}", "\\boxed{9}", "\\boxed{2}"], strict=True
        )
    ]
    out = reward.lists(queries, prompts, [""] * 5)
    assert out["rewards"] == [1.0, 1.0, 1.0, 1.0, 0.0]
    reward.close()


def test_verl_uid_becomes_the_group() -> None:
    sample = _sample("gsm8k", "\\boxed{1}", "1", {"uid": "abc", "index": 3})
    assert sample.metadata["group"] == "abc"
