"""Score a file of rollouts into a file of scored rows: what ``rewardlab score`` and the demo run.

Rows stream from the input through a runner to the writer, so memory stays flat on any number of rows;
a row that cannot be read or mapped becomes a result with a ``SampleError`` naming its line or index,
and is written like any other (one output row per input row, nothing lost).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from rewardlab.core.spec import RewardSpec
from rewardlab.core.types import ErrorInfo, RewardResult
from rewardlab.errors import ConfigError
from rewardlab.io import BadRow, RowWriter, count_rows, read_rows, row_to_sample, same_file, scored_row
from rewardlab.report import Summary
from rewardlab.runner import RunnerSettings, make_runner
from rewardlab.runner.factory import Backend


def score_file(
    input: str | Path,
    out_path: str | Path,
    spec: RewardSpec,
    settings: RunnerSettings | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    with_info: bool = False,
    limit: int | None = None,
    group_by: str | None = None,
    progress: bool | None = None,
    backend: Backend = "local",
    ray_address: str | None = None,
    console: Console | None = None,
    **overrides: Any,
) -> Summary:
    """Score every row of ``input`` (``.jsonl``, ``.jsonl.gz``, ``.parquet``) into ``out_path``.

    ``out_path`` appears only when every row was written (a temporary file is renamed at the end): an
    error or Ctrl-C leaves it as it was. ``out_path`` may not be the input itself (or a link to it).

    ``spec`` is anything :func:`~rewardlab.as_reward` accepts; runner settings come from its ``[runner]``
    table (or ``settings``) with ``overrides`` (``workers=``, ``timeout=``, ``on_error=``; None = unset)
    on top. ``mapping`` renames columns (``{"completion": "solution"}``). A progress bar is shown on a
    terminal (``progress=None``) or when asked. Returns the :class:`~rewardlab.report.Summary`.

    ``group_by`` names the column that groups rows for group rewards: its value becomes
    ``metadata["group"]``, and each group's size (counted in a first pass over the file) becomes
    ``metadata["group_size"]``, so a group whose rows are not next to each other is refused, never
    scored as two smaller groups. A row without the column is an error naming it.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if same_file(input, out_path):
        raise ConfigError(f"--out {str(out_path)!r} is the input file: scoring would overwrite what it reads")
    mapping = dict(mapping or {})
    err = console or Console(stderr=True)
    total = count_rows(Path(input)) if Path(input).is_file() else None
    if limit is not None and total is not None:
        total = min(total, limit)
    sizes = _group_sizes(input, group_by, limit) if group_by else {}
    rows = read_rows(input)
    pending: deque[dict[str, Any]] = deque()

    def samples() -> Iterator[Any]:
        for i, row in enumerate(rows):
            if limit is not None and i >= limit:
                return
            if isinstance(row, BadRow):
                pending.append({"_line": row.line, "_raw": row.text})
                yield RewardResult.failure(ErrorInfo("SampleError", f"line {row.line}: {row.reason}"))
                continue
            pending.append(row)
            try:
                sample = row_to_sample(row, mapping)
                if group_by:
                    if group_by not in row:
                        raise KeyError(f"row has no column {group_by!r} (--group-by)")
                    key = _hashable(row[group_by])
                    meta = dict(sample.get("metadata") or {})
                    meta.update(group=key, group_size=sizes.get(key, 0))
                    sample["metadata"] = meta
                yield sample
            except KeyError as exc:
                yield RewardResult.failure(ErrorInfo("SampleError", f"row {i}: {exc.args[0]}"))

    summary = Summary()
    show = err.is_terminal if progress is None else progress
    start = time.perf_counter()
    runner = make_runner(spec, settings, backend=backend, ray_address=ray_address, **overrides)
    with runner, RowWriter(out_path) as writer:
        bar = Progress(
            TextColumn("scoring"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not show,
        )
        with bar:
            task = bar.add_task("score", total=total)
            for result in runner.imap(samples()):
                writer.write(scored_row(pending.popleft(), result, with_info=with_info))
                summary.add(result)
                bar.advance(task)
    summary.seconds = time.perf_counter() - start
    summary.stats = runner.stats
    return summary


def _hashable(value: Any) -> Any:
    """A group key as JSON gives it, made hashable (lists become tuples, objects their sorted JSON)."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True)
    return value


def _group_sizes(input: str | Path, column: str, limit: int | None) -> dict[Any, int]:
    """Rows per value of ``column`` (a first pass over the file)."""
    sizes: dict[Any, int] = {}
    for i, row in enumerate(read_rows(input)):
        if limit is not None and i >= limit:
            break
        if isinstance(row, BadRow) or column not in row:
            continue
        key = _hashable(row[column])
        sizes[key] = sizes.get(key, 0) + 1
    return sizes
