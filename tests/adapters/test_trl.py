"""TRL adapter: the call convention of TRL 1.16's GRPOTrainer, and two real GRPO steps on a tiny local model.

The unit tests call the adapter exactly as ``trl/trainer/grpo_trainer.py@v1.16.0`` (``_calculate_rewards``)
does: keyword arguments ``prompts``, ``completions``, ``completion_ids``, every dataset column as a list,
``trainer_state``, ``log_extra`` and ``log_metric``. The integration test runs TRL's own trainer.
"""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import rewardlab as rl
from _rewards import Behave
from rewardlab.adapters.trl import AsyncTRLReward, TRLReward, async_reward_func, reward_func
from rewardlab.errors import ConfigError, RewardError

BUNDLED = Path(__file__).resolve().parents[2] / "src" / "rewardlab" / "data"


class Log:
    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = {}
        self.extra: dict[str, list[Any]] = {}

    def metric(self, name: str, value: float) -> None:
        self.metrics.setdefault(name, []).append(value)

    def column(self, name: str, values: list[Any]) -> None:
        self.extra.setdefault(name, []).extend(values)


def trl_call(fn: Any, prompts: list[Any], completions: list[Any], log: Log, **columns: Any) -> Any:
    """Exactly the keyword arguments TRL 1.16 passes to a reward function."""
    return fn(
        prompts=prompts,
        completions=completions,
        completion_ids=[[1, 2, 3]] * len(completions),
        **columns,
        trainer_state=object(),
        log_extra=log.column,
        log_metric=log.metric,
    )


def behave_and_math() -> Any:
    return rl.combine(correct=rl.math_answer(), behave=Behave())


def test_columns_pass_through_errors_are_none_and_components_are_logged() -> None:
    fn = reward_func(behave_and_math(), workers=1, timeout=20)
    log = Log()
    out = trl_call(
        fn,
        ["2+2?", "2+2?", "3+3?"],
        ["so \\boxed{4}", "\\boxed{5}", "\\boxed{6}"],
        log,
        answer=["4", "4", "6"],
        do=["ok", "ok", "raise"],
        value=[0.25, 0.5, 0.0],
    )
    fn.close()
    assert out == [1.25, 0.5, None]
    assert log.metrics["rewardlab/correct"] == [pytest.approx(2 / 3)]  # the failed sample's math still ran
    assert log.metrics["rewardlab/behave"] == [pytest.approx(0.375)]  # mean over the samples that have it
    assert log.metrics["rewardlab/error_rate"] == [pytest.approx(1 / 3)]
    assert log.extra["rewardlab/behave"] == [0.25, 0.5, None]
    assert log.extra["rewardlab/error"][:2] == [None, None]
    assert log.extra["rewardlab/error"][2].startswith("ComponentError: component 'behave' failed: ValueError")


def test_conversational_prompts_and_completions() -> None:
    fn = reward_func("math", workers=0)
    prompt = [{"role": "user", "content": "What is 6*7?"}]
    completion = [{"role": "assistant", "content": "It is \\boxed{42}."}]
    out = trl_call(
        fn,
        [prompt, prompt],
        [completion, [{"role": "assistant", "content": "41"}]],
        Log(),
        answer=["42", "42"],
    )
    assert out == [1.0, 0.0]


def test_penalty_and_raise_policies() -> None:
    cols = {"do": ["raise", "ok"], "value": [0.0, 2.0]}
    penalised = reward_func(Behave(), reference_column=None, workers=0, on_error=-1.0)
    assert trl_call(penalised, ["p", "p"], ["c", "c"], Log(), **cols) == [-1.0, 2.0]
    strict = reward_func(Behave(), reference_column=None, workers=0, on_error="raise")
    with pytest.raises(RewardError, match="sample 0: ValueError"):
        trl_call(strict, ["p", "p"], ["c", "c"], Log(), **cols)


