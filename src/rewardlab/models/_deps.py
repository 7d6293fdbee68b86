"""torch and transformers, imported on first use, with an install hint when they are missing; devices."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Literal

from rewardlab.errors import ConfigError, DependencyError

Device = Literal["cpu", "cuda", "auto"]
DTYPES = ("float32", "float16", "bfloat16", "auto")

HINT = "reward models need torch and transformers: pip install 'rewardlab[models]'"


def torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise DependencyError(HINT) from exc
    return torch


def transformers() -> Any:
    try:
        import transformers
    except ImportError as exc:
        raise DependencyError(HINT) from exc
    return transformers


def check_device(device: str, *, what: str) -> None:
    if not isinstance(device, str) or not (device in ("cpu", "cuda", "auto") or device.startswith("cuda:")):
        raise ConfigError(f"`device` of {what} must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}")


def check_dtype(dtype: str, *, what: str) -> None:
    if dtype not in DTYPES:
        raise ConfigError(f"`dtype` of {what} must be one of {', '.join(DTYPES)}, got {dtype!r}")


def pick_device(device: str) -> Any:
    """``"auto"``: the first CUDA device when there is one, else the CPU. ``"cuda"`` without CUDA is an error."""
    t = torch()
    if device == "auto":
        return t.device("cuda" if t.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not t.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for but torch sees no CUDA device")
    return t.device(device)


def pick_dtype(dtype: str, device: Any) -> Any:
    """The torch dtype for weights. ``"auto"``: bfloat16 on a CUDA device that supports it, else float32.
    Half precision on the CPU is refused (slow and inexact there; most CPU kernels lack it)."""
    t = torch()
    if dtype == "auto":
        if device.type == "cuda" and t.cuda.is_bf16_supported():
            return t.bfloat16
        return t.float32
    if dtype in ("float16", "bfloat16") and device.type == "cpu":
        raise ConfigError(f"dtype {dtype!r} is for GPUs; use 'float32' (or 'auto') on the CPU")
    return {"float32": t.float32, "float16": t.float16, "bfloat16": t.bfloat16}[dtype]


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' chatter while loading, saving and tokenising: newly initialised heads are
    expected when a reward model starts from a base checkpoint, and texts longer than the model's limit
    are expected before rewardlab cuts them (every cut is counted instead)."""
    from transformers.utils import logging as tf_logging

    log = logging.getLogger("transformers")
    level = log.level
    bars = tf_logging.is_progress_bar_enabled()
    log.setLevel(logging.ERROR)
    tf_logging.disable_progress_bar()
    try:
        yield
    finally:
        log.setLevel(level)
        if bars:
            tf_logging.enable_progress_bar()
