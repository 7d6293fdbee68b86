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
  ``error_score`` (default ``0.0``) and ``extra_logs["rewardlab/error"]`` is ``1.0`` for it, so the error
  rate is logged; the type and message are counted in :attr:`OpenRLHFReward.stats`.
- OpenRLHF calls the function from up to one thread per in-flight rollout; concurrent calls are
  coalesced into batches for a pool of worker processes with a per-sample deadline, instead of each
  thread running its checker in the vLLM engine's process with no deadline.
- ``extra_logs`` has the same keys for every rollout whatever fails: ``rewardlab/<component>`` for every
  component the spec declares (``0.0`` where a sample did not reach it; the error flag says why) and
  ``rewardlab/error``. OpenRLHF concatenates each rollout's ``info`` per key and later splits the batch
  again (``openrlhf/trainer/ppo_utils/experience.py``: ``Size of info[...] does not match batch_size``
  when one rollout lacks a key). Components a leaf reward adds on its own (not declared by the spec) are
  left out, for the same reason.

The server's ``POST /get_reward`` (:mod:`rewardlab.serve.openrlhf`) builds its reply with the same
functions (:func:`query_sample`, :func:`reply`), so both routes give the same keys and the same scores.

**EOS.** ``query`` is decoded with ``skip_special_tokens=False``, so it ends with the model's EOS token
(``</s>``, ``<|im_end|>``, ...), and EOS-sensitive rewards (``exact_match``, strict formats) score 0
unless it is cut. :class:`Eos` is the one policy both routes use: EOS strings configured
(``eos_tokens=[...]``, ``REWARDLAB_EOS=a,b``, ``rewardlab serve --eos``), or read from the policy's
tokenizer (``tokenizer=path``, ``REWARDLAB_TOKENIZER``, ``rewardlab serve --tokenizer``: its
``eos_token`` and the ``eos_token_id`` list of its ``generation_config.json``), or explicitly none
(``REWARDLAB_EOS=none``). Left unconfigured, nothing is cut and a response that ends like a special
token is logged as a warning (once), never silently scored. The response is ``query`` after the first
occurrence of ``prompt`` (the whole query if the prompt is not found, e.g. after left truncation;
``metadata["prompt_found"]`` says which), with any EOS strings removed from its end. The label is
:attr:`Sample.reference`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardlab.adapters._common import (
    LazyDefault,
    assign_groups,
    check_error_score,
    check_name,
    error_score_from_env,
    flat_components,
    open_handle,
    require_torch,
    spec_from_env,
)
from rewardlab.core.group import is_group_reward
from rewardlab.core.types import RewardResult, Sample
from rewardlab.errors import ConfigError, DependencyError

__all__ = ["Eos", "OpenRLHFReward", "configure", "query_sample", "reply", "reward_func"]

EOS_ENV = "REWARDLAB_EOS"
TOKENIZER_ENV = "REWARDLAB_TOKENIZER"
log = logging.getLogger("rewardlab.openrlhf")
_SPECIAL_END = re.compile(r"(<\|[^<>|\s]{1,40}\|>|</s>|<eos>|<end_of_turn>|<｜end▁of▁sentence｜>)\s*$")


class Eos:
    """The EOS strings cut from the end of each response, and where they came from (``source``).

    ``tokens=None`` means not configured: nothing is cut, and the first response that ends like a special
    token is logged as a warning. ``()`` means explicitly none.
    """

    def __init__(self, tokens: Sequence[str] | None, source: str) -> None:
        if tokens is not None and (
            isinstance(tokens, str) or not all(isinstance(t, str) and t for t in tokens)
        ):
            raise ConfigError(f"`eos_tokens` must be a list of non-empty strings, got {tokens!r}")
        self.tokens = None if tokens is None else tuple(tokens)
        self.source = source
        self._warned = threading.Event()

    @classmethod
    def resolve(cls, eos_tokens: Sequence[str] | None = None, tokenizer: str | None = None) -> Eos:
        """Configured strings, else the tokenizer's, else unconfigured (both given: configured win)."""
        if eos_tokens is not None:
            return cls(eos_tokens, "configured")
        if tokenizer is not None:
            return cls(tokenizer_eos(tokenizer), f"tokenizer {tokenizer}")
        return cls(None, "unconfigured")

    @classmethod
    def from_env(cls) -> Eos:
        """``REWARDLAB_EOS`` (comma-separated strings, or ``none``), else ``REWARDLAB_TOKENIZER``."""
        raw = os.environ.get(EOS_ENV)
        if raw is not None:
            tokens = [] if raw.strip().lower() == "none" else [t for t in raw.split(",") if t]
            if not tokens and raw.strip().lower() != "none":
                raise ConfigError(
                    f"{EOS_ENV} must list EOS strings (comma-separated) or be 'none', got {raw!r}"
                )
            return cls(tokens, f"{EOS_ENV}")
        return cls.resolve(tokenizer=os.environ.get(TOKENIZER_ENV) or None)

    def cut(self, text: str) -> str:
        if self.tokens is None:
            if not self._warned.is_set() and _SPECIAL_END.search(text):
                self._warned.set()
                log.warning(
                    "OpenRLHF response ends with %r, which looks like an EOS token, and no EOS is configured: "
                    "it is scored as part of the response. Set the EOS strings (REWARDLAB_EOS / "
                    "`rewardlab serve --eos`) or the tokenizer (REWARDLAB_TOKENIZER / --tokenizer), or "
                    "REWARDLAB_EOS=none / --eos none to keep responses as they are.",
                    _SPECIAL_END.search(text).group(1),  # type: ignore[union-attr]
                )
            return text
        stripped = True
        while stripped:
            stripped = False
            for tok in self.tokens:
                if text.endswith(tok):
                    text = text[: -len(tok)]
                    stripped = True
        return text

    def describe(self) -> dict[str, Any]:
        return {"eos": None if self.tokens is None else list(self.tokens), "eos_source": self.source}


