"""The ``math`` reward against the labelled answer-class table (``data/answer_classes.jsonl``).

One case per row: ``MathReward()`` scores the row's ``completion`` against its ``reference`` in-process, and
the verdict (``score == 1.0``) must equal the row's ``label``. A result with an error fails the row. The
labels were decided by reading the two answers (see ``data/README.md``), never by running a checker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rewardlab
from rewardlab.rewards.math import MathReward

TABLE = Path(__file__).resolve().parent / "data" / "answer_classes.jsonl"


def _rows() -> list[dict]:
    with TABLE.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


ROWS = _rows()
REWARD = MathReward()


def test_table_shape() -> None:
    assert len(ROWS) >= 400
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert set(r) == {"id", "class", "completion", "reference", "label", "source", "note"}, r["id"]
        assert isinstance(r["label"], bool), r["id"]
        assert len(r["completion"].encode()) < 4096, r["id"]
    for cls in {r["class"] for r in ROWS}:
        labels = [r["label"] for r in ROWS if r["class"] == cls]
        assert len(labels) >= 20 and True in labels and False in labels, cls


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_answer_class_row(row: dict) -> None:
    result = REWARD(rewardlab.Sample(completion=row["completion"], reference=row["reference"]))
    assert result.error is None, f"{row['id']}: error {result.error}"
    verdict = result.score == 1.0
    assert verdict == row["label"], (
        f"{row['id']} ({row['class']}): label {row['label']}, reward {result.score}; "
        f"answer {result.info.get('answer')!r} vs reference {result.info.get('reference')!r}; {row['note']}"
    )
