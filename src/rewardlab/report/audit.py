"""The HTML report of ``rewardlab audit``: the findings with their evidence and the curves behind them,
every check that ran or was skipped (and why), and the run's main per-step metrics."""

from __future__ import annotations

import json
from typing import Any

from rewardlab.audit.run import AuditResult
from rewardlab.report import figures
from rewardlab.report.html import Document

# The metrics each finding is drawn with (canonical names; see docs/audit.md).
_PLOTS: dict[str, tuple[str, ...]] = {
    "length_vs_correctness": ("length", "correct", "label_acc", "reward"),
    "clipped_length": ("clipped_ratio", "format", "length"),
    "repetition": ("repetition",),
    "format_only": ("format", "correct"),
    "component_dominance": (),
    "reward_label_divergence": ("reward", "label_acc"),
    "zero_variance_groups": ("zero_std_frac",),
    "diversity_collapse": ("entropy", "diversity"),
    "label_free_collapse": ("agreement", "pseudo_correct"),
    "box_inflation": ("box_area_ratio",),
    "hedging": ("hedging",),
    "silent_zero": ("silent_zero_rate", "error_rate"),
}
_OVERVIEW = (("reward", "correct", "format", "label_acc"), ("length",),
             ("clipped_ratio", "zero_std_frac", "error_rate", "repetition", "hedging"))  # fmt: skip


def _curves(result: AuditResult, names: tuple[str, ...], *, title: str = "", shade: Any = None) -> Any | None:
    s = result.series
    present = [n for n in names if n in s.metrics and len(s.points(n)[1]) >= 2]
    if not present:
        return None
    # Fractions and rates (at most ~1) are drawn as they are; larger metrics (lengths, areas) are divided
    # by their maximum when they share a plot with fractions, and the label says by how much.
    peak = {n: max((abs(v) for v in s.points(n)[1]), default=1.0) or 1.0 for n in present}
    scaled = {n for n in present if peak[n] > 1.5} if len(present) > 1 else set()
    if scaled == set(present):
        scaled = set()
    data = {(f"{n} (÷{peak[n]:.3g})" if n in scaled else n): [None if v is None else v / (peak[n] if n in scaled else 1.0)
            for v in s.metrics[n]] for n in present}  # fmt: skip
    mixed = bool(scaled)
    return figures.step_curves(s.steps, data, ylabel="value (÷: scaled to max 1)" if mixed else "value", title=title,
                               shade=shade)  # fmt: skip


def audit_report(result: AuditResult, *, subtitle: str = "") -> Document:
    doc = Document("rewardlab audit", subtitle=subtitle or " + ".join(result.sources))
    top = doc.section("Findings")
    worst = max(
        (f.severity for f in result.findings), key=["info", "warning", "critical"].index, default=None
    )
    top.add_headline("findings", str(len(result.findings)),
                     f"alarm level {result.alarm}: {'ALARM' if result.alarmed else 'no alarm'}"
                     + (f"; worst severity {worst}" if worst else ""))  # fmt: skip
    top.add_kv({"steps audited": len(result.series.steps), "sources": " + ".join(result.sources) or "–",
                "checks run / skipped": f"{sum(c['status'] != 'skipped' for c in result.checks)} / "
                                        f"{sum(c['status'] == 'skipped' for c in result.checks)}"})  # fmt: skip
    if result.findings:
        top.add_table(
            ["severity", "detector", "what"], [[f.severity, f.detector, f.message] for f in result.findings]
        )
    else:
        top.add_text("No detector fired.")
    for f in result.findings:
        sec = doc.section(f"{f.detector} ({f.severity})")
        sec.add_text(f.message)
        late = next(
            (v["late_steps"] for v in f.evidence.values() if isinstance(v, dict) and "late_steps" in v), None
        )
        fig = _curves(result, _PLOTS.get(f.detector, ()), shade=late)
        if fig is not None:
            sec.add_figure(fig, caption="The metrics behind the finding per step; shaded: the late window compared "
                                        "with the early one.")  # fmt: skip
        examples = f.evidence.get("examples") or []
        rest = {k: v for k, v in f.evidence.items() if k != "examples"}
        sec.add_kv(
            {k: json.dumps(v, default=str) if isinstance(v, dict | list) else v for k, v in rest.items()}
        )
        if examples:
            sec.add_table(["example completions"], [[e] for e in examples])
    over = doc.section("Run overview")
    for names in _OVERVIEW:
        fig = _curves(result, names)
        if fig is not None:
            over.add_figure(fig)
    checks = doc.section("Every check")
    checks.add_table(["detector", "status", "why skipped"],
                     [[c["detector"], c["status"], c.get("reason", "")] for c in result.checks])  # fmt: skip
    if result.thresholds:
        checks.add_kv({f"{d}.{k}": v for d, ps in result.thresholds.items() for k, v in ps.items()})
    return doc
