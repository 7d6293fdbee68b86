"""Where an implicit PRM's frozen reference model is: recorded at training, found again at scoring.

An implicit PRM scores ``beta * sum log(pi / pi_ref)``, so scoring needs the very reference it was trained
against. PRIME and the Free Process Rewards code keep the reference as a separate model argument that the
user passes again at every use; we record it in the checkpoint (``config.json``, block ``rewardlab``) so a
checkpoint scores on its own, and record it so that it survives being moved:

- ``reference``: what the user passed, verbatim (a hub name stays a name, a path stays as typed);
- ``reference_path``: the absolute path it had at training time (None for a hub name);
- ``reference_relative``: that path relative to the directory the checkpoint was saved in, so a checkpoint
  moved together with its reference (``runs/iprm`` and ``runs/base`` copied elsewhere) still finds it.

:func:`resolve` looks, in order, at: the ``reference`` option of ``reward_model`` (an explicit override);
``reference_relative`` against the checkpoint directory; ``reference_path``; ``reference`` as passed (an
absolute path; a relative path against the checkpoint directory; a hub name as is, for transformers to find
in its cache). When none is found it raises one :class:`ConfigError` naming every path it tried and the
override. Checkpoints written before this change hold only ``reference`` (an absolute path): still read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError


def is_model_dir(path: str | Path) -> bool:
    return (Path(path) / "config.json").is_file()


def looks_like_hub_id(name: str) -> bool:
    """``org/name`` or ``name``: no absolute, home or dot-relative start, at most one ``/``."""
    return bool(name) and not name.startswith(("/", ".", "~")) and name.count("/") <= 1 and "\\" not in name


def record(model: str | Path) -> dict[str, Any]:
    """The checkpoint fields for a reference the user passed as ``model``."""
    passed = str(model)
    local = Path(passed).expanduser()
    return {"reference": passed, "reference_path": str(local.resolve()) if local.exists() else None}


def relative_to(info: dict[str, Any], directory: str | Path) -> dict[str, Any]:
    """``reference_relative`` for a checkpoint saved in ``directory`` (empty for a hub name)."""
    path = info.get("reference_path")
    if not path:
        return {}
    return {"reference_relative": os.path.relpath(path, Path(directory).resolve())}


def resolve(info: dict[str, Any], checkpoint: str | Path | None, override: str | None = None) -> str | None:
    """The path (or hub name) to load the reference from; None when the PRM was trained without one.
    ``checkpoint`` is the checkpoint's directory (None: relative paths are not tried)."""
    ckpt = Path(checkpoint).resolve() if checkpoint is not None else None
    passed = info.get("reference")
    if not passed:
        if override is not None:
            raise ConfigError(
                f"{ckpt}: this implicit PRM was trained without a reference model (reference='none'); "
                f"the `reference` option of reward_model does not apply (got {override!r})"
            )
        return None
    if override is not None:
        if is_model_dir(Path(override).expanduser()):
            return str(Path(override).expanduser().resolve())
        if looks_like_hub_id(override) and not Path(override).exists():
            return override
        raise ConfigError(
            f"`reference` of reward_model: {override!r} is not a model directory (no config.json)"
        )
    tried: list[str] = []
    candidates = []
    if info.get("reference_relative") and ckpt is not None:
        candidates.append(ckpt / str(info["reference_relative"]))
    if info.get("reference_path"):
        candidates.append(Path(str(info["reference_path"])))
    as_passed = Path(str(passed)).expanduser()
    if as_passed.is_absolute() or ckpt is not None:
        candidates.append(as_passed if as_passed.is_absolute() or ckpt is None else ckpt / as_passed)
    for c in (Path(os.path.normpath(c)) for c in candidates):  # lexical, as relpath wrote it
        if is_model_dir(c):
            return str(c.resolve())
        if str(c) not in tried:
            tried.append(str(c))
    local_at_training = "reference_path" in info and info["reference_path"] is not None
    if not local_at_training and looks_like_hub_id(str(passed)):
        return str(passed)  # a hub name: transformers looks in its cache
    raise ConfigError(
        f"{ckpt}: the implicit PRM's frozen reference model was not found (recorded as {passed!r}; tried "
        f"{', '.join(tried)}). Pass its directory with the `reference` option of reward_model, e.g. "
        f'{{"type": "reward_model", "path": "{ckpt}", "reference": "/path/to/base-model"}}'
    )
