"""rewardlab inside OpenRLHF 0.11.2's own rollout and reward code (``scripts/openrlhf_reward.py``).

OpenRLHF is installed without its CUDA-only dependencies (flash-attn, deepspeed, vLLM); vLLM's engine
is the faked boundary (``fake_vllm/`` and a scripted engine). Both reward routes of the README:

- ``--reward.remote_url http://host:port/get_reward``: OpenRLHF's HTTP client (aiohttp) against a real
  ``rewardlab serve`` subprocess started with ``--tokenizer`` (the policy's tokenizer: EOS detected);
- ``--reward.remote_url examples/openrlhf_reward.py``: OpenRLHF loads the file and calls its
  ``reward_func`` from threads, configured by ``REWARDLAB_SPEC`` and ``REWARDLAB_TOKENIZER``.

Two prompts x 3 samples each; one sample crashes a component, one hangs past the deadline; every
response ends with the tokenizer's EOS. The rollouts go through OpenRLHF's ``Experience`` batching.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _tokenizer
import pytest
from _trainer_envs import OPENRLHF, REPO, SPEC, last_json, rewardlab_serve, run_in

EXAMPLE = REPO / "examples" / "openrlhf_reward.py"
# ("so the answer is \boxed{72}": correct; "72": correct + exact; CRASH: error), ("42", " 41", HANG: error)
REWARDS = [1.0, 1.5, 0.0, 1.5, 0.0, 0.0]
KEYS = ["rewardlab/correct", "rewardlab/error", "rewardlab/exact", "rewardlab/trip"]


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tokenizer.build(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="module")
def server(tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``rewardlab serve --config SPEC --tokenizer DIR`` in its own process; yields (url, log file)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with rewardlab_serve(["--config", str(SPEC), "--tokenizer", str(tokenizer_dir)], log) as url:
        yield url, log


def run_openrlhf(url: str, tokenizer_dir: Path, **env: str) -> Any:
    done = run_in(OPENRLHF, "openrlhf_reward.py", url, str(tokenizer_dir), extra_env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-6000:]
    return last_json(done.stdout)


@pytest.fixture(scope="module")
def http_run(server: tuple[str, Path], tokenizer_dir: Path) -> Any:
    return run_openrlhf(f"{server[0]}/get_reward", tokenizer_dir)


@pytest.fixture(scope="module")
def file_run(tokenizer_dir: Path) -> Any:
    return run_openrlhf(
        str(EXAMPLE), tokenizer_dir, REWARDLAB_SPEC=str(SPEC), REWARDLAB_TOKENIZER=str(tokenizer_dir)
    )


@pytest.mark.parametrize("route", ["http_run", "file_run"])
def test_scores_components_and_failures(route: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(route)
    assert run["group_sizes"] == [3, 3]  # n_samples_per_prompt rollouts per prompt, in order
    rollouts = run["rollouts"]
    assert [r["reward"] for r in rollouts] == REWARDS
    assert [r["score"] for r in rollouts] == REWARDS
    # the EOS OpenRLHF's query carries was cut (detected from the tokenizer): "72</s>" matches exactly
    assert rollouts[1]["extra_logs"]["rewardlab/exact"] == 1.0
    assert [r["extra_logs"]["rewardlab/error"] for r in rollouts] == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert [r["extra_logs"]["rewardlab/correct"] for r in rollouts] == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("route", ["http_run", "file_run"])
def test_extra_logs_keys_are_stable_so_openrlhf_can_batch_them(
    route: str, request: pytest.FixtureRequest
) -> None:
    run = request.getfixturevalue(route)
    assert all(sorted(r["extra_logs"]) == KEYS for r in run["rollouts"])
    assert run["batch"] == {
        "size": 6,
        "info_keys": sorted([*KEYS, "response_clip_ratio", "reward", "score"]),
        "rewards": REWARDS,
    }


def test_the_two_routes_agree(http_run: Any, file_run: Any) -> None:
    assert http_run["rollouts"] == file_run["rollouts"]


def test_the_server_says_where_its_eos_came_from(server: tuple[str, Path], http_run: Any) -> None:
    log = server[1].read_text()
    assert '"eos": ["</s>"]' in log and '"eos_source": "tokenizer ' in log
