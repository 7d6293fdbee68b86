"""What every ``rewardlab`` command shares: the consoles and how a usage or data error ends a command."""

from __future__ import annotations

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
