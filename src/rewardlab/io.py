"""Reading and writing scored rows (JSON lines, gzip'd JSON lines, parquet) for the CLI.

Rows stream in and out, so memory stays flat however long the file is. A line that is not valid JSON
is not fatal: it becomes a row whose ``error`` names the line and the reason, and scoring goes on.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import zlib
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
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # corrupt: read_rows says so, with the place
            return None
    if path.name.lower().endswith(".gz"):
        return None
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def read_rows(path: str | Path) -> Iterator[dict[str, Any] | BadRow]:
    """Yield each row as a dict, or a :class:`BadRow` for a line that is not a JSON object.

    A line that is not UTF-8, not JSON, nested too deep or holding a lone surrogate is a :class:`BadRow`
    naming its line; a file that cannot be read on (a truncated gzip, a corrupt parquet) raises a
    :class:`~rewardlab.ConfigError` naming the last good line. A UTF-8 byte-order mark is accepted.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"input file {str(path)!r} does not exist")
    if _format(path) == "parquet":
        yield from _read_parquet(path)
        return
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lineno = 0
    try:
        with opener(path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                yield _row(raw, lineno)
    except (EOFError, OSError, zlib.error) as exc:
        raise ConfigError(f"{path}: cannot read past line {lineno} ({type(exc).__name__}: {exc})") from None


def _row(raw: bytes, lineno: int) -> dict[str, Any] | BadRow:
    preview = raw[:200].decode("utf-8", "replace")
    try:
        line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return BadRow(lineno, f"not valid UTF-8 (byte {exc.start})", preview)
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadRow(lineno, f"invalid JSON: {exc.msg} at column {exc.colno}", preview)
    except RecursionError:
        return BadRow(lineno, "JSON nested too deeply", preview)
    if not isinstance(row, dict):
        return BadRow(lineno, f"expected a JSON object, got {type(row).__name__}", preview)
    if "\\ud" in line.lower():  # an escaped surrogate: a lone one cannot be written back as UTF-8
        try:
            json.dumps(row, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return BadRow(lineno, "holds a lone UTF-16 surrogate (not text)", preview)
    return row


def _read_parquet(path: Path) -> Iterator[dict[str, Any]]:
    pa = _pyarrow()
    pq = _pyarrow_parquet()
    done = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=2048):
            rows = batch.to_pylist()
            yield from rows
            done += len(rows)
    except (pa.ArrowException, OSError) as exc:
        raise ConfigError(f"{path}: not a readable parquet file after row {done} ({exc})") from None


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
    """Write scored rows to ``.jsonl`` / ``.jsonl.gz`` (streamed) or ``.parquet`` (in row groups).

    Rows go to a temporary file next to ``path`` that is renamed to ``path`` only when :meth:`close` is
    reached without an error: an interrupted or failed run never leaves a half-written file under the
    final name (nor truncates an existing one). ``rows`` counts the rows written so far.
    """

    def __init__(self, path: str | Path, batch_size: int = 4096) -> None:
        self.path = Path(path)
        self.kind = _format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        self.rows = 0
        self._batch: list[dict[str, Any]] = []
        self._batch_size = batch_size
        self._writer: Any = None
        self._schema: Any = None
        self._f: IO[str] | None = _open_text(self.tmp, "w") if self.kind == "jsonl" else None

    def write(self, row: dict[str, Any]) -> None:
        if self._f is not None:
            self._f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            self.rows += 1
            return
        self._batch.append(row)
        if len(self._batch) >= self._batch_size and (self._schema is not None or self._typed()):
            self._flush()

    def _typed(self) -> bool:
        """Every column has held a value (so its parquet type is known), or the buffer is large enough
        that a column never seen with a value is stored as text."""
        if len(self._batch) >= MAX_UNTYPED_ROWS:
            return True
        seen = {k for r in self._batch for k, v in r.items() if v is not None}
        return all(k in seen for r in self._batch[:1] for k in r)

    def _flush(self) -> None:
        if not self._batch:
            return
        pa = _pyarrow()
        pq = _pyarrow_parquet()
        rows = [_parquet_row(r) for r in self._batch]
        if self._schema is None:
            inferred = pa.Table.from_pylist(rows).schema
            # rewardlab's own columns have one type whatever the first rows hold (an error row, no reward);
            # a column that only ever held null so far is text
            owned = {
                "reward": pa.float64(),
                "components": pa.string(),
                "error": pa.string(),
                "info": pa.string(),
                "step_scores": pa.list_(pa.float64()),
            }
            fields = [
                pa.field(f.name, owned[f.name])
                if f.name in owned
                else (pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f)
                for f in inferred
            ]
            self._schema = pa.schema(fields)
            self._writer = pq.ParquetWriter(self.tmp, self._schema)
        try:
            table = pa.Table.from_pylist(rows, schema=self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            first = self.rows + 1
            raise ConfigError(
                f"{self.path}: rows {first}-{first + len(rows) - 1} do not fit the parquet schema of the rows "
                f"before them ({exc}); parquet needs one type per column, write .jsonl instead"
            ) from None
        self._writer.write_table(table)
        self.rows += len(rows)
        self._batch = []

    def close(self) -> None:
        """Finish the file and move it to its final name."""
        if self._f is not None:
            self._f.close()
            self._f = None
        else:
            self._flush()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            elif not self.tmp.exists():  # no rows at all: an empty, valid parquet file
                pa = _pyarrow()
                _pyarrow_parquet().write_table(pa.table({}), self.tmp)
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """Drop what was written: the final name is left as it was."""
        with contextlib.suppress(Exception):
            if self._f is not None:
                self._f.close()
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


MAX_UNTYPED_ROWS = 1 << 16


def same_file(a: str | Path, b: str | Path) -> bool:
    """``a`` and ``b`` name the same file (also through a hard or symbolic link)."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    # Components have per-spec keys, info is free-form and error is a small record: store them as JSON
    # text so that every row group shares one schema.
    out = dict(row)
    for key in ("components", "info", "error"):
        if key in out and out[key] is not None and not isinstance(out[key], str):
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
