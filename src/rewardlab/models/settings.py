"""Training settings: one frozen object, validated on construction, every problem reported at once."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import DTYPES


def _int(problems: list[str], name: str, value: Any, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        problems.append(f"`{name}` must be an integer >= {lo}, got {value!r}")


def _num(
    problems: list[str], name: str, value: Any, lo: float, hi: float = math.inf, *, open_lo: bool = False
) -> None:
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    ok = ok and (value > lo if open_lo else value >= lo) and value <= hi
    if not ok:
        side = "(" if open_lo else "["
        problems.append(f"`{name}` must be a number in {side}{lo}, {hi}], got {value!r}")


@dataclass(frozen=True)
class TrainSettings:
    """How a reward model is trained (the same object for every kind).

    - ``epochs`` (may be fractional), ``batch_size`` (examples per forward pass: pairs, lists or
      solutions), ``grad_accum`` (forward passes per optimiser step), ``lr``, ``weight_decay``,
      ``warmup_ratio`` (linear warm-up, then linear decay to 0), ``max_grad_norm`` (None: no clipping);
    - ``max_length`` (tokens per text, special tokens included), ``truncation`` (``"prefix"``, ``"left"``,
      ``"right"``: see :mod:`rewardlab.models.encode`), ``overflow`` (``"truncate"`` or ``"drop"``);
    - ``eval_fraction`` of the rows held out (seeded split) when no separate eval file is given,
      ``eval_every`` optimiser steps (0: only at the end), ``save_every`` steps (0: no intermediate
      checkpoints), ``keep_checkpoints``, ``log_every`` steps;
    - ``length_grouped``: batches of similar lengths (less padding; the batch order stays random);
    - ``disable_dropout`` (as TRL's default), ``head`` (``"linear"`` or ``"mlp"``), ``center_coef``
      (reward centring, None: off), ``chat_template`` (``"auto"``, ``"never"``), ``on_bad``
      (``"skip"`` or ``"error"``), ``seed``, ``device``, ``dtype`` (of the weights; mixed precision is
      not used on the CPU);
    - ``heads``: reward heads on one backbone (``bt`` and ``listwise``; > 1 trains a bootstrapped
      ensemble, see :mod:`rewardlab.models.ensemble`).
    """

    epochs: float = 1.0
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 2e-5
    weight_decay: float = 0.0
    warmup_ratio: float = 0.0
    max_grad_norm: float | None = 1.0
    max_length: int = 512
    truncation: str = "prefix"
    overflow: str = "truncate"
    eval_fraction: float = 0.0
    eval_every: int = 0
    save_every: int = 0
    keep_checkpoints: int = 2
    log_every: int = 10
    length_grouped: bool = True
    disable_dropout: bool = True
    head: str = "linear"
    center_coef: float | None = None
    chat_template: str = "auto"
    on_bad: str = "skip"
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    stats_samples: int = 256
    heads: int = 1

    def __post_init__(self) -> None:
        p: list[str] = []
        _num(p, "epochs", self.epochs, 0.0, open_lo=True)
        _int(p, "batch_size", self.batch_size, 1)
        _int(p, "grad_accum", self.grad_accum, 1)
        _num(p, "lr", self.lr, 0.0, 1.0, open_lo=True)
        _num(p, "weight_decay", self.weight_decay, 0.0, 1.0)
        _num(p, "warmup_ratio", self.warmup_ratio, 0.0, 1.0)
        if self.max_grad_norm is not None:
            _num(p, "max_grad_norm", self.max_grad_norm, 0.0, open_lo=True)
        _int(p, "max_length", self.max_length, 4)
        if self.truncation not in ("prefix", "left", "right"):
            p.append(f"`truncation` must be 'prefix', 'left' or 'right', got {self.truncation!r}")
        if self.overflow not in ("truncate", "drop"):
            p.append(f"`overflow` must be 'truncate' or 'drop', got {self.overflow!r}")
        _num(p, "eval_fraction", self.eval_fraction, 0.0, 0.9)
        for name in ("eval_every", "save_every", "log_every"):
            _int(p, name, getattr(self, name), 0)
        _int(p, "keep_checkpoints", self.keep_checkpoints, 1)
        _int(p, "seed", self.seed, 0)
        _int(p, "stats_samples", self.stats_samples, 0)
        _int(p, "heads", self.heads, 1)
        if self.head not in ("linear", "mlp"):
            p.append(f"`head` must be 'linear' or 'mlp', got {self.head!r}")
        if self.center_coef is not None:
            _num(p, "center_coef", self.center_coef, 0.0)
        if self.chat_template not in ("auto", "never"):
            p.append(f"`chat_template` must be 'auto' or 'never', got {self.chat_template!r}")
        if self.on_bad not in ("skip", "error"):
            p.append(f"`on_bad` must be 'skip' or 'error', got {self.on_bad!r}")
        if not isinstance(self.device, str) or not (
            self.device in ("cpu", "cuda", "auto") or self.device.startswith("cuda:")
        ):
            p.append(f"`device` must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {self.device!r}")
        if self.dtype not in DTYPES:
            p.append(f"`dtype` must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if p:
            raise ConfigError(p, where="training settings")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
