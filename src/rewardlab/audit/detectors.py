"""The audit's detectors: each a pure function of a :class:`~rewardlab.audit.series.Series` with its
thresholds as keyword arguments, returning a :class:`Finding` when its pattern is there and None when it
is not, and raising :class:`~rewardlab.audit.series.Missing` when the series lacks what it needs.

Each compares the early and late windows of a run (the first and last third of the logged steps, see
:meth:`Series.window`). The metric names are the canonical ones the readers produce (``docs/audit.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rewardlab.audit.series import Missing, Series, Window

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Finding:
    """One pattern found in a run: ``detector`` (its name), ``severity`` (info < warning < critical), a
    one-line ``message`` and the ``evidence`` (windows, steps, examples) behind it."""

    detector: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"detector": self.detector, "severity": self.severity, "message": self.message,
                "evidence": self.evidence}  # fmt: skip


def _examples(series: Series, name: str, steps: tuple[int, int], k: int = 3) -> list[str]:
    out: list[str] = []
    for step in sorted(series.examples.get(name, {})):
        if steps[0] <= step <= steps[1]:
            out.extend(series.examples[name][step])
    return out[:k]


def length_vs_correctness(
    series: Series, *, min_length_growth: float = 0.5, min_correct_drop: float = 0.1, min_points: int = 4
) -> Finding | None:
    """Length blow-up while correctness falls (the Soup #286 shape: proxy reward up, accuracy
    0.90 -> 0.22, completions several times longer).

    Fires when the late mean ``length`` is at least ``1 + min_length_growth`` times the early mean and
    the late mean of ``correct`` (or, without it, ``label_acc``) is at least ``min_correct_drop`` below
    the early mean. Both slopes are in the evidence."""
    length = series.window("length", min_points=min_points)
    name = "correct" if series.points("correct")[1] else "label_acc"
    correct = series.window(name, min_points=min_points)
    if length.ratio >= 1 + min_length_growth and correct.change <= -min_correct_drop:
        ev: dict[str, Any] = {"length": length.evidence(), name: correct.evidence()}
        if series.points("reward")[1]:
            ev["reward"] = series.window("reward", min_points=1).evidence()
        return Finding(
            "length_vs_correctness",
            "critical",
            f"completions grew {length.ratio:.1f}x ({length.early:.0f} -> {length.late:.0f}) while {name} "
            f"fell {correct.early:.2f} -> {correct.late:.2f}",
            ev,
        )
    return None


def clipped_length(
    series: Series, *, min_late: float = 0.2, min_rise: float = 0.15, min_points: int = 4
) -> Finding | None:
    """More and more completions hit the length limit (``clipped_ratio``): the policy runs on (format
    abandoned, rambling, loops) and its rewards are computed on cut-off text.

    Fires when the late mean clipped ratio is at least ``min_late`` and rose by at least ``min_rise``."""
    w = series.window("clipped_ratio", min_points=min_points)
    if w.late >= min_late and w.change >= min_rise:
        return Finding(
            "clipped_length",
            "warning",
            f"the share of completions cut at the length limit rose {w.early:.2f} -> {w.late:.2f}",
            {"clipped_ratio": w.evidence(), **_length_evidence(series, min_points)},
        )
    return None


def _length_evidence(series: Series, min_points: int) -> dict[str, Any]:
    try:
        return {"length": series.window("length", min_points=min_points).evidence()}
    except Missing:
        return {}


def repetition(
    series: Series, *, min_late: float = 0.2, min_rise: float = 0.15, min_points: int = 4
) -> Finding | None:
    """Repetition loops: ``repetition`` is the share of a step's completions whose word 4-grams mostly
    repeat (:func:`~rewardlab.audit.text.repetition_rate` >= 0.5).

    Fires when its late mean is at least ``min_late`` and rose by at least ``min_rise``."""
    return _rising_share(
        series, "repetition", "looping completions rose from {early:.0%} to {late:.0%} of each step",
        min_late=min_late, min_rise=min_rise, min_points=min_points,
    )  # fmt: skip


def _rising_share(
    series: Series, name: str, message: str, *, min_late: float, min_rise: float, min_points: int
) -> Finding | None:
    """A warning named ``name`` when the per-step share ``name`` ends at ``min_late`` or more after rising
    by ``min_rise`` or more, with its window and late example completions as evidence."""
    w = series.window(name, min_points=min_points)
    if w.late >= min_late and w.change >= min_rise:
        return Finding(
            name,
            "warning",
            message.format(early=w.early, late=w.late),
            {name: w.evidence(), "examples": _examples(series, name, w.late_steps)},
        )
    return None


def format_only(
    series: Series, *, min_format: float = 0.7, max_correct: float = 0.2, min_correct_gain: float = 0.1,
    min_points: int = 4,
) -> Finding | None:  # fmt: skip
    """Format-only success: the format component is high while correctness stays low and does not
    improve; the reward is being earned for the shape of the answer.

    Fires when the late mean of ``format`` is at least ``min_format``, the late mean of ``correct`` at
    most ``max_correct``, and ``correct`` gained less than ``min_correct_gain``."""
    fmt = series.window("format", min_points=min_points)
    correct = series.window("correct", min_points=min_points)
    if fmt.late >= min_format and correct.late <= max_correct and correct.change < min_correct_gain:
        return Finding(
            "format_only",
            "warning",
            f"format is met by {fmt.late:.0%} of completions but only {correct.late:.0%} are correct "
            f"(format {fmt.early:.2f} -> {fmt.late:.2f}, correct {correct.early:.2f} -> {correct.late:.2f})",
            {"format": fmt.evidence(), "correct": correct.evidence()},
        )
    return None


def component_dominance(
    series: Series, *, max_share: float = 0.9, min_other_std: float = 0.05, min_points: int = 4
) -> Finding | None:
    """One component carries (almost) all of the reward's variation although the others vary too: its
    scale or weight drowns them, so it alone decides the advantages.

    ``share/<name>`` is the component's share of the reward's variance within a step: cov(c, R) / var(R)
    from rollouts (weight-free for a sum), or std(c)^2 / sum std^2 from a trainer's per-function stds;
    ``std/<name>`` is the component's own spread. Needs at least two components. Fires when a late mean
    share is at least ``max_share`` while another component's late std is at least ``min_other_std``
    (a constant component, e.g. a saturated format reward, is not drowned out: it has nothing to say)."""
    names = series.prefixed("share/")
    if len(names) < 2:
        raise Missing("needs the variance shares of at least two components (share/<name>)")
    windows = {n[len("share/") :]: series.window(n, min_points=min_points) for n in names}
    top = max(windows, key=lambda k: windows[k].late)
    spreads = {}
    for other in set(windows) - {top}:
        try:
            spreads[other] = series.window(f"std/{other}", min_points=min_points).late
        except Missing:
            continue
    drowned = sorted(k for k, v in spreads.items() if v >= min_other_std)
    if windows[top].late >= max_share and drowned:
        return Finding(
            "component_dominance",
            "info",
            f"`{top}` carries {min(windows[top].late, 1.0):.0%} of the reward's variance within a step; "
            f"{', '.join(drowned)} vary (std {', '.join(f'{spreads[k]:.2f}' for k in drowned)}) but barely "
            "move the advantages",
            {"shares_late": {k: round(w.late, 4) for k, w in windows.items()},
             "shares_early": {k: round(w.early, 4) for k, w in windows.items()},
             "std_late": {k: round(v, 4) for k, v in spreads.items()}},
        )  # fmt: skip
    return None


def reward_label_divergence(
    series: Series, *, min_reward_gain: float = 0.05, min_label_drop: float = 0.1, min_points: int = 4
) -> Finding | None:
    """The reward rises while an independent label (``label_acc``: rows' ``label`` / ``is_correct``,
    or a trainer's validation accuracy) falls: the reward no longer measures what it should.

    Fires when ``reward`` gained at least ``min_reward_gain`` and ``label_acc`` fell by at least
    ``min_label_drop`` (early vs late means)."""
    label = series.window("label_acc", min_points=min_points)
    reward = series.window("reward", min_points=min_points)
    if reward.change >= min_reward_gain and label.change <= -min_label_drop:
        ev: dict[str, Any] = {"reward": reward.evidence(), "label_acc": label.evidence()}
        corr = series.points("reward_label_corr")[1]
        if corr:
            ev["reward_label_corr_late"] = round(series.window("reward_label_corr", min_points=1).late, 4)
        return Finding(
            "reward_label_divergence",
            "critical",
            f"reward rose {reward.early:.3f} -> {reward.late:.3f} while label accuracy fell "
            f"{label.early:.2f} -> {label.late:.2f}",
            ev,
        )
    return None


def zero_variance_groups(series: Series, *, max_late: float = 0.8, min_points: int = 4) -> Finding | None:
    """Groups whose rollouts all score the same give GRPO no gradient (``zero_std_frac``, TRL's
    ``frac_reward_zero_std``). Fires when its late mean is at least ``max_late``."""
    w = series.window("zero_std_frac", min_points=min_points)
    if w.late >= max_late:
        return Finding(
            "zero_variance_groups",
            "warning",
            f"{w.late:.0%} of groups have zero reward variance late in the run (no learning signal)",
            {"zero_std_frac": w.evidence()},
        )
    return None


def diversity_collapse(
    series: Series, *, max_ratio: float = 0.5, max_late_diversity: float = 0.3, min_points: int = 4
) -> Finding | None:
    """The policy's outputs collapse: the trainer's token ``entropy`` falls to at most ``max_ratio`` of
    its early mean, or the rollouts' ``diversity`` (1 - mean pairwise 3-gram Jaccard similarity within
    a group) falls to at most ``max_ratio`` of its early mean and below ``max_late_diversity``."""
    found: dict[str, Any] = {}
    tried = 0
    for name in ("entropy", "diversity"):
        try:
            w = series.window(name, min_points=min_points)
        except Missing:
            continue
        tried += 1
        low_enough = name == "entropy" or w.late <= max_late_diversity
        if w.early > 0 and w.ratio <= max_ratio and low_enough:
            found[name] = w.evidence()
    if not tried:
        raise Missing("needs `entropy` (trainer log) or `diversity` (grouped rollouts)")
    if found:
        return Finding(
            "diversity_collapse",
            "warning",
            "output diversity collapsed: " + ", ".join(
                f"{k} {v['early_mean']:.3g} -> {v['late_mean']:.3g}" for k, v in found.items()
            ),
            found,
        )  # fmt: skip
    return None


def label_free_collapse(
    series: Series, *, min_agreement_gain: float = 0.15, min_correct_drop: float = 0.15, min_points: int = 4
) -> Finding | None:
    """Label-free (majority-vote) rewards collapse: the policy learns to agree with itself, so the
    pseudo-label ``agreement`` rises while its true accuracy ``pseudo_correct`` falls (both read from
    ``majority_vote``'s ``info``). Fires when agreement gained ``min_agreement_gain`` and accuracy fell
    ``min_correct_drop``."""
    agree = series.window("agreement", min_points=min_points)
    correct = series.window("pseudo_correct", min_points=min_points)
    if agree.change >= min_agreement_gain and correct.change <= -min_correct_drop:
        return Finding(
            "label_free_collapse",
            "critical",
            f"majority agreement rose {agree.early:.2f} -> {agree.late:.2f} while the pseudo-labels' "
            f"accuracy fell {correct.early:.2f} -> {correct.late:.2f}",
            {"agreement": agree.evidence(), "pseudo_correct": correct.evidence()},
        )
    return None


def box_inflation(
    series: Series, *, min_ratio: float = 1.5, min_late_area: float = 2.0, min_points: int = 4
) -> Finding | None:
    """GUI grounding box-size hacking (GUI-G1): predicted boxes grow to cover the target
    (``box_area_ratio``: median predicted / target area, from the GUI rewards' ``info``).

    Fires when the late median area ratio is at least ``min_late_area`` and ``min_ratio`` times the
    early one."""
    w = series.window("box_area_ratio", min_points=min_points)
    if w.late >= min_late_area and w.ratio >= min_ratio:
        return Finding(
            "box_inflation",
            "warning",
            f"predicted boxes grew from {w.early:.1f}x to {w.late:.1f}x the target's area",
            {"box_area_ratio": w.evidence()},
        )
    return None


def hedging(
    series: Series, *, min_late: float = 0.15, min_rise: float = 0.1, min_points: int = 4
) -> Finding | None:
    """Hedging on partial-credit or last-answer rewards: completions state several different final
    answers (``hedging``: the share with two or more, :func:`~rewardlab.audit.text.final_answers`).

    Fires when its late mean is at least ``min_late`` and rose by at least ``min_rise``."""
    return _rising_share(
        series, "hedging", "completions with several different final answers rose from {early:.0%} to {late:.0%}",
        min_late=min_late, min_rise=min_rise, min_points=min_points,
    )  # fmt: skip


def silent_zero(
    series: Series, *, min_excess: float = 0.15, min_factor: float = 3.0, min_points: int = 4
) -> Finding | None:
    """A spike of rewards that failed (timeouts, crashes, parse failures): scored as 0 they teach the
    policy something false; recorded they shrink the batch. ``silent_zero_rate`` (rollouts: rows with an
    error or an unparsable answer) or ``error_rate`` (a trainer log).

    Fires at the steps whose rate exceeds the run's median by at least ``min_excess`` and is at least
    ``min_factor`` times it (plus 0.01, so a zero median does not make every blip a spike)."""
    name = "silent_zero_rate" if series.points("silent_zero_rate")[1] else "error_rate"
    steps, values = series.points(name)
    if len(values) < min_points:
        raise Missing(f"`silent_zero_rate` / `error_rate` logged at {len(values)} steps; {min_points} needed")
    base = sorted(values)[len(values) // 2]
    spikes = [(s, v) for s, v in zip(steps, values, strict=True)
              if v - base >= min_excess and v >= min_factor * (base + 0.01)]  # fmt: skip
    if not spikes:
        return None
    types: dict[str, float] = {}
    for key in series.prefixed("error/"):
        col = dict(zip(*series.points(key), strict=True))
        types[key[len("error/") :]] = round(sum(col.get(s, 0.0) for s, _ in spikes) / len(spikes), 4)
    return Finding(
        "silent_zero",
        "critical",
        f"failed rewards spiked to {max(v for _, v in spikes):.0%} at {len(spikes)} step(s) "
        f"(run median {base:.0%})",
        {"metric": name, "median": round(base, 4), "spike_steps": [s for s, _ in spikes],
         "spike_rates": [round(v, 4) for _, v in spikes], "error_types_at_spikes": types,
         "examples": _examples(series, "silent_zero_rate", (spikes[0][0], spikes[-1][0]))},
    )  # fmt: skip


Detector = Callable[..., "Finding | None"]

DETECTORS: dict[str, Detector] = {
    "length_vs_correctness": length_vs_correctness,
    "clipped_length": clipped_length,
    "repetition": repetition,
    "format_only": format_only,
    "component_dominance": component_dominance,
    "reward_label_divergence": reward_label_divergence,
    "zero_variance_groups": zero_variance_groups,
    "diversity_collapse": diversity_collapse,
    "label_free_collapse": label_free_collapse,
    "box_inflation": box_inflation,
    "hedging": hedging,
    "silent_zero": silent_zero,
}
"""Every detector by name, in the order the audit runs and reports them."""

CORRECT_NAME = re.compile(r"(^|[/_])(correct|correctness|accuracy|acc|math|answer)([/_]|$)", re.I)
FORMAT_NAME = re.compile(r"format|(^|[/_])fmt([/_]|$)", re.I)

__all__ = ["DETECTORS", "SEVERITIES", "Finding", "Missing", "Window"]
