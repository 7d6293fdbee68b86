"""OpenRLHF adapter: the parts OpenRLHF's own code does not reach here.

OpenRLHF 0.11.2 itself runs in ``tests/integration/test_in_openrlhf.py`` (its own virtualenv, vLLM's
engine faked at the boundary): ``RolloutRayActor.generate_responses`` -> ``SingleTurnAgentExecutor`` with
both reward routes (HTTP against ``rewardlab serve``, and ``examples/openrlhf_reward.py``), then
OpenRLHF's ``Experience`` batching. That replaced the replays of OpenRLHF's call sites (and the slow
offline test) that lived here. These are unit tests of the adapter's own pieces: the EOS policy, the
response extraction, the stable reply shape, the options.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import rewardlab as rl
from rewardlab.adapters import openrlhf as adapter
from rewardlab.adapters.openrlhf import Eos, OpenRLHFReward, query_sample
from rewardlab.errors import ConfigError

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]


def test_eos_configured_cut_repeatedly_from_the_end_only() -> None:
    eos = Eos.resolve(["<|im_end|>", "<|endoftext|>"])
    s = query_sample(
        "sys|user: hi|assistant: \\boxed{2}<|im_end|><|endoftext|>", "user: hi|assistant:", 2, eos
    )
    assert s.completion == " \\boxed{2}" and s.metadata == {"prompt_found": True} and s.reference == 2
    s = query_sample("ssistant: <|im_end|> \\boxed{2}", "user: hi|assistant:", 2, eos)  # prompt truncated
    assert s.completion == "ssistant: <|im_end|> \\boxed{2}" and s.metadata == {"prompt_found": False}


def test_eos_read_from_a_tokenizer(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models

    tok = Tokenizer(models.WordLevel({"<unk>": 0, "</s>": 1, "<|eot|>": 2, "a": 3}, unk_token="<unk>"))
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>")
    fast.save_pretrained(str(tmp_path))
    (tmp_path / "generation_config.json").write_text('{"eos_token_id": [1, 2]}')
    eos = Eos.resolve(tokenizer=str(tmp_path))
    assert eos.tokens == ("</s>", "<|eot|>") and eos.source == f"tokenizer {tmp_path}"
    assert eos.cut("x</s><|eot|>") == "x"
    with pytest.raises(ConfigError, match="cannot load the tokenizer"):
        Eos.resolve(tokenizer=str(tmp_path / "missing"))


def test_eos_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_EOS", "</s>,<eos>")
    assert Eos.from_env().tokens == ("</s>", "<eos>")
    monkeypatch.setenv("REWARDLAB_EOS", "none")
    assert Eos.from_env().tokens == ()
    monkeypatch.setenv("REWARDLAB_EOS", ",")
    with pytest.raises(ConfigError, match="REWARDLAB_EOS must list EOS strings"):
        Eos.from_env()
    monkeypatch.delenv("REWARDLAB_EOS")
    monkeypatch.delenv("REWARDLAB_TOKENIZER", raising=False)
    assert Eos.from_env().tokens is None


def test_unconfigured_eos_is_never_silent(caplog: pytest.LogCaptureFixture) -> None:
    eos = Eos.resolve()
    with caplog.at_level(logging.WARNING, logger="rewardlab.openrlhf"):
        assert eos.cut("plain text") == "plain text"
        assert not caplog.records
        assert eos.cut("72<|im_end|>") == "72<|im_end|>"  # not guessed away: scored as it is, and said
        assert eos.cut("73</s>") == "73</s>"
    (record,) = caplog.records  # once
    assert "'<|im_end|>', which looks like an EOS token, and no EOS is configured" in record.getMessage()
    assert Eos.resolve([]).cut("72</s>") == "72</s>"  # explicitly none: no warning
    assert len(caplog.records) == 1


def _fragile(sample: Any) -> float:
    if "crash" in sample.completion_text:
        raise RuntimeError("checker crashed")
    return 1.0


def test_reply_keys_are_the_same_whatever_fails() -> None:
    reward = rl.combine(correct=rl.math_answer(), fragile=rl.reward_fn(_fragile, name="fragile"))
    fn = OpenRLHFReward(reward, workers=0, error_score=-0.5, eos_tokens=["</s>"])  # inline: no pickling
    ok = fn(["p \\boxed{1}</s>"], ["p"], ["1"])
    bad = fn(["p \\boxed{1} crash</s>"], ["p"], ["1"])
    assert sorted(ok["extra_logs"]) == sorted(bad["extra_logs"]) == [
        "rewardlab/correct", "rewardlab/error", "rewardlab/fragile"
    ]  # fmt: skip
    assert bad["rewards"].tolist() == [-0.5] and bad["extra_logs"]["rewardlab/error"].tolist() == [1.0]
    assert bad["extra_logs"]["rewardlab/fragile"].tolist() == [0.0]  # not computed: 0.0, flagged above
    assert fn.stats.error_types == {"ComponentError": 1}


def test_module_reward_func_and_the_example_use_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_SPEC", "exact_match")
    monkeypatch.setenv("REWARDLAB_EOS", "</s>")
    monkeypatch.setenv("REWARDLAB_TIMEOUT", "7")
    adapter._DEFAULT.set(None)
    try:
        out = adapter.reward_func(["Q: 72</s>"], ["Q:"], ["72"])
        assert out["rewards"].tolist() == [1.0] and adapter._DEFAULT.get().handle.settings.timeout == 7
    finally:
        adapter._DEFAULT.set(None)
    monkeypatch.setenv("REWARDLAB_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="REWARDLAB_TIMEOUT must be a number of seconds, got 'soon'"):
        OpenRLHFReward.from_env()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"on_error": "raise"}, "would make OpenRLHF drop the rollout's reward"),
        ({"eos_tokens": "</s>"}, "`eos_tokens` must be a list of non-empty strings"),
        ({"error_score": "0"}, "`error_score` must be a finite number"),
        ({"workers": 1.5}, "workers must be an integer"),
    ],
)
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        OpenRLHFReward("math", **options)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length, got 2, 1, 1"):
        OpenRLHFReward("math", workers=0).lists(["a", "b"], ["a"], ["1"])
