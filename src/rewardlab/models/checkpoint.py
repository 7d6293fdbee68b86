"""Loading backbones and saving reward models in the Hugging Face format.

A saved reward model is a plain ``save_pretrained`` directory (``config.json``, ``model.safetensors``,
the tokenizer files). rewardlab's own facts about it go into ``config.json`` under the key ``rewardlab``
(kind, head, text format, truncation, max length, the reward mean and standard deviation measured on
training data for later normalisation); transformers keeps unknown config keys, so the directory stays
loadable by ``AutoModelForSequenceClassification.from_pretrained`` (or ``...ForTokenClassification`` for
a PRM) with nothing from rewardlab installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import quiet_transformers, transformers
from rewardlab.models.heads import attach_mlp_head, load_mlp_head

KINDS = ("bt", "listwise", "prm", "implicit-prm", "attributes")


def meta(config: Any) -> dict[str, Any]:
    """The ``rewardlab`` block of a model config (``{}`` for a checkpoint rewardlab did not write)."""
    value = getattr(config, "rewardlab", None)
    return dict(value) if isinstance(value, dict) else {}


def model_class(kind: str) -> Any:
    tf = transformers()
    if kind == "implicit-prm":
        return tf.AutoModelForCausalLM
    return tf.AutoModelForTokenClassification if kind == "prm" else tf.AutoModelForSequenceClassification


def load_tokenizer(path: str | Path) -> Any:
    with quiet_transformers():
        tok = transformers().AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token is None:
        if tok.eos_token is None:
            raise ConfigError(f"{path}: the tokenizer has neither a pad token nor an EOS token to pad with")
        tok.pad_token = tok.eos_token
    return tok


def load_backbone(path: str | Path, *, kind: str, num_labels: int, head: str = "linear") -> tuple[Any, Any]:
    """A model to train and its tokenizer, from a base checkpoint or a rewardlab checkpoint.

    A base model gets a fresh head with ``num_labels`` outputs; a rewardlab checkpoint of the same kind
    keeps its head (an MLP head is rebuilt and reloaded).
    """
    if kind not in KINDS:
        raise ConfigError(f"model kind must be one of {', '.join(KINDS)}, got {kind!r}")
    tok = load_tokenizer(path)
    config = transformers().AutoConfig.from_pretrained(str(path))
    saved = meta(config)
    same = saved.get("kind") == kind or (
        saved.get("kind") in ("bt", "listwise") and kind in ("bt", "listwise")
    )
    if kind in ("bt", "listwise", "attributes"):  # a different number of heads or attributes: a fresh head
        same = same and getattr(config, "num_labels", None) == num_labels
    with quiet_transformers():
        model = model_class(kind).from_pretrained(
            str(path), num_labels=num_labels, ignore_mismatched_sizes=not same
        )
    if same and saved.get("head") == "mlp":
        load_mlp_head(model, path)
    elif head == "mlp":
        attach_mlp_head(model)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    return model, tok


def load_model(path: str | Path, *, device: Any = None, dtype: Any = None) -> tuple[Any, Any, dict[str, Any]]:
    """A saved reward model for scoring: ``(model in eval mode, tokenizer, its rewardlab block)``."""
    p = Path(path)
    if not (p / "config.json").is_file():
        raise ConfigError(f"{p}: not a saved model directory (no config.json)")
    config = transformers().AutoConfig.from_pretrained(str(p))
    info = meta(config)
    kind = info.get("kind") or _kind_of(config, p)
    with quiet_transformers():
        model = model_class(kind).from_pretrained(str(p), **({"dtype": dtype} if dtype is not None else {}))
    if info.get("head") == "mlp":
        load_mlp_head(model, p)
    tok = load_tokenizer(p)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    if device is not None:
        model.to(device)
    model.eval()
    info["kind"] = kind
    return model, tok, info


def _kind_of(config: Any, path: Path) -> str:
    """The kind of a checkpoint rewardlab did not write, from its architecture. Anything but a sequence or
    token classifier is refused: loading it as one would score with a freshly initialised head."""
    archs = getattr(config, "architectures", None) or []
    if any(a.endswith("ForTokenClassification") for a in archs):
        return "prm"
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return "bt"
    raise ConfigError(
        f"{path}: not a reward model (architectures {archs}); expected a ...ForSequenceClassification or "
        "...ForTokenClassification checkpoint, or one written by `rewardlab train`"
    )


def save_model(model: Any, tokenizer: Any, directory: str | Path, info: dict[str, Any]) -> None:
    """``save_pretrained`` of the model and tokenizer, with ``info`` as the config's ``rewardlab`` block."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    model.config.rewardlab = dict(info)
    with quiet_transformers():
        model.save_pretrained(str(d))
        tokenizer.save_pretrained(str(d))
