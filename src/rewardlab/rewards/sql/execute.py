"""Running one SQL query on a real SQLite database, safely: read-only, bounded in time, rows and size.

:func:`run_query` opens a fresh connection per call (no connection is kept, so rewards stay picklable
and a query can never see another's state):

- read-only twice over: the database is opened with a ``file:...?mode=ro`` URI, and an authorizer lets a
  statement only read (SELECT, reading columns, calling functions, recursive CTEs): ``ATTACH``,
  ``PRAGMA``, writes and schema changes fail at prepare time as "not authorized";
- a statement deadline: a progress handler runs every ``_PROGRESS_STEPS`` virtual-machine instructions
  and interrupts the query once ``timeout`` seconds have passed. It works in any thread (no signals),
  and it stops CPU-bound runaways (a cartesian product of big tables, an unbounded recursive CTE) as well
  as slow ones;
- a row cap: at most ``max_rows`` rows are fetched; a query that returns more is stopped
  (:class:`QueryError` with ``kind="too_many_rows"``);
- a size cap: a single string or blob longer than ``max_value_bytes`` is refused by SQLite itself
  (``SQLITE_LIMIT_LENGTH``), so ``zeroblob(1e9)`` cannot take a gigabyte of memory.

Text that is not valid UTF-8 (a few Spider databases have some) is decoded with replacement characters
instead of failing the whole query.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from rewardlab.errors import QueryError

_PROGRESS_STEPS = 1000
# Authorizer action codes (sqlite3.SQLITE_* constants) a read-only query needs.
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}

Rows = list[tuple[Any, ...]]


def _read_only(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def connect_read_only(db_path: str | Path, *, max_value_bytes: int = 10_000_000) -> sqlite3.Connection:
    """A read-only connection to an existing database file (``FileNotFoundError`` if it does not exist)."""
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"database file not found: {path}")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=True)
    conn.text_factory = _decode
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_value_bytes)
    conn.set_authorizer(_read_only)
    return conn


def run_query(
    db_path: str | Path,
    sql: str,
    *,
    timeout: float = 5.0,
    max_rows: int = 10_000,
    max_value_bytes: int = 10_000_000,
) -> Rows:
    """Execute ``sql`` on ``db_path`` and return its rows (tuples), within ``timeout`` s and ``max_rows``.

    Raises :class:`QueryError` when the query fails (``kind="sqlite"``, SQLite's message), runs past its
    deadline (``"timeout"``) or returns more than ``max_rows`` rows (``"too_many_rows"``);
    ``FileNotFoundError`` when the database file does not exist.
    """
    conn = connect_read_only(db_path, max_value_bytes=max_value_bytes)
    deadline = time.monotonic() + timeout

    def past_deadline() -> int:
        return 1 if time.monotonic() > deadline else 0

    conn.set_progress_handler(past_deadline, _PROGRESS_STEPS)
    try:
        cursor = conn.execute(sql)
        rows = cursor.fetchmany(max_rows + 1)
    except (sqlite3.Error, sqlite3.Warning, ValueError) as exc:  # Warning: several statements
        if time.monotonic() > deadline:
            raise QueryError("timeout", f"query exceeded its {timeout:g} s statement timeout") from None
        raise QueryError("sqlite", f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
    if len(rows) > max_rows:
        raise QueryError("too_many_rows", f"query returned more than max_rows={max_rows} rows")
    return rows
