"""``rewardlab train pal``: the PAL trainer behind the ``train`` command (its own module so that
``cli.py`` only routes to it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rewardlab._cli_common import _fail, err, out, training_outputs
from rewardlab.errors import RewardLabError


def train_pal_command(
    encoder: str,
    data: Path,
    out_dir: Path,
    *,
    prototypes: int,
    projection: str,
    epochs: float | None,
    batch_size: int | None,
    lr: float | None,
    weight_decay: float,
    max_length: int,
    eval_data: Path | None,
    eval_fraction: float,
    on_bad: str,
    seed: int,
    device: str,
    limit: int | None,
    plot: bool,
    progress: Any,
) -> None:
    """Train and save a PAL model; print the bad rows, the held-out metrics and where it went."""
    try:
        from rewardlab.models.pal_train import PalSettings, train_pal
    except ImportError as exc:
        _fail(exc)
        return
    if epochs is not None and float(epochs) != int(epochs):
        _fail(RewardLabError(f"--epochs of pal must be a whole number, got {epochs}"))
    try:
        settings = PalSettings(
            prototypes=prototypes, projection=projection, epochs=15 if epochs is None else int(epochs),
            batch_size=64 if batch_size is None else batch_size, lr=3e-3 if lr is None else lr,
            weight_decay=weight_decay, max_length=max_length,
            eval_fraction=0.0 if eval_data is not None else eval_fraction, on_bad=on_bad, seed=seed,
            device="cpu" if device == "auto" else device,
        )  # fmt: skip
        with progress:
            result = train_pal(
                encoder, data, out_dir, settings, eval_data=eval_data, limit=limit, on_event=progress
            )
    except KeyboardInterrupt:
        err.print("interrupted: nothing was saved")
        raise typer.Exit(130) from None
    except (RewardLabError, OSError) as exc:
        _fail(exc)
        return
    report = training_outputs(out_dir, plot=plot)
    final = ", ".join(f"{k} {v:.4g}" for k, v in result.final_eval.items())
    out.print(
        f"trained {result.steps} steps over {report['users']} users ({report['train_pairs']} pairs, "
        f"embedded in {result.embed_seconds:.1f}s); held out: {final or 'none'}"
    )
    out.print(f"saved to {out_dir}")
