"""Evaluation of rewards, reward models and judges.

- :mod:`rewardlab.eval.metrics`: the metrics as pure functions (numpy only, formulas in docstrings);
- :mod:`rewardlab.eval.datasets`: readers for the benchmark formats (malformed rows reported, counted);
- :func:`evaluate` / :class:`EvalSettings` / :class:`EvalResult`: score a benchmark file through the
  runner (or re-score its stored scores) and compute every metric (what ``rewardlab eval`` runs);
- :func:`run_probes`: seeded robustness probes of a scalar scorer (``rewardlab probe rm``).

The HTML report of a result is :func:`rewardlab.report.evaluation.eval_report`.
"""

from __future__ import annotations

from rewardlab.eval import datasets, metrics
from rewardlab.eval.probes import PROBES, run_probes
from rewardlab.eval.run import KINDS, EvalResult, EvalSettings, evaluate

__all__ = ["KINDS", "PROBES", "EvalResult", "EvalSettings", "datasets", "evaluate", "metrics", "run_probes"]
