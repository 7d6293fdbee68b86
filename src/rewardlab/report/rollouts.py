"""The HTML report of scored rollouts (``rewardlab report``, ``rewardlab score --report``): the reward and
component distributions, error rate and types, reward vs completion length, per-step curves when the
rows carry steps, and the top and bottom examples with their ``info``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardlab.audit.readers import rollout_series, row_step
from rewardlab.audit.text import words
from rewardlab.report import figures
from rewardlab.report.html import Document


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[-1], Mapping):
        return str(value[-1].get("content", ""))
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) else None


def _clip(text: str, n: int = 360) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def rollouts_report(rows: Sequence[Mapping[str, Any]], *, title: str = "rewardlab report", subtitle: str = "",
                    examples: int = 5) -> Document:  # fmt: skip
    """A :class:`~rewardlab.report.Document` describing scored rows (``reward``, ``components``,
    ``error``, optional ``info`` and ``step``)."""
    doc = Document(title, subtitle=subtitle)
    rewards = [_num(r.get("reward")) for r in rows]
    scored = [x for x in rewards if x is not None]
    errors = [r.get("error") for r in rows if r.get("error")]
    comps: dict[str, list[float]] = {}
    for r in rows:
        for k, v in (r.get("components") or {}).items():
            if _num(v) is not None:
                comps.setdefault(k, []).append(float(v))
    top = doc.section("Summary")
    n = len(rows)
    top.add_headline("mean reward", f"{np.mean(scored):.4f}" if scored else "–",
                     f"over {len(scored)} scored rows of {n}")  # fmt: skip
    q = np.quantile(scored, [0.1, 0.5, 0.9]) if scored else [None] * 3
    top.add_kv({"rows": n, "scored": len(scored), "errors": len(errors),
                "error rate": f"{len(errors) / n:.2%}" if n else "–",
                "reward std": float(np.std(scored)) if scored else None,
                "reward 10% / 50% / 90%": " / ".join("–" if v is None else f"{v:.3g}" for v in q),
                **{f"component {k} (mean)": float(np.mean(v)) for k, v in sorted(comps.items())}})  # fmt: skip

    dist = doc.section("Reward and component distributions")
    if scored:
        dist.add_figure(figures.histograms({"reward": scored, **dict(sorted(comps.items()))}),
                        caption="Distribution of the total reward and of each named component.")  # fmt: skip
    else:
        dist.add_text("No row has a reward.", note=True)

    _errors(doc, rows, errors)
    _length(doc, rows, rewards)
    _steps(doc, rows)
    _examples(doc, rows, rewards, examples)
    return doc


def _errors(doc: Document, rows: Sequence[Mapping[str, Any]], errors: list[Any]) -> None:
    sec = doc.section("Errors")
    if not errors:
        sec.add_text(f"No errors in {len(rows)} rows.")
        return
    types = Counter(str(e.get("type", "error")) if isinstance(e, Mapping) else "error" for e in errors)
    sec.add_text(f"{len(errors)} of {len(rows)} rows ({len(errors) / len(rows):.2%}) failed. A failed row has "
                 "no reward unless an error policy scored it; its error is kept either way.")  # fmt: skip
    sec.add_figure(figures.hbars(list(types), [float(v) for v in types.values()], xlabel="rows"),
                   caption="Error types by count.")  # fmt: skip
    first: dict[str, str] = {}
    for e in errors:
        if isinstance(e, Mapping):
            first.setdefault(str(e.get("type", "error")), _clip(str(e.get("message", "")), 200))
    sec.add_table(
        ["type", "rows", "first message"], [[t, c, first.get(t, "")] for t, c in types.most_common()]
    )


def _length(doc: Document, rows: Sequence[Mapping[str, Any]], rewards: list[float | None]) -> None:
    pts = [
        (len(words(_text(r.get("completion")))), x)
        for r, x in zip(rows, rewards, strict=True)
        if x is not None
    ]
    if len(pts) < 2:
        return
    sec = doc.section("Reward vs completion length")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    corr = float(np.corrcoef(xs, ys)[0, 1]) if np.std(xs) > 0 and np.std(ys) > 0 else None
    sec.add_figure(figures.scatter(xs, ys, xlabel="completion length (words)", ylabel="reward"),
                   caption="Each point is a scored row. A reward that grows with length alone invites length hacking.")  # fmt: skip
    sec.add_kv({"Pearson correlation of reward and length": corr, "mean length (words)": float(np.mean(xs))})


def _steps(doc: Document, rows: Sequence[Mapping[str, Any]]) -> None:
    by_step: dict[int, list[float]] = {}
    for r in rows:
        step, x = row_step(r), _num(r.get("reward"))
        if step is not None and x is not None:
            by_step.setdefault(step, []).append(x)
    if len(by_step) < 2:
        return
    series = rollout_series(rows, examples=0)
    steps = series.steps
    sec = doc.section("Per step")
    q = {s: np.quantile(by_step.get(s, [np.nan]), [0.1, 0.5, 0.9]) for s in steps}
    sec.add_figure(
        figures.step_curves(steps, {"mean reward": series.metrics["reward"],
                                    "median": [float(q[s][1]) for s in steps]},
                            band=([float(q[s][0]) for s in steps], [float(q[s][2]) for s in steps]),
                            band_label="10-90% quantiles", ylabel="reward"),
        caption="Reward per step: mean, median and the 10-90% quantile band.",
    )  # fmt: skip
    comp_names = [n for n in series.names() if n.startswith("component/")]
    if comp_names:
        sec.add_figure(
            figures.step_curves(steps, {n[len("component/") :]: series.metrics[n] for n in comp_names}, ylabel="mean"),
            caption="Mean of each component per step.",
        )  # fmt: skip
    extra = {k: series.metrics[k] for k in ("zero_std_frac", "error_rate", "clipped_ratio", "repetition")
             if k in series.metrics}  # fmt: skip
    labels = {"zero_std_frac": "zero-variance groups", "error_rate": "error rate", "clipped_ratio": "cut at length limit",
              "repetition": "looping completions"}  # fmt: skip
    if extra:
        sec.add_figure(figures.step_curves(steps, {labels[k]: v for k, v in extra.items()}, ylabel="fraction"),
                       caption="Per step: the fraction of groups whose rollouts all scored the same (no GRPO signal), "
                               "of failed rows, of completions cut at the length limit (when rows say) and of looping completions.")  # fmt: skip
    if "length" in series.metrics:
        sec.add_figure(figures.step_curves(steps, {"mean length": series.metrics["length"]}, ylabel="words"),
                       caption="Mean completion length (words) per step.")  # fmt: skip
    table = []
    cols = {
        k: series.metrics.get(k, [None] * len(steps))
        for k in ("reward", "zero_std_frac", "error_rate", "length")
    }
    for i, s in enumerate(steps):
        table.append([s, len(by_step.get(s, [])), cols["reward"][i], float(q[s][0]), float(q[s][2]),
                      cols["zero_std_frac"][i], cols["error_rate"][i], cols["length"][i]])  # fmt: skip
    sec.add_table(["step", "scored", "mean", "10%", "90%", "zero-var groups", "error rate", "length"], table)


def _examples(doc: Document, rows: Sequence[Mapping[str, Any]], rewards: list[float | None], k: int) -> None:
    order = sorted((i for i, x in enumerate(rewards) if x is not None), key=lambda i: rewards[i])  # type: ignore[arg-type,return-value]
    if not order or k <= 0:
        return
    sec = doc.section("Top and bottom examples")
    headers = ["reward", "step", "completion", "components", "error", "info"]

    def line(i: int) -> list[Any]:
        r = rows[i]
        info = r.get("info")
        comps = ", ".join(
            f"{a}={_num(b) if _num(b) is None else round(float(b), 3)}"
            for a, b in (r.get("components") or {}).items()
        )
        err = r.get("error")
        err_text = "–"
        if isinstance(err, Mapping):
            err_text = f"{err.get('type', 'error')}: {_clip(str(err.get('message', '')), 120)}"
        return [rewards[i], row_step(r), _clip(_text(r.get("completion"))), comps or "–", err_text,
                _clip(json.dumps(info, ensure_ascii=False, default=str), 240) if info else "–"]  # fmt: skip

    sec.add_table(
        headers, [line(i) for i in reversed(order[-k:])], caption=f"The {min(k, len(order))} highest rewards"
    )
    sec.add_table(headers, [line(i) for i in order[:k]], caption=f"The {min(k, len(order))} lowest rewards")
