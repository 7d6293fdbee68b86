"""Run inside the OpenRLHF 0.11.2 test venv: rewardlab through OpenRLHF's own rollout and reward code.

``python openrlhf_reward.py <remote_url> <tokenizer_dir>``: ``remote_url`` is what
``--reward.remote_url`` takes, a running ``rewardlab serve``'s ``/get_reward`` or a ``.py`` file.

OpenRLHF's ``RolloutRayActor.generate_responses`` (the class under ``@ray.remote``, called directly) runs
``SingleTurnAgentExecutor.execute`` for each of ``n_samples_per_prompt`` samples: it tokenizes the
prompt, calls the actor's own ``generate`` (which drives ``self.llm``, vLLM's engine: here a scripted
engine returning the response's token ids, EOS included), decodes prompt + response with
``skip_special_tokens=False`` and fetches the reward over HTTP or from the ``.py`` file's ``reward_func``.
``SamplesGenerator._process_response_into_experience`` turns each into an ``Experience``; the batch is
concatenated, split and rebatched with OpenRLHF's own functions (where unstable ``extra_logs`` keys fail).

Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import types
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fake_vllm"))  # the faked engine boundary

import torch
from openrlhf.trainer.ppo_utils.experience import (
    Experience,
    make_experience_batch,
    split_experience_batch,
)
from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
from openrlhf.trainer.ray.vllm_engine import RolloutRayActor
from openrlhf.utils.agent import SingleTurnAgentExecutor
from transformers import AutoTokenizer
from vllm import SamplingParams

URL, TOKENIZER = sys.argv[1], sys.argv[2]
# (prompt, label, responses of the group): n_samples_per_prompt rollouts each
GROUPS = [
    ("User: Natalia sold 48 clips in April and half as many in May. How many? Assistant:", "72",
     [" so the answer is \\boxed{72}", "72", " CRASH 72"]),
    ("User: What is 6*7? Assistant:", "42", ["42", " 41", " HANG"]),
]  # fmt: skip


class ScriptedEngine:
    """vLLM's ``AsyncLLMEngine`` at the boundary: ``generate`` yields one final RequestOutput."""

    def __init__(self, tok, scripts: dict[str, list[str]]) -> None:
        self.tok = tok
        self.scripts = {k: list(v) for k, v in scripts.items()}

    async def generate(self, prompt, sampling_params, request_id):
        prompt_text = self.tok.decode(prompt["prompt_token_ids"], skip_special_tokens=False)
        text = self.scripts[prompt_text].pop(0)
        ids = self.tok(text, add_special_tokens=False)["input_ids"] + [self.tok.eos_token_id]
        await asyncio.sleep(0)
        yield SimpleNamespace(
            outputs=[SimpleNamespace(token_ids=ids, text=text, finish_reason="stop", logprobs=None)]
        )


async def rollouts(tok):
    actor_cls = RolloutRayActor.__ray_actor_class__  # the class OpenRLHF runs inside the Ray actor
    actor = SimpleNamespace(
        executor=SingleTurnAgentExecutor(URL),
        llm=ScriptedEngine(tok, {p: r for p, _, r in GROUPS}),
        _mm_pad_token_ids=None,
    )
    actor.generate = types.MethodType(actor_cls.generate, actor)
    params = SamplingParams(
        temperature=1.0, top_p=1.0, top_k=-1, max_tokens=None, min_tokens=1, logprobs=None
    )
    groups = await asyncio.gather(
        *(
            actor_cls.generate_responses(
                actor,
                prompt=prompt,
                label=label,
                sampling_params=params,
                max_length=256,
                hf_tokenizer=tok,
                num_samples=len(responses),
            )
            for prompt, label, responses in GROUPS
        )
    )
    reward_func = actor.executor.reward_func
    if reward_func is not None and hasattr(reward_func, "close"):
        reward_func.close()
    return groups


def main() -> None:
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    t0 = time.monotonic()
    groups = asyncio.run(rollouts(tok))
    seconds = round(time.monotonic() - t0, 1)
    responses = [r for group in groups for r in group]
    experiences = [
        SamplesGenerator._process_response_into_experience(None, r, max_len=256) for r in responses
    ]
    out = {
        "seconds": seconds,
        "group_sizes": [len(g) for g in groups],
        "rollouts": [
            {
                "reward": None if r["reward"] is None else float(torch.as_tensor(r["reward"]).flatten()[0]),
                "score": None if r["scores"] is None else float(torch.as_tensor(r["scores"]).flatten()[0]),
                "extra_logs": {
                    k: float(torch.as_tensor(v).flatten()[0]) for k, v in sorted(r["extra_logs"].items())
                },
            }
            for r in responses
        ],
    }
    try:
        batch = Experience.concat_experiences(experiences, tok.pad_token_id)
        items = split_experience_batch(batch)
        rebatched = make_experience_batch(items)
        out["batch"] = {
            "size": len(items),
            "info_keys": sorted(rebatched.info),
            "rewards": [round(float(x), 6) for x in rebatched.info["reward"]],
        }
    except Exception as exc:  # reported, and asserted on by the test
        out["batch"] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