def test_spec_runner_table_applies_and_explicit_options_win(tmp_path: Path) -> None:
    spec = tmp_path / "r.toml"
    spec.write_text('[reward]\ntype = "math"\n[runner]\nworkers = 1\ntimeout = 7\non_error = -2\n')
    fn = reward_func(spec)
    assert fn._core.handle.settings == rl.RunnerSettings(workers=1, timeout=7, on_error=-2)
    fn = reward_func(str(spec), timeout=3, on_error="record")
    assert fn._core.handle.settings == rl.RunnerSettings(workers=1, timeout=3, on_error="record")


def test_missing_reference_column_names_the_columns() -> None:
    fn = reward_func("math", workers=0)
    with pytest.raises(
        ConfigError, match=r"no column 'answer'.*\['solution'\].*or None if the reward needs no reference"
    ):
        trl_call(fn, ["p"], ["c"], Log(), solution=["4"])


def test_a_column_with_the_wrong_length_is_refused() -> None:
    fn = reward_func("math", workers=0)
    with pytest.raises(ValueError, match=r"column 'answer' must hold one value per completion \(2\), got 1"):
        trl_call(fn, ["p", "p"], ["c", "c"], Log(), answer=["4"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reference_column": ""}, "`reference_column` must be a column name or None"),
        ({"reference_column": "prompt"}, "`reference_column` cannot be 'prompt'"),
        ({"name": "has space"}, "`name` must be a non-empty identifier"),
        ({"workers": -1}, "workers must be an integer >= 0"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"on_error": "ignore"}, "on_error must be 'record', 'raise' or a finite penalty number"),
    ],
)
def test_options_are_validated_on_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        reward_func("math", **options)


def test_a_bad_spec_fails_before_training() -> None:
    with pytest.raises(ConfigError, match="did you mean 'math'"):
        reward_func({"type": "sum", "components": {"c": {"type": "maths"}}})


def test_name_is_the_function_name_trl_logs_and_async_is_detected() -> None:
    sync = reward_func("math", name="correct", workers=0)
    assert sync.__name__ == "correct"
    # TRL 1.16 `trl.trainer.utils.is_async_callable`: iscoroutinefunction(f) or iscoroutinefunction(f.__call__)
    assert asyncio.iscoroutinefunction(async_reward_func("math", workers=0).__call__)
    assert not asyncio.iscoroutinefunction(sync.__call__)


def test_async_variant_gives_the_same_results() -> None:
    fn = async_reward_func(behave_and_math(), workers=1)
    log = Log()
    out = asyncio.run(
        trl_call(
            fn, ["q", "q"], ["\\boxed{4}", "x"], log, answer=["4", "4"], do=["ok", "raise"], value=[1.0, 0.0]
        )
    )
    fn.close()
    assert out == [2.0, None]
    assert log.metrics["rewardlab/error_rate"] == [0.5]


def test_the_function_pickles_without_its_runner() -> None:
    fn = reward_func("math", workers=1)
    assert trl_call(fn, ["p"], ["\\boxed{1}"], Log(), answer=["1"]) == [1.0]
    copy = pickle.loads(pickle.dumps(fn))
    assert isinstance(copy, TRLReward) and copy.__name__ == "rewardlab"
    assert trl_call(copy, ["p"], ["\\boxed{2}"], Log(), answer=["1"]) == [0.0]
    fn.close()
    copy.close()
    assert isinstance(pickle.loads(pickle.dumps(async_reward_func("math", workers=0))), AsyncTRLReward)


# -- two real GRPO steps -------------------------------------------------------------------------------


def _tiny_model_and_tokenizer(tmp_path: Path) -> tuple[Any, Any]:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    lines = [
        json.loads(x)["prompt"] for x in (BUNDLED / "gsm8k_solutions_sample.jsonl").read_text().splitlines()
    ]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        lines,
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=["<pad>", "<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>", padding_side="left"
    )
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlamaForCausalLM(config), tokenizer


class Recorder:
    """Records what TRL passes in and what the adapter hands back (same sync/async kind as the adapter)."""

    def __init__(self, inner: TRLReward | AsyncTRLReward) -> None:
        self.inner = inner
        self.__name__ = inner.__name__
        self.calls: list[tuple[dict[str, Any], list[float | None]]] = []

    def __call__(self, **kwargs: Any) -> Any:
        out = self.inner(**kwargs)
        self.calls.append((kwargs, out))
        return out


