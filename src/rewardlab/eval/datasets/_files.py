"""Records from a file (a JSON array, JSON lines, gzip'd either way) and the bookkeeping every reader shares."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from rewardlab.errors import ConfigError

T = TypeVar("T")


class RowProblem(ValueError):
    """Raised by a row parser: the row cannot be read, for the reason given."""


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read: its 0-based ``index`` in the file and why."""

    index: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "reason": self.reason}


@dataclass
class Loaded(Generic[T]):
    """What a reader returns: the rows it could read, the ones it could not, and where they came from."""

    rows: list[T]
    bad: list[BadRecord] = field(default_factory=list)
    path: str = ""
    sha256: str = ""
    format: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "rows": len(self.rows),
            "malformed": len(self.bad),
            "malformed_rows": [b.as_dict() for b in self.bad[:50]],
        }


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ConfigError(f"{path}: not a readable gzip file ({exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(index, record)`` for every record of ``path``; a JSON-lines line that is not JSON is yielded as a
    :class:`BadRecord`. A ``.json`` file holds an array (or an object whose only list value is the array)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"data file {str(p)!r} does not exist")
    text = _text(p)
    stripped = text.lstrip()
    if p.name.endswith((".json", ".json.gz")) or stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(data, Mapping):
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise ConfigError(f"{p}: expected a JSON array of records (or an object holding one)")
            data = lists[0]
        if not isinstance(data, list):
            raise ConfigError(f"{p}: expected a JSON array of records, got {type(data).__name__}")
        yield from enumerate(data)
        return
    index = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield index, json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            yield index, BadRecord(index, f"line {lineno}: invalid JSON: {reason}")
        index += 1


def load(path: str | Path, parse: Callable[[int, Mapping[str, Any]], T], fmt: str) -> Loaded[T]:
    """Run ``parse(index, row)`` on every record of ``path``; a record that is not an object, or whose
    parser raises :class:`RowProblem`, is a :class:`BadRecord` (counted, never dropped silently)."""
    if not Path(path).is_file():
        raise ConfigError(f"data file {str(path)!r} does not exist")
    out: Loaded[T] = Loaded(rows=[], path=str(path), sha256=sha256_of(path), format=fmt)
    for index, rec in records(path):
        if isinstance(rec, BadRecord):
            out.bad.append(rec)
            continue
        if not isinstance(rec, Mapping):
            out.bad.append(BadRecord(index, f"expected a JSON object, got {type(rec).__name__}"))
            continue
        try:
            out.rows.append(parse(index, rec))
        except RowProblem as exc:
            out.bad.append(BadRecord(index, str(exc)))
    return out


def first_record(path: str | Path) -> Mapping[str, Any] | None:
    for _, rec in records(path):
        if isinstance(rec, Mapping):
            return rec
    return None


def text_of(value: Any, what: str) -> str:
    """A response as text: a string, or the content of the last message of a chat list."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value):
        content = value[-1].get("content")
        if isinstance(content, str):
            return content
    raise RowProblem(f"'{what}' must be text or a list of chat messages, got {type(value).__name__}")


def need(row: Mapping[str, Any], *keys: str) -> None:
    missing = [k for k in keys if row.get(k) is None]
    if missing:
        raise RowProblem(f"missing field(s) {', '.join(repr(k) for k in missing)}")


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowProblem(f"'{what}' must be a number, got {value!r}")
    return float(value)
