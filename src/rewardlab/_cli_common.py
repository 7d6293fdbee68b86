"""What every ``rewardlab`` command shares: the consoles and how a usage or data error ends a command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()


def _on_error(value: str) -> str | float:
    if value in ("record", "raise"):
        return value
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(f"expected 'record', 'raise' or a penalty number, got {value!r}") from None


def _fail(exc: Exception, code: int = 2) -> None:
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def training_outputs(out_dir: Path, *, plot: bool, metric: str = "accuracy") -> dict[str, Any]:
    """After ``rewardlab train``: say what the data report holds (bad rows skipped, truncation counts),
    draw the training curve and the HTML report into ``out_dir`` (``plot``), return ``training.json``."""
    import json

    report: dict[str, Any] = json.loads((out_dir / "training.json").read_text(encoding="utf-8"))
    bad = report["data"]["bad_rows"]
    if bad:
        err.print(
            f"[yellow]{bad} bad row(s) skipped[/] (reasons: {report['data']['bad_by_reason']}); see training.json"
        )
    for split, counts in report.get("truncation", {}).items():
        if counts.get("truncated") or counts.get("dropped"):
            err.print(
                f"{split}: {counts['truncated']} truncated ({counts['truncated_into_response']} into the response, "
                f"{counts['identical_after_truncation']} identical after), {counts['dropped']} dropped",
                highlight=False,
            )
    if plot:
        try:
            from rewardlab.report.training import read_metrics, training_report, write_training_png

            write_training_png(
                read_metrics(out_dir / "metrics.jsonl"), out_dir / "training-curve.png", metric=metric
            )
            training_report(out_dir, metric=metric).write(out_dir / "report.html")
        except ImportError as exc:
            err.print(f"[yellow]no training curve:[/] {exc}")
    return report
