"""The scalar head of a sequence-classification reward model: linear (transformers' own) or a 2-layer MLP.

A linear head is the architecture's own ``score``/``classifier`` layer, so the saved directory loads with
plain ``AutoModelForSequenceClassification.from_pretrained`` and scores identically. An MLP head
(BaseReward) replaces that layer with ``Linear(h, h) -> GELU -> Linear(h, 1)``; transformers cannot build
it from a config, so plain ``from_pretrained`` would load the backbone with a fresh random head and
score differently. Such a directory is marked (``config.rewardlab["head"] = "mlp"``) and loads only
through :func:`rewardlab.models.load_model`. The default is linear for that reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import torch

HEAD_NAMES = ("score", "classifier")
HEADS = ("linear", "mlp")


def head_name(model: Any) -> str:
    """The attribute holding the model's classification head (``score`` for decoder LMs, ``classifier``
    for BERT-like encoders)."""
    for name in HEAD_NAMES:
        if isinstance(getattr(model, name, None), torch().nn.Module):
            return name
    raise ConfigError(f"{type(model).__name__} has no 'score' or 'classifier' head to train")


def attach_mlp_head(model: Any) -> None:
    """Replace the linear head with ``Linear(h, h) -> GELU -> Linear(h, out)`` (in place)."""
    nn = torch().nn
    name = head_name(model)
    old = getattr(model, name)
    if not isinstance(old, nn.Linear):
        raise ConfigError(
            f"the {name!r} head of {type(model).__name__} is {type(old).__name__}, not a linear layer; "
            "use head='linear' (it is already more than one layer)"
        )
    h, out = old.in_features, old.out_features
    mlp = nn.Sequential(nn.Linear(h, h), nn.GELU(), nn.Linear(h, out))
    mlp.to(device=old.weight.device, dtype=old.weight.dtype)
    setattr(model, name, mlp)


def load_mlp_head(model: Any, directory: str | Path) -> None:
    """Attach an MLP head and load its weights from the directory's safetensors files."""
    from safetensors.torch import load_file

    attach_mlp_head(model)
    name = head_name(model)
    state: dict[str, Any] = {}
    for f in sorted(Path(directory).glob("*.safetensors")):
        state.update(
            {k[len(name) + 1 :]: v for k, v in load_file(str(f)).items() if k.startswith(name + ".")}
        )
    if not state:
        raise ConfigError(f"{directory}: marked as an MLP-head reward model but holds no '{name}.*' weights")
    getattr(model, name).load_state_dict(state)