class AsyncRecorder(Recorder):
    async def __call__(self, **kwargs: Any) -> Any:  # type: ignore[override]
        out = await self.inner(**kwargs)
        self.calls.append((kwargs, out))
        return out


# TRL 1.16 itself reads `model.is_gradient_checkpointing`, which transformers 5.23 deprecates; not ours to fix.
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_grpo_trainer_runs_two_steps_with_rewardlab_rewards(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    trl = pytest.importorskip("trl")
    from transformers import TrainerCallback

    model, tokenizer = _tiny_model_and_tokenizer(tmp_path)
    rows = [json.loads(x) for x in (BUNDLED / "gsm8k_solutions_sample.jsonl").read_text().splitlines()]
    prompts = list(dict.fromkeys(r["prompt"] for r in rows))[:2]
    dataset = datasets.Dataset.from_dict(
        {"prompt": prompts, "answer": ["75", "17"], "do": ["ok", "raise"], "value": [0.5, 0.0]}
    )
    # The README's form: a spec file (math correctness + a small \\boxed format bonus, one worker) ...
    spec = tmp_path / "rewards.toml"
    spec.write_text(
        '[reward]\ntype = "sum"\n[reward.components.correct]\ntype = "math"\n'
        '[reward.components.format]\ntype = "boxed_format"\nweight = 0.1\n[runner]\nworkers = 1\n'
    )
    correctness = Recorder(reward_func(str(spec), timeout=30))
    # ... and an async one whose `behave` component reads the dataset's `do`/`value` columns and fails on "raise".
    behave = AsyncRecorder(async_reward_func(behave_and_math(), workers=1, name="behave"))

    logs: list[dict[str, float]] = []

    class Capture(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any) -> None:
            if logs:
                captured.append(dict(logs))

    captured = logs
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=2,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=0,
        # TRL 1.16 defaults `gradient_checkpointing=True`, which transformers 5.23 reports as deprecated
        # (FutureWarning, an error here); the new name set explicitly avoids it.
        activation_checkpointing=False,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[correctness, behave],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[Capture()],
    )
    trainer.train()
    correctness.inner.close()
    behave.inner.close()

    # TRL called both functions once per step, with every dataset column and its own keyword arguments.
    assert len(correctness.calls) == 2 and len(behave.calls) == 2
    expected = {"prompts", "completions", "completion_ids", "answer", "do", "value"}
    expected |= {"trainer_state", "log_extra", "log_metric"}
    for kwargs, out in correctness.calls:
        assert expected <= set(kwargs)
        assert len(out) == len(kwargs["completions"]) == 4 and all(x is not None for x in out)
    for kwargs, out in behave.calls:
        assert expected <= set(kwargs)
        for i, do in enumerate(kwargs["do"]):
            if do == "raise":
                assert out[i] is None  # the failed sample is "not applicable", not 0.0
            else:
                assert out[i] is not None and out[i] >= 0.5  # the `value` column reached the worker process
    assert {d for kwargs, _ in behave.calls for d in kwargs["do"]} == {"ok", "raise"}

    # The logged metrics include rewardlab's components next to TRL's own per-function means.
    step_logs = [entry for entry in logs if "rewardlab/error_rate" in entry]
    assert len(step_logs) == 2
    keys = set().union(*step_logs)
    assert {"rewardlab/correct", "rewardlab/format", "rewardlab/error_rate"} <= keys
    assert {"behave/correct", "behave/behave", "behave/error_rate"} <= keys
    assert {"rewards/rewardlab/mean", "rewards/behave/mean"} <= keys
    assert [e["rewardlab/error_rate"] for e in step_logs] == [0.0, 0.0]
    assert sorted(e["behave/error_rate"] for e in step_logs) == [0.0, 1.0]
    assert [e["behave/behave"] for e in step_logs if "behave/behave" in e] == [0.5]
