"""The ``"sql"`` reward on the bundled Spider ``concert_singer`` database and its 20 sample rows."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab import Sample, score_one
from rewardlab.rewards.sql import SqlReward

DATA = Path(rl.__file__).parent / "data"
DB = DATA / "concert_singer.sqlite"
GOLD = "SELECT name, country, age FROM singer ORDER BY age DESC"


def run(reward: SqlReward, completion: str, sql: str = GOLD, **ref: object) -> rl.RewardResult:
    return reward(Sample(completion=completion, reference={"db_path": str(DB), "sql": sql, **ref}))


def test_the_gold_query_matches_itself() -> None:
    result = run(SqlReward(), f"```sql\n{GOLD};\n```")
    assert result.score == 1.0
    assert result.components == {
        "execution": 1.0,
        "syntax": 1.0,
        "executable": 1.0,
        "schema": 1.0,
        "ngram": 1.0,
    }
    assert result.info == {"sql": GOLD, "source": "sql_fence", "ordered": True, "rows": 6}


def test_a_wrong_query_gets_partial_components_but_scores_zero() -> None:
    # same columns in another order: execution fails (columns compare by position), partials stay high
    result = run(SqlReward(), "SELECT age, name, country FROM singer ORDER BY age DESC")
    assert result.score == 0.0
    assert result.components["execution"] == 0.0 and result.components["executable"] == 1.0
    assert result.components["schema"] == 1.0 and 0 < result.components["ngram"] < 1
    assert (
        run(SqlReward(column_order="any"), "SELECT age, name, country FROM singer ORDER BY age DESC").score
        == 1.0
    )


def test_order_only_when_the_gold_orders() -> None:
    unordered_gold = "SELECT name FROM singer WHERE age > 30"
    assert (
        run(SqlReward(), "SELECT name FROM singer WHERE age > 30 ORDER BY name DESC", unordered_gold).score
        == 1.0
    )
    assert run(SqlReward(), "SELECT name, country, age FROM singer ORDER BY age ASC").score == 0.0


def test_a_failing_prediction_is_zero_with_the_error_in_info() -> None:
    result = run(SqlReward(), "SELECT nme FROM singer")
    assert result.score == 0.0 and result.error is None
    assert result.info["pred_error"] == "OperationalError: no such column: nme"
    assert result.info["pred_error_kind"] == "sqlite"
    assert result.components["executable"] == 0.0 and result.components["syntax"] == 1.0
    runaway = run(
        SqlReward(query_timeout=0.2),
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
    )
    assert runaway.score == 0.0 and runaway.info["pred_error_kind"] == "timeout"


def test_no_sql_is_zero() -> None:
    result = run(SqlReward(), "I don't know.```sql\n```")
    assert result.score == 0.0 and result.info == {"reason": "no_sql"}
    assert set(result.components.values()) == {0.0}


@pytest.mark.parametrize(
    ("reference", "error", "message"),
    [
        ({"db_path": str(DB), "sql": "SELECT nope FROM singer"}, "QueryError", "gold query failed on concert_singer.sqlite"),
        ({"db_path": str(DB), "sql": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n) SELECT count(*) FROM n"},
         "QueryError", "statement timeout"),
        ({"db_path": str(DB.parent / "wta_1.sqlite"), "sql": "SELECT 1"}, "FileNotFoundError", "database file not found"),
        ({"db_id": "wta_1", "db_dir": str(DB.parent), "sql": "SELECT 1"}, "FileNotFoundError", "database 'wta_1' not found"),
        ({"db_id": "concert_singer", "sql": "SELECT 1"}, "ValueError", "no db_dir"),
        ({"db_path": str(DB)}, "ValueError", "gold query in 'sql'"),
        ("SELECT 1", "ValueError", "must be a dict"),
    ],
)  # fmt: skip
def test_a_gold_that_cannot_run_is_an_error(reference: object, error: str, message: str) -> None:
    result = score_one(SqlReward(query_timeout=0.2), Sample(completion="SELECT 1", reference=reference))
    assert result.score is None and result.error is not None
    assert result.error.type == error and message in result.error.message


def test_db_id_in_both_layouts(tmp_path: Path) -> None:
    nested = tmp_path / "concert_singer" / "concert_singer.sqlite"
    nested.parent.mkdir()
    shutil.copyfile(DB, nested)
    sample = Sample(completion=GOLD, reference={"db_id": "concert_singer", "sql": GOLD})
    assert SqlReward(db_dir=str(tmp_path))(sample).score == 1.0  # Spider layout
    assert SqlReward(db_dir=str(DATA))(sample).score == 1.0  # flat layout
    in_ref = Sample(completion=GOLD, reference={"db_id": "concert_singer", "db_dir": str(DATA), "sql": GOLD})
    assert SqlReward()(in_ref).score == 1.0


def test_weights_mix_the_components() -> None:
    reward = SqlReward(weights={"execution": 3, "syntax": 1, "schema": 1})
    assert run(reward, GOLD).score == 5.0
    wrong = run(reward, "SELECT name FROM stadium")
    assert wrong.score == pytest.approx(0 + 1 + wrong.components["schema"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query_timeout": 0}, "`query_timeout` of sql must be a number > 0, got 0"),
        ({"max_rows": 1.5}, "`max_rows` of sql must be an integer > 0, got 1.5"),
        ({"column_order": "loose"}, "`column_order` of sql must be 'strict' or 'any'"),
        ({"weights": {"execution": 1, "judge": 1}}, "unknown component(s) ['judge']"),
        ({"weights": {"execution": float("nan")}}, "weight of 'execution' must be a finite number"),
        ({"weights": {}}, "`weights` of sql must be a non-empty table"),
        ({"rel_tol": -1}, "`rel_tol` of sql must be a number >= 0"),
        ({"timeout": 3}, "has no option 'timeout'"),
    ],
)
def test_options_are_validated(options: dict[str, object], message: str) -> None:
    with pytest.raises(rl.ConfigError) as info:
        rl.reward("sql", **options)
    assert message in str(info.value)


def test_pickles_without_its_cache() -> None:
    reward = SqlReward(query_timeout=2, db_dir=str(DATA))
    run(reward, GOLD)
    assert len(reward._gold_cache) == 1
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._gold_cache == {} and clone.query_timeout == 2.0 and clone.db_dir == str(DATA)
    assert run(clone, GOLD).score == 1.0


def test_bundled_rows_agree_with_their_labels() -> None:
    rows = [
        json.loads(line) for line in (DATA / "spider_concert_singer_sample.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 20
    reward = SqlReward(db_dir=str(DATA))
    scores = [reward(Sample.from_dict(row)).score for row in rows]
    assert scores == [float(row["metadata"]["exec_match"]) for row in rows]
    assert sum(scores) == 12
