"""Per-step metrics of one training run, and the early/late window comparison every detector uses.

A :class:`Series` is what the readers make of scored rollouts or of a trainer's log: for each canonical
metric name (``reward``, ``length``, ``correct``, ``format``, ``clipped_ratio``, ``zero_std_frac``, ...;
the full list is in ``docs/audit.md``), one value per step or None where it was not logged. Detectors
are pure functions of a series; they compare the mean of the first third of the logged steps (the
"early" window) with the mean of the last third (the "late" window), which is robust to the noise of
single steps and needs no model of the curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Missing(LookupError):
    """A detector cannot run on this series: a metric it needs is absent, or too few steps log it."""


@dataclass(frozen=True)
class Window:
    """Early vs late means of one metric. ``values`` are the logged points in step order."""

    name: str
    steps: tuple[int, ...]
    values: tuple[float, ...]
    early: float
    late: float
    early_steps: tuple[int, int]
    late_steps: tuple[int, int]

    @property
    def change(self) -> float:
        return self.late - self.early

    @property
    def ratio(self) -> float:
        """late / early (inf when early is 0 and late is not; 1.0 when both are 0)."""
        if self.early == 0:
            return 1.0 if self.late == 0 else float("inf")
        return self.late / self.early

    @property
    def slope(self) -> float:
        """Least-squares slope per step."""
        if len(self.steps) < 2:
            return 0.0
        return float(np.polyfit(np.asarray(self.steps, float), np.asarray(self.values, float), 1)[0])

    def evidence(self, digits: int = 4) -> dict[str, Any]:
        return {
            "early_mean": round(self.early, digits),
            "late_mean": round(self.late, digits),
            "early_steps": list(self.early_steps),
            "late_steps": list(self.late_steps),
            "slope_per_step": round(self.slope, 6),
        }


@dataclass
class Series:
    """``metrics[name][i]`` is the value of ``name`` at ``steps[i]`` (None: not logged at that step).

    ``examples[name][step]`` holds a few completions behind a per-rollout metric (looping or hedging
    completions, errors), for the evidence of a finding. ``source`` says where the numbers came from.
    """

    steps: list[int]
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    examples: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], source: str = "") -> Series:
        """``rows`` of ``{"step": n, metric: value, ...}`` (one row per step; later rows win)."""
        by_step: dict[int, dict[str, float]] = {}
        for row in rows:
            step = int(row["step"])
            slot = by_step.setdefault(step, {})
            for k, v in row.items():
                if k != "step" and v is not None:
                    slot[k] = float(v)
        steps = sorted(by_step)
        names = sorted({k for r in by_step.values() for k in r})
        metrics = {n: [by_step[s].get(n) for s in steps] for n in names}
        return cls(steps=steps, metrics=metrics, source=source)

    def names(self) -> list[str]:
        return sorted(n for n, vs in self.metrics.items() if any(v is not None for v in vs))

    def points(self, name: str) -> tuple[list[int], list[float]]:
        """Steps and values where ``name`` is logged and finite."""
        vs = self.metrics.get(name, [])
        pts = [
            (s, float(v)) for s, v in zip(self.steps, vs, strict=False) if v is not None and np.isfinite(v)
        ]
        return [p[0] for p in pts], [p[1] for p in pts]

    def window(self, name: str, *, min_points: int = 4, fraction: float = 1 / 3) -> Window:
        """Early/late means of ``name`` over its first and last ``fraction`` of logged points.

        Raises :class:`Missing` when it is logged at fewer than ``min_points`` steps."""
        steps, values = self.points(name)
        if len(values) < min_points:
            raise Missing(f"`{name}` is logged at {len(values)} steps; at least {min_points} are needed")
        k = max(1, round(len(values) * fraction))
        return Window(
            name=name,
            steps=tuple(steps),
            values=tuple(values),
            early=float(np.mean(values[:k])),
            late=float(np.mean(values[-k:])),
            early_steps=(steps[0], steps[k - 1]),
            late_steps=(steps[-k], steps[-1]),
        )

    def prefixed(self, prefix: str) -> list[str]:
        return [n for n in self.names() if n.startswith(prefix)]

    def merge(self, other: Series) -> Series:
        """This series with ``other``'s metrics added where this one does not log them."""
        steps = sorted(set(self.steps) | set(other.steps))
        metrics: dict[str, list[float | None]] = {}
        for src in (other, self):  # self last: its values win
            for name in src.names():
                col = dict(zip(src.steps, src.metrics[name], strict=False))
                metrics[name] = [col.get(s) for s in steps]
        examples = {**other.examples, **self.examples}
        source = " + ".join(s for s in (self.source, other.source) if s)
        return Series(steps=steps, metrics=metrics, examples=examples, source=source)

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {"steps": self.points(name)[0], "values": self.points(name)[1]} for name in self.names()
        }
