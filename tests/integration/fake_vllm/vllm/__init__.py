"""The generation-engine boundary of OpenRLHF, faked: vLLM needs CUDA and cannot be installed here.

Only what OpenRLHF's rollout path imports (``openrlhf/trainer/ray/vllm_engine.py``,
``openrlhf/trainer/ppo_utils/samples_generator.py``): ``SamplingParams``, ``inputs.TokensPrompt``,
``utils.random_uuid``, ``__version__``. The engine itself (``RolloutRayActor.llm``) is a scripted object
in ``scripts/openrlhf_reward.py``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.29.0"


class SamplingParams:
    def __init__(self, **kwargs: Any) -> None:
        self.max_tokens = kwargs.pop("max_tokens", None)
        self.logprobs = kwargs.pop("logprobs", None)
        self.__dict__.update(kwargs)
