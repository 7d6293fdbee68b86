"""The plots rewardlab's reports draw (matplotlib, Agg backend: no display needed). Each function returns
a figure; :func:`to_png` renders and closes it."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.errors import DependencyError

BLUE, ORANGE, GREY, GREEN = "#3b6fb6", "#e0803a", "#8a93a3", "#3a9a5b"


def _plt() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DependencyError("HTML reports need matplotlib: pip install 'rewardlab[report]'") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def to_png(fig: Any, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def bars_with_intervals(
    labels: Sequence[str],
    values: Sequence[float],
    intervals: Sequence[Sequence[float]],
    *,
    baseline: Sequence[float] | None = None,
    ylabel: str = "accuracy",
    chance: float | None = None,
) -> Any:
    """One bar per label with its interval as an error bar; an optional second bar (e.g. the length
    baseline) beside each, and a dashed chance line."""
    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * n + 2), 3.6))
    width = 0.38 if baseline is not None else 0.6
    xs = list(range(n))
    lo = [
        max(0.0, v - iv[0]) if iv and iv[0] is not None else 0.0
        for v, iv in zip(values, intervals, strict=True)
    ]
    hi = [
        max(0.0, iv[1] - v) if iv and iv[1] is not None else 0.0
        for v, iv in zip(values, intervals, strict=True)
    ]
    shift = -width / 2 if baseline is not None else 0.0
    ax.bar([x + shift for x in xs], values, width, yerr=[lo, hi], capsize=4, color=BLUE, label="scorer")
    if baseline is not None:
        ax.bar([x + width / 2 for x in xs], baseline, width, color=GREY, label="length baseline")
    if chance is not None:
        ax.axhline(chance, color="#444", lw=1, ls="--", label="chance")
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, rotation=20 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.14 if n <= 4 else -0.3), ncol=3, fontsize=8, frameon=False
    )
    fig.tight_layout()
    return fig


def two_distributions(
    a: Sequence[float], b: Sequence[float], *, labels: tuple[str, str], xlabel: str = "score"
) -> Any:
    """Overlaid histograms of two score samples (e.g. chosen vs rejected) on shared bins."""
    plt = _plt()
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    both = np.asarray(list(a) + list(b), dtype=float)
    bins = np.histogram_bin_edges(both, bins=min(40, max(5, int(np.sqrt(both.size))))) if both.size else 10
    ax.hist(a, bins=bins, alpha=0.55, color=BLUE, label=labels[0])
    ax.hist(b, bins=bins, alpha=0.55, color=ORANGE, label=labels[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def curves(
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    xlabel: str,
    ylabel: str,
    marker_x: float | None = None,
    marker_label: str = "",
) -> Any:
    """Lines sharing one x axis (e.g. RM@k / maj@k / oracle@k over k, F1 over thresholds)."""
    plt = _plt()
    colors = [BLUE, ORANGE, GREEN, GREY, "#9b59b6"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (name, ys), color in zip(series.items(), colors * 3, strict=False):
        pts = [(xi, yi) for xi, yi in zip(x, ys, strict=True) if yi is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, color=color, label=name)
    if marker_x is not None:
        ax.axvline(marker_x, color="#444", lw=1, ls="--", label=marker_label or None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def heatmap(
    matrix: Sequence[Sequence[float]], *, rows: Sequence[str], cols: Sequence[str], title: str = "",
    xlabel: str = "", ylabel: str = "",
) -> Any:  # fmt: skip
    """A matrix as a heat map in [0, 1] with each cell's value written in it."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.9))
    im = ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(
                j, i, f"{v:.2f}", ha="center", va="center", color="white" if v > 0.6 else "black", fontsize=10
            )
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, fontsize=8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=11)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def histograms(samples: Mapping[str, Sequence[float]], *, xlabel: str = "score", cols: int = 3) -> Any:
    """One histogram per named sample, side by side (e.g. the reward and each component)."""
    plt = _plt()
    import numpy as np

    names = list(samples)
    cols = max(1, min(cols, len(names)))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.7 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        data = np.asarray(samples[name], dtype=float)
        data = data[np.isfinite(data)]
        distinct = np.unique(data)
        if data.size and distinct.size <= 12:  # discrete scores (0/1 rewards): one bar per value
            counts = [int((data == v).sum()) for v in distinct]
            width = 0.6 * (float(np.min(np.diff(distinct))) if distinct.size > 1 else 1.0)
            ax.bar(distinct, counts, width=width, color=BLUE)
            ax.set_xticks(distinct)
            ax.set_xticklabels([f"{v:.3g}" for v in distinct], fontsize=8)
        elif data.size:
            ax.hist(data, bins=min(40, max(5, int(np.sqrt(data.size)))), color=BLUE)
        ax.set_title(f"{name}  (n={data.size}, mean {data.mean():.3g})" if data.size else name, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def scatter(x: Sequence[float], y: Sequence[float], *, xlabel: str, ylabel: str, title: str = "") -> Any:
    """Points with a little vertical jitter when ``y`` takes few values, plus a least-squares line."""
    plt = _plt()
    import numpy as np

    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    jitter = 0.0
    if ys.size and np.unique(ys).size <= 12:
        spread = float(np.ptp(ys)) or 1.0
        jitter = 0.02 * spread
    rng = np.random.default_rng(0)
    ax.scatter(xs, ys + rng.uniform(-jitter, jitter, ys.size), s=10, alpha=0.45, color=BLUE, lw=0)
    if xs.size >= 2 and np.ptp(xs) > 0:
        a, b = np.polyfit(xs, ys, 1)
        grid = np.linspace(xs.min(), xs.max(), 50)
        ax.plot(grid, a * grid + b, color=ORANGE, lw=1.5, label=f"least squares: {a:+.3g} per unit")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def step_curves(
    steps: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
    band_label: str = "",
    title: str = "",
    shade: tuple[float, float] | None = None,
) -> Any:
    """Per-step lines with an optional shaded band (e.g. the 10-90% quantiles of the reward) and an
    optional shaded step range (e.g. a detector's late window)."""
    plt = _plt()
    colors = [BLUE, ORANGE, GREEN, GREY, "#9b59b6", "#c0392b", "#16a085"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    if band is not None:
        ax.fill_between(
            list(steps), list(band[0]), list(band[1]), color=BLUE, alpha=0.15, lw=0, label=band_label
        )
    for (name, ys), color in zip(series.items(), colors * 3, strict=False):
        pts = [(s, v) for s, v in zip(steps, ys, strict=True) if v is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=2.5, lw=1.4, color=color, label=name)
    if shade is not None:
        ax.axvspan(shade[0], shade[1], color="#f4d03f", alpha=0.18, lw=0)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def hbars(labels: Sequence[str], values: Sequence[float], *, xlabel: str) -> Any:
    """Horizontal bars, largest first (e.g. error types by count)."""
    plt = _plt()
    order = sorted(range(len(labels)), key=lambda i: values[i])
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(labels) + 1.0))
    ax.barh([labels[i] for i in order], [values[i] for i in order], color=ORANGE)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
