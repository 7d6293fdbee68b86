"""Each detector on hand-made series: it fires on its pattern, stays quiet just under its thresholds,
and says what is missing when the series cannot answer it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rewardlab.audit import DETECTORS, Missing, Series, audit
from rewardlab.audit import detectors as d


def series(n: int = 12, **metrics: Any) -> Series:
    """Metrics given as (start, end) ramps or full lists."""
    cols = {
        k: list(np.linspace(v[0], v[1], n)) if isinstance(v, tuple) else list(v) for k, v in metrics.items()
    }
    return Series(steps=list(range(1, n + 1)), metrics=cols, source="test")


def test_window_means_of_first_and_last_third() -> None:
    s = series(6, x=[0, 0, 1, 1, 2, 4])
    w = s.window("x")
    assert (w.early, w.late, w.early_steps, w.late_steps) == (0.0, 3.0, (1, 2), (5, 6))
    with pytest.raises(Missing, match="at least 4"):
        series(3, x=[1, 2, 3]).window("x")
    gappy = Series(steps=[1, 2, 3, 4, 5], metrics={"x": [1.0, None, 2.0, float("nan"), 3.0]})
    assert gappy.points("x") == ([1, 3, 5], [1.0, 2.0, 3.0])


def test_length_vs_correctness() -> None:
    f = d.length_vs_correctness(series(length=(200, 900), correct=(0.9, 0.22), reward=(0.3, 0.9)))
    assert f is not None and f.severity == "critical" and f.evidence["correct"]["late_mean"] < 0.5
    assert d.length_vs_correctness(series(length=(200, 900), correct=(0.5, 0.6))) is None  # longer and better
    assert d.length_vs_correctness(series(length=(200, 230), correct=(0.9, 0.2))) is None  # no length blow-up
    assert d.length_vs_correctness(series(length=(200, 900), label_acc=(0.9, 0.2))) is not None  # labels do
    with pytest.raises(Missing):
        d.length_vs_correctness(series(length=(200, 900)))


def test_clipped_length() -> None:
    assert d.clipped_length(series(clipped_ratio=(0.0, 0.6))) is not None
    assert d.clipped_length(series(clipped_ratio=(0.3, 0.35))) is None  # high but not rising
    assert d.clipped_length(series(clipped_ratio=(0.0, 0.1))) is None  # rising but low


def test_repetition_keeps_examples() -> None:
    s = series(repetition=(0.0, 0.6))
    s.examples["repetition"] = {12: ["la la la la"], 1: ["early loop"]}
    f = d.repetition(s)
    assert f is not None and f.evidence["examples"] == ["la la la la"]
    assert d.repetition(series(repetition=(0.05, 0.08))) is None


def test_format_only() -> None:
    assert d.format_only(series(format=(0.3, 0.95), correct=(0.05, 0.06))) is not None
    assert d.format_only(series(format=(0.3, 0.95), correct=(0.05, 0.4))) is None  # correctness follows
    assert d.format_only(series(format=(0.3, 0.5), correct=(0.05, 0.06))) is None


def test_component_dominance_needs_a_drowned_component_that_varies() -> None:
    drowned = series(
        **{"share/length": (0.95, 0.97), "share/correct": (0.05, 0.03), "std/correct": (0.45, 0.45)}
    )
    f = d.component_dominance(drowned)
    assert f is not None and f.severity == "info" and "correct" in f.message
    saturated = series(
        **{"share/length": (0.95, 0.99), "share/format": (0.05, 0.01), "std/format": (0.0, 0.0)}
    )
    assert d.component_dominance(saturated) is None  # a constant component says nothing: not drowned
    with pytest.raises(Missing):
        d.component_dominance(series(**{"share/only": (1.0, 1.0)}))


def test_reward_label_divergence() -> None:
    assert d.reward_label_divergence(series(reward=(0.3, 0.8), label_acc=(0.7, 0.4))) is not None
    assert d.reward_label_divergence(series(reward=(0.3, 0.8), label_acc=(0.5, 0.7))) is None
    with pytest.raises(Missing):
        d.reward_label_divergence(series(reward=(0.3, 0.8)))


def test_zero_variance_groups() -> None:
    assert d.zero_variance_groups(series(zero_std_frac=(0.5, 0.95))) is not None
    assert d.zero_variance_groups(series(zero_std_frac=(0.3, 0.5))) is None


def test_diversity_collapse_from_entropy_or_rollout_diversity() -> None:
    assert d.diversity_collapse(series(entropy=(1.2, 0.3))) is not None
    assert d.diversity_collapse(series(entropy=(1.2, 0.9))) is None
    assert d.diversity_collapse(series(diversity=(0.9, 0.2))) is not None
    assert d.diversity_collapse(series(diversity=(0.9, 0.4))) is None  # halved but still diverse
    with pytest.raises(Missing):
        d.diversity_collapse(series(reward=(0, 1)))


def test_label_free_collapse() -> None:
    assert d.label_free_collapse(series(agreement=(0.4, 0.95), pseudo_correct=(0.6, 0.2))) is not None
    assert d.label_free_collapse(series(agreement=(0.4, 0.95), pseudo_correct=(0.6, 0.7))) is None


def test_box_inflation() -> None:
    assert d.box_inflation(series(box_area_ratio=(1.1, 6.0))) is not None
    assert d.box_inflation(series(box_area_ratio=(1.0, 1.3))) is None


def test_hedging() -> None:
    assert d.hedging(series(hedging=(0.0, 0.4))) is not None
    assert d.hedging(series(hedging=(0.1, 0.12))) is None


def test_silent_zero_spike_and_its_error_types() -> None:
    rate = [0.0] * 12
    rate[6:8] = [0.5, 0.4]
    s = series(silent_zero_rate=rate, **{"error/Timeout": [r * 0.9 for r in rate]})
    f = d.silent_zero(s)
    assert f is not None and f.evidence["spike_steps"] == [7, 8]
    assert f.evidence["error_types_at_spikes"] == {"Timeout": pytest.approx(0.405)}
    assert d.silent_zero(series(silent_zero_rate=[0.1, 0.12, 0.09, 0.11] * 3)) is None  # steady, no spike
    assert d.silent_zero(series(error_rate=rate)) is not None  # a trainer log's error rate


def test_audit_records_skips_and_alarm_levels() -> None:
    s = series(zero_std_frac=(0.5, 0.95))
    result = audit(s)
    assert result.fired() == ["zero_variance_groups"] and result.alarmed
    assert audit(s, alarm="critical").alarmed is False
    statuses = {c["detector"]: c["status"] for c in result.checks}
    assert set(statuses) == set(DETECTORS) and statuses["repetition"] == "skipped"
    assert audit(s, thresholds={"zero_variance_groups": {"max_late": 0.99}}).findings == []


def test_every_detector_is_documented_with_thresholds() -> None:
    import inspect

    for name, fn in DETECTORS.items():
        assert fn.__name__ == name and fn.__doc__ and len(fn.__doc__) > 80, name
        params = inspect.signature(fn).parameters
        assert "min_points" in params and all(
            p.kind == p.KEYWORD_ONLY for n, p in params.items() if n != "series"
        )
