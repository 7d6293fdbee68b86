"""Running queries safely on a real SQLite file, and comparing results.

Uses the bundled Spider ``concert_singer`` database (src/rewardlab/data/concert_singer.sqlite).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab.rewards.sql.execute import QueryError, run_query
from rewardlab.rewards.sql.match import results_match

DB = Path(rl.__file__).parent / "data" / "concert_singer.sqlite"


def digest() -> str:
    return hashlib.sha256(DB.read_bytes()).hexdigest()


def test_bundled_database_is_small_and_real() -> None:
    assert DB.stat().st_size < 1_000_000
    assert run_query(DB, "SELECT count(*) FROM singer") == [(6,)]
    assert run_query(DB, "SELECT name FROM stadium ORDER BY capacity DESC LIMIT 1") == [("Hampden Park",)]


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE singer",
        "DELETE FROM singer",
        "INSERT INTO singer (Singer_ID) VALUES (99)",
        "UPDATE singer SET age = 0",
        "CREATE TABLE x (a)",
        "ATTACH DATABASE 'elsewhere.db' AS x",
        "PRAGMA writable_schema = 1",
        "SELECT load_extension('x')",
    ],
)
def test_anything_but_reading_is_refused(sql: str) -> None:
    before = digest()
    with pytest.raises(QueryError) as info:
        run_query(DB, sql)
    assert info.value.kind == "sqlite" and "not authorized" in str(info.value)
    assert digest() == before


def test_sqlite_errors_are_query_errors() -> None:
    for sql, message in (
        ("SELECT nope FROM singer", "no such column: nope"),
        ("SELECT * FROM singer GROUP BY name WHERE age > 1", 'near "WHERE": syntax error'),
        ("SELECT 1; SELECT 2", "one statement at a time"),
        ("SELECT zeroblob(100000000)", "too big"),
    ):
        with pytest.raises(QueryError, match=message) as info:
            run_query(DB, sql)
        assert info.value.kind == "sqlite"


def test_missing_database_file() -> None:
    with pytest.raises(FileNotFoundError, match="database file not found"):
        run_query(DB.parent / "wta_1.sqlite", "SELECT 1")


@pytest.mark.parametrize(
    "sql",
    [
        # a cartesian product: 10^10 rows to count
        "SELECT count(*) FROM singer_in_concert a, singer_in_concert b, singer_in_concert c, singer_in_concert d, "
        "singer_in_concert e, singer_in_concert f, singer_in_concert g, singer_in_concert h, singer_in_concert i, "
        "singer_in_concert j",
        # an unbounded recursive CTE
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
        # sorting a cross join of 6^12 rows
        "SELECT a.name FROM "
        + ", ".join(f"singer t{i}" for i in range(11))
        + ", singer a ORDER BY random() LIMIT 1",
    ],
)
def test_runaway_queries_stop_at_their_timeout(sql: str) -> None:
    start = time.monotonic()
    with pytest.raises(QueryError, match=r"exceeded its 0\.3 s statement timeout") as info:
        run_query(DB, sql, timeout=0.3)
    elapsed = time.monotonic() - start
    assert info.value.kind == "timeout"
    assert 0.3 <= elapsed < 3.0


def test_row_cap() -> None:
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n"
    with pytest.raises(QueryError, match="more than max_rows=100 rows") as info:
        run_query(DB, endless, max_rows=100)
    assert info.value.kind == "too_many_rows"
    assert len(run_query(DB, "SELECT * FROM singer", max_rows=6)) == 6


# --- result comparison --------------------------------------------------------------------------------


def test_row_order_matters_only_when_ordered() -> None:
    a, b = [(1, "x"), (2, "y")], [(2, "y"), (1, "x")]
    assert results_match(a, b, ordered=False)
    assert not results_match(a, b, ordered=True)
    assert results_match(a, a, ordered=True)


def test_duplicates_count() -> None:
    assert not results_match([("x",), ("x",), ("y",)], [("x",), ("y",)], ordered=False)
    assert not results_match([("x",), ("x",), ("y",)], [("x",), ("y",), ("y",)], ordered=False)
    assert results_match([("x",), ("y",), ("x",)], [("x",), ("x",), ("y",)], ordered=False)


def test_numbers_compare_with_tolerance() -> None:
    assert results_match([(1,)], [(1.0,)], ordered=False)
    assert results_match([(0.1 + 0.2, "a"), (5.0, "b")], [(5, "b"), (0.3, "a")], ordered=False)
    assert results_match([(33.333333333,)], [(33.3333333334,)], ordered=True)
    assert not results_match([(33.3,)], [(33.4,)], ordered=False)
    assert not results_match([(1.0,)], [(1.001,)], ordered=False, rel_tol=1e-6)
    assert results_match([(1.0,)], [(1.001,)], ordered=False, rel_tol=1e-2)
    # values of different kinds never match: '1' is not 1, NULL is only NULL
    assert not results_match([("1",)], [(1,)], ordered=False)
    assert not results_match([(None,)], [(0,)], ordered=False)
    assert results_match([(None, 1.5)], [(None, 1.5000000001)], ordered=False)


def test_column_order() -> None:
    gold, swapped = [("Joe", 52), ("Ann", 41)], [(41, "Ann"), (52, "Joe")]
    assert not results_match(gold, swapped, ordered=False)
    assert results_match(gold, swapped, ordered=False, column_order="any")
    assert not results_match(gold, [(41, "Joe"), (52, "Ann")], ordered=False, column_order="any")
    assert not results_match(gold, [("Joe",), ("Ann",)], ordered=False, column_order="any")


def test_empty_and_shape() -> None:
    assert results_match([], [], ordered=True)
    assert not results_match([(1,)], [], ordered=False)
    assert not results_match([(1, 2)], [(1,)], ordered=False)
