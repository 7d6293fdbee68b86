"""Taking SQL out of completions, and the execution-free partial rewards (pure functions)."""

from __future__ import annotations

import pytest

from rewardlab.rewards.sql import extract_sql
from rewardlab.rewards.sql.match import gold_orders
from rewardlab.rewards.sql.partial import (
    jaccard,
    ngram_similarity,
    ngrams,
    schema_items,
    sql_tokens,
    syntax_ok,
)

EXTRACT = [
    ("SELECT count(*) FROM singer", "SELECT count(*) FROM singer", "raw"),
    ("  SELECT 1;  \n", "SELECT 1", "raw"),
    ("Here:\n```sql\nSELECT name FROM singer;\n```\nDone.", "SELECT name FROM singer", "sql_fence"),
    ("```SQL\nSELECT 1\n```", "SELECT 1", "sql_fence"),
    # the last ```sql block wins over earlier ones and over other languages
    (
        "```sql\nSELECT 1\n```\nbetter:\n```sql\nSELECT 2\n```\n```python\nprint(3)\n```",
        "SELECT 2",
        "sql_fence",
    ),
    ("```\nSELECT 3\n```", "SELECT 3", "fence"),
    ("draft ```\nSELECT 1\n``` final ```\nSELECT 4\n```", "SELECT 4", "fence"),
    ("<think>```sql\nSELECT 0\n```</think><answer>```sql\nSELECT 5\n```</answer>", "SELECT 5", "sql_fence"),
    ("<think>maybe</think><answer>SELECT 6</answer>", "SELECT 6", "raw"),
    ("```sql\nSELECT name FROM singer WHERE age > 3", "SELECT name FROM singer WHERE age > 3", "sql_fence"),
]


@pytest.mark.parametrize(("text", "sql", "source"), EXTRACT)
def test_extract_sql(text: str, sql: str, source: str) -> None:
    assert extract_sql(text) == (sql, source)


@pytest.mark.parametrize("text", ["", "   ", ";", "```sql\n```", "<answer> ; </answer>"])
def test_no_sql(text: str) -> None:
    assert extract_sql(text) is None


@pytest.mark.parametrize(
    ("sql", "ordered"),
    [
        ("SELECT name FROM singer ORDER BY age DESC", True),
        ("SELECT name FROM singer", False),
        (
            "SELECT count(*) FROM concert WHERE stadium_id = (SELECT stadium_id FROM stadium ORDER BY capacity DESC LIMIT 1)",
            False,
        ),
        ("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1", True),
        ("SELECT a FROM t EXCEPT SELECT a FROM u", False),
        ("WITH c AS (SELECT 1 AS x) SELECT x FROM c ORDER BY x", True),
        ("(SELECT a FROM t ORDER BY a)", True),
        ("SELECT name FROM singer LIMIT 3", False),
        # sqlglot cannot parse these: the text scan decides, ignoring parentheses and quotes
        ("SELECT name FROM singer ORDER BY age BETWEEN", True),
        ("SELECT 'order by' FROM t WHERE x IN (SELECT y FROM u ORDER BY y LIMIT 1) BETWEEN", False),
    ],
)
def test_gold_orders(sql: str, ordered: bool) -> None:
    assert gold_orders(sql) is ordered


def test_syntax_ok_is_sqlglots_parse() -> None:
    assert syntax_ok("SELECT name FROM singer WHERE age > 20")
    assert not syntax_ok("SELECT name FROM singer WHERE")
    assert not syntax_ok("SELECT 1; SELECT 2")  # one statement only
    assert not syntax_ok("")
    # sqlglot is lenient: it accepts a WHERE after GROUP BY, which SQLite rejects (hence `executable`)
    assert syntax_ok("SELECT x FROM t GROUP BY x WHERE y = 1")


def test_schema_items() -> None:
    sql = (
        "WITH c AS (SELECT name AS n, singer_id FROM singer) "
        "SELECT T1.n, count(*) AS k FROM c AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id "
        "GROUP BY T1.n ORDER BY k"
    )
    # the CTE name c and the output aliases n, k are not schema
    assert schema_items(sql) == {"table:singer", "table:singer_in_concert", "column:name", "column:singer_id"}
    assert schema_items("SELECT 1") == frozenset()
    assert schema_items("SELECT FROM WHERE") is None


def test_jaccard_and_ngrams_by_hand() -> None:
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard(set(), set()) == 1.0 and jaccard({1}, set()) == 0.0
    assert sql_tokens("SELECT Name FROM singer WHERE country = 'France' AND age>=20") == [
        "select", "name", "from", "singer", "where", "country", "=", "'France'", "and", "age", ">=", "20",
    ]  # fmt: skip
    assert ngrams(["a", "b", "c"], 2) == {("a", "b"), ("b", "c")}
    assert ngrams(["a"], 2) == {("a",)} and ngrams([], 2) == frozenset()
    # bigrams: {select name, name from, from singer} vs {select age, age from, from singer}: 1 of 5 shared
    assert ngram_similarity("SELECT name FROM singer", "select AGE from SINGER") == pytest.approx(1 / 5)
    assert ngram_similarity("SELECT name FROM singer", "SELECT  name\nFROM singer;") == pytest.approx(3 / 4)
    assert ngram_similarity("SELECT name FROM singer", "SELECT name FROM singer") == 1.0
