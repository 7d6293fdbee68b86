"""Reading and writing scored rows (JSON lines, gzip'd JSON lines, parquet) for the CLI.

Rows stream in and out, so memory stays flat however long the file is. A line that is not valid JSON
is not fatal: it becomes a row whose ``error`` names the line and the reason, and scoring goes on.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from rewardlab.core.types import SAMPLE_KEYS, RewardResult
from rewardlab.errors import ConfigError, DependencyError


@dataclass
class BadRow:
    """A line of input that could not be read as a JSON object."""

    line: int
    reason: str
    text: str


def _format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise ConfigError(f"{path}: unsupported file type (use .jsonl, .jsonl.gz or .parquet)")


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8"))
    return open(path, mode, encoding="utf-8")


def count_rows(path: Path) -> int | None:
    """Number of rows, cheaply (None when unknown)."""
    if _format(path) == "parquet":
        pq = _pyarrow_parquet()
        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.name.lower().endswith(".gz"):
        return None
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def read_rows(path: str | Path) -> Iterator[dict[str, Any] | BadRow]:
    """Yield each row as a dict, or a :class:`BadRow` for a line that is not a JSON object."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"input file {str(path)!r} does not exist")
    if _format(path) == "parquet":
        pq = _pyarrow_parquet()
        for batch in pq.ParquetFile(path).iter_batches(batch_size=2048):
            yield from batch.to_pylist()
        return
    with _open_text(path, "r") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRow(lineno, f"invalid JSON: {exc.msg} at column {exc.colno}", line[:200])
                continue
            if not isinstance(row, dict):
                yield BadRow(lineno, f"expected a JSON object, got {type(row).__name__}", line[:200])
                continue
            yield row


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """``["completion=solution", "reference=answer"]`` -> ``{"completion": "solution", ...}``."""
    mapping: dict[str, str] = {}
    problems = []
    for item in items or []:
        key, sep, column = item.partition("=")
        key, column = key.strip(), column.strip()
        if not sep or not key or not column:
            problems.append(f"--map {item!r}: expected FIELD=COLUMN, e.g. completion=solution")
        elif key not in SAMPLE_KEYS:
            problems.append(f"--map {item!r}: {key!r} is not a sample field ({', '.join(SAMPLE_KEYS)})")
        else:
            mapping[key] = column
    if problems:
        raise ConfigError(problems, where="column map")
    return mapping


def row_to_sample(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The sample fields of a row (after renaming); other columns are passed through untouched."""
    out: dict[str, Any] = {}
    for key in SAMPLE_KEYS:
        column = mapping.get(key, key)
        if column in row:
            out[key] = row[column]
        elif key == "completion":
            hint = f" (mapped from {column!r})" if key in mapping else " (use --map completion=COLUMN)"
            raise KeyError(f"row has no column {column!r}{hint}")
    return out


def scored_row(row: Mapping[str, Any], result: RewardResult, *, with_info: bool = False) -> dict[str, Any]:
    """The input row with the result's fields (:meth:`RewardResult.to_dict`) added."""
    return {**row, **result.to_dict(with_info=with_info)}


class RowWriter:
    """Write scored rows to ``.jsonl`` / ``.jsonl.gz`` (streamed) or ``.parquet`` (in row groups)."""

    def __init__(self, path: str | Path, batch_size: int = 4096) -> None:
        self.path = Path(path)
        self.kind = _format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._batch: list[dict[str, Any]] = []
        self._batch_size = batch_size
        self._writer: Any = None
        self._schema: Any = None
        self._f: IO[str] | None = _open_text(self.path, "w") if self.kind == "jsonl" else None

    def write(self, row: dict[str, Any]) -> None:
        if self._f is not None:
            self._f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            return
        self._batch.append(row)
        if len(self._batch) >= self._batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        pa = _pyarrow()
        pq = _pyarrow_parquet()
        rows = [_parquet_row(r) for r in self._batch]
        if self._schema is None:
            table = pa.Table.from_pylist(rows)
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.path, self._schema)
        else:
            table = pa.Table.from_pylist(rows, schema=self._schema)
        self._writer.write_table(table)
        self._batch = []

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            return
        self._flush()
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    # Components have per-spec keys and info is free-form: store them as JSON text so every row group
    # shares one schema.
    out = dict(row)
    for key in ("components", "info"):
        if key in out and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], default=str)
    return out


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DependencyError("parquet needs pyarrow: pip install 'rewardlab[io]'") from exc
    return pyarrow


def _pyarrow_parquet() -> Any:
    _pyarrow()
    import pyarrow.parquet as pq

    return pq
