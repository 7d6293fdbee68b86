"""Learned reward models: train, save, load and score, on real ``transformers`` checkpoints in and out.

- :func:`train_reward_model` (``rewardlab train bt|listwise|prm``): Bradley-Terry (margin, centring,
  linear or MLP head), listwise and process (PRM) reward models; counted truncation, bad rows reported;
- :class:`TrainSettings`: every training option, validated on construction;
- :mod:`.ensemble`: K bootstrapped heads (``heads=K``) and ensemble scoring (``mean``, ``min``,
  ``mean-std``) over heads and lists of models; :mod:`.attributes`: one regression head per attribute
  (``rewardlab train attributes``), scored as a vector reward (``components``);
- :class:`RewardModel` (registered as ``reward_model``): a saved model as a batched reward;
- :class:`PalModel` / :func:`train_pal` (``rewardlab train pal``; reward ``pal_reward``): PAL-style
  pluralistic reward models on a frozen encoder, per-user weights, few-shot fitting of new users;
- :func:`load_model` / :func:`save_model`: Hugging Face directories with a ``rewardlab`` config block;
- :mod:`.losses`: the loss formulas as tensor functions; :mod:`.encode`: text rendering and truncation;
  :mod:`.data`: training rows with bad-row reporting.

torch and transformers are imported only when a model is trained, loaded or scored
(``pip install 'rewardlab[models]'``); importing this package imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rewardlab.models.data import Ranked, RankedData, read_ranked
from rewardlab.models.settings import TrainSettings

if TYPE_CHECKING:
    from rewardlab.models.checkpoint import load_model, save_model
    from rewardlab.models.pal import PalModel
    from rewardlab.models.pal_train import train_pal
    from rewardlab.models.reward import RewardModel
    from rewardlab.models.run import train_reward_model

__all__ = [
    "PalModel",
    "Ranked",
    "RankedData",
    "RewardModel",
    "TrainSettings",
    "load_model",
    "read_ranked",
    "save_model",
    "train_pal",
    "train_reward_model",
]

_LAZY = {
    "RewardModel": ("rewardlab.models.reward", "RewardModel"),
    "load_model": ("rewardlab.models.checkpoint", "load_model"),
    "save_model": ("rewardlab.models.checkpoint", "save_model"),
    "train_reward_model": ("rewardlab.models.run", "train_reward_model"),
    "PalModel": ("rewardlab.models.pal", "PalModel"),
    "train_pal": ("rewardlab.models.pal_train", "train_pal"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'rewardlab.models' has no attribute {name!r}")
