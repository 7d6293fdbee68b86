"""Run inside the verl 0.9.1 test venv: rewardlab through verl's own reward code, as the README configures it.

1. ``RewardLoopManager`` (what verl's trainer builds): Ray actors running ``RewardLoopWorker``, which
   loads ``pkg://rewardlab.adapters.verl:acompute_score`` with ``load_reward_manager`` and scores a
   ``DataProto`` (``compute_rm_score``), configured from verl's own ``ppo_trainer.yaml`` (hydra).
2. ``RewardLoopWorker`` in this process, to see how many samples each rewardlab batch held.
3. verl's DAPO group filter (``ReplayBuffer._dapo_filtered_keys``) on the reward loop's extra info,
   with TransferQueue's key-value read (the storage boundary) answered from memory.
4. The legacy ``verl.workers.reward_manager.BatchRewardManager`` with ``compute_score_batch``.

Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import _tokenizer
import numpy as np
import torch

SPEC = sys.argv[1]
os.environ["REWARDLAB_SPEC"] = SPEC  # the README's route: the spec comes from the environment

# (group uid, ground truth, response text); every response is followed by EOS in the token ids
ROWS = [
    ("u0", "72", "so the answer is \\boxed{72}"),
    ("u0", "72", "72"),
    ("u0", "72", "CRASH 72"),
    ("u1", "42", "42"),
    ("u1", "42", "42"),
    ("u1", "42", "42"),
    ("u2", "7", "HANG"),
    ("u2", "7", "7"),
]
PROMPT_LEN, RESPONSE_LEN = 24, 16


def make_batch(tok):
    from verl import DataProto

    prompts, responses, masks = [], [], []
    for _, _, text in ROWS:
        p = tok("Question: what is it? Answer:", add_special_tokens=False)["input_ids"][-PROMPT_LEN:]
        r = tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        assert len(r) <= RESPONSE_LEN, text
        prompts.append([tok.pad_token_id] * (PROMPT_LEN - len(p)) + p)
        responses.append(r + [tok.pad_token_id] * (RESPONSE_LEN - len(r)))
        masks.append(
            [0] * (PROMPT_LEN - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (RESPONSE_LEN - len(r))
        )
    prompts_t, responses_t = torch.tensor(prompts), torch.tensor(responses)
    return DataProto.from_dict(
        tensors={
            "prompts": prompts_t,
            "responses": responses_t,
            "input_ids": torch.cat([prompts_t, responses_t], dim=1),
            "attention_mask": torch.tensor(masks),
        },
        non_tensors={
            "data_source": np.array(["openai/gsm8k"] * len(ROWS), dtype=object),
            "reward_model": np.array(
                [{"ground_truth": t, "style": "rule"} for _, t, _ in ROWS], dtype=object
            ),
            "extra_info": np.array([{"index": i} for i in range(len(ROWS))], dtype=object),
            "uid": np.array([u for u, _, _ in ROWS], dtype=object),
        },
    )


def verl_config(tokenizer_dir: Path, name: str):
    import verl
    from hydra import compose, initialize_config_dir

    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        return compose(
            config_name="ppo_trainer",
            overrides=[
                f"actor_rollout_ref.model.path={tokenizer_dir}",
                "reward.custom_reward_function.path=pkg://rewardlab.adapters.verl",
                f"reward.custom_reward_function.name={name}",
                "reward.num_workers=2",
            ],
        )


def plain(value):
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, np.generic):
        return plain(value.item())
    return value


def extra_lists(non_tensor: dict, keys: list[str]) -> dict:
    return {k: [plain(v) for v in non_tensor[k].tolist()] for k in keys}


def main() -> None:
    out: dict = {}
    work = Path(tempfile.mkdtemp(prefix="rlverl"))
    tok_dir = _tokenizer.build(work / "tok")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tok_dir))
    data = make_batch(tok)

    # 1. the trainer's RewardLoopManager, on Ray actors
    import ray
    from verl.experimental.reward_loop import RewardLoopManager

    t0 = time.monotonic()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=str(work / "ray"),
        runtime_env={"env_vars": {"REWARDLAB_SPEC": SPEC}},  # the README's multi-node form
        log_to_driver=False,
    )
    manager = RewardLoopManager(verl_config(tok_dir, "acompute_score"))
    result = manager.compute_rm_score(data)
    keys = result.meta_info["reward_extra_keys"]
    rm = result.batch["rm_scores"]
    valid = data.batch["attention_mask"][:, PROMPT_LEN:].sum(dim=1)
    out["ray"] = {
        "rm_shape": list(rm.shape),
        # verl puts each score on the response's last valid token (EOS included), zeros elsewhere
        "rm_at_last_token": [round(float(rm[i, n - 1]), 6) for i, n in enumerate(valid)],
        "rm_elsewhere_zero": bool(
            (rm.abs().sum(dim=1) == rm[torch.arange(len(valid)), valid - 1].abs()).all()
        ),
        "keys": keys,
        "extra": extra_lists(result.non_tensor_batch, keys),
        "seconds": round(time.monotonic() - t0, 1),
    }
    ray.shutdown()

    # 2. the same worker class in this process: how rewardlab batched verl's per-sample calls
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from rewardlab.adapters import verl as adapter

    worker = RewardLoopWorker(verl_config(tok_dir, "acompute_score"))
    handle = adapter._DEFAULT.get().handle
    sizes: list[int] = []
    real = handle.runner.score

    def spy(samples):
        samples = list(samples)
        sizes.append(len(samples))
        return real(samples)

    handle.runner.score = spy
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))  # the loop verl made for it
    out["worker"] = {
        "batch_sizes": sizes,
        "scores": [plain(o["reward_score"]) for o in outputs],
        "extra": [{k: plain(v) for k, v in o["reward_extra_info"].items()} for o in outputs],
    }

    # 3. verl's DAPO group filter reading a component as its metric
    # loaded as a file: the v1 package's __init__ imports the agent loop (vLLM-side dependencies)
    import importlib.util

    import verl
    from omegaconf import OmegaConf

    path = Path(verl.__file__).parent / "trainer" / "ppo" / "v1" / "replay_buffer.py"
    spec = importlib.util.spec_from_file_location("verl_v1_replay_buffer", path)
    assert spec is not None and spec.loader is not None
    rb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rb)

    trajectories = {f"{uid}_{i}": o for i, ((uid, _, _), o) in enumerate(zip(ROWS, outputs, strict=True))}

    def kv_batch_get(keys, partition_id, select_fields):
        return {"extra_fields": [{"reward_extra_info": trajectories[k]["reward_extra_info"]} for k in keys]}

    rb.tq.kv_batch_get = kv_batch_get  # TransferQueue storage, answered from memory
    dapo = {}
    for metric in ("trip", "correct", "score"):
        buffer = rb.ReplayBuffer(
            trainer_mode="sync",
            trainer_config=OmegaConf.create({}),
            max_off_policy_threshold=None,
            max_off_policy_strategy="drop",
            sampler_kwargs=OmegaConf.create({}),
            refill_fn=lambda n: None,
            filter_groups_metric=metric,
        )
        buffer.finished_keys["train"] = {u for u, _, _ in ROWS}
        buffer.partitions["train"] = {k: {} for k in trajectories}
        try:
            filtered, counts = buffer._dapo_filtered_keys("train")
            dapo[metric] = {"filtered": sorted(filtered), "counts": {str(k): v for k, v in counts.items()}}
        except Exception as exc:  # reported, and asserted on by the test
            dapo[metric] = {"error": f"{type(exc).__name__}: {exc}"}
    out["dapo"] = dapo

    # 4. verl's legacy batch reward manager with the batch form
    from verl.workers.reward_manager import get_reward_manager_cls

    from rewardlab.adapters.verl import compute_score_batch

    legacy = get_reward_manager_cls("batch")(tokenizer=tok, num_examine=0, compute_score=compute_score_batch)
    rows = [i for i, (_, _, text) in enumerate(ROWS) if text != "HANG"]
    legacy_out = legacy(data.select_idxs(rows), return_dict=True)
    out["legacy_batch"] = {
        "rm_sums": [round(float(x), 6) for x in legacy_out["reward_tensor"].sum(dim=1)],
        "extra": {k: [plain(v) for v in vs] for k, vs in legacy_out["reward_extra_info"].items()},
    }

    # 5. the current trainer has no "batch" reward manager (what the README must not promise)
    from verl.trainer.ppo.reward import resolve_reward_manager_cls

    cfg = verl_config(tok_dir, "compute_score_batch")
    cfg.reward.reward_manager.name = "batch"
    try:
        resolve_reward_manager_cls(cfg)
        out["current_batch_manager"] = "exists"
    except ValueError as exc:
        out["current_batch_manager"] = str(exc)

    adapter._DEFAULT.set(None)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
