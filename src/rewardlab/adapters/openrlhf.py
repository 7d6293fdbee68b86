"""OpenRLHF adapter: a rewardlab reward as the ``reward_func`` of ``--reward.remote_url path/to/file.py``.

(OpenRLHF 0.11.2 spells the option ``--reward.remote_url``; older releases spelled it ``--remote_rm_url``.)

    # my_reward.py  (train_ppo_ray ... --reward.remote_url my_reward.py)
    from rewardlab.adapters.openrlhf import OpenRLHFReward
    reward_func = OpenRLHFReward("rewards.toml", timeout=10)

``examples/openrlhf_reward.py`` is such a file, configured by ``REWARDLAB_SPEC``. This module's own
:func:`reward_func` (same environment variables as :mod:`rewardlab.adapters.verl`) works too when its path
is given as ``--reward.remote_url``.

Call convention, pinned to OpenRLHF 0.11.2 (``openrlhf/utils/agent.py``, ``SingleTurnAgentExecutor``):
a ``--reward.remote_url`` (split on commas in ``cli/train_ppo_ray.py``) whose first entry ends in ``.py``
is loaded with ``importlib.util.spec_from_file_location`` and its ``reward_func`` attribute is called as ``reward_func(queries, prompts, labels)`` (positional lists), one
rollout per call (``_fetch_rewards_via_func``: batch size 1, ``asyncio.to_thread``, many rollouts at once).
``queries[i]`` is ``tokenizer.decode(prompt_ids + response_ids, skip_special_tokens=False)``: the prompt,
the response and any special tokens such as EOS; ``labels`` come from ``--data.label_key``. The result is
a dict read with ``.get``: ``"rewards"`` (the RL reward, used for advantages), ``"scores"`` (used for
dynamic filtering; falls back to ``rewards``) and ``"extra_logs"`` (``{name: value}``; a tensor contributes
its first element). ``openrlhf/trainer/ppo_utils/samples_generator.py`` wraps each in
``torch.tensor([value])``. If ``reward_func`` raises, OpenRLHF logs it at INFO level and the rollout has
no reward. The HTTP form (``_fetch_rewards_via_http``) POSTs ``{"query", "prompts", "labels"}`` and reads
the same three keys from the JSON reply; :meth:`OpenRLHFReward.lists` builds that JSON-ready reply.

What rewardlab does differently from a hand-written OpenRLHF reward function:

- It never raises for a bad sample (OpenRLHF would silently drop the reward): a failed sample scores
  ``error_score`` (default ``0.0``) and ``extra_logs["<name>/error"]`` is ``1.0`` for it, so the error rate
  is logged; the type and message are counted in :attr:`OpenRLHFReward.stats`.
- OpenRLHF calls the function from up to one thread per in-flight rollout; concurrent calls are
  coalesced into batches for a pool of worker processes with a per-sample deadline, instead of each
  thread running its checker in the vLLM engine's process with no deadline.
- ``extra_logs`` has the same keys for every rollout (every component of the spec, ``0.0`` where a
  sample did not reach it, plus the error flag), because OpenRLHF stacks them per key across rollouts.

The response is ``query`` after the first occurrence of ``prompt`` (the whole query if the prompt is not
found, e.g. after left truncation; ``metadata["prompt_found"]`` says which), with any of ``eos_tokens``
removed from its end. The label is :attr:`Sample.reference`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.adapters._common import (
    LazyDefault,
    check_error_score,
    check_name,
    error_score_from_env,
    flat_components,
    open_handle,
    require_torch,
    spec_from_env,
)
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError

__all__ = ["OpenRLHFReward", "configure", "reward_func"]


class OpenRLHFReward:
    """``reward_func(queries, prompts, labels, **kw)`` for OpenRLHF, backed by a persistent runner."""

    def __init__(
        self,
        reward: Any,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        on_error: str | float | None = None,
        error_score: float = 0.0,
        eos_tokens: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        if isinstance(eos_tokens, str) or not all(isinstance(t, str) and t for t in eos_tokens):
            raise ConfigError(f"`eos_tokens` must be a list of non-empty strings, got {eos_tokens!r}")
        self.name = check_name(name, "rewardlab")
        self.error_score = check_error_score(error_score)
        self.eos_tokens = tuple(eos_tokens)
        self.handle, self.keys = open_handle(
            reward,
            workers=workers,
            timeout=timeout,
            on_error=on_error,
            refuse_raise="would make OpenRLHF drop the rollout's reward (it logs the exception at INFO level "
            "and goes on); use 'record' (failures score `error_score`) or a penalty number",
        )
        self.__name__ = "reward_func"

    def __call__(
        self, queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any
    ) -> dict[str, Any]:
        """OpenRLHF's form: ``{"rewards": tensor, "scores": tensor, "extra_logs": {name: tensor}}``."""
        torch = require_torch("the OpenRLHF reward_func")
        out = self.lists(queries, prompts, labels)
        rewards = torch.tensor(out["rewards"], dtype=torch.float32)
        return {
            "rewards": rewards,
            "scores": rewards.clone(),
            "extra_logs": {k: torch.tensor(v, dtype=torch.float32) for k, v in out["extra_logs"].items()},
        }

    def lists(self, queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any]) -> dict[str, Any]:
        """The same reply as plain lists, ready for JSON (the ``/get_reward`` HTTP shape)."""
        if not len(queries) == len(prompts) == len(labels):
            raise ValueError(
                f"queries, prompts and labels must have the same length, got "
                f"{len(queries)}, {len(prompts)}, {len(labels)}"
            )
        samples = [self.sample(q, p, label) for q, p, label in zip(queries, prompts, labels, strict=True)]
        results = self.handle.score(samples)
        return self.reply(results)

    def sample(self, query: str, prompt: Any, label: Any) -> Sample:
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}")
        prompt_text = prompt if isinstance(prompt, str) else ""
        at = query.find(prompt_text) if prompt_text else -1
        completion = query[at + len(prompt_text) :] if at >= 0 else query
        stripped = True
        while stripped:
            stripped = False
            for tok in self.eos_tokens:
                if completion.endswith(tok):
                    completion = completion[: -len(tok)]
                    stripped = True
        return Sample(
            prompt=prompt_text, completion=completion, reference=label, metadata={"prompt_found": at >= 0}
        )

    def reply(self, results: Sequence[RewardResult]) -> dict[str, Any]:
        scores = [r.score if r.score is not None else self.error_score for r in results]
        rows = [flat_components(r, self.keys, 0.0) for r in results]
        extra: dict[str, list[float]] = {
            f"{self.name}/{k}": [float(row[k] or 0.0) for row in rows] for k in self.keys
        }
        extra[f"{self.name}/error"] = [float(r.error is not None) for r in results]
        return {"rewards": scores, "scores": list(scores), "extra_logs": extra}

    @classmethod
    def from_env(cls, **options: Any) -> OpenRLHFReward:
        """The spec from ``REWARDLAB_SPEC`` (a TOML path or a registered name; default: rewardlab's default
        spec) and the error score from ``REWARDLAB_ERROR_SCORE`` (default 0.0) unless given in ``options``."""
        options.setdefault("error_score", error_score_from_env())
        return cls(spec_from_env(), **options)

    @property
    def stats(self) -> Any:
        return self.handle.runner.stats

    def close(self) -> None:
        self.handle.close()


_DEFAULT: LazyDefault[OpenRLHFReward] = LazyDefault(OpenRLHFReward.from_env, OpenRLHFReward.close)


def configure(spec: Any, **options: Any) -> OpenRLHFReward:
    """Set the reward behind this module's :func:`reward_func` (options as :class:`OpenRLHFReward`)."""
    reward = OpenRLHFReward(spec, **options)
    _DEFAULT.set(reward)
    return reward


def reward_func(
    queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any
) -> dict[str, Any]:
    """OpenRLHF's ``reward_func`` for the spec in ``REWARDLAB_SPEC`` (or :func:`configure`, or the default)."""
    return _DEFAULT.get()(queries, prompts, labels, **kwargs)