def tokenizer_eos(path: str) -> list[str]:
    """The EOS strings of a Hugging Face tokenizer (``eos_token`` and ``generation_config.json``'s ids)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise DependencyError(
            "reading EOS tokens from a tokenizer needs transformers (`pip install transformers`), or "
            "give the EOS strings themselves"
        ) from exc
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except Exception as exc:
        raise ConfigError(f"cannot load the tokenizer {path!r} to read its EOS token: {exc}") from exc
    tokens = [tok.eos_token] if tok.eos_token else []
    gen = Path(path) / "generation_config.json"
    if gen.is_file():
        ids = json.loads(gen.read_text()).get("eos_token_id")
        for i in ids if isinstance(ids, list) else [ids] if isinstance(ids, int) else []:
            token = tok.convert_ids_to_tokens(i)
            if isinstance(token, str) and token and token not in tokens:
                tokens.append(token)
    if not tokens:
        raise ConfigError(f"the tokenizer {path!r} has no EOS token; give the EOS strings themselves")
    return tokens


def query_sample(query: Any, prompt: Any, label: Any, eos: Eos) -> Sample:
    """One OpenRLHF rollout as a :class:`Sample`: the response after the prompt, EOS cut, the label."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, got {type(query).__name__}")
    prompt_text = prompt if isinstance(prompt, str) else ""
    at = query.find(prompt_text) if prompt_text else -1
    completion = eos.cut(query[at + len(prompt_text) :] if at >= 0 else query)
    return Sample(
        prompt=prompt_text, completion=completion, reference=label, metadata={"prompt_found": at >= 0}
    )


def reply(
    results: Sequence[RewardResult], keys: Sequence[str], error_score: float, prefix: str = "rewardlab"
) -> dict[str, Any]:
    """``{"rewards", "scores", "extra_logs"}`` as lists, with the same ``extra_logs`` keys whatever failed."""
    scores = [r.score if r.score is not None else error_score for r in results]
    rows = [flat_components(r, keys, 0.0) for r in results]
    extra: dict[str, list[float]] = {f"{prefix}/{k}": [float(row[k] or 0.0) for row in rows] for k in keys}
    extra[f"{prefix}/error"] = [float(r.error is not None) for r in results]
    return {"rewards": scores, "scores": list(scores), "extra_logs": extra}


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
        eos_tokens: Sequence[str] | None = None,
        tokenizer: str | None = None,
        name: str | None = None,
    ) -> None:
        self.eos = Eos.resolve(eos_tokens, tokenizer)
        self.name = check_name(name, "rewardlab")
        self.error_score = check_error_score(error_score)
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
        if is_group_reward(self.handle.reward):  # a group: the responses to one prompt in this call
            samples = assign_groups(samples, by=lambda s: s.prompt, consecutive=False)
        results = self.handle.score(samples)
        return self.reply(results)

    def sample(self, query: str, prompt: Any, label: Any) -> Sample:
        return query_sample(query, prompt, label, self.eos)

    def reply(self, results: Sequence[RewardResult]) -> dict[str, Any]:
        return reply(results, self.keys, self.error_score, self.name)

    @classmethod
    def from_env(cls, **options: Any) -> OpenRLHFReward:
        """The spec from ``REWARDLAB_SPEC`` (a TOML path or a registered name; default: rewardlab's default
        spec), the error score from ``REWARDLAB_ERROR_SCORE`` (default 0.0), the per-sample deadline from
        ``REWARDLAB_TIMEOUT`` and the EOS policy from ``REWARDLAB_EOS`` / ``REWARDLAB_TOKENIZER``
        (:meth:`Eos.from_env`), each unless given in ``options``."""
        options.setdefault("error_score", error_score_from_env())
        if "timeout" not in options and os.environ.get("REWARDLAB_TIMEOUT"):
            options["timeout"] = _float_env("REWARDLAB_TIMEOUT")
        if "eos_tokens" not in options and "tokenizer" not in options:
            options["eos_tokens"] = Eos.from_env().tokens
        return cls(spec_from_env(), **options)

    @property
    def stats(self) -> Any:
        return self.handle.runner.stats

    def close(self) -> None:
        self.handle.close()


def _float_env(name: str) -> float:
    raw = os.environ[name]
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None


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
