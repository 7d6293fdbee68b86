"""OpenRLHF adapter against OpenRLHF 0.11.2's call convention (OpenRLHF is not installed here: it needs
flash-attn). The replays copy the lines of OpenRLHF that touch the reward function:

- ``openrlhf/utils/agent.py@0.11.2`` ``SingleTurnAgentExecutor.__init__``: a ``.py`` remote URL is loaded
  with ``importlib.util.spec_from_file_location("reward_func", path)`` and ``module.reward_func`` is kept.
- same file, ``_fetch_rewards_via_func``: ``asyncio.to_thread(reward_func, [query], [prompt], [label])``
  per rollout, many rollouts at once (``asyncio.gather``); ``execute`` reads ``.get("scores")`` (falling
  back to ``"rewards"``) and ``.get("extra_logs") or {}``; ``query`` is
  ``tokenizer.decode(prompt_ids + response_ids, skip_special_tokens=False)``.
- same file, ``_fetch_rewards_via_http``: POST ``{"query", "prompts", "labels"}``, JSON reply with the same keys.
- ``openrlhf/trainer/ppo_utils/samples_generator.py@0.11.2``: ``torch.tensor([reward])``,
  ``torch.tensor([score])``, and each extra log as ``value.flatten()[0].item()`` for a tensor, then
  ``torch.tensor([value])``.

A slow test runs OpenRLHF's own ``SingleTurnAgentExecutor`` when an openrlhf 0.11.2 wheel (and aiohttp,
pylatexenc) can be installed offline from a local wheel directory.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rewardlab as rl
from rewardlab.adapters import openrlhf as adapter
from rewardlab.adapters.openrlhf import OpenRLHFReward
from rewardlab.errors import ConfigError

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "openrlhf_reward.py"


def load_reward_func(path: Path) -> Any:
    """``SingleTurnAgentExecutor.__init__`` (OpenRLHF 0.11.2) for a ``.py`` remote URL."""
    spec = importlib.util.spec_from_file_location("reward_func", str(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_func


def rollouts(reward_func: Any, items: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """``execute`` -> ``_fetch_rewards_via_func`` for each rollout concurrently, then samples_generator."""

    async def one(query: str, prompt: str, label: str) -> dict[str, Any]:
        (info,) = await asyncio.gather(asyncio.to_thread(reward_func, [query], [prompt], [label]))
        score = info.get("scores")
        if score is None:
            score = info.get("rewards")
        extra = {}
        for key, value in (info.get("extra_logs") or {}).items():
            if isinstance(value, torch.Tensor):
                value = value.flatten()[0].item()
            extra[key] = torch.tensor([value])
        return {"reward": torch.tensor([info.get("rewards")]), "score": torch.tensor([score]), **extra}

    async def run_all() -> list[dict[str, Any]]:
        return await asyncio.gather(*(one(*item) for item in items))

    return asyncio.run(run_all())


PROMPT = "<s>Q: Natalia sold 48 clips in April and half as many in May. How many in total? A:"
ITEMS = [
    (PROMPT + " 48 + 24 = \\boxed{72}</s>", PROMPT, "72"),
    (PROMPT + " \\boxed{70}</s>", PROMPT, "72"),
    (PROMPT + " 72</s>", PROMPT, "72"),
]


def test_example_file_loaded_as_openrlhf_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_SPEC", "math")
    monkeypatch.setenv("REWARDLAB_EOS", "</s>")
    reward_func = load_reward_func(EXAMPLE)
    infos = rollouts(reward_func, ITEMS)
    reward_func.close()
    assert [i["reward"].item() for i in infos] == [1.0, 0.0, 1.0]
    assert [i["score"].item() for i in infos] == [1.0, 0.0, 1.0]
    assert all(i["rewardlab/error"].item() == 0.0 for i in infos)
    # every rollout has the same keys, so OpenRLHF can stack them per key
    assert len({tuple(sorted(i)) for i in infos}) == 1


def test_module_reward_func_with_default_spec_has_components(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REWARDLAB_SPEC", raising=False)
    adapter._DEFAULT.set(None)
    try:
        infos = rollouts(adapter.reward_func, ITEMS)
    finally:
        adapter._DEFAULT.set(None)
    assert [round(i["reward"].item(), 4) for i in infos] == [1.1, 0.1, 1.0]
    assert [i["rewardlab/correct"].item() for i in infos] == [1.0, 0.0, 1.0]
    assert [round(i["rewardlab/format"].item(), 4) for i in infos] == [1.0, 1.0, 0.0]


def _fragile(sample: Any) -> float:
    if "crash" in sample.completion_text:
        raise RuntimeError("checker crashed")
    return 1.0


def test_a_failed_sample_scores_error_score_and_is_flagged() -> None:
    reward = rl.combine(correct=rl.math_answer(), fragile=rl.reward_fn(_fragile, name="fragile"))
    reward_func = OpenRLHFReward(
        reward, workers=0, error_score=-0.5
    )  # inline: the local function needs no pickling
    infos = rollouts(reward_func, [("p \\boxed{1}", "p", "1"), ("p \\boxed{1} crash", "p", "1")])
    assert [i["reward"].item() for i in infos] == [2.0, -0.5]
    assert [i["rewardlab/error"].item() for i in infos] == [0.0, 1.0]
    assert [i["rewardlab/fragile"].item() for i in infos] == [1.0, 0.0]  # not computed: 0.0, flagged above
    assert [i["rewardlab/correct"].item() for i in infos] == [1.0, 1.0]
    assert reward_func.stats.error_types == {"ComponentError": 1}


def test_http_shape_is_json_ready() -> None:
    """What ``_fetch_rewards_via_http`` POSTs (``query``, ``prompts``, ``labels``) and reads back."""
    payload = {"query": [q for q, _, _ in ITEMS], "prompts": [p for _, p, _ in ITEMS], "labels": ["72"] * 3}
    reward = OpenRLHFReward("math", workers=0, eos_tokens=["</s>"])
    reply = json.loads(json.dumps(reward.lists(payload["query"], payload["prompts"], payload["labels"])))
    assert reply == {
        "rewards": [1.0, 0.0, 1.0],
        "scores": [1.0, 0.0, 1.0],
        "extra_logs": {"rewardlab/error": [0.0] * 3},
    }


def test_response_extraction() -> None:
    reward = OpenRLHFReward("math", workers=0, eos_tokens=["<|im_end|>", "<|endoftext|>"])
    s = reward.sample("sys|user: hi|assistant: \\boxed{2}<|im_end|><|endoftext|>", "user: hi|assistant:", 2)
    assert s.completion == " \\boxed{2}" and s.metadata == {"prompt_found": True} and s.reference == 2
    s = reward.sample("ssistant: \\boxed{2}", "user: hi|assistant:", 2)  # prompt truncated on the left
    assert s.completion == "ssistant: \\boxed{2}" and s.metadata == {"prompt_found": False}


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


def _wheel_dirs() -> list[str]:
    dirs = os.environ.get("REWARDLAB_WHEELHOUSE", "") + " " + os.environ.get("PIP_FIND_LINKS", "")
    return [d for d in dirs.split() if Path(d).is_dir()]


@pytest.mark.slow
def test_openrlhf_own_executor_runs_the_example_file(tmp_path: Path) -> None:
    """OpenRLHF 0.11.2's ``SingleTurnAgentExecutor`` loads and calls ``examples/openrlhf_reward.py``.

    Installs ``openrlhf==0.11.2`` (``--no-deps``; it otherwise requires flash-attn) plus ``aiohttp`` and
    ``pylatexenc`` into a target directory, offline, from local wheel directories (``REWARDLAB_WHEELHOUSE``
    or ``PIP_FIND_LINKS``); skipped with pip's reason when they do not hold them.
    """
    dirs = _wheel_dirs()
    if not dirs:
        pytest.skip("no local wheel directory (set REWARDLAB_WHEELHOUSE) to install openrlhf offline")
    target = tmp_path / "site"
    links = [arg for d in dirs for arg in ("--find-links", d)]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", *links, "--target", str(target)]
    for args in (["--no-deps", "openrlhf==0.11.2"], ["aiohttp", "pylatexenc"]):
        done = subprocess.run([*pip, *args], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            pytest.skip(f"cannot install {args[-1]} offline from {dirs}: {reason}")
    script = f"""
import asyncio, json
from openrlhf.utils.agent import SingleTurnAgentExecutor
ex = SingleTurnAgentExecutor(remote_rm_url={str(EXAMPLE)!r})
assert ex.reward_func is not None
items = {ITEMS!r}
out = asyncio.run(ex._fetch_rewards_via_func([q for q, _, _ in items], [p for _, p, _ in items], [l for _, _, l in items]))
print(json.dumps([{{"rewards": o["rewards"].tolist(), "scores": o["scores"].tolist(),
                    "extra": {{k: v.tolist() for k, v in o["extra_logs"].items()}}}} for o in out]))
ex.reward_func.close()
"""
    env = {**os.environ, "PYTHONPATH": str(target), "REWARDLAB_SPEC": "math", "REWARDLAB_EOS": "</s>"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert [o["rewards"] for o in out] == [[1.0], [0.0], [1.0]]
    assert all(o["extra"] == {"rewardlab/error": [0.0]} for o in out)
