"""Summaries of scored rows: mean/std per component, error rate, throughput (a rich table)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rewardlab.core.types import RewardResult


@dataclass
class _Moments:
    """Streaming mean and variance (Welford), so summaries need no stored scores."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else 0.0


@dataclass
class Summary:
    rows: int = 0
    errors: int = 0
    seconds: float = 0.0
    reward: _Moments = field(default_factory=_Moments)
    components: dict[str, _Moments] = field(default_factory=dict)
    error_types: dict[str, int] = field(default_factory=dict)
    stats: Any = None

    def add(self, result: RewardResult) -> None:
        self.rows += 1
        if result.error is not None:
            self.errors += 1
            self.error_types[result.error.type] = self.error_types.get(result.error.type, 0) + 1
        if result.score is not None:
            self.reward.add(result.score)
        for name, value in result.components.items():
            self.components.setdefault(name, _Moments()).add(value)

    @property
    def error_rate(self) -> float:
        return self.errors / self.rows if self.rows else 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "error_types": dict(self.error_types),
            "seconds": self.seconds,
            "rows_per_s": self.rows_per_s,
            "reward": {"mean": self.reward.mean, "std": self.reward.std, "n": self.reward.n},
            "components": {k: {"mean": m.mean, "std": m.std, "n": m.n} for k, m in self.components.items()},
        }


def print_summary(summary: Summary, console: Any, title: str = "summary") -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in ("", "n", "mean", "std"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row("reward", str(summary.reward.n), f"{summary.reward.mean:.4f}", f"{summary.reward.std:.4f}")
    for name, m in sorted(summary.components.items()):
        table.add_row(f"  {name}", str(m.n), f"{m.mean:.4f}", f"{m.std:.4f}")
    console.print(table)
    kinds = ", ".join(f"{k}: {v}" for k, v in sorted(summary.error_types.items())) or "none"
    console.print(
        f"rows {summary.rows}  errors {summary.errors} ({summary.error_rate:.2%}; {kinds})  "
        f"{summary.seconds:.2f} s  {summary.rows_per_s:,.0f} rows/s",
        highlight=False,
    )
