"""Audit a training run for reward hacking: scored rollouts and trainers' logs in, findings out.

    from rewardlab.audit import audit, read_log, read_rollouts, rollout_series
    result = audit(rollout_series(read_rollouts("rollouts.jsonl")).merge(read_log("trainer_state.json")))
    result.findings, result.alarmed

Each detector (:data:`DETECTORS`) is a pure function of a per-step :class:`Series` with thresholds as
keyword arguments; ``docs/audit.md`` lists them with the patterns they catch and their defaults.
"""

from __future__ import annotations

from rewardlab.audit.detectors import DETECTORS, SEVERITIES, Finding
from rewardlab.audit.readers import log_series, read_log, read_rollouts, rollout_series, row_step
from rewardlab.audit.run import AuditResult, audit, parse_thresholds
from rewardlab.audit.series import Missing, Series, Window

__all__ = [
    "DETECTORS",
    "SEVERITIES",
    "AuditResult",
    "Finding",
    "Missing",
    "Series",
    "Window",
    "audit",
    "log_series",
    "parse_thresholds",
    "read_log",
    "read_rollouts",
    "rollout_series",
    "row_step",
]
