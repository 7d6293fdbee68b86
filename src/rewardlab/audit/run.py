"""Run every detector over a run's series and collect findings, skipped checks and the alarm decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardlab.audit.detectors import DETECTORS, SEVERITIES, Finding
from rewardlab.audit.series import Missing, Series
from rewardlab.errors import ConfigError


@dataclass
class AuditResult:
    """``findings`` (in detector order), ``checks`` (every detector: ``fired``, ``ok`` or ``skipped`` with
    the reason), the ``series`` audited and the ``alarm`` level."""

    findings: list[Finding]
    checks: list[dict[str, Any]]
    series: Series
    alarm: str = "warning"
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @property
    def alarmed(self) -> bool:
        """A finding at or above the alarm level fired."""
        level = SEVERITIES.index(self.alarm)
        return any(SEVERITIES.index(f.severity) >= level for f in self.findings)

    def fired(self) -> list[str]:
        return [f.detector for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "alarm": self.alarm,
            "alarmed": self.alarmed,
            "checks": self.checks,
            "sources": self.sources,
            "steps": len(self.series.steps),
            "thresholds": self.thresholds,
            "series": self.series.to_dict(),
        }


def parse_thresholds(items: list[str]) -> dict[str, dict[str, float]]:
    """``["repetition.min_late=0.3", ...]`` -> ``{"repetition": {"min_late": 0.3}}`` (checked against
    the detectors' keyword arguments; every problem reported at once)."""
    import inspect

    out: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    for item in items:
        key, eq, value = item.partition("=")
        det, dot, param = key.strip().partition(".")
        if not eq or not dot:
            problems.append(f"{item!r}: expected DETECTOR.PARAM=VALUE")
            continue
        if det not in DETECTORS:
            problems.append(f"{item!r}: unknown detector {det!r} (known: {', '.join(DETECTORS)})")
            continue
        params = [p for p in inspect.signature(DETECTORS[det]).parameters if p != "series"]
        if param not in params:
            problems.append(f"{item!r}: {det} has no threshold {param!r} (it has: {', '.join(params)})")
            continue
        try:
            out.setdefault(det, {})[param] = float(value)
        except ValueError:
            problems.append(f"{item!r}: {value!r} is not a number")
    if problems:
        raise ConfigError("bad --threshold: " + "; ".join(problems))
    return out


def audit(
    series: Series,
    *,
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
    alarm: str = "warning",
    detectors: list[str] | None = None,
) -> AuditResult:
    """Run ``detectors`` (default: all, :data:`DETECTORS`) over ``series`` with per-detector
    ``thresholds`` overriding their defaults; ``alarm`` is the lowest severity that alarms."""
    if alarm not in SEVERITIES:
        raise ConfigError(f"`alarm` must be one of {', '.join(SEVERITIES)}, got {alarm!r}")
    limits: dict[str, dict[str, float]] = {k: dict(v) for k, v in (thresholds or {}).items()}
    unknown = sorted(set(detectors or []) - set(DETECTORS))
    if unknown:
        raise ConfigError(f"unknown detector(s) {', '.join(unknown)} (known: {', '.join(DETECTORS)})")
    findings: list[Finding] = []
    checks: list[dict[str, Any]] = []
    for name in detectors or list(DETECTORS):
        kwargs: dict[str, Any] = dict(limits.get(name, {}))
        if "min_points" in kwargs:
            kwargs["min_points"] = int(kwargs["min_points"])
        try:
            finding = DETECTORS[name](series, **kwargs)
        except Missing as exc:
            checks.append({"detector": name, "status": "skipped", "reason": str(exc)})
            continue
        checks.append({"detector": name, "status": "fired" if finding else "ok"})
        if finding is not None:
            findings.append(finding)
    return AuditResult(findings, checks, series, alarm, limits, [s for s in series.source.split(" + ") if s])
