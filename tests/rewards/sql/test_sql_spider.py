"""The ``"sql"`` reward on the real Spider dev set (../shared/data/text_to_sql/spider).

- every gold query scores 1.0 against itself on its database; the 62 questions on ``wta_1`` (database not
  shipped) are recorded errors, not crashes;
- agreement with the execution-match labels of ``dev_pred_example_exec_labels.jsonl`` (470 baseline
  predictions): 470 / 470;
- runaway predictions on the largest database (``world_1``) stop at the statement timeout.

In-process (the reward called through ``rl.score_one``, the runner's own error semantics), a few seconds in all.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

import rewardlab as rl
from rewardlab import Sample, score_one
from rewardlab.rewards.sql import SqlReward

SPIDER = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "text_to_sql" / "spider"
DATABASES = SPIDER / "database"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not SPIDER.exists(), reason=f"{SPIDER} is absent (the Spider dev set these tests grade)"
    ),
]


def test_every_gold_query_matches_itself() -> None:
    dev = json.loads((SPIDER / "dev.json").read_text())
    reward = SqlReward(db_dir=str(DATABASES))
    outcome: Counter[object] = Counter()
    for item in dev:
        result = score_one(
            reward, Sample(completion=item["query"], reference={"db_id": item["db_id"], "sql": item["query"]})
        )
        if result.error is not None:
            outcome[(item["db_id"], result.error.type)] += 1
            assert "database 'wta_1' not found" in result.error.message
        else:
            outcome[result.score] += 1
    assert len(dev) == 1034
    assert outcome == {1.0: 972, ("wta_1", "FileNotFoundError"): 62}


def test_agreement_with_the_spider_execution_labels() -> None:
    rows = [
        json.loads(line) for line in (SPIDER / "dev_pred_example_exec_labels.jsonl").read_text().splitlines()
    ]
    reward = SqlReward(db_dir=str(DATABASES))
    disagreements, tally = [], Counter()
    for row in rows:
        sample = Sample(completion=row["pred_sql"], reference={"db_id": row["db_id"], "sql": row["gold_sql"]})
        result = score_one(reward, sample)
        assert result.error is None, (row["idx"], result.error)
        ours = result.score == 1.0
        tally[(ours, "pred_error" in result.info)] += 1
        if ours != row["exec_match"]:
            disagreements.append((row["idx"], row["exec_match"], row["gold_sql"], row["pred_sql"]))
        # the label file's own failures are ours too
        assert ("pred_error" in result.info) == (row["pred_status"] != "OK"), row["idx"]
    assert len(rows) == 470
    assert disagreements == []  # 470 / 470 agree
    assert tally == {(True, False): 152, (False, False): 307, (False, True): 11}


@pytest.mark.parametrize(
    "runaway",
    [
        "SELECT count(*) FROM city AS a, city AS b, city AS c",  # 4079^3 rows
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
    ],
)
def test_runaway_predictions_stop_at_the_statement_timeout(runaway: str) -> None:
    reference = {"db_id": "world_1", "sql": "SELECT count(*) FROM city"}
    start = time.monotonic()
    result = SqlReward(db_dir=str(DATABASES), query_timeout=0.5)(
        Sample(completion=runaway, reference=reference)
    )
    assert result.score == 0.0 and result.info["pred_error_kind"] == "timeout"
    assert time.monotonic() - start < 3.0


def test_a_runaway_through_the_runner_is_a_zero_not_a_killed_worker() -> None:
    rows = [
        {"completion": "SELECT count(*) FROM city AS a, city AS b, city AS c", "reference": {"db_id": "world_1", "sql": "SELECT count(*) FROM city"}},
        {"completion": "SELECT count(*) FROM city", "reference": {"db_id": "world_1", "sql": "SELECT count(*) FROM city"}},
    ]  # fmt: skip
    reward = rl.reward("sql", db_dir=str(DATABASES), query_timeout=0.5)
    results = rl.score(reward, rows, workers=1, timeout=5)
    assert [r.score for r in results] == [0.0, 1.0]
    assert results[0].error is None and results[0].info["pred_error_kind"] == "timeout"
