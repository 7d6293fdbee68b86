"""``train_reward_model``: data file in, Hugging Face checkpoint out (what ``rewardlab train`` runs).

Writes into ``out``: the model and tokenizer (``save_pretrained``; rewardlab's facts in the config's
``rewardlab`` block), ``metrics.jsonl`` (one JSON record per log or eval point), ``training.json``
(settings, data report with every bad row's index and reason, truncation counts, final metrics,
throughput) and, with ``save_every``, ``checkpoints/step-N/`` directories to resume from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import pick_device, pick_dtype, torch
from rewardlab.models.checkpoint import load_backbone, save_model
from rewardlab.models.implicit_ref import relative_to
from rewardlab.models.settings import TrainSettings
from rewardlab.models.trainer import TrainResult, fit, latest_checkpoint, split

KINDS = ("bt", "listwise", "prm", "implicit-prm", "attributes")
TRAINING_JSON = "training.json"


def train_reward_model(
    kind: str,
    model: str | Path,
    data: str | Path,
    out: str | Path,
    settings: TrainSettings | None = None,
    *,
    eval_data: str | Path | None = None,
    resume: str | Path | bool | None = None,
    limit: int | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    prm_options: dict[str, Any] | None = None,
    attributes: list[str] | None = None,
) -> TrainResult:
    """Train a ``kind`` reward model (``"bt"``, ``"listwise"``, ``"prm"``, ``"implicit-prm"``) from the
    checkpoint ``model`` on ``data``; save it to ``out``. ``prm_options`` holds the options of the process
    kinds: ``separator``, ``after_error`` (prm), ``beta`` and ``reference`` (implicit-prm). ``resume=True`` continues from the newest checkpoint in ``out``; a
    path continues from that checkpoint. Bad rows are skipped and reported (``settings.on_bad``).
    ``"attributes"`` trains one regression head per attribute (names from ``attributes`` or the data:
    :mod:`rewardlab.models.attributes`); ``settings.heads > 1`` trains a bootstrapped ensemble of ``bt``
    or ``listwise`` heads (:mod:`rewardlab.models.ensemble`)."""
    st = settings or TrainSettings()
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if st.heads > 1 and kind not in ("bt", "listwise"):
        raise ConfigError(
            f"`heads` > 1 is for kinds bt and listwise, got heads={st.heads} with kind {kind!r}"
        )
    out_dir = Path(out)
    ckpt: Path | None = None
    if resume is True:
        ckpt = latest_checkpoint(out_dir)
        if ckpt is None:
            raise ConfigError(f"--resume: no checkpoint with trainer state under {out_dir / 'checkpoints'}")
    elif resume:
        ckpt = Path(resume)
        if not ckpt.is_dir():
            raise ConfigError(f"--resume: {ckpt} is not a checkpoint directory")
    device = pick_device(st.device)
    pick_dtype(st.dtype, device)  # refuses half precision on the CPU before anything loads
    torch().manual_seed(st.seed)  # the fresh head is initialised while the backbone loads: seed it too
    if kind == "attributes":
        from rewardlab.models import attributes as attrs

        task, train, held, report, info, model_obj, tok = attrs.prepare(
            model, data, st, eval_data=eval_data, limit=limit, ckpt=ckpt, names=attributes
        )
    elif kind in ("prm", "implicit-prm"):
        from rewardlab.models import implicit, prm

        prepare = prm.prepare if kind == "prm" else implicit.prepare
        task, train, held, report, info, model_obj, tok = prepare(
            model, data, st, eval_data=eval_data, limit=limit, ckpt=ckpt, options=prm_options or {}
        )
    else:
        task, train, held, report, info, model_obj, tok = _prepare_ranked(
            kind, model, data, st, eval_data=eval_data, limit=limit, ckpt=ckpt
        )
    if not train:
        raise ConfigError(f"{data}: no usable training examples ({json.dumps(report['data'])[:500]})")

    def save(m: Any, directory: Path, stats: dict[str, float]) -> None:
        extra = relative_to(info, directory) if kind == "implicit-prm" else {}  # the reference, from here
        save_model(m, tok, directory, {**info, **extra, **stats})

    result = fit(
        model_obj,
        tok,
        task,
        train,
        held,
        st,
        out_dir,
        device=device,
        save=save,
        resume=ckpt,
        on_event=on_event,
    )
    report.update(
        {
            "kind": kind,
            "base_model": str(model),
            "settings": st.as_dict(),
            "device": str(device),
            "train_examples": len(train),
            "held_out_examples": len(held),
            "result": {k: v for k, v in asdict(result).items() if k != "history"},
        }
    )
    (out_dir / TRAINING_JSON).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return result


def _prepare_ranked(
    kind: str,
    model: str | Path,
    data: str | Path,
    st: TrainSettings,
    *,
    eval_data: str | Path | None,
    limit: int | None,
    ckpt: Path | None,
) -> tuple[Any, list[Any], list[Any], dict[str, Any], dict[str, Any], Any, Any]:
    from rewardlab.models.bt import RankTask, encode_ranked
    from rewardlab.models.data import read_ranked

    loaded = read_ranked(data, on_bad=st.on_bad, limit=limit)  # type: ignore[arg-type]
    held_rows: list[Any] = []
    if eval_data is not None:
        ev = read_ranked(eval_data, on_bad=st.on_bad)  # type: ignore[arg-type]
        train_rows, held_rows = loaded.rows, ev.rows
    else:
        train_rows, held_rows = split(loaded.rows, st.eval_fraction, st.seed)
    m, tok = load_backbone(ckpt or model, kind=kind, num_labels=st.heads, head=st.head)
    enc = {
        "kind": kind, "max_length": st.max_length, "side": st.truncation, "overflow": st.overflow,
        "chat_template": st.chat_template,
    }  # fmt: skip
    train, cut_train = encode_ranked(train_rows, tok, **enc)  # type: ignore[arg-type]
    held, cut_held = encode_ranked(held_rows, tok, **enc)  # type: ignore[arg-type]
    report = {
        "data": loaded.report(),
        "truncation": {"train": cut_train.as_dict(), "held_out": cut_held.as_dict()},
    }
    info = {
        "kind": kind,
        "head": st.head,
        "max_length": st.max_length,
        "truncation": st.truncation,
        "chat_template": st.chat_template,
        "data_sha256": loaded.sha256,
        "heads": st.heads,
    }
    if st.heads > 1:
        from rewardlab.models.ensemble import HeadsTask, bag

        task = HeadsTask(kind, tok.pad_token_id, st.heads, st.center_coef)
        return task, bag(train, st.heads, st.seed), held, report, info, m, tok
    return RankTask(kind, tok.pad_token_id, st.center_coef), train, held, report, info, m, tok
