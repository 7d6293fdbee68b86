"""Training curves of a reward model (``rewardlab train``): a PNG of loss and accuracy over steps, and an
HTML page with it, the data report (bad rows, truncation counts) and the settings.

Reads only what the trainer wrote (``metrics.jsonl``, ``training.json``); trains and scores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardlab.report.figures import BLUE, GREEN, ORANGE, _plt, to_png
from rewardlab.report.html import Document


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` file, in order."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def training_figure(history: Sequence[Mapping[str, Any]], *, metric: str = "accuracy") -> Any:
    """Two panels over optimiser steps: loss (train and eval) and ``metric`` (train and eval)."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.6))
    for split, color, marker in (("train", BLUE, None), ("eval", ORANGE, "o")):
        rows = [r for r in history if r.get("split") == split]
        steps = [r["step"] for r in rows]
        for ax, key in ((left, "loss"), (right, metric)):
            ys = [
                (s, r[key]) for s, r in zip(steps, rows, strict=True) if isinstance(r.get(key), int | float)
            ]
            if ys:
                ax.plot([a for a, _ in ys], [b for _, b in ys], color=color, marker=marker, ms=4, label=split)
    left.set_ylabel("loss")
    right.set_ylabel(metric)
    if metric == "accuracy":
        right.axhline(0.5, color=GREEN, lw=1, ls="--", label="chance (pairs)")
    for ax in (left, right):
        ax.set_xlabel("optimiser step")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # a metric the run did not record draws nothing to label
            ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def write_training_png(
    history: Sequence[Mapping[str, Any]], path: str | Path, *, metric: str = "accuracy"
) -> Path:
    p = Path(path)
    p.write_bytes(to_png(training_figure(history, metric=metric)))
    return p


def training_report(out_dir: str | Path, *, metric: str = "accuracy") -> Document:
    """An HTML page for a training run directory (curves, final metrics, data report, settings)."""
    d = Path(out_dir)
    history = read_metrics(d / "metrics.jsonl")
    info = json.loads((d / "training.json").read_text(encoding="utf-8"))
    doc = Document(f"rewardlab train · {info.get('kind', '')}", subtitle=str(info.get("base_model", "")))
    top = doc.section("Result")
    res = info.get("result", {})
    top.add_kv(
        {"steps": res.get("steps"), "examples/s": res.get("examples_per_s"), **res.get("final_eval", {})}
    )
    top.add_figure(training_figure(history, metric=metric), caption="loss and metric over optimiser steps")
    data = doc.section("Data")
    data.add_kv({k: v for k, v in info.get("data", {}).items() if not isinstance(v, list | dict)})
    for split, counts in info.get("truncation", {}).items():
        data.add_kv({f"{split}: {k}": v for k, v in counts.items() if not isinstance(v, list)})
    doc.section("Settings").add_kv(info.get("settings", {}))
    return doc
